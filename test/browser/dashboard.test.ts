/**
 * The dashboard end to end: the real server on a real port, the real app in headless
 * Chromium, passkeys made by the DevTools virtual authenticator, events sent through the
 * signed ingest API, alerts delivered to a real HTTP receiver. One story, in order: the
 * first user signs up, creates a project, sends events, triages them, sets up an alert,
 * makes a token, invites a colleague. Every test fails on a console error or a failed
 * request in any page (see dashboard.helpers.ts); screenshots go to test-artifacts/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { NAV } from '../../src/dashboard/pages/routes'
import type { Db as Database } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'
import { createToken } from '../../src/tokens/store'
import { addAuthenticator, launchChromium } from '../browser'
import {
  ARTIFACTS,
  assetLog,
  clipboard,
  type DashboardServer,
  ingest,
  type LoadedAsset,
  pageSettled,
  scrollsSideways,
  shot,
  startDashboardServer,
  takeProblems,
  type Visitor,
  visitor,
  watch,
  webhookReceiver,
} from '../dashboard.helpers'
import { buildApp, runAndCatch } from '../sourcemaps.helpers'

// Browser steps wait for live updates and passkey ceremonies; each step is still bounded.
setDefaultTimeout(30_000)

let server: DashboardServer
let browser: Browser
let origin: string
const hook = webhookReceiver()

beforeAll(async () => {
  // Analytics fed after every commit, so Insights shows what was just sent.
  server = await startDashboardServer({ analytics: { sync_interval_ms: 0 } })
  origin = server.origin
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  hook.stop()
})

afterEach(() => {
  expect(takeProblems()).toEqual([])
})

const db = () => server.served.runtime.core.db
const keyOfIn = (d: Database, slug: string) =>
  d.query<{ api_key: string }, [string]>('SELECT api_key FROM projects WHERE slug = ?').get(slug)
    ?.api_key as string
const keyOf = (slug: string) => keyOfIn(db(), slug)

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).first().textContent()) ?? '').trim()
/** Release, environment and count of each breakdown row. */
const breakdown = (page: Page) =>
  page.$$eval('.breakdown tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].slice(0, 3).map((td) => (td.textContent ?? '').trim())),
  )
/** Clicks a copy button and waits until it says the text is on the clipboard. */
async function copy(page: Page, scope: string, label = 'Copy'): Promise<string> {
  await page.click(`${scope} button:text-is("${label}")`)
  await page.waitForSelector(`${scope} button:text-is("Copied")`)
  return clipboard(page)
}
const rows = (page: Page) => page.locator('.issue-row').count()
const waitRows = (page: Page, n: number) =>
  page.waitForFunction((want) => document.querySelectorAll('.issue-row').length === want, n, {
    timeout: 15_000,
  })
const path = (page: Page) => {
  const u = new URL(page.url())
  return u.pathname + u.search
}

const T = Date.now()
const typeError = (over: Record<string, unknown> = {}) => ({
  timestamp: T,
  source: 'web',
  environment: 'production',
  release: '1.0.0',
  error_type: 'TypeError',
  message: "Cannot read properties of undefined (reading 'id')",
  route_or_procedure: '/checkout',
  stack: 'TypeError: x\n    at pay (https://shop.example/app.js:1:100)',
  metadata: { cart_items: 3, plan: 'pro' },
  ...over,
})
const rangeError = {
  ...typeError(),
  environment: 'staging',
  release: '1.1.0',
  error_type: 'RangeError',
  message: 'Invalid array length',
}
const networkError = {
  ...typeError(),
  source: 'ios',
  error_type: 'NetworkError',
  message: 'Request timed out',
  route_or_procedure: null,
}

