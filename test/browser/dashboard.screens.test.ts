/**
 * The dashboard over two days of realistic traffic: the server's clock is moved back
 * through 48 hours while events are sent (receive time decides the hour, as in
 * production), then the pages are checked and photographed. With BLOOP_DOC_SHOTS=1 the
 * issues page and an issue's detail are also written to docs/screenshots/ for the README.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { createToken } from '../../src/tokens/store'
import {
  type DashboardServer,
  ingest,
  shot,
  signedInAdmin,
  startDashboardServer,
  takeProblems,
} from '../dashboard.helpers'
import { projectOnSqlite } from '../helpers'
import { buildApp, runAndCatch } from '../sourcemaps.helpers'

setDefaultTimeout(30_000)

const HOUR = 3_600_000
let offset = 0
let server: DashboardServer
let browser: Browser
let page: Page
let key: string

/** A real minified stack (the source-map fixture app, built and run) and its message. */
let stack = ''
let message = ''

/** Events of hour `h` before now: steady errors, a release at -20 h, a spike at -5 h. */
function hourOf(h: number): Record<string, unknown>[] {
  const at = Date.now() + offset
  const release = h > 20 ? '2.3.0' : '2.4.0'
  const base = { timestamp: at, release, environment: 'production', source: 'web' }
  const n = (k: number) => Math.max(0, Math.round(k))
  const out: Record<string, unknown>[] = []
  const add = (count: number, e: Record<string, unknown>) => {
    for (let i = 0; i < count; i++) out.push({ ...base, ...e })
  }
  add(n(3 + 2 * Math.sin(h / 3)) + (h === 5 ? 40 : 0), {
    error_type: 'TypeError',
    message,
    route_or_procedure: '/profile',
    stack,
    metadata: { cart_items: 3, plan: 'pro', browser: 'Chrome 131' },
  })
  add(n(1 + Math.cos(h / 2)), {
    error_type: 'RangeError',
    message: 'Invalid array length',
    environment: 'staging',
    route_or_procedure: '/search',
  })
  add(h % 24 < 14 ? n(2 + (h % 3)) : 0, {
    error_type: 'NetworkError',
    message: 'Request timed out after 30000 ms',
    source: 'ios',
    screen: 'CartViewController',
  })
  if (h <= 20) {
    add(n(1 + (h % 4)), {
      error_type: 'KeyError',
      message: "'customer_id'",
      source: 'python',
      route_or_procedure: 'billing.charge',
    })
  }
  if (h % 6 === 0)
    add(1, { error_type: 'TimeoutError', message: 'search backend took 5000 ms', source: 'api' })
  return out
}

beforeAll(async () => {
  const build = await buildApp()
  stack = await runAndCatch('bun', build.script)
  message = (stack.split('\n')[0] ?? '').replace(/^TypeError: /, '')
  server = await startDashboardServer(
    { analytics: { sync_interval_ms: 0 } },
    { now: () => Date.now() + offset },
  )
  const db = server.served.runtime.core.db
  const project = projectOnSqlite(db, { name: 'Web shop', slug: 'web-shop' })
  key = project.api_key
  for (let h = 47; h >= 0; h--) {
    offset = -h * HOUR
    await ingest(server.origin, key, hourOf(h))
  }
  offset = 0
  // The map of release 2.4.0, uploaded the way CI does (a token with sourcemaps:write).
  const ci = (
    await createToken(server.served.runtime.core.backend, {
      projectId: project.id,
      name: 'ci',
      scopes: ['sourcemaps:write'],
    })
  ).token
  const upload = await fetch(`${server.origin}/v1/projects/web-shop/sourcemaps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ci}`, 'content-type': 'application/json' },
    body: JSON.stringify({ release: '2.4.0', filename: 'app.min.js.map', map: build.mapText }),
  })
  expect(upload.status).toBe(201)
  ;({ browser, page } = await signedInAdmin(server, { height: 800 }))
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

afterEach(() => {
  expect(takeProblems()).toEqual([])
})

describe('two days of traffic', () => {
  test('the issues page charts every hour and draws a sparkline per issue', async () => {
    await page.goto(`${server.origin}/?project=web-shop`)
    await page.waitForSelector('.issue-row')
    const types = await page.$$eval('.issue-title strong', (els) => els.map((e) => e.textContent))
    expect(types.sort()).toEqual(['KeyError', 'NetworkError', 'RangeError', 'TimeoutError', 'TypeError'])
    // The volume chart has a bar for every hour with events: 48 of the 72.
    const trend = (await (
      await page.request.get(`${server.origin}/v1/trends?project_id=web-shop&hours=72`)
    ).json()) as { count: number }[]
    expect(trend.filter((p) => p.count > 0)).toHaveLength(48)
    await page.waitForSelector('.volume canvas')
    // The TypeError sparkline rises at the spike five hours ago.
    const d = await page.getAttribute('.issue-row:has-text("TypeError") .spark path.line', 'd')
    const ys = (d ?? '')
      .split(/[ML]/)
      .filter(Boolean)
      .map((p) => Number(p.split(',')[1]))
    expect(ys).toHaveLength(24)
    expect(Math.min(...ys)).toBe(ys[18] as number)
    await shot(page, 'issues', { docs: true })
  })

  test('an issue shows both releases, its hourly trend and its source-mapped stack', async () => {
    await page.click('.issue-row:has-text("TypeError")')
    await page.waitForSelector('article.issue .breakdown tbody tr')
    const releases = await page.$$eval('.breakdown tbody tr td:first-child', (tds) =>
      tds.map((td) => td.textContent),
    )
    expect(releases.sort()).toEqual(['2.3.0', '2.4.0'])
    await page.waitForSelector('article.issue canvas')
    // The newest sample is of 2.4.0, whose map was uploaded.
    await page.waitForSelector('.sample .frame.mapped')
    expect(await page.textContent('.sample .frame.mapped .frame-fn')).toBe('formatCity')
    await shot(page, 'issue', { docs: true })
  })

  test('Insights finds the spike of five hours ago and the release that brought a new issue', async () => {
    // The DuckDB copy is fed after commits; on a loaded machine it may still be catching up.
    await server.served.runtime.features.analytics.analytics.syncNow()
    await page.goto(`${server.origin}/insights?project=web-shop`)
    await page.waitForSelector('#insight-spikes tbody tr')
    expect(await page.textContent('#insight-spikes tbody tr:first-child td:first-child strong')).toBe(
      'TypeError',
    )
    await page.waitForSelector('#insight-releases tbody tr')
    const rows = await page.$$eval('#insight-releases tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('.mono')?.textContent, tr.children[2]?.textContent]),
    )
    expect(rows).toEqual([
      ['2.4.0', '1'],
      ['2.3.0', '4'],
    ])
    await shot(page, 'insights-two-days')
  })

  test('the dark theme follows the system setting', async () => {
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.goto(`${server.origin}/?project=web-shop`)
    await page.waitForSelector('.issue-row')
    expect(await page.evaluate(() => getComputedStyle(document.body).color)).toBe('rgb(231, 233, 238)')
    await shot(page, 'issues-dark')
    await page.emulateMedia({ colorScheme: 'light' })
  })
})
