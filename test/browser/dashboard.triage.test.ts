/**
 * Triage in the dashboard, in real headless Chromium against the real server: the search
 * box (inline errors, the query in the URL), users affected in the list and the issue
 * header, sorting by users, the tags with links that search for a value, and the
 * breadcrumb timeline before the error; also at 375 px. Every step fails on a console
 * error or a failed request (dashboard.helpers.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../browser'
import {
  type DashboardServer,
  ingest,
  pageSettled,
  scrollsSideways,
  shot,
  startDashboardServer,
  takeProblems,
  type Visitor,
  visitor,
} from '../dashboard.helpers'

setDefaultTimeout(30_000)

let server: DashboardServer
let browser: Browser
let origin: string
let alice: Visitor

const T = Date.now()
const base = {
  timestamp: T,
  source: 'web',
  environment: 'production',
  release: '2.0.0',
  stack: 'Error: x\n    at pay (https://shop.example/app.js:1:100)',
}
/** 40 events of a timeout seen by 8 users in Firefox, 10 TypeErrors of 2 users in Chrome. */
const EVENTS = [
  ...Array.from({ length: 40 }, (_, i) => ({
    ...base,
    error_type: 'TimeoutError',
    message: 'checkout request timed out',
    route_or_procedure: '/checkout',
    user_id_hash: `user-${i % 8}`,
    metadata: { tags: { browser: i < 30 ? 'Firefox' : 'Safari' }, plan: 'pro' },
    breadcrumbs:
      i === 39
        ? [
            { timestamp: T - 4000, category: 'navigation', message: '/cart' },
            { timestamp: T - 2500, category: 'ui.click', message: 'button#pay', data: { amount: 42 } },
            {
              timestamp: T - 1000,
              type: 'http',
              category: 'fetch',
              level: 'warning',
              message: 'POST /api/pay',
              data: { status_code: 504 },
            },
          ]
        : undefined,
  })),
  ...Array.from({ length: 10 }, (_, i) => ({
    ...base,
    error_type: 'TypeError',
    message: 'total is undefined',
    route_or_procedure: '/cart',
    user_id_hash: `user-${i % 2}`,
    metadata: { tags: { browser: 'Chrome' } },
  })),
]

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).first().textContent()) ?? '').trim()
const titles = (page: Page) =>
  page.$$eval('.issue-row .issue-title strong', (els) => els.map((e) => e.textContent))

