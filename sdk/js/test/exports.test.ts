/**
 * The package's `exports` conditions pick the right build per runtime, as an app that
 * installed it sees them: Bun resolves the Node/Bun entry (AsyncLocalStorage, process
 * handlers), a browser bundler the browser entry (window handlers, no node: import), and
 * the worker conditions the runtime-neutral one.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../build'

const pkg = join(import.meta.dir, '..')
let app: string

beforeAll(async () => {
  await build()
  app = mkdtempSync(join(tmpdir(), 'bloop-exports-'))
  mkdirSync(join(app, 'node_modules'))
  symlinkSync(pkg, join(app, 'node_modules', 'bloop-sdk'))
}, 60_000)

async function bundle(conditions: string[], target: 'browser' | 'node'): Promise<string> {
  writeFileSync(join(app, 'app.js'), "import { init } from 'bloop-sdk'\nglobalThis.x = init\n")
  const out = await Bun.build({
    entrypoints: [join(app, 'app.js')],
    target,
    conditions,
    external: ['node:*'],
  })
  if (!out.success) throw new Error(out.logs.map(String).join('\n'))
  return (out.outputs[0] as Blob).text()
}

describe('package exports', () => {
  test('Bun resolves bloop-sdk to the Node/Bun build', () => {
    expect(Bun.resolveSync('bloop-sdk', app)).toBe(join(pkg, 'dist', 'node.js'))
    expect(Bun.resolveSync('bloop-sdk/openai', app)).toBe(join(pkg, 'dist', 'openai.js'))
  })

  test('a browser bundle gets the browser build and no node: import', async () => {
    const code = await bundle([], 'browser')
    expect(code).toContain('pagehide')
    expect(code).not.toContain('node:async_hooks')
  })

  test('worker conditions (Cloudflare) get the runtime-neutral build', async () => {
    const code = await bundle(['workerd', 'worker'], 'browser')
    expect(code).not.toContain('pagehide')
    expect(code).not.toContain('node:async_hooks')
    expect(code).toContain('/v1/ingest/batch')
  })

  test('react-native gets the React Native build', async () => {
    const code = await bundle(['react-native'], 'browser')
    expect(code).toContain('setGlobalHandler')
  })
})
