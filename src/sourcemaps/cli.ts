/**
 * `bloop sourcemaps upload --project <slug> --release <r> <dir>`: uploads every `.map`
 * file under a build directory to a running server, for CI pipelines. Unlike the other
 * commands it talks HTTP with an API token holding `sourcemaps:write` (`--token` or
 * BLOOP_TOKEN), so it runs on the build machine. The server is `--url`, or else the one of
 * the configuration the command runs with (`--config`, config.toml, BLOOP__ variables; see
 * `serverUrl`), so a server moved to another port is found without repeating it.
 *
 * Each map is sent under its path relative to the directory (`assets/app.js.map`), so
 * frames match by URL path as well as by file name. Progress goes to stderr, one line per
 * file; the summary to stdout. A failed file does not stop the others; the exit code is 1
 * if any failed (or none was found), 0 otherwise.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { type Command, requireString, UsageError } from '../core/command'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', ''])

/**
 * Where the configured server is reached. `auth.rp_origin` is the address users open, a
 * reverse proxy's public origin when there is one: when it names another machine, that is
 * it. When it is a loopback address (the default), the server is on this machine, and its
 * own listener (`server.host`, `server.port`) is exact even when only the port was changed.
 */
export function serverUrl(config: Config): string {
  let origin: URL
  try {
    origin = new URL(config.auth.rp_origin)
  } catch {
    throw new UsageError(`auth.rp_origin is not a URL (${config.auth.rp_origin}); pass --url`)
  }
  if (!LOOPBACK.has(origin.hostname)) return origin.origin
  if (config.server.port === 0)
    throw new UsageError(
      'server.port is 0 (a free port chosen at start), so the server cannot be found: pass --url',
    )
  const url = new URL('http://localhost')
  if (!WILDCARD.has(config.server.host))
    url.hostname = /^[^[].*:/.test(config.server.host) ? `[${config.server.host}]` : config.server.host
  url.port = String(config.server.port)
  return url.origin
}

/** Every `.map` file under `dir`, as paths relative to it with `/` separators, sorted. */
export function findMaps(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const full = join(d, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile() && entry.name.endsWith('.map'))
        out.push(relative(dir, full).split(sep).join('/'))
    }
  }
  walk(dir)
  return out.sort()
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`)

export const sourcemapsUpload: Command = {
  path: ['sourcemaps', 'upload'],
  usage: 'bloop sourcemaps upload --project <slug> --release <r> [--url u] [--token t] [--config path] <dir>',
  summary: 'Upload the .map files under <dir> to a running server (for CI).',
  options: {
    project: { type: 'string' },
    release: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
  },
  args: ['dir'],
  async run(ctx) {
    const project = requireString(ctx.values, 'project')
    const release = requireString(ctx.values, 'release')
    const token = typeof ctx.values.token === 'string' ? ctx.values.token : process.env.BLOOP_TOKEN
    if (!token) throw new UsageError('an API token with sourcemaps:write is required: --token or BLOOP_TOKEN')
    const base =
      typeof ctx.values.url === 'string' ? ctx.values.url : serverUrl(loadConfig({ path: ctx.configPath }))
    let endpoint: URL
    try {
      endpoint = new URL(`/v1/projects/${encodeURIComponent(project)}/sourcemaps`, base)
    } catch {
      throw new UsageError(`--url is not a URL: ${base}`)
    }
    const [dir, ...extra] = ctx.positionals
    if (!dir || extra.length > 0) throw new UsageError('give exactly one build directory')
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`${dir} is not a directory`)

    const maps = findMaps(dir)
    if (maps.length === 0) {
      ctx.err(`no .map files under ${dir}`)
      return 1
    }
    ctx.err(
      `uploading ${maps.length} source map(s) for release ${release} to ${endpoint.origin}, project ${project}`,
    )
    let uploaded = 0
    let failed = 0
    let bytes = 0
    for (const [i, name] of maps.entries()) {
      const data = readFileSync(join(dir, name))
      const form = new FormData()
      form.set('release', release)
      form.set('file', new File([data], name.split('/').pop() as string))
      form.set('filename', name)
      const prefix = `[${i + 1}/${maps.length}] ${name} (${kb(data.byteLength)})`
      try {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: form,
        })
        const body = (await res.json().catch(() => ({}))) as {
          id?: number
          replaced?: boolean
          error?: string
        }
        if (res.ok) {
          uploaded++
          bytes += data.byteLength
          ctx.err(`${prefix} ${body.replaced ? 'replaced' : 'uploaded'} (id ${body.id})`)
        } else {
          failed++
          ctx.err(`${prefix} FAILED: ${res.status} ${body.error ?? res.statusText}`)
          // Credentials or the project are wrong for every file: stop instead of repeating it.
          if (res.status === 401 || res.status === 403 || res.status === 404) break
        }
      } catch (err) {
        failed++
        ctx.err(`${prefix} FAILED: ${(err as Error).message}`)
        break
      }
    }
    const skipped = maps.length - uploaded - failed
    ctx.out(
      failed === 0
        ? `uploaded ${uploaded} source map(s) (${kb(bytes)}) for release ${release}`
        : `uploaded ${uploaded} of ${maps.length} source map(s) for release ${release}; ${failed} failed` +
            (skipped > 0 ? `, ${skipped} not attempted` : ''),
    )
    return failed === 0 ? 0 : 1
  },
}
