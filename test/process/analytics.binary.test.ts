/**
 * The executable built by `bun build.ts` carries DuckDB and answers analytics from
 * a directory without node_modules (the native files are written once into the data
 * directory's cache and loaded from there); the `--slim` build answers 501.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { cli, signedBatch, stop, until } from '../analytics.process'
import { bearer, tempDir } from '../helpers'
import { spawnServer } from '../process'

const ROOT = join(import.meta.dir, '..', '..')
let dir: string

async function build(outfile: string, slim: boolean) {
  const args = [process.execPath, 'build.ts', `--outfile=${outfile}`, ...(slim ? ['--slim'] : [])]
  const p = Bun.spawn(args, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ])
  if (code !== 0) throw new Error(`build failed (${code}): ${out}\n${err}`)
}

/** No node_modules in the directory or any parent: the executable must bring everything. */
function expectNoNodeModules(from: string) {
  for (let d = from; ; d = dirname(d)) {
    expect(existsSync(join(d, 'node_modules'))).toBe(false)
    if (dirname(d) === d) break
  }
}

beforeAll(async () => {
  dir = tempDir('bloop-binary-')
  await Promise.all([build(join(dir, 'bloop'), false), build(join(dir, 'bloop-slim'), true)])
}, 120_000)

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('compiled executable', () => {
  test('answers an analytics request from a directory without node_modules, DuckDB loaded from its own files', async () => {
    const work = join(dir, 'full')
    const dbPath = join(work, 'data', 'bloop.db')
    const env = { BLOOP__DATABASE__PATH: dbPath, BLOOP__ANALYTICS__SYNC_INTERVAL_MS: '0' }
    const cmd = [join(dir, 'bloop')]
    await Bun.write(join(work, '.keep'), '')
    expectNoNodeModules(work)
    // The CLI needs the server's database; `migrate` creates it.
    await cli(cmd, ['migrate'], env, work)
    const token = await cli(
      cmd,
      ['token', 'create', '--project', 'default', '--scopes', 'errors:read'],
      env,
      work,
    )
    const server = await spawnServer({ dir: work, cmd, env })
    try {
      const res = await signedBatch(server.url, [
        { source: 'api', environment: 'production', release: '1.0', error_type: 'TypeError', message: 'a' },
        { source: 'api', environment: 'production', release: '1.0', error_type: 'TypeError', message: 'a' },
        { source: 'web', environment: 'staging', release: '1.0', error_type: 'RangeError', message: 'b' },
      ])
      expect(res.status).toBe(200)
      const movers = await until(
        async () => {
          const r = await fetch(`${server.url}/v1/analytics/movers`, { headers: bearer(token) })
          expect(r.status).toBe(200)
          const body = (await r.json()) as { movers: { error_type: string; count_current: number }[] }
          return body.movers.length === 2 ? body.movers : undefined
        },
        20_000,
        () => 'analytics never showed the two issues',
      )
      expect(movers.map((m) => [m.error_type, m.count_current])).toEqual([
        ['TypeError', 2],
        ['RangeError', 1],
      ])
      // The library mapped into the process is the one written into the data directory.
      const maps = readFileSync(`/proc/${server.proc.pid}/maps`, 'utf8')
      const mapped = maps.split('\n').filter((l) => l.includes('libduckdb'))
      expect(mapped.length).toBeGreaterThan(0)
      for (const l of mapped) expect(l).toContain(join(work, 'data', '.cache', 'duckdb-'))
      expect(maps).not.toContain('node_modules')
    } finally {
      expect(await stop(server)).toBe(0)
    }

    // Written once: a second start reuses the cached files.
    const cache = join(work, 'data', '.cache')
    const [versioned] = readdirSync(cache)
    const lib = join(cache, versioned as string, 'libduckdb.so')
    const before = statSync(lib).mtimeMs
    const again = await spawnServer({ dir: work, cmd, env })
    try {
      const r = await fetch(`${again.url}/v1/analytics/environments`, { headers: bearer(token) })
      expect(((await r.json()) as { total_count: number }).total_count).toBe(3)
    } finally {
      expect(await stop(again)).toBe(0)
    }
    expect(statSync(lib).mtimeMs).toBe(before)
    expect(readdirSync(cache)).toEqual([versioned as string])
    // Private like the rest of the data directory: loading a library needs no execute bit.
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)
    const files = join(cache, versioned as string)
    expect([cache, files, lib, join(files, 'duckdb.node')].map(mode)).toEqual(['700', '700', '600', '600'])
  }, 60_000)

  test('built with --slim, answers 501 saying the binary was built slim, and still ingests', async () => {
    const work = join(dir, 'slim')
    const env = { BLOOP__DATABASE__PATH: join(work, 'data', 'bloop.db') }
    const cmd = [join(dir, 'bloop-slim')]
    await Bun.write(join(work, '.keep'), '')
    // The CLI needs the server's database; `migrate` creates it.
    await cli(cmd, ['migrate'], env, work)
    const token = await cli(
      cmd,
      ['token', 'create', '--project', 'default', '--scopes', 'errors:read'],
      env,
      work,
    )
    const server = await spawnServer({ dir: work, cmd, env })
    try {
      for (const endpoint of ['spikes', 'movers', 'correlations', 'releases', 'environments']) {
        const r = await fetch(`${server.url}/v1/analytics/${endpoint}`, { headers: bearer(token) })
        expect(r.status).toBe(501)
        const body = (await r.json()) as { error: string; code: string }
        expect(body.code).toBe('not_implemented')
        expect(body.error).toContain('built with --slim')
      }
      const ingest = await signedBatch(server.url, [
        { source: 'api', environment: 'production', release: '1.0', error_type: 'E', message: 'm' },
      ])
      expect(ingest.status).toBe(200)
      expect(existsSync(join(work, 'data', '.cache'))).toBe(false)
    } finally {
      expect(await stop(server)).toBe(0)
    }
    expect(statSync(join(dir, 'bloop-slim')).size).toBeLessThan(
      statSync(join(dir, 'bloop')).size - 50_000_000,
    )
  }, 60_000)
})
