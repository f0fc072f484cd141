/**
 * Real artifacts for the source-map tests: the app in fixtures/minified-app is built with
 * `bun build --minify --sourcemap=external` and run by real engines; nothing here writes
 * a map or a stack by hand.
 */

import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHROMIUM, CHROMIUM_ARGS } from './browser'
import { tempDir } from './helpers'

export const FIXTURE = join(import.meta.dir, 'fixtures', 'minified-app')

export interface Build {
  dir: string
  /** out/app.min.js */
  script: string
  /** out/app.min.js.map */
  map: string
  mapText: string
  /** 1-based line of the first source line containing `marker` in src/<file>. */
  lineOf(file: 'app.ts' | 'util.ts', marker: string): number
}

/**
 * Copies the fixture, optionally shifts util.ts down by `shiftLines` comment lines (a
 * "second release" whose code moved), and builds it minified with an external map.
 */
export async function buildApp(shiftLines = 0): Promise<Build> {
  const dir = tempDir('bloop-minified-')
  cpSync(join(FIXTURE, 'src'), join(dir, 'src'), { recursive: true })
  if (shiftLines > 0) {
    const util = join(dir, 'src', 'util.ts')
    const header = Array.from({ length: shiftLines }, (_, i) => `// release note ${i + 1}`).join('\n')
    writeFileSync(util, `${header}\n${readFileSync(util, 'utf8')}`)
  }
  mkdirSync(join(dir, 'out'))
  const proc = Bun.spawn(
    [
      process.execPath,
      'build',
      'src/app.ts',
      '--minify',
      '--sourcemap=external',
      '--outdir',
      'out',
      '--entry-naming',
      '[name].min.[ext]',
    ],
    { cwd: dir, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } },
  )
  if ((await proc.exited) !== 0)
    throw new Error(`bun build failed: ${await new Response(proc.stderr).text()}`)
  const map = join(dir, 'out', 'app.min.js.map')
  return {
    dir,
    script: join(dir, 'out', 'app.min.js'),
    map,
    mapText: readFileSync(map, 'utf8'),
    lineOf(file, marker) {
      const lines = readFileSync(join(dir, 'src', file), 'utf8').split('\n')
      const i = lines.findIndex((l) => l.includes(marker))
      if (i < 0) throw new Error(`marker ${marker} not in ${file}`)
      return i + 1
    },
  }
}

/** Runs the minified script with `engine` (node or bun); returns the stack its reporter printed. */
export async function runAndCatch(engine: 'node' | 'bun', script: string): Promise<string> {
  const cmd = engine === 'bun' ? process.execPath : 'node'
  const proc = Bun.spawn([cmd, script], { stdout: 'pipe', stderr: 'pipe' })
  const [out, err] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text()]
  await proc.exited
  const line = out.split('\n').find((l) => l.startsWith('{'))
  if (!line) throw new Error(`${engine} printed no report: ${out}${err}`)
  return (JSON.parse(line) as { stack: string }).stack
}

/**
 * Loads the minified script in headless Chromium from a loopback server at
 * /assets/app.min.js; the page's reporter writes the stack into the DOM, which Chromium
 * prints with --dump-dom.
 */
export async function runInChromium(script: string): Promise<{ stack: string; origin: string }> {
  const html = `<!doctype html><html><body><pre id="stack"></pre>
<script>globalThis.report = (s) => { document.getElementById('stack').textContent = s }</script>
<script src="/assets/app.min.js"></script></body></html>`
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      const path = new URL(req.url).pathname
      if (path === '/') return new Response(html, { headers: { 'content-type': 'text/html' } })
      if (path === '/assets/app.min.js')
        return new Response(Bun.file(script), { headers: { 'content-type': 'text/javascript' } })
      return new Response('not found', { status: 404 })
    },
  })
  const origin = `http://127.0.0.1:${server.port}`
  try {
    const proc = Bun.spawn(
      [
        CHROMIUM,
        ...CHROMIUM_ARGS,
        `--user-data-dir=${tempDir('bloop-chromium-')}`,
        '--dump-dom',
        `${origin}/`,
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    const dom = await new Response(proc.stdout).text()
    await proc.exited
    const m = /<pre id="stack">([\s\S]*?)<\/pre>/.exec(dom)
    const stack = (m?.[1] ?? '')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&')
    if (stack === '') throw new Error(`chromium reported no stack; DOM: ${dom.slice(0, 500)}`)
    return { stack, origin }
  } finally {
    server.stop(true)
  }
}

/**
 * The map that froze the server: 1,048,536 segments all at generated line 1, column 0, just
 * under the 5 MB cap. source-map-js sorts segments with a quicksort whose partition puts
 * equal keys on one side, so every level of recursion removes one segment: minutes of
 * work, ending in "Maximum call stack size exceeded".
 */
export const HOSTILE_SEGMENTS = 1_048_536
export function hostileMap(segments = HOSTILE_SEGMENTS): string {
  return JSON.stringify({ version: 3, sources: ['a.js'], names: [], mappings: 'AAAA,'.repeat(segments) })
}
