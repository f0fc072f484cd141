/**
 * The runtime-neutral entry (sdk/js dist/index.js) where there is no Node and no DOM: a
 * real Deno process (the `deno` npm package, pinned) and an edge worker in Vercel's Edge
 * Runtime VM (`@edge-runtime/vm`, Web-standard globals only, run in a Node child), each
 * capturing an error and a trace and flushing before the request or process ends. Both
 * are read back through the API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { REPO } from '../process'
import { type SdkServer, sdkDist, sdkServer } from '../sdk.helpers'

let dir: string
let server: SdkServer
let dist: string

beforeAll(async () => {
  dir = tempDir('bloop-sdk-runtimes-')
  dist = await sdkDist()
  server = await sdkServer(dir, { llm_tracing: { default_content_storage: 'full' } })
}, 60_000)
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function run(cmd: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn(cmd, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, DENO_DIR: join(dir, '.deno'), NO_COLOR: '1', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => child.kill(), 30_000)
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  clearTimeout(timer)
  return { stdout, stderr, code }
}

const traceOf = async (id: string) =>
  (await (await server.get(`/v1/llm/traces/${id}`)).json()) as { name: string; spans: { name: string }[] }

describe('sdk/js without Node or a DOM', () => {
  test('Deno: captureException and a trace, flushed before the script ends', async () => {
    const file = join(dir, 'deno-app.mjs')
    writeFileSync(
      file,
      `import * as bloop from ${JSON.stringify(`file://${join(dist, 'index.js')}`)}
       bloop.init({ endpoint: Deno.env.get('BLOOP_URL'), projectKey: Deno.env.get('BLOOP_KEY'), source: 'deno', release: 'deno@1' })
       try { JSON.parse('{') } catch (err) { bloop.captureException(err, { route: 'cron:nightly' }) }
       const t = bloop.startTrace({ name: 'deno-job' }); t.startSpan({ name: 'step' }).end(); t.end()
       console.log(JSON.stringify({ ok: await bloop.flush(), trace: t.id }))`,
    )
    const res = await run(
      [
        join(REPO, 'node_modules', '.bin', 'deno'),
        'run',
        '--no-prompt',
        `--allow-net=127.0.0.1:${server.served.port}`,
        '--allow-env',
        `--allow-read=${dist}`,
        file,
      ],
      { BLOOP_URL: server.url, BLOOP_KEY: server.projectKey },
    )
    expect(res.stderr).toBe('')
    const out = JSON.parse(res.stdout.trim()) as { ok: boolean; trace: string }
    expect(out.ok).toBe(true)
    const issue = (await server.issues()).find((i) => i.source === 'deno')
    expect(issue?.error_type).toBe('SyntaxError')
    expect(issue?.route_or_procedure).toBe('cron:nightly')
    expect((await traceOf(out.trace)).spans.map((s) => s.name)).toEqual(['step'])
  }, 40_000)

  test('an edge worker (Edge Runtime VM): the error is sent within the request via waitUntil', async () => {
    const worker = `
      ${await bundleAsGlobal()}
      addEventListener('fetch', (event) => {
        bloop.init({ endpoint: BLOOP_URL, projectKey: BLOOP_KEY, source: 'edge', release: 'edge@1' })
        try { null.f() } catch (err) { bloop.captureException(err, { route: new URL(event.request.url).pathname }) }
        event.waitUntil(bloop.flush())
        event.respondWith(new Response('ok'))
      })`
    const runner = join(dir, 'edge-run.mjs')
    writeFileSync(join(dir, 'worker.js'), worker)
    writeFileSync(
      runner,
      `import { readFileSync } from 'node:fs'
       import { EdgeVM } from ${JSON.stringify(join(REPO, 'node_modules', '@edge-runtime', 'vm', 'dist', 'index.js'))}
       const vm = new EdgeVM({ extend: (ctx) => Object.assign(ctx, { BLOOP_URL: process.env.BLOOP_URL, BLOOP_KEY: process.env.BLOOP_KEY }) })
       vm.evaluate(readFileSync(new URL('./worker.js', import.meta.url), 'utf8'))
       const res = await vm.dispatchFetch('https://shop.example/api/cart')
       await res.waitUntil()
       console.log(JSON.stringify({ status: res.status, body: await res.text(), node: typeof vm.context.process }))`,
    )
    const res = await run(['node', runner], { BLOOP_URL: server.url, BLOOP_KEY: server.projectKey })
    expect(res.stderr).toBe('')
    expect(JSON.parse(res.stdout.trim())).toEqual({ status: 200, body: 'ok', node: 'undefined' })
    const issue = (await server.issues()).find((i) => i.source === 'edge')
    expect(issue?.error_type).toBe('TypeError')
    expect(issue?.route_or_procedure).toBe('/api/cart')
  }, 40_000)
})

/** The ESM build re-bundled as a script that defines `bloop` (the worker's view of the package). */
async function bundleAsGlobal(): Promise<string> {
  const entry = join(dir, 'edge-entry.js')
  writeFileSync(entry, `import * as b from ${JSON.stringify(join(dist, 'index.js'))}; globalThis.bloop = b`)
  const out = await Bun.build({ entrypoints: [entry], format: 'iife', target: 'browser', minify: true })
  if (!out.success) throw new Error(out.logs.map(String).join('\n'))
  return (out.outputs[0] as Blob).text()
}
