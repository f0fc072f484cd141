/**
 * Builds sdk/js/dist: ESM entry points with shared chunks (one copy of the default client
 * however many entry points an app imports), type declarations, and the script-tag build
 * `bloop.min.js` (an IIFE defining the global `Bloop`) with its SHA-384 integrity hash in
 * `bloop.min.js.sri`. Run with `bun build.ts` from sdk/js (or `bun sdk/js/build.ts`).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const root = import.meta.dir
const dist = join(root, 'dist')
const entries = ['index', 'browser', 'node', 'react-native', 'openai', 'anthropic']

export interface ScriptBuild {
  version: string
  js: string
  /** Subresource Integrity value for `<script integrity>`. */
  integrity: string
}

/**
 * The script-tag build, in memory: what dist/bloop.min.js holds and what the bloop server
 * serves at /sdk/bloop.min.js (src/sdk), so both carry the same bytes and hash.
 */
export async function buildScript(): Promise<ScriptBuild> {
  const out = await Bun.build({
    entrypoints: [join(root, 'src', 'script.ts')],
    format: 'iife',
    target: 'browser',
    minify: true,
  })
  if (!out.success) throw new Error(out.logs.map(String).join('\n'))
  const js = await (out.outputs[0] as Blob).text()
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  return { version, js, integrity: `sha384-${createHash('sha384').update(js).digest('base64')}` }
}

/** The TypeScript compiler of this checkout (sdk/js's own node_modules, else the repository's). */
function tscBin(): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin', 'tsc')
    if (existsSync(bin)) return bin
    if (dirname(dir) === dir) throw new Error('tsc not found: run npm install')
  }
}

export async function build(): Promise<void> {
  rmSync(dist, { recursive: true, force: true })
  const esm = await Bun.build({
    entrypoints: entries.map((e) => join(root, 'src', `${e}.ts`)),
    outdir: dist,
    format: 'esm',
    target: 'browser',
    splitting: true,
    external: ['node:*'],
    naming: { entry: '[name].js', chunk: 'chunk-[hash].js' },
  })
  if (!esm.success) throw new Error(esm.logs.map(String).join('\n'))
  const script = await buildScript()
  writeFileSync(join(dist, 'bloop.min.js'), script.js)
  writeFileSync(join(dist, 'bloop.min.js.sri'), `${script.integrity}\n`)
  const tsc = Bun.spawnSync([tscBin(), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (tsc.exitCode !== 0) throw new Error(`tsc: ${tsc.stdout.toString()}${tsc.stderr.toString()}`)
}

if (import.meta.main) await build()
