/**
 * Size budget of the browser build, min+gzip: an app that only reports errors pays under
 * 6 KB; with tracing under 10 KB. Measured on what a bundler makes of the package (Bun's,
 * minified, tree-shaken) and on the script-tag build, which carries everything.
 */
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const src = join(import.meta.dir, '..', 'src')

async function gzipped(code: string, file?: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bloop-size-'))
  try {
    const entry = file ?? join(dir, 'app.ts')
    if (!file) writeFileSync(entry, code)
    const out = await Bun.build({ entrypoints: [entry], target: 'browser', minify: true })
    if (!out.success) throw new Error(out.logs.map(String).join('\n'))
    return gzipSync(await (out.outputs[0] as Blob).text(), { level: 9 }).length
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('browser bundle size', () => {
  test('errors only: under 6 KB min+gzip', async () => {
    const size = await gzipped(
      `import { init, captureException, captureMessage, setUser, addBreadcrumb } from '${src}/browser'
       init({ endpoint: 'https://b.example', projectKey: 'k' }); setUser('u'); addBreadcrumb({ message: 'x' })
       captureException(new Error('x')); captureMessage('y')`,
    )
    console.log(`errors-only browser bundle: ${size} bytes min+gzip`)
    expect(size).toBeLessThan(6 * 1024)
  })

  test('errors and tracing: under 10 KB min+gzip', async () => {
    const size = await gzipped(
      `import { init, captureException, startTrace, withSpan, traceGeneration } from '${src}/browser'
       import { wrapOpenAI } from '${src}/openai'
       init({ endpoint: 'https://b.example', projectKey: 'k' }); captureException(new Error('x'))
       const t = startTrace({ name: 't' }); t.startSpan({}).end(); t.end()
       withSpan({}, () => 1); traceGeneration({}, () => 1); console.log(wrapOpenAI({}))`,
    )
    console.log(`errors+tracing browser bundle: ${size} bytes min+gzip`)
    expect(size).toBeLessThan(10 * 1024)
  })

  test('the script-tag build (everything, global Bloop) is under 10 KB min+gzip', async () => {
    const size = await gzipped('', join(src, 'script.ts'))
    console.log(`bloop.min.js: ${size} bytes min+gzip`)
    expect(size).toBeLessThan(10 * 1024)
  })
})