beforeAll(async () => {
  server = await startDashboardServer()
  origin = server.origin
  browser = await launchChromium()
  alice = await visitor(browser, origin)
  const { page } = alice
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => document.body.dataset.state === 'setup')
  await page.fill('#setup-username', 'alice')
  await page.click('#setup-submit')
  await page.waitForURL(`${origin}/`)
  const key = server.served.runtime.core.db
    .query<{ api_key: string }, []>("SELECT api_key FROM projects WHERE id = 'default'")
    .get()?.api_key as string
  await ingest(origin, key, EVENTS)
  // Users and tags are folded in after the commit (src/errors/fold.ts).
  await server.served.runtime.features.errors.fold()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

afterEach(() => {
  expect(takeProblems()).toEqual([])
})

describe('triage in the dashboard', () => {
  test('the list shows users affected and sorts by them', async () => {
    const { page } = alice
    await page.goto(`${origin}/`)
    await page.waitForSelector('.issue-row')
    const users = await page.$$eval('.issue-row', (rows) =>
      rows.map((r) => [
        r.querySelector('.issue-title strong')?.textContent,
        r.querySelector('.users')?.textContent,
      ]),
    )
    // Both were last seen in the same batch, so the default order between them is the fingerprint's.
    expect(users.sort()).toEqual([
      ['TimeoutError', '8 users'],
      ['TypeError', '2 users'],
    ])
    await page.selectOption('select[name="sort"]', 'users_count')
    await page.waitForURL(`${origin}/?sort=users_count`)
    await page.waitForFunction(
      () => document.querySelector('.issue-row .issue-title strong')?.textContent === 'TimeoutError',
    )
    expect(await titles(page)).toEqual(['TimeoutError', 'TypeError'])
  })

  test('a mistake in the search is explained in place; a valid search goes into the URL and narrows the list', async () => {
    const { page } = alice
    await page.goto(`${origin}/`)
    await page.waitForSelector('.issue-row')
    await page.fill('input[name="q"]', 'timed is:open')
    await page.waitForSelector('#search-error')
    expect(await text(page, '#search-error mark')).toBe('is:open')
    expect(await text(page, '#search-error li')).toBe(
      'Character 7: is:open is unknown; use unresolved, resolved, ignored, muted, assigned or unassigned',
    )
    expect(await page.getAttribute('input[name="q"]', 'aria-invalid')).toBe('true')
    // Enter with an invalid query sends nothing: the URL and the list stay.
    await page.press('input[name="q"]', 'Enter')
    expect(new URL(page.url()).search).toBe('')
    await shot(page, 'search-error')

    await page.fill('input[name="q"]', 'browser:Firefox timed')
    await page.waitForSelector('#search-error', { state: 'detached' })
    await page.press('input[name="q"]', 'Enter')
    await page.waitForURL(`${origin}/?q=browser%3AFirefox+timed`)
    await page.waitForFunction(() => document.querySelectorAll('.issue-row').length === 1)
    expect(await titles(page)).toEqual(['TimeoutError'])
    // The query survives a reload, like every other filter.
    await page.reload()
    await page.waitForSelector('.issue-row')
    expect(await page.inputValue('input[name="q"]')).toBe('browser:Firefox timed')
    expect(await titles(page)).toEqual(['TimeoutError'])
    await page.fill('input[name="q"]', 'browser:Chrome timed')
    await page.press('input[name="q"]', 'Enter')
    await page.waitForSelector('.card.empty')
    expect(await text(page, '.card.empty')).toBe('No issues match these filters.')
    // "/" focuses the search box from anywhere on the page.
    await page.click('h1')
    await page.keyboard.press('/')
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('q')
  })

  test('the issue page shows users, tags with shares that link to a search, and the breadcrumbs before the error', async () => {
    const { page } = alice
    await page.goto(`${origin}/?q=TimeoutError`)
    await page.waitForSelector('.issue-row')
    await page.click('.issue-row')
    await page.waitForSelector('.issue-summary')
    await pageSettled(page)
    expect(await text(page, '#issue-users')).toBe('8')
    expect(await text(page, '.issue-summary [title^="Distinct users"] .muted')).toBe('(8 in 24 h)')
    await page.waitForSelector('.facet[data-tag="browser"]')
    const browserValues = await page.$$eval('.facet[data-tag="browser"] .facet-value', (as) =>
      as.map((a) => [
        a.querySelector('.facet-label')?.textContent,
        a.querySelector('.facet-share')?.textContent,
        a.querySelector('.facet-count')?.textContent,
      ]),
    )
    expect(browserValues).toEqual([
      ['Firefox', '75%', '30'],
      ['Safari', '25%', '10'],
    ])
    expect(
      await page.$$eval('#users-title + table tbody tr', (trs) => trs.map((tr) => tr.textContent)),
    ).toEqual(['2.0.08'])

    const crumbs = await page.$$eval('.timeline .crumb', (lis) =>
      lis.map((li) => [
        li.querySelector('.crumb-when')?.textContent,
        li.querySelector('.crumb-category')?.textContent,
        li.querySelector('.crumb-level')?.textContent,
        li.querySelector('.crumb-message')?.textContent,
        li.querySelector('.crumb-data')?.textContent ?? null,
      ]),
    )
    expect(crumbs).toEqual([
      ['-4.0 s', 'navigation', 'info', '/cart', null],
      ['-2.5 s', 'ui.click', 'info', 'button#pay', 'amount42'],
      ['-1.0 s', 'fetch', 'warning', 'POST /api/pay', 'status_code504'],
      ['0 s', 'error', 'error', 'TimeoutError: checkout request timed out', null],
    ])
    await shot(page, 'issue-triage')

    await page.click('.facet[data-tag="browser"] .facet-value:has-text("Safari")')
    await page.waitForURL(`${origin}/?project=default&q=browser%3ASafari&status=all`)
    await page.waitForSelector('.issue-row')
    expect(await titles(page)).toEqual(['TimeoutError'])
    expect(await page.inputValue('input[name="q"]')).toBe('browser:Safari')
  })

  test('at 375 px the search error, the list and the issue page fit without sideways scrolling', async () => {
    const phone = await visitor(browser, origin, { width: 375, height: 800 })
    await phone.context.addCookies(await alice.context.cookies())
    const { page } = phone
    await page.goto(`${origin}/`)
    await page.waitForSelector('.issue-row')
    await page.fill('input[name="q"]', 'release:"unterminated phrase that is long enough to wrap')
    await page.waitForSelector('#search-error')
    expect(await scrollsSideways(page)).toBe(false)
    await page.goto(`${origin}/?q=TimeoutError`)
    await page.waitForSelector('.issue-row')
    expect(await scrollsSideways(page)).toBe(false)
    await page.click('.issue-row')
    await page.waitForSelector('.timeline')
    await pageSettled(page)
    expect(await scrollsSideways(page)).toBe(false)
    await shot(page, 'issue-triage-375')
    await phone.context.close()
  })
})
