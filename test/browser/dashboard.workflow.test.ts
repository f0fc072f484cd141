/**
 * Triage in the dashboard, in real headless Chromium against the real server: bulk
 * actions from checkboxes and from the keyboard, merge and unmerge, assignment and the
 * "assigned to me" filter, comments, resolve in the next release, the tracker link, the
 * shortcut help, and the same pages at 375 px. Every test fails on a console error or a
 * failed request (dashboard.helpers.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { createSession } from '../../src/auth/sessions'
import { launchChromium } from '../browser'
import {
  type DashboardServer,
  ingest,
  pageSettled,
  scrollsSideways,
  shot,
  startDashboardServer,
  takeProblems,
  watch,
} from '../dashboard.helpers'
import { userOnSqlite } from '../helpers'

setDefaultTimeout(30_000)

let server: DashboardServer
let browser: Browser
let context: BrowserContext
let page: Page
let key: string

const send = (events: Record<string, unknown>[]) =>
  ingest(
    server.origin,
    key,
    events.map((e) => ({
      source: 'web',
      environment: 'production',
      error_type: 'Error',
      release: '1.0',
      ...e,
    })),
  )
const rows = (p: Page) =>
  p.$$eval('.issue-row', (els) => els.map((el) => (el as HTMLElement).dataset.fingerprint as string))
const count = async (p: Page, fp: string) =>
  Number(await p.getAttribute(`.issue-row[data-fingerprint="${fp}"] .events`, 'data-count'))
const open = async (p: Page, path: string) => {
  await p.goto(server.origin + path)
  await pageSettled(p)
  // The issue list has loaded once it shows rows or says that nothing matches.
  if (!path.startsWith('/issues/')) await p.waitForSelector('.issue-row, .card.empty')
  else await p.waitForSelector('article.issue')
}

beforeAll(async () => {
  server = await startDashboardServer()
  const db = server.served.runtime.core.db
  key = (db.query('SELECT api_key FROM projects WHERE id = ?').get('default') as { api_key: string }).api_key
  const alice = userOnSqlite(db, { username: 'alice', role: 'admin' }, Date.now())
  userOnSqlite(db, { username: 'bob', role: 'user' }, Date.now())
  const token = await createSession(server.served.runtime.core.backend, alice.id, Date.now(), 3600)
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 })
  await context.addCookies([{ name: 'bloop_session', value: token, url: server.origin }])
  page = await context.newPage()
  watch(page)
  await send([
    ...Array.from({ length: 3 }, () => ({ fingerprint: 'wf-a', message: 'Checkout failed' })),
    ...Array.from({ length: 2 }, () => ({ fingerprint: 'wf-b', message: 'Checkout failed again' })),
    { fingerprint: 'wf-c', message: 'Search timed out' },
    { fingerprint: 'wf-d', message: 'Login broke' },
    { fingerprint: 'wf-e', message: 'Avatar missing' },
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

afterEach(() => {
  expect(takeProblems()).toEqual([])
})

describe('bulk actions', () => {
  test('select two rows, resolve them; the list and the history say so', async () => {
    await open(page, '/')
    expect((await rows(page)).sort()).toEqual(['wf-a', 'wf-b', 'wf-c', 'wf-d', 'wf-e'])
    await page.check('li:has(.issue-row[data-fingerprint="wf-d"]) .issue-select input')
    await page.check('li:has(.issue-row[data-fingerprint="wf-e"]) .issue-select input')
    expect(await page.textContent('#bulk-count')).toBe('2')
    await shot(page, 'triage-list')
    await page.click('.bulk-bar button[data-action="resolve"]')
    await page.waitForSelector('#bulk-notice:text("2 of 2 issues changed")')
    await page.waitForFunction(() => document.querySelectorAll('.issue-row').length === 3)
    await open(page, '/issues/wf-d')
    expect(await page.textContent('.history li[data-status="resolved"] .who')).toBe('alice')
  })

  test('from the keyboard: j focuses a row, x selects it, i ignores the selection', async () => {
    await open(page, '/')
    await page.keyboard.press('j')
    const first = (await rows(page))[0] as string
    await page.keyboard.press('x')
    expect(await page.textContent('#bulk-count')).toBe('1')
    await page.keyboard.press('i')
    await page.waitForSelector('#bulk-notice:text("1 of 1 issue changed")')
    await page.waitForFunction((fp) => !document.querySelector(`.issue-row[data-fingerprint="${fp}"]`), first)
    await open(page, '/?status=ignored')
    expect(await rows(page)).toEqual([first])
    // Back to unresolved with the focused row and u.
    await page.keyboard.press('j')
    await page.keyboard.press('u')
    await page.waitForSelector('#bulk-notice')
    await page.waitForFunction(() => document.querySelectorAll('.issue-row').length === 0)
  })

  test('merge two issues into one, then unmerge from the issue page', async () => {
    await open(page, '/?sort=total_count')
    expect(await rows(page)).toEqual(['wf-a', 'wf-b', 'wf-c'])
    await page.check('li:has(.issue-row[data-fingerprint="wf-a"]) .issue-select input')
    await page.check('li:has(.issue-row[data-fingerprint="wf-b"]) .issue-select input')
    await page.click('.bulk-bar button:text-is("Merge")')
    await page.click('dialog[open] button:text-is("Merge 2 issues")')
    await page.waitForFunction(() => document.querySelectorAll('.issue-row').length === 2)
    expect(await count(page, 'wf-a')).toBe(5)

    await open(page, '/issues/wf-a')
    expect(await page.textContent('#issue-count')).toBe('5')
    expect(await page.textContent('#merged a')).toBe('wf-b')
    await page.click('#merged button[data-unmerge="wf-b"]')
    await page.waitForFunction(() => document.querySelector('#issue-count')?.textContent === '3')
    expect(await page.locator('#merged').count()).toBe(0)
    await open(page, '/?sort=total_count')
    expect(await rows(page)).toEqual(['wf-a', 'wf-b', 'wf-c'])
  })

  test('select a page, then every issue matching the filters, and mute them all at once', async () => {
    // Sent while the filtered list is open: the live update brings them in.
    await open(page, '/?environment=load-test')
    await send(
      Array.from({ length: 60 }, (_, i) => ({
        fingerprint: `many-${i}`,
        environment: 'load-test',
        message: `Load ${i}`,
      })),
    )
    await page.waitForFunction(() => document.querySelectorAll('.issue-row').length === 50)
    await page.check('#select-page')
    expect(await page.textContent('#bulk-count')).toBe('50')
    await page.click('#select-matching')
    expect(await page.textContent('#bulk-count')).toBe('60')
    await page.click('.bulk-bar button[data-action="mute"]')
    await page.waitForSelector('#bulk-notice:text("60 of 60 issues changed")')
    await page.waitForSelector('.card.empty')
    await open(page, '/?environment=load-test&status=muted')
    expect(await page.textContent('.pager .muted')).toBe('1-50 of 60')
  })

  test('the shortcut help opens on ? and closes on Escape', async () => {
    await open(page, '/')
    await page.keyboard.press('?')
    await page.waitForSelector('dialog.key-help[open]')
    expect(await page.textContent('dialog.key-help')).toContain('Select or unselect the issue')
    await page.keyboard.press('Escape')
    await page.waitForSelector('dialog.key-help:not([open])', { state: 'attached' })
  })
})

describe('assignment', () => {
  test('assign on the issue page; "Assigned to me" lists it; bulk-assign to another user', async () => {
    await open(page, '/issues/wf-c')
    await page.selectOption('#assignee', { label: 'alice' })
    await page.waitForSelector('.history li[data-kind="assigned"]')
    expect(await page.textContent('.history li[data-kind="assigned"]')).toContain('assigned it to alice')

    await open(page, '/?assigned=me')
    expect(await rows(page)).toEqual(['wf-c'])
    expect(await page.textContent('.issue-row .assignee')).toBe('@alice')

    await page.check('li:has(.issue-row[data-fingerprint="wf-c"]) .issue-select input')
    await page.selectOption('#bulk-assign', { label: 'bob' })
    await page.waitForSelector('#bulk-notice:text("1 of 1 issue changed")')
    await page.waitForFunction(() => document.querySelectorAll('.issue-row').length === 0)
    await open(page, '/?assigned=any')
    expect(await page.textContent('.issue-row .assignee')).toBe('@bob')
    // From the keyboard: j focuses the row, a selects it and focuses the bar's picker.
    await page.keyboard.press('j')
    await page.keyboard.press('a')
    await page.waitForFunction(() => document.activeElement?.id === 'bulk-assign')
    expect(await page.textContent('#bulk-count')).toBe('1')
  })
})

describe('comments', () => {
  test('add a comment with author and time, then delete it', async () => {
    await open(page, '/issues/wf-b')
    await page.keyboard.press('c')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('comment-body')
    await page.keyboard.type('Seen on the checkout page since 1.0')
    await page.click('.comment-form button[type="submit"]')
    await page.waitForSelector('.comments li')
    expect(await page.textContent('.comments li .who')).toBe('alice')
    expect(await page.textContent('.comments li .comment-body')).toBe('Seen on the checkout page since 1.0')
    expect(await page.locator('.comments li time').count()).toBe(1)
    expect(await page.textContent('.history li[data-kind="commented"]')).toContain('commented')
    await page.click('.comments li button:text-is("Delete")')
    await page.waitForSelector('#comments-title + p:text("No comments yet.")')
  })
})

describe('the issue header', () => {
  test('resolve in the next release, the release span and the tracker link', async () => {
    const res = await page.request.put(`${server.origin}/v1/triage/settings?project_id=default`, {
      data: { tracker_template: 'https://github.com/acme/app/issues/new?title={title}&body={url}' },
      headers: { origin: server.origin },
    })
    expect(res.status()).toBe(200)
    await open(page, '/issues/wf-c')
    await send([{ fingerprint: 'wf-c', message: 'Search timed out', release: '1.1' }])
    await page.waitForFunction(() => document.querySelectorAll('#releases .mono').length === 2)
    expect(await page.$$eval('#releases .mono', (els) => els.map((e) => e.textContent))).toEqual([
      '1.0',
      '1.1',
    ])
    const href = await page.getAttribute('#tracker-link', 'href')
    expect(href).toBe(
      `https://github.com/acme/app/issues/new?title=${encodeURIComponent('Error: Search timed out')}&body=${encodeURIComponent(`${server.origin}/issues/wf-c?project=default`)}`,
    )
    await page.click('#resolve-next')
    await page.waitForSelector('#resolved-next:text("resolved until a release newer than 1.1")')
    // An event of 1.1 keeps it resolved; one of a new release reopens it, marked on the trend.
    await send([{ fingerprint: 'wf-c', message: 'Search timed out', release: '1.1' }])
    await send([{ fingerprint: 'wf-c', message: 'Search timed out', release: '1.2' }])
    await page.waitForFunction(
      () => document.querySelector('article.issue')?.getAttribute('data-status') === 'unresolved',
    )
    await page.waitForSelector('.chart[data-markers="1"]')
    expect(await page.textContent('.regressions')).toBe('1 regression')
    await shot(page, 'triage-issue')
  })
})

describe('at 375 px', () => {
  test('the list with the bulk bar and the issue page fit without sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 1 })
    await phone.addCookies(await context.cookies())
    const p = await phone.newPage()
    watch(p)
    await open(p, '/')
    await p.check('.issues li:first-child .issue-select input')
    await p.waitForSelector('.bulk-bar')
    expect(await scrollsSideways(p)).toBe(false)
    await shot(p, 'triage-list-375')
    await open(p, '/issues/wf-c')
    expect(await scrollsSideways(p)).toBe(false)
    await shot(p, 'triage-issue-375')
    await phone.close()
  })
})
