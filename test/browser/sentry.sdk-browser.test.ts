/**
 * The real @sentry/browser SDK, unmodified, bundled with Bun.build into a test page served
 * from its own loopback origin, runs in headless Chromium and sends (cross-origin) to a
 * real bloop server on port 0. Each event is read back through the query API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { launchChromium } from '../browser'
import type { Sample } from '../sentry.helpers'
import { type SentryServer, startSentryServer } from '../sentry.server'

let server: SentryServer
let page: ReturnType<typeof Bun.serve>
let browser: Browser
let bundle: string
let appUrl: string
let result: { caughtId: string; flushed: boolean }

const get = (path: string) => server.get(path)
const issue = (errorType: string) => server.issue(errorType)

/** 1-based line:column of `needle` in the bundle, where V8 places a frame there. */
function position(needle: string): string {
  const lines = bundle.split('\n')
  const line = lines.findIndex((l) => l.includes(needle))
  expect(line).toBeGreaterThanOrEqual(0)
  return `${line + 1}:${(lines[line] as string).indexOf(needle) + 1}`
}

beforeAll(async () => {
  server = await startSentryServer('browser')
  const dsn = server.dsn

  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, '..', 'fixtures', 'sentry-browser-app.ts')],
    target: 'browser',
    format: 'iife',
    minify: false,
  })
  if (!built.success) throw new Error(built.logs.map(String).join('\n'))
  bundle = await (built.outputs[0] as Blob).text()
  page = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname
      if (path === '/app.js') return new Response(bundle, { headers: { 'content-type': 'text/javascript' } })
      return new Response('<!doctype html><title>shop</title><script src="/app.js"></script>', {
        headers: { 'content-type': 'text/html' },
      })
    },
  })
  appUrl = `http://127.0.0.1:${page.port}/app.js`

  browser = await launchChromium()
  const tab = await browser.newPage()
  await tab.goto(`http://127.0.0.1:${page.port}/?dsn=${encodeURIComponent(dsn)}`)
  await tab.waitForFunction(() => (window as { sentryResult?: unknown }).sentryResult !== undefined, null, {
    timeout: 20_000,
  })
  result = await tab.evaluate(() => (window as unknown as { sentryResult: typeof result }).sentryResult)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  page?.stop(true)
  await server?.stop()
})

describe('@sentry/browser in Chromium against bloop', () => {
  test('the SDK flushes every envelope', () => {
    expect(result.flushed).toBe(true)
    expect(result.caughtId).toMatch(/^[0-9a-f]{32}$/)
  })

  test('a captured exception arrives with its type, message, release, environment and frames', async () => {
    const detail = await issue('Error')
    expect(detail.message).toBe('coupon SUMMER-21 has expired')
    expect(detail.source).toBe('javascript')
    expect(detail.releases).toEqual(['web@5.0.0'])
    expect(detail.environments).toEqual(['preview'])
    expect(detail.route_or_procedure).toBe('/')
    const sample = detail.samples[0] as Sample
    expect(sample.event_id).toBe(result.caughtId)
    const lines = (sample.stack ?? '').split('\n')
    expect(lines[0]).toBe('Error: coupon SUMMER-21 has expired')
    expect(lines[1]).toBe(`    at applyCoupon (${appUrl}:${position('new Error(`coupon')})`)
    expect(lines[2]).toBe(`    at ${appUrl}:${position('applyCoupon("SUMMER-21")')}`)
    expect(sample.metadata?.sdk).toMatch(/^sentry\.javascript\.browser@/)
    expect(sample.metadata?.mechanism).toEqual({ type: 'generic', handled: true })
  })

  test('an uncaught error reaches bloop through the global handler, unhandled', async () => {
    const detail = await issue('TypeError')
    expect(detail.message).toBe("Cannot read properties of undefined (reading 'toFixed')")
    expect(detail.releases).toEqual(['web@5.0.0'])
    expect(detail.environments).toEqual(['preview'])
    const sample = detail.samples[0] as Sample
    expect((sample.stack ?? '').split('\n')[1]).toBe(
      `    at renderCart (${appUrl}:${position('toFixed(2)')})`,
    )
    expect(sample.metadata?.mechanism?.handled).toBe(false)
  })

  test('the browser session envelope is accepted and counted', async () => {
    const metrics = await (await fetch(new URL('/metrics', server.served.url))).text()
    expect(metrics).toMatch(/bloop_sentry_items_total\{type="session"\} [1-9]/)
  })

  test('breadcrumbs, the user and tags arrive: the console line, the added crumb, the UA-derived browser', async () => {
    const detail = await issue('Error')
    const sample = detail.samples[0] as Sample & { breadcrumbs: Record<string, unknown>[] }
    const crumbs = sample.breadcrumbs.map(({ timestamp, ...c }) => c)
    expect(crumbs).toContainEqual({
      category: 'console',
      level: 'info',
      message: 'cart loaded with 3 items',
      data: { arguments: ['cart loaded with 3 items'], logger: 'console' },
    })
    const click = crumbs.findIndex((c) => c.category === 'ui.click')
    const consoleLine = crumbs.findIndex((c) => c.category === 'console')
    expect(crumbs[click]).toEqual({
      category: 'ui.click',
      level: 'info',
      message: 'button#apply-coupon',
      data: { code: 'SUMMER-21' },
    })
    expect(consoleLine).toBeLessThan(click)
    const full = (await (await get(`/v1/errors/${detail.fingerprint}`)).json()) as {
      users: { total: number }
    }
    expect(full.users.total).toBe(1)
    const facets = (await (await get(`/v1/errors/${detail.fingerprint}/tags`)).json()) as {
      key: string
      values: { value: string }[]
    }[]
    const top = Object.fromEntries(facets.map((f) => [f.key, f.values[0]?.value]))
    expect(top.plan).toBe('gold')
    const version = (await browser.version()).split('.').slice(0, 2).join('.')
    expect(top.browser).toMatch(new RegExp(`^Chrome( Headless)? ${version.replace('.', '\\.')}$`))
    expect(top.os).toBe('Linux')
  })
})