describe('the dashboard in a real browser', () => {
  let alice: Visitor
  let fingerprint: string
  let ruleId: number
  let inviteUrl: string

  test('the first visitor is sent to sign-up, registers with a passkey and lands on the issues page', async () => {
    alice = await visitor(browser, origin)
    const { page } = alice
    await page.goto(`${origin}/`)
    expect(path(page)).toBe('/auth/login?next=%2F')
    await page.waitForFunction(() => document.body.dataset.state === 'setup')
    await shot(page, 'sign-up')
    await page.fill('#setup-username', 'alice')
    await page.click('#setup-submit')
    await page.waitForURL(`${origin}/`)
    await page.waitForSelector('.setup')
    expect(await text(page, 'h1')).toBe('Issues')
    expect(await text(page, '.user')).toBe('alice')
    // The default project has no events yet: the setup guide shows its real key.
    expect(await text(page, '#project-key')).toBe(keyOf('default'))
    await page.waitForSelector('.live[data-state="open"]')
  })

  test('an admin creates a project and copies its key, shown once', async () => {
    const { page } = alice
    await page.click('.mainnav >> text=Settings')
    await page.waitForURL(`${origin}/settings/projects`)
    await page.fill('#project-name', 'Web shop')
    expect(await page.inputValue('#project-slug')).toBe('web-shop')
    await page.click('#create-project')
    await page.waitForSelector('[data-secret]')
    const shown = await text(page, '[data-secret]')
    expect(shown).toBe(keyOf('web-shop'))
    expect(shown).toMatch(/^bloop_[0-9a-f]{64}$/)
    expect(await copy(page, '.notice.ok')).toBe(shown)
    // The new project has its Sentry DSN and is in the switcher.
    expect(await text(page, '[data-slug="web-shop"] .secret code')).toMatch(
      new RegExp(`^http://[0-9a-f]{32}@localhost:${new URL(origin).port}/\\d+$`),
    )
    await page.selectOption('#project-switcher', 'web-shop')
    await page.click('.mainnav >> text=Issues')
    await page.waitForURL(`${origin}/?project=web-shop`)
    await page.waitForSelector('#project-key')
    expect(await text(page, '#project-key')).toBe(shown)
    expect(await copy(page, '.setup', 'Copy key')).toBe(shown)
    await shot(page, 'setup-guide')
    // The script-tag snippet loads the SDK this server serves, pinned by its integrity hash.
    const manifest = (await (await fetch(`${origin}/sdk/manifest.json`)).json()) as {
      url: string
      integrity: string
    }
    await page.click('.setup [role="tab"]:text-is("Script tag")')
    const script = await text(page, '[data-snippet="script"] pre')
    expect(script).toContain(`<script src="${origin}${manifest.url}"`)
    expect(script).toContain(`integrity="${manifest.integrity}" crossorigin="anonymous"`)
    expect(script).toContain(`data-project-key="${shown}"`)
    await page.click('.setup [role="tab"]:text-is("JavaScript")')
    expect(await text(page, '[data-snippet="npm"] pre')).toContain("from 'bloop-sdk'")
  })

  test('an admin renames a project, rotates its key (the old one fails at once) and deletes it', async () => {
    const { page } = alice
    await page.goto(`${origin}/settings/projects`)
    await page.fill('#project-name', 'Old app')
    await page.click('#create-project')
    await page.waitForSelector('[data-slug="old-app"]')
    const card = page.locator('[data-slug="old-app"]')
    await card.locator('input').fill('Legacy app')
    await card.locator('button:text-is("Rename")').click()
    await page.waitForSelector('[data-slug="old-app"] h3:text-is("Legacy app")')
    expect(await page.$$eval('#project-switcher option', (os) => os.map((o) => o.textContent))).toContain(
      'Legacy app',
    )

    const before = keyOf('old-app')
    await page.locator('[data-slug="old-app"] > .btn-row > button:text-is("Rotate key")').click()
    await page.waitForSelector('dialog[open] >> text=The current key stops working immediately')
    await page.locator('dialog[open] button:text-is("Rotate key")').click()
    await page.waitForFunction((old) => {
      const shown = document.querySelector('[data-secret]')?.textContent
      return shown !== undefined && shown !== old && shown?.startsWith('bloop_')
    }, before)
    const after = keyOf('old-app')
    expect(await text(page, '[data-secret]')).toBe(after)
    expect(after).not.toBe(before)
    await expect(ingest(origin, before, [typeError()])).rejects.toThrow('HTTP 401')
    await ingest(origin, after, [typeError()])

    await page.locator('[data-slug="old-app"] > .btn-row > button:text-is("Delete")').click()
    await page.locator('dialog[open] button:text-is("Delete")').click()
    await page.waitForFunction(() => !document.querySelector('[data-slug="old-app"]'))
    expect(await page.$$eval('#project-switcher option', (os) => os.map((o) => o.textContent))).toEqual([
      'All projects',
      'Default',
      'Web shop',
    ])
    // The default project cannot be deleted: no button for it.
    expect(await page.locator('[data-slug="default"] > .btn-row > button:text-is("Delete")').count()).toBe(0)
    await page.goto(`${origin}/?project=web-shop`)
    await page.waitForSelector('.setup')
  })

  test('events sent through the API appear in the list without a reload', async () => {
    const { page } = alice
    await page.evaluate(() => {
      ;(window as unknown as { stayed: boolean }).stayed = true
    })
    const key = keyOf('web-shop')
    await ingest(origin, key, [typeError(), typeError(), typeError(), rangeError, rangeError, networkError])
    await waitRows(page, 3)
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true)
    const counts = await page.$$eval('.issue-row', (els) =>
      els.map((e) => [
        e.querySelector('strong')?.textContent,
        e.querySelector('.events')?.getAttribute('data-count'),
      ]),
    )
    expect(counts.sort()).toEqual([
      ['NetworkError', '1'],
      ['RangeError', '2'],
      ['TypeError', '3'],
    ])
    expect(await text(page, '#stat-events')).toBe('6')
    // A later event bumps the count live too.
    await ingest(origin, key, [networkError])
    await page.waitForSelector('.issue-row:has-text("NetworkError") .events[data-count="2"]', {
      timeout: 15_000,
    })
    await shot(page, 'story-issues')
  })

  test('filters narrow the list, live in the URL and survive a reload', async () => {
    const { page } = alice
    await page.fill('input[name="environment"]', 'staging')
    await page.press('input[name="environment"]', 'Enter')
    await waitRows(page, 1)
    expect(path(page)).toBe('/?project=web-shop&environment=staging')
    expect(await text(page, '.issue-row strong')).toBe('RangeError')
    // Reload only once the list asked for the new sort has arrived (a reload cuts requests short).
    const sorted = page.waitForResponse((r) => r.url().includes('sort=total_count'))
    await page.selectOption('select[name="sort"]', 'total_count')
    await sorted
    await page.reload()
    await waitRows(page, 1)
    expect(await page.inputValue('input[name="environment"]')).toBe('staging')
    expect(await page.inputValue('select[name="sort"]')).toBe('total_count')
    await page.selectOption('select[name="status"]', 'resolved')
    await page.waitForSelector('.empty >> text=No issues match these filters.')
    expect(await rows(page)).toBe(0)
    await page.click('button:text-is("Reset")')
    await waitRows(page, 3)
    expect(path(page)).toBe('/?project=web-shop')
  })

  test('the keyboard moves through the list and Enter opens an issue', async () => {
    const { page } = alice
    await page.keyboard.press('j')
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-fingerprint'))
    const order = await page.$$eval('.issue-row', (els) => els.map((e) => e.getAttribute('data-fingerprint')))
    expect(await focused()).toBe(order[0] ?? null)
    await page.keyboard.press('j')
    expect(await focused()).toBe(order[1] ?? null)
    await page.keyboard.press('ArrowDown')
    expect(await focused()).toBe(order[2] ?? null)
    await page.keyboard.press('k')
    await page.keyboard.press('k')
    expect(await focused()).toBe(order[0] ?? null)
    // The focused row is visibly outlined.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).toBe(
      'solid',
    )
    const typeRow = page.locator('.issue-row:has-text("TypeError")')
    fingerprint = (await typeRow.getAttribute('data-fingerprint')) as string
    await typeRow.focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(`${origin}/issues/${fingerprint}?project=web-shop`)
    await page.waitForSelector('article.issue')
  })

  test('the issue page shows counts, breakdown, samples with metadata, and the raw events', async () => {
    const { page } = alice
    expect(await text(page, 'h1')).toBe("TypeError: Cannot read properties of undefined (reading 'id')")
    expect(await text(page, '#issue-count')).toBe('3')
    expect(await breakdown(page)).toEqual([['1.0.0', 'production', '3']])
    expect(await text(page, '.sample .json')).toBe(JSON.stringify({ cart_items: 3, plan: 'pro' }, null, 2))
    expect(await text(page, '.sample .stack')).toContain('at pay (https://shop.example/app.js:1:100)')
    await page.waitForSelector('.occurrences li')
    expect(await page.locator('.occurrences li').count()).toBe(3)
    expect(await text(page, '#history-title + p')).toBe('No status changes yet.')
    await shot(page, 'story-issue')
  })

  test('resolving shows in the history, and a new event shows the issue reopened without a reload', async () => {
    const { page } = alice
    await page.click('.actions button:text-is("Resolve")')
    await page.waitForSelector('article.issue[data-status="resolved"]')
    await page.waitForSelector('.history li[data-by="alice"][data-status="resolved"]')
    expect(await text(page, '.history li')).toContain('alice')
    await ingest(origin, keyOf('web-shop'), [typeError({ release: '1.0.1' })])
    await page.waitForSelector('article.issue[data-status="unresolved"]', { timeout: 15_000 })
    await page.waitForSelector('.history li:first-child[data-by="system"][data-status="unresolved"]')
    expect(await text(page, '.history li:first-child')).toContain('bloop (regression)')
    expect(await text(page, '#issue-count')).toBe('4')
    expect(await page.locator('.breakdown tbody tr').count()).toBe(2)
    const stored = db()
      .query<{ changed_by: string; new_status: string }, [string]>(
        'SELECT changed_by, new_status FROM status_changes WHERE fingerprint = ? ORDER BY id',
      )
      .all(fingerprint)
    expect(stored).toEqual([
      { changed_by: 'alice', new_status: 'resolved' },
      { changed_by: 'system', new_status: 'unresolved' },
    ])
  })

  test('a source map uploaded in the UI turns a real minified stack back into the original code', async () => {
    const { page } = alice
    // A real build: the fixture app minified by `bun build --sourcemap=external`, run until it throws.
    const build = await buildApp()
    const stack = await runAndCatch('bun', build.script)
    const throwsAt = build.lineOf('util.ts', 'THROWS HERE')
    await ingest(origin, keyOf('web-shop'), [
      typeError({
        release: '3.0.0',
        message: 'user.address is undefined',
        route_or_procedure: '/profile',
        stack,
      }),
    ])

    await page.goto(`${origin}/settings/sourcemaps?project=web-shop`)
    expect(await page.inputValue('#sourcemap-project')).toBe('web-shop')
    await page.fill('#sourcemap-release', '3.0.0')
    await page.setInputFiles('#sourcemap-file', build.map)
    await page.click('#upload-sourcemap')
    await page.waitForSelector('.notice.ok >> text=Uploaded 1 map for 3.0.0.')
    await page.waitForSelector('.sourcemaps tbody tr')
    expect(await text(page, '.sourcemaps tbody tr td')).toBe('app.min.js.map')

    await page.goto(`${origin}/?project=web-shop`)
    await page.click('.issue-row:has-text("user.address is undefined")')
    await page.waitForSelector('.sample .frame.mapped')
    const issueUrl = page.url()
    const top = page.locator('.sample .frame.mapped').first()
    expect(await text(page, '.sample .frame.mapped .frame-fn')).toBe('formatCity')
    expect(await top.locator('.frame-loc').textContent()).toMatch(new RegExp(`util\\.ts:${throwsAt}:\\d+$`))
    expect(await top.locator('.context-line.hit').textContent()).toContain(
      'user.address!.city // THROWS HERE',
    )
    const callers = await page.$$eval('.sample .frame.mapped .frame-fn', (els) =>
      els.map((e) => e.textContent),
    )
    expect(callers.slice(0, 3)).toEqual(['formatCity', 'renderProfile', 'main'])
    await shot(page, 'issue-symbolicated')
    // The raw stack is one click away, exactly as sent.
    await page.click('.sample button:text-is("Show raw")')
    expect(await page.textContent('.sample pre.stack')).toBe(stack)

    // Deleting the map brings the minified frames back.
    await page.goto(`${origin}/settings/sourcemaps?project=web-shop`)
    await page.locator('.sourcemaps td > button:text-is("Delete")').click()
    await page.locator('dialog[open] button:text-is("Delete")').click()
    await page.waitForSelector('text=No source maps for this project')
    await page.goto(issueUrl)
    await page.waitForSelector('.sample pre.stack')
    expect(await page.locator('.frame.mapped').count()).toBe(0)
  })

  test('an alert rule with a signed webhook channel is created in the UI and a test reaches the receiver', async () => {
    const { page } = alice
    await page.click('.mainnav >> text=Alerts')
    await page.waitForURL(`${origin}/alerts?project=web-shop`)
    await page.waitForSelector('.empty >> text=No alert rules yet.')
    await page.click('a:text-is("New rule")')
    await page.fill('#rule-name', 'Checkout errors')
    expect(await page.inputValue('#rule-project')).toBe('web-shop')
    await page.selectOption('#rule-type', 'threshold')
    await page.fill('#rule-threshold', '5')
    await page.fill('#rule-window_secs', '300')
    await page.fill('#rule-route', '/checkout')
    await page.fill('#rule-environment_filter', 'production')
    await page.click('button:text-is("Create rule")')
    await page.waitForURL(/\/alerts\/\d+\?project=web-shop$/)
    ruleId = Number(new URL(page.url()).pathname.split('/')[2])
    const stored = db()
      .query<{ name: string; config: string; environment_filter: string }, [number]>(
        'SELECT name, config, environment_filter FROM alert_rules WHERE id = ?',
      )
      .get(ruleId)
    expect(stored?.name).toBe('Checkout errors')
    expect(JSON.parse(stored?.config ?? '{}')).toEqual({
      type: 'threshold',
      threshold: 5,
      window_secs: 300,
      route: '/checkout',
    })
    expect(stored?.environment_filter).toBe('production')

    await page.fill('#channel-target', hook.url)
    await page.fill('#channel-secret', 'a-webhook-secret-of-32-characters')
    await page.click('button:text-is("Add channel")')
    await page.waitForSelector('.channels li')
    expect(await text(page, '.channels .target')).toBe(`${hook.url} (signed)`)

    await page.click('#send-test')
    await page.waitForSelector('.test-results li[data-outcome="delivered"]', { timeout: 15_000 })
    // The receiver's body ('thanks') is not shown: only its status and the timing.
    const shownResult = await text(page, '.test-results li')
    expect(shownResult).toMatch(/HTTP 200 · 1 attempt · \d+ ms$/)
    expect(shownResult).not.toContain('thanks')
    const got = hook.received.find((r) => r.headers.get('x-bloop-event') === 'alert.test')
    expect(got).toBeDefined()
    const signature = createHmac('sha256', 'a-webhook-secret-of-32-characters')
      .update(got?.body ?? '')
      .digest('hex')
    expect(got?.headers.get('x-bloop-signature')).toBe(signature)
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({ version: 1, event: 'alert.test', reason: 'test' })
    // The delivery log shows the test.
    await page.waitForSelector('.deliveries tbody tr')
    expect(await text(page, '.deliveries tbody tr')).toContain('delivered')
    // A second channel, then removed again after confirming.
    await page.fill('#channel-target', `${hook.url}/second`)
    await page.click('button:text-is("Add channel")')
    await page.waitForFunction(() => document.querySelectorAll('.channels li').length === 2)
    await page.locator('.channels li').nth(1).locator('> button:text-is("Remove")').click()
    await page.locator('dialog[open] button:text-is("Remove")').click()
    await page.waitForFunction(() => document.querySelectorAll('.channels li').length === 1)
    expect(
      db()
        .query<{ n: number }, [number]>('SELECT count(*) AS n FROM alert_channels WHERE rule_id = ?')
        .get(ruleId)?.n,
    ).toBe(1)
    await shot(page, 'alert-rule')
  })

  test('a rule is edited into a spike rule, then a new-issue rule', async () => {
    const { page } = alice
    const configOf = () =>
      JSON.parse(
        db().query<{ config: string }, [number]>('SELECT config FROM alert_rules WHERE id = ?').get(ruleId)
          ?.config ?? '{}',
      )
    await page.selectOption('#rule-type', 'spike')
    await page.fill('#rule-multiplier', '2.5')
    await page.fill('#rule-compare_window_secs', '600')
    await page.fill('#rule-baseline_window_secs', '7200')
    await page.fill('#rule-min_events', '20')
    await page.click('button:text-is("Save rule")')
    await page.waitForSelector('.notice.ok >> text=Saved.')
    expect(configOf()).toEqual({
      type: 'spike',
      multiplier: 2.5,
      compare_window_secs: 600,
      baseline_window_secs: 7200,
      min_events: 20,
    })
    await page.selectOption('#rule-type', 'new_issue')
    // One environment field for every rule type: the rule's environment filter.
    expect(await page.locator('.rule-form input[name*="environment"]').count()).toBe(1)
    await page.fill('#rule-environment_filter', 'staging')
    await page.click('button:text-is("Save rule")')
    await page.waitForSelector('.notice.ok >> text=Saved.')
    expect(configOf()).toEqual({ type: 'new_issue' })
    const filter = db()
      .query<{ f: string | null }, [number]>('SELECT environment_filter AS f FROM alert_rules WHERE id = ?')
      .get(ruleId)
    expect(filter?.f).toBe('staging')
    // A bad value is refused with the server's message naming the field.
    await page.selectOption('#rule-type', 'threshold')
    await page.fill('#rule-threshold', '0')
    await page.click('button:text-is("Save rule")')
    await page.waitForSelector('.rule-form .notice.error')
    expect(await text(page, '.rule-form .notice.error')).toContain('config.threshold')
    takeProblems() // the 400 of the refused save was expected
  })

  test('a token created in the UI reads the API', async () => {
    const { page } = alice
    await page.goto(`${origin}/settings/tokens?project=web-shop`)
    await page.fill('#token-name', 'ci')
    expect(await page.inputValue('#token-project')).toBe('web-shop')
    await page.click('button:text-is("Create token")')
    await page.waitForSelector('[data-secret]')
    const token = await text(page, '[data-secret]')
    expect(token).toMatch(/^bloop_tk_/)
    expect(await copy(page, '.notice.ok')).toBe(token)
    const res = await fetch(`${origin}/v1/errors?status=unresolved`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { items: { error_type: string }[]; total: number }
    expect(body.total).toBe(4)
    expect(body.items.map((i) => i.error_type).sort()).toEqual([
      'NetworkError',
      'RangeError',
      'TypeError',
      'TypeError',
    ])
    // Read-only: it cannot change anything.
    const write = await fetch(`${origin}/v1/errors/${fingerprint}/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(write.status).toBe(403)
    await page.waitForSelector('.tokens tbody tr .badge.active')
    await shot(page, 'settings-tokens')
    // Revoked in the UI: the next request with it fails.
    await page.click('.tokens td > button:text-is("Revoke")')
    await page.locator('dialog[open] button:text-is("Revoke")').click()
    await page.waitForSelector('.tokens tbody tr .badge:text-is("revoked")')
    const after = await fetch(`${origin}/v1/errors`, { headers: { authorization: `Bearer ${token}` } })
    expect(after.status).toBe(401)
  })

  test('the Insights view charts the analytics of the project', async () => {
    const { page } = alice
    await page.click('.mainnav >> text=Insights')
    await page.waitForURL(`${origin}/insights?project=web-shop`)
    await page.waitForSelector('#insight-environments tbody tr')
    const envs = await page.$$eval('#insight-environments tbody tr', (trs) =>
      trs.map((tr) => [tr.children[0]?.textContent, tr.children[1]?.querySelector('.mono')?.textContent]),
    )
    // 3 + 1 + 1 (minified) TypeError, 2 NetworkError in production; 2 RangeError in staging.
    expect(envs).toEqual([
      ['production', '7 (77.8%)'],
      ['staging', '2 (22.2%)'],
    ])
    await page.waitForSelector('#insight-releases tbody tr')
    expect(await page.locator('#insight-releases tbody tr').count()).toBe(4)
    await page.waitForSelector('#insight-movers tbody tr')
    await page.waitForSelector('#insight-spikes .empty, #insight-spikes tbody tr')
    await page.waitForSelector('#insight-correlations .empty, #insight-correlations tbody tr')
    await shot(page, 'insights')
  })

  test('an admin sees storage figures, changes retention globally and per project, and purges after confirming', async () => {
    const { page } = alice
    await page.goto(`${origin}/settings/retention`)
    await page.waitForSelector('#storage-raw')
    const raw = db().query<{ n: number }, []>('SELECT count(*) AS n FROM raw_events').get()?.n
    expect(await text(page, '#storage-raw')).toBe(String(raw))
    await page.fill('#retention-raw', '30')
    await page.fill('#retention-hourly', '60')
    await page.click('#save-retention')
    await page.waitForSelector('text=Set by alice.')
    const view = await (await page.request.get(`${origin}/v1/admin/retention`)).json()
    expect(view.global).toMatchObject({
      raw_events_days: 30,
      hourly_counts_days: 60,
      source: 'admin',
      set_by: 'alice',
    })

    await page.selectOption('.overrides-form select', 'web-shop')
    await page.fill('.overrides-form input', '14')
    await page.click('.overrides-form button')
    await page.waitForSelector('.overrides li:has-text("Web shop")')
    expect(await text(page, '.overrides li')).toContain('keeps raw events 14 days')
    await page.click('.overrides li button:text-is("Remove override")')
    await page.waitForSelector('text=No overrides')

    await page.click('button:text-is("Purge now")')
    await page.waitForSelector('dialog[open] >> text=Delete expired data now?')
    await page.locator('dialog[open] button:text-is("Purge now")').click()
    await page.waitForSelector('.notice.ok >> text=Purged')
    // Everything here is minutes old: nothing was due.
    expect(await text(page, '.notice.ok')).toStartWith('Purged 0 raw events and 0 hourly counts in ')
    expect(db().query<{ n: number }, []>('SELECT count(*) AS n FROM raw_events').get()?.n).toBe(raw as number)
    await shot(page, 'settings-retention')
  })

  test('an admin invites a colleague who signs up in a fresh browser and cannot reach admin settings', async () => {
    const { page } = alice
    await page.click('.mainnav >> text=Settings')
    await page.click('.subnav >> text=Users and invites')
    await page.click('#create-invite')
    await page.waitForSelector('[data-secret]')
    inviteUrl = await text(page, '[data-secret]')
    expect(inviteUrl).toStartWith(`${origin}/auth/login?invite=`)
    await shot(page, 'settings-users')

    const bob = await visitor(browser, origin)
    await bob.page.goto(inviteUrl)
    await bob.page.waitForFunction(() => document.body.dataset.state === 'invite')
    await bob.page.fill('#invite-username', 'bob')
    await bob.page.click('#invite-submit')
    await bob.page.waitForFunction(() => document.body.dataset.state === 'account')
    await bob.page.click('#open-dashboard')
    await bob.page.waitForSelector('.issue-row')
    expect(await text(bob.page, '.user')).toBe('bob')
    await bob.page.click('.mainnav >> text=Settings')
    // The settings page's code arrives on this first visit.
    await bob.page.waitForSelector('.subnav a')
    const sections = await bob.page.$$eval('.subnav a', (as) => as.map((a) => a.textContent))
    expect(sections).toEqual(['Projects', 'API tokens', 'Source maps', 'Tracker links', 'Your passkeys'])
    // No admin controls on projects for a member.
    expect(await bob.page.locator('#create-project').count()).toBe(0)
    for (const section of ['users', 'retention']) {
      await bob.page.goto(`${origin}/settings/${section}`)
      await bob.page.waitForSelector('#admin-only')
      expect(await text(bob.page, '#admin-only h2')).toBe('Administrators only')
      expect(await bob.page.locator('.users, #create-invite, #retention-raw').count()).toBe(0)
    }
    // And the API refuses them too.
    const cookie = (await bob.context.cookies()).find((c) => c.name === 'bloop_session')?.value
    const res = await fetch(`${origin}/v1/admin/users`, { headers: { cookie: `bloop_session=${cookie}` } })
    expect(res.status).toBe(403)
    await bob.context.close()

    // Alice promotes bob, then makes him a member again.
    await page.goto(`${origin}/settings/users`)
    const row = page.locator('tr[data-username="bob"]')
    await row.locator('button:text-is("Make admin")').click()
    await page.waitForSelector('tr[data-username="bob"] .badge:text-is("admin")')
    const role = () =>
      db().query<{ role: string }, []>("SELECT role FROM users WHERE username = 'bob'").get()?.role
    expect(role()).toBe('admin')
    await row.locator('button:text-is("Make user")').click()
    await page.waitForSelector('tr[data-username="bob"] .badge:text-is("user")')
    expect(role()).toBe('user')
    // Alice has no buttons against herself.
    expect(await page.locator('tr[data-username="alice"] button').count()).toBe(0)
  })

  test('a user adds, renames and removes a passkey of their own', async () => {
    const { page } = alice
    await page.goto(`${origin}/settings/account`)
    await page.waitForSelector('.passkeys li')
    expect(await page.locator('.passkeys li').count()).toBe(1)
    expect(await page.locator('.passkeys li form > button.danger').isDisabled()).toBe(true)
    // A second device: the first authenticator already holds alice's credential.
    await alice.authenticator.remove()
    alice.authenticator = await addAuthenticator(page)
    await page.fill('#new-passkey-name', 'phone')
    await page.click('button:text-is("Add a passkey")')
    await page.waitForFunction(() => document.querySelectorAll('.passkeys li').length === 2, null, {
      timeout: 15_000,
    })
    const second = page.locator('.passkeys li').nth(1)
    await second.locator('input').fill('work phone')
    await second.locator('button:text-is("Rename")').click()
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLInputElement>('.passkeys li input')].some(
        (i) => i.value === 'work phone',
      ),
    )
    const names = () =>
      db()
        .query<{ name: string }, []>(
          `SELECT name FROM webauthn_credentials WHERE user_id = (SELECT id FROM users WHERE username = 'alice')
           ORDER BY created_at, id`,
        )
        .all()
        .map((r) => r.name)
    expect(names()).toEqual(['Passkey 1', 'work phone'])
    await page.locator('.passkeys li').first().locator('form > button.danger').click()
    await page.locator('dialog[open] button.danger').click()
    await page.waitForFunction(() => document.querySelectorAll('.passkeys li').length === 1)
    expect(names()).toEqual(['work phone'])
  })

  test('the main pages fit a 375 px wide screen without sideways scrolling, in the dark theme too', async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 1,
      storageState: await alice.context.storageState(),
    })
    const page = await phone.newPage()
    watch(page)
    const pages: [string, string][] = [
      ['/?project=web-shop', '.issue-row'],
      [`/issues/${fingerprint}?project=web-shop`, '.occurrences li'],
      [`/alerts/${ruleId}?project=web-shop`, '.channels li'],
      ['/alerts?project=web-shop', '.rule'],
      ['/alerts/new?project=web-shop', '#rule-name'],
      ['/settings/account', '.passkeys li'],
      ['/insights?project=web-shop', '#insight-environments tbody tr'],
      ['/settings/projects', '.project'],
      ['/settings/tokens', '.tokens'],
      ['/settings/users', '.users'],
      ['/settings/retention', '#storage-raw'],
      ['/settings/sourcemaps', '#sourcemap-file'],
    ]
    for (const [url, ready] of pages) {
      await page.goto(origin + url)
      await page.waitForSelector(ready)
      expect({ url, sideways: await scrollsSideways(page) }).toEqual({ url, sideways: false })
    }
    await page.goto(`${origin}/?project=web-shop`)
    await page.waitForSelector('.issue-row')
    // On a phone the text filters fold away until asked for.
    expect(await page.isVisible('input[name="release"]')).toBe(false)
    await page.click('button:text-is("More filters")')
    expect(await page.isVisible('input[name="release"]')).toBe(true)
    expect(await scrollsSideways(page)).toBe(false)
    await page.click('button:text-is("Fewer filters")')
    await shot(page, 'issues-375px')
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.waitForTimeout(50)
    expect(await scrollsSideways(page)).toBe(false)
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(bg).toBe('rgb(15, 17, 21)')
    await shot(page, 'issues-375px-dark')
    await phone.close()
  })

  test('the issues page loads under 150 KB of compressed scripts and styles, each other page under 30 KB more', async () => {
    const storageState = await alice.context.storageState()
    /** In a fresh browser (nothing cached): the landing's assets, then what going to `to` adds. */
    const visit = async (to: (page: Page) => Promise<string | null>) => {
      const context = await browser.newContext({ storageState })
      const page = await context.newPage()
      watch(page)
      const log = assetLog(page)
      await page.goto(`${origin}/?project=web-shop`)
      await page.waitForSelector('.issue-row')
      await pageSettled(page)
      const landing = await log.take()
      const href = await to(page)
      let added: LoadedAsset[] = []
      if (href) {
        // A click on a link, as from the navigation or the list: client-side routing.
        await page.evaluate((h) => {
          const a = Object.assign(document.createElement('a'), { href: h })
          document.querySelector('main')?.append(a)
          a.click()
        }, href)
        await page.waitForURL((u) => u.pathname === new URL(href, origin).pathname)
        await pageSettled(page)
        added = await log.take()
      }
      await context.close()
      return { landing, added }
    }

    const { landing: assets } = await visit(async () => null)
    const urls = assets.map((a) => a.url)
    // The shell links the entry and the stylesheet; the issues page's code comes as chunks.
    const session = storageState.cookies.find((c) => c.name === 'bloop_session')?.value
    const html = await (await fetch(`${origin}/`, { headers: { cookie: `bloop_session=${session}` } })).text()
    const entry = html.match(/src="(\/assets\/dashboard\/main-[a-z0-9]+\.js)"/)?.[1] as string
    expect(urls).toContain(entry)
    expect(urls).toContainEqual(expect.stringMatching(/^\/assets\/dashboard\/app-[a-z0-9]+\.css$/))
    expect(urls).toContainEqual(
      expect.stringMatching(/^\/assets\/dashboard\/chunks\/IssuesPage-[a-z0-9]+\.js$/),
    )
    // No other page's code on the landing.
    expect(
      urls.filter((u) =>
        /(IssuePage|AlertsPage|InsightsPage|SettingsPage|OverviewPage|TracesPage|TracePage|ModelsPage)-/.test(
          u,
        ),
      ),
    ).toEqual([])
    expect(assets.every((a) => a.encoding === 'gzip')).toBe(true)
    const total = assets.reduce((n, a) => n + a.bytes, 0)

    // Each other page as reached from the landing: the chunks it adds, its own code.
    const visits: [string, (page: Page) => Promise<string | null>][] = [
      ['issue', (page) => page.getAttribute('a.issue-row', 'href')],
      ...NAV.filter((n) => n.href !== '/').map((n): [string, () => Promise<string>] => [
        n.label.toLowerCase(),
        async () => n.href,
      ]),
    ]
    const pages: Record<string, { gzip_bytes: number; chunks: LoadedAsset[] }> = {}
    for (const [name, to] of visits) {
      const { landing, added } = await visit(to)
      expect(landing.map((a) => a.url).sort()).toEqual([...urls].sort())
      pages[name] = { gzip_bytes: added.reduce((n, a) => n + a.bytes, 0), chunks: added }
    }
    writeFileSync(
      join(ARTIFACTS, 'bundle-size.json'),
      `${JSON.stringify({ total_gzip_bytes: total, assets, pages }, null, 2)}\n`,
    )
    console.log(
      `dashboard initial load: ${(total / 1024).toFixed(1)} KB gzip (${assets.map((a) => `${a.url} ${a.bytes}`).join(', ')})`,
    )
    for (const [name, p] of Object.entries(pages))
      console.log(`  ${name}: +${(p.gzip_bytes / 1024).toFixed(1)} KB gzip in ${p.chunks.length} chunk(s)`)
    expect(total).toBeLessThan(150 * 1024)
    expect(Object.keys(pages).sort()).toEqual(['alerts', 'insights', 'issue', 'llm', 'settings'])
    const components: Record<string, string> = {
      issue: 'IssuePage',
      alerts: 'AlertsPage',
      insights: 'InsightsPage',
      settings: 'SettingsPage',
      llm: 'OverviewPage',
    }
    for (const [name, p] of Object.entries(pages)) {
      const own = p.chunks.some((c) => c.url.startsWith(`/assets/dashboard/chunks/${components[name]}-`))
      expect({ name, own }).toEqual({ name, own: true })
      expect({ name, gzip: p.chunks.every((c) => c.encoding === 'gzip' && c.bytes > 0) }).toEqual({
        name,
        gzip: true,
      })
      expect({ name, small: p.gzip_bytes < 30 * 1024 }).toEqual({ name, small: true })
    }
  })

  test('visiting Alerts fetches a chunk the issues page did not load, then shows the rules', async () => {
    const context = await browser.newContext({ storageState: await alice.context.storageState() })
    const page = await context.newPage()
    watch(page)
    const log = assetLog(page)
    await page.goto(`${origin}/?project=web-shop`)
    await page.waitForSelector('.issue-row')
    const onLanding = (await log.take()).map((a) => a.url)
    expect(onLanding.some((u) => u.includes('AlertsPage'))).toBe(false)
    await page.click('.mainnav >> text=Alerts')
    await page.waitForSelector('.rule')
    const added = (await log.take()).map((a) => a.url).filter((u) => !onLanding.includes(u))
    expect(added).toContainEqual(
      expect.stringMatching(/^\/assets\/dashboard\/chunks\/AlertsPage-[a-z0-9]+\.js$/),
    )
    // Back to the issues and over to Alerts again: nothing is fetched twice.
    await page.click('.mainnav >> text=Issues')
    await page.waitForSelector('.issue-row')
    await page.click('.mainnav >> text=Alerts')
    await page.waitForSelector('.rule')
    expect(await log.take()).toEqual([])
    await context.close()
  })

  test('a page whose code cannot be fetched says so and offers a reload that brings it', async () => {
    const context = await browser.newContext({ storageState: await alice.context.storageState() })
    const page = await context.newPage()
    watch(page)
    await page.route('**/assets/dashboard/chunks/InsightsPage-*.js', (r) => r.abort('connectionfailed'))
    await page.goto(`${origin}/?project=web-shop`)
    await page.waitForSelector('.issue-row')
    await page.click('.mainnav >> text=Insights')
    await page.waitForSelector('[data-load-failed]', { timeout: 10_000 })
    expect(await text(page, '[data-load-failed] h1')).toBe('This page did not load')
    expect(await text(page, '[data-load-failed] p')).toContain('InsightsPage-')
    // The header and navigation stay usable.
    expect(await page.getAttribute('.mainnav a:text-is("Insights")', 'aria-current')).toBe('page')
    await page.unroute('**/assets/dashboard/chunks/InsightsPage-*.js')
    await page.click('[data-load-failed] button:text-is("Reload")')
    await page.waitForSelector('#insight-environments tbody tr')
    await context.close()
    // What the blocked fetch left in the watch, and nothing else.
    const problems = takeProblems()
    expect(problems.length).toBeGreaterThan(0)
    expect(
      problems.filter((p) => !p.includes('InsightsPage-') && !p.includes('ERR_CONNECTION_FAILED')),
    ).toEqual([])
  })

  test('signing out ends the session and the dashboard asks to sign in again', async () => {
    const { page } = alice
    await page.goto(`${origin}/`)
    await page.waitForSelector('.issue-row')
    await page.click('#sign-out')
    await page.waitForFunction(() => document.body.dataset.state === 'signin')
    const res = await page.goto(`${origin}/insights`)
    expect(res?.url()).toBe(`${origin}/auth/login?next=%2Finsights`)
    await page.click('#signin-submit')
    await page.waitForURL(`${origin}/insights`)
    await page.waitForSelector('#insight-environments tbody tr')
    await page.waitForFunction(() => document.querySelectorAll('.insight [aria-busy]').length === 0)
    // Signed in already, a sign-in link with a destination goes straight there.
    await page.goto(`${origin}/auth/login?next=${encodeURIComponent('/alerts?project=web-shop')}`)
    await page.waitForURL(`${origin}/alerts?project=web-shop`)
    await page.waitForSelector('.rule')
  })

  test('the server logged no warnings or errors during the story', () => {
    expect(server.log.lines).toEqual([])
  })
})

describe('an issue sample and the alert that named it', () => {
  let own: DashboardServer
  let v: Visitor
  let fp: string
  let alertRule: number
  const receiver = webhookReceiver()
  const NINE_HOURS = 9 * 3600 * 1000
  const ownDb = () => own.served.runtime.core.db

  beforeAll(async () => {
    own = await startDashboardServer()
    // A new-issue rule with a webhook, made through the API with a token.
    const token = (
      await createToken(new SqliteBackend(ownDb()), {
        projectId: 'default',
        name: 'setup',
        scopes: ['alerts:read', 'alerts:write'],
      })
    ).token
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(own.origin + path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as { id: number }
    alertRule = (
      await post('/v1/alerts', {
        name: 'Every new issue',
        project_id: 'default',
        config: { type: 'new_issue' },
      })
    ).id
    await post(`/v1/alerts/${alertRule}/channels`, { config: { type: 'webhook', url: receiver.url } })
    // The client's clock is nine hours behind the server's.
    await ingest(own.origin, keyOfIn(ownDb(), 'default'), [
      typeError({ timestamp: Date.now() - NINE_HOURS, message: 'Checkout total is NaN\nafter coupon' }),
    ])
    fp = ownDb().query<{ fingerprint: string }, []>('SELECT fingerprint FROM issues').get()
      ?.fingerprint as string
    // Signed up once the issue exists, so the issues page it lands on has settled before
    // a test navigates away (nothing is cut short).
    v = await visitor(browser, own.origin)
    await v.page.goto(`${own.origin}/`)
    await v.page.waitForFunction(() => document.body.dataset.state === 'setup')
    await v.page.fill('#setup-username', 'dora')
    await v.page.click('#setup-submit')
    await v.page.waitForURL(`${own.origin}/`)
    await v.page.waitForSelector('.issue-row')
    await v.page.waitForSelector('#stat-events')
    await v.page.waitForSelector('.volume .chart')
  })
  afterAll(async () => {
    await v?.context.close()
    await own?.stop()
    receiver.stop()
  })

  test('the sample header shows the client time and the receive time, each labelled', async () => {
    const { page } = v
    await page.goto(`${own.origin}/issues/${fp}?project=default`)
    await page.waitForSelector('.sample .sample-when')
    const header = await text(page, '.sample .sample-when')
    expect(header).toMatch(/^Sample 1 of 1: sent 9 h ago \(client clock\) · received (just now|\d+ s ago)$/)
    const sample = ownDb()
      .query<{ timestamp: number; captured_at: number }, []>('SELECT timestamp, captured_at FROM samples')
      .get()
    const times = await page.$$eval('.sample .sample-when time', (ts) =>
      ts.map((t) => t.getAttribute('datetime')),
    )
    expect(times).toEqual([
      new Date(sample?.timestamp as number).toISOString(),
      new Date(sample?.captured_at as number).toISOString(),
    ])
  })

  test('the delivery log names the issue and links to it', async () => {
    const { page } = v
    await page.goto(`${own.origin}/alerts/${alertRule}?project=default`)
    await page.waitForSelector('.deliveries tbody tr a.delivery-issue')
    const link = page.locator('.deliveries tbody tr a.delivery-issue').first()
    expect((await link.textContent())?.trim()).toBe(`TypeError: Checkout total is NaN after coupon ${fp}`)
    expect(await link.getAttribute('href')).toBe(`/issues/${fp}?project=default`)
    await link.click()
    await page.waitForURL(`${own.origin}/issues/${fp}?project=default`)
    await page.waitForSelector('article.issue')
    expect(await text(page, 'h1')).toBe('TypeError: Checkout total is NaN\nafter coupon')
  })

  test('a rule saved with the old environment option keeps it, in the one environment field', async () => {
    const { page } = v
    ownDb()
      .query('UPDATE alert_rules SET config = \'{"type":"new_issue","environment":"staging"}\' WHERE id = ?')
      .run(alertRule)
    await page.goto(`${own.origin}/alerts/${alertRule}?project=default`)
    await page.waitForSelector('#rule-environment_filter')
    expect(await page.locator('.rule-form input[name*="environment"]').count()).toBe(1)
    expect(await page.inputValue('#rule-environment_filter')).toBe('staging')
    await page.click('button:text-is("Save rule")')
    await page.waitForSelector('.notice.ok >> text=Saved.')
    expect(
      ownDb()
        .query<{ config: string; f: string | null }, [number]>(
          'SELECT config, environment_filter AS f FROM alert_rules WHERE id = ?',
        )
        .get(alertRule),
    ).toEqual({ config: '{"type":"new_issue"}', f: 'staging' })
  })
})

describe('a server with analytics switched off', () => {
  test('Insights says so instead of showing errors', async () => {
    const off = await startDashboardServer({ analytics: { enabled: false } })
    try {
      const v = await visitor(browser, off.origin)
      await v.page.goto(`${off.origin}/insights`)
      await v.page.waitForFunction(() => document.body.dataset.state === 'setup')
      await v.page.fill('#setup-username', 'carol')
      await v.page.click('#setup-submit')
      await v.page.waitForURL(`${off.origin}/insights`)
      await v.page.waitForSelector('#insights-unavailable')
      expect(await text(v.page, '#insights-unavailable p')).toBe(
        'Analytics is switched off on this server (analytics.enabled = false).',
      )
      await v.context.close()
    } finally {
      await off.stop()
    }
  })
})
