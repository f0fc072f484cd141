/**
 * The built browser SDK in real headless Chromium against a real bloop server: the
 * script-tag build (served by the bloop server at /sdk/, integrity-checked, configured by
 * data- attributes) and the npm build
 * (dist/browser.js) bundled by Bun into an app, each served from its own loopback origin
 * and sending cross-origin. Uncaught errors, unhandled rejections, manual captures, the
 * offline queue in localStorage replayed on the next visit, and an event captured just
 * before navigating away (keepalive flush on page hide) are all read back through the API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, reservePort } from '../browser'
import { tempDir } from '../helpers'
import { eventually, type SdkServer, sdkDist, sdkServer } from '../sdk.helpers'
import type { Sample } from '../sentry.helpers'

let dir: string
let server: SdkServer
let pages: ReturnType<typeof Bun.serve>
let browser: Browser
let origin: string
let appBundle: string
let manifest: { url: string; integrity: string }
const closedPort = reservePort()

const html = (body: string) =>
  new Response(`<!doctype html><meta charset="utf-8"><title>shop</title>${body}`, {
    headers: { 'content-type': 'text/html' },
  })

beforeAll(async () => {
  dir = tempDir('bloop-sdk-browser-')
  const dist = await sdkDist()
  server = await sdkServer(dir)
  const script = readFileSync(join(dist, 'bloop.min.js'), 'utf8')
  manifest = (await (await fetch(`${server.url}/sdk/manifest.json`)).json()) as typeof manifest
  // The npm build as an app bundles it: an entry importing the package's browser build.
  const entry = join(dir, 'app.ts')
  writeFileSync(
    entry,
    `import * as bloop from ${JSON.stringify(join(dist, 'browser.js'))}
     const q = new URLSearchParams(location.search)
     bloop.init({ endpoint: q.get('endpoint'), projectKey: q.get('key'), environment: 'web', release: 'spa@1.4.0' })
     ;(window as any).bloop = bloop`,
  )
  const built = await Bun.build({ entrypoints: [entry], target: 'browser', minify: true })
  if (!built.success) throw new Error(built.logs.map(String).join('\n'))
  appBundle = await (built.outputs[0] as Blob).text()

  pages = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname
      const js = (code: string) => new Response(code, { headers: { 'content-type': 'text/javascript' } })
      if (path === '/bloop.min.js') return js(script)
      if (path === '/app.js') return js(appBundle)
      if (path === '/script.html') {
        // Loaded from the bloop server itself, integrity-checked, as the setup guide shows.
        return html(`<script src="${server.url}${manifest.url}" integrity="${manifest.integrity}" crossorigin="anonymous" data-endpoint="${server.url}" data-project-key="${server.projectKey}"
          data-environment="web" data-release="web@3.1.0"></script>
          <script>
            Bloop.setUser('shopper-9')
            Bloop.addBreadcrumb({ category: 'ui.click', message: 'button#checkout' })
            Bloop.captureException(new Error('coupon SPRING has expired'), { tags: { step: 'coupon' } })
            setTimeout(function renderCart() { undefined.toFixed(2) }, 0)
            Promise.reject(new RangeError('cart total below zero'))
            setTimeout(async () => { window.flushed = await Bloop.flush() }, 100)
          </script>`)
      }
      if (path === '/npm.html') return html('<script src="/app.js"></script>')
      if (path === '/away.html') return html('<p>elsewhere</p>')
      return new Response('not found', { status: 404 })
    },
  })
  origin = `http://127.0.0.1:${pages.port}`
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  pages?.stop(true)
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function open(path: string): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(`${origin}${path}`)
  return page
}

const npmPage = (endpoint: string) =>
  `/npm.html?endpoint=${encodeURIComponent(endpoint)}&key=${encodeURIComponent(server.projectKey)}`

describe('the script-tag build in Chromium', () => {
  let page: Page
  beforeAll(async () => {
    page = await open('/script.html')
    await page.waitForFunction(() => (window as { flushed?: boolean }).flushed !== undefined, null, {
      timeout: 20_000,
    })
  }, 30_000)
  afterAll(() => page?.close())

  test('flush() resolves true once everything is delivered', async () => {
    expect(await page.evaluate(() => (window as { flushed?: boolean }).flushed)).toBe(true)
  })

  test('a captured exception arrives with context, hashed user, tags, breadcrumbs and the page path', async () => {
    const issue = await server.issue('Error')
    expect(issue.message).toBe('coupon SPRING has expired')
    expect(issue.source).toBe('javascript')
    expect(issue.releases).toEqual(['web@3.1.0'])
    expect(issue.environments).toEqual(['web'])
    expect(issue.route_or_procedure).toBe('/script.html')
    const sample = issue.samples[0] as Sample
    expect(sample.user_id_hash).toBe(new Bun.CryptoHasher('sha256').update('shopper-9').digest('hex'))
    expect(sample.metadata?.tags).toEqual({ step: 'coupon' })
    // The ring travels in the event's own field and is stored as the timeline, not as metadata.
    expect(sample.metadata?.breadcrumbs).toBeUndefined()
    const crumbs = (
      sample as Sample & { breadcrumbs: { category: string; message: string; level: string }[] }
    ).breadcrumbs
    expect(crumbs.map((b) => [b.category, b.message, b.level])).toEqual([
      ['ui.click', 'button#checkout', 'info'],
    ])
    expect(sample.metadata?.sdk).toBe('bloop-js@0.1.0')
  })

  test('an uncaught error is captured by the global handler, unhandled', async () => {
    const issue = await server.issue('TypeError')
    expect(issue.message).toBe("Cannot read properties of undefined (reading 'toFixed')")
    const sample = issue.samples[0] as Sample
    expect(sample.metadata?.mechanism).toEqual({ type: 'onerror', handled: false })
    expect(sample.stack?.split('\n')[1]).toContain('at renderCart')
  })

  test('an unhandled rejection is captured', async () => {
    const sample = (await server.issue('RangeError')).samples[0] as Sample
    expect(sample.metadata?.mechanism).toEqual({ type: 'onunhandledrejection', handled: false })
  })
})

describe('the npm build bundled by Bun, in Chromium', () => {
  test('events captured while the server is unreachable wait in localStorage and are sent on the next visit', async () => {
    const page = await open(npmPage(`http://127.0.0.1:${closedPort}`))
    const flushed = await page.evaluate(async () => {
      const b = (window as any).bloop
      b.captureMessage('saved for later')
      return b.flush(800)
    })
    expect(flushed).toBe(false)
    await page.evaluate(() => (window as any).bloop.close(100))
    const saved = await page.evaluate(() => localStorage.getItem('bloop:queue:events'))
    expect(JSON.parse(saved as string).map((e: { message: string }) => e.message)).toEqual([
      'saved for later',
    ])
    // Same origin, now pointing at the live server: the queue is replayed at init.
    await page.goto(`${origin}${npmPage(server.url)}`)
    const issue = await eventually(async () =>
      (await server.issues()).find((i) => i.message === 'saved for later'),
    )
    expect(issue.total_count).toBe(1)
    expect(issue.releases).toEqual(['spa@1.4.0'])
    await eventually(async () =>
      (await page.evaluate(() => localStorage.getItem('bloop:queue:events'))) === null ? true : undefined,
    )
    await page.close()
  }, 30_000)

  test('a trace started in the page is sent cross-origin to /v1/traces/batch and read back', async () => {
    const page = await open(npmPage(server.url))
    const { id, flushed } = await page.evaluate(async () => {
      const b = (window as any).bloop
      const trace = b.startTrace({ name: 'browser-chat', sessionId: 'tab-1' })
      const span = trace.startSpan({ spanType: 'generation', model: 'gpt-4o-mini', provider: 'openai' })
      span.end({ usage: { inputTokens: 40, outputTokens: 12 }, output: 'hi' })
      trace.end()
      return { id: trace.id as string, flushed: (await b.flush()) as boolean }
    })
    expect(flushed).toBe(true)
    const res = await server.get(`/v1/llm/traces/${id}`)
    expect(res.status).toBe(200)
    const t = (await res.json()) as {
      name: string
      session_id: string
      spans: { model: string; input_tokens: number; output_tokens: number }[]
    }
    expect([t.name, t.session_id]).toEqual(['browser-chat', 'tab-1'])
    expect(t.spans.map((s) => [s.model, s.input_tokens, s.output_tokens])).toEqual([['gpt-4o-mini', 40, 12]])
    await page.close()
  })

  test('an event captured right before navigating away is delivered by the page-hide flush', async () => {
    const page = await open(npmPage(server.url))
    await page.evaluate(() => {
      // The interval (5 s) never comes: the page is gone before it.
      ;(window as any).bloop.captureException(new SyntaxError('left mid-checkout'))
      setTimeout(() => {
        location.href = '/away.html'
      }, 20)
    })
    await page.waitForURL('**/away.html')
    const issue = await eventually(async () =>
      (await server.issues()).find((i) => i.message === 'left mid-checkout'),
    )
    expect(issue.error_type).toBe('SyntaxError')
    await page.close()
  }, 30_000)
})
