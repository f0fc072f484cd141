/**
 * Helpers of the dashboard's browser tests: the real server on a real port, browser
 * contexts with a virtual authenticator and clipboard access, a watch on every page that
 * collects console errors and failed requests (each test fails on any), signed ingest,
 * a real webhook receiver, and screenshots into test-artifacts/.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { createSession } from '../src/auth/sessions'
import { testConfig } from '../src/config/load'
import type { Config } from '../src/config/schema'
import { sign } from '../src/errors/ingest/hmac'
import { memoryLogger } from '../src/ops/log'
import { type RuntimeOptions, type Served, serve } from '../src/server'
import { addAuthenticator, launchChromium, reservePort, type VirtualAuthenticator } from './browser'
import { TEST_SECRET, tempDir, userOnSqlite } from './helpers'

export const ARTIFACTS = resolve(import.meta.dir, '../test-artifacts')
export const DOC_SHOTS = resolve(import.meta.dir, '../docs/screenshots')

type MemoryLogger = ReturnType<typeof memoryLogger>

export interface DashboardServer {
  served: Served
  origin: string
  log: MemoryLogger
  stop(): Promise<void>
}

type Overrides = { [S in keyof Config]?: Partial<Config[S]> }

export async function startDashboardServer(
  overrides: Overrides = {},
  opts: RuntimeOptions = {},
): Promise<DashboardServer> {
  const dir = tempDir('bloop-dash-')
  const port = reservePort()
  const origin = `http://localhost:${port}`
  const log = memoryLogger('warn')
  const served = await serve(
    testConfig({
      ...overrides,
      server: { host: '127.0.0.1', port },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET, rp_id: 'localhost', rp_origin: origin },
      // One story makes many /auth and ingest requests from one address; limits are tested elsewhere.
      rate_limit: { auth_per_second: 1000, auth_burst_size: 1000, per_second: 10_000, burst_size: 10_000 },
      // The webhook receiver listens on loopback.
      alerting: { allow_private_urls: true, ...overrides.alerting },
    }),
    { ...opts, log },
  )
  return {
    served,
    origin,
    log,
    stop: async () => {
      await served.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface Watched {
  page: Page
  problems: string[]
  /**
   * Aborted requests, judged when the problems are taken: the browser may report a
   * request cancelled by a navigation before it reports the navigation's own request.
   */
  aborted: { started: number; problem: string }[]
  /** How many requests had started when the latest main-frame document committed. */
  lastNavigation: number
}

const watched: Watched[] = []

/**
 * Collects what must never happen on a dashboard page: console errors and warnings,
 * uncaught exceptions, requests that failed, and answers of 400 or more. The live stream
 * being cut, or a request cancelled because the test navigated away, is not a failure.
 */
export function watch(page: Page): Watched {
  const w: Watched = { page, problems: [], aborted: [], lastNavigation: -1 }
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') w.problems.push(`console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`))
  // A page's requests still in flight when the test navigates away are cancelled by the
  // browser (net::ERR_ABORTED): the navigation's normal effect, not a failure. Requests
  // are numbered as they start; one aborted that started before a later main-frame
  // document took over belonged to the page that was left. The old page keeps running
  // (a live tick may start a fetch) until the new document commits, so the mark is the
  // commit (framenavigated), not the navigation's own request.
  let started = 0
  const startedAt = new WeakMap<object, number>()
  page.on('request', (r) => {
    startedAt.set(r, ++started)
  })
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) w.lastNavigation = started
  })
  page.on('requestfailed', (r) => {
    const aborted = r.failure()?.errorText === 'net::ERR_ABORTED'
    if (aborted && new URL(r.url()).pathname === '/v1/stream') return
    const problem = `request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`
    if (aborted) w.aborted.push({ started: startedAt.get(r) ?? Number.POSITIVE_INFINITY, problem })
    else w.problems.push(problem)
  })
  page.on('response', (r) => {
    if (r.status() >= 400) w.problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`)
  })
  watched.push(w)
  return w
}

/** The problems seen on one watched page since the last call. */
export function problemsOf(w: Watched): string[] {
  return [
    ...w.problems.splice(0),
    ...w.aborted
      .splice(0)
      .filter((a) => a.started > w.lastNavigation)
      .map((a) => a.problem),
  ]
}

/** Every problem seen on any watched page since the last call. */
export function takeProblems(): string[] {
  return watched.flatMap(problemsOf)
}

export interface Visitor {
  context: BrowserContext
  page: Page
  authenticator: VirtualAuthenticator
}

export async function visitor(
  browser: Browser,
  origin: string,
  opts: { width?: number; height?: number } = {},
): Promise<Visitor> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 },
    deviceScaleFactor: 1,
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
  const page = await context.newPage()
  watch(page)
  return { context, page, authenticator: await addAuthenticator(page) }
}

export interface SignedIn {
  browser: Browser
  context: BrowserContext
  page: Page
}

/**
 * Chromium with one watched page signed in as a new admin, alice, of the server's
 * database (her session cookie, no sign-in ceremony): for the stories that are not about
 * signing in. `clipboard`: the page may read and write the clipboard.
 */
export async function signedInAdmin(
  server: DashboardServer,
  opts: { height?: number; clipboard?: boolean } = {},
): Promise<SignedIn> {
  const db = server.served.runtime.core.db
  const user = userOnSqlite(db, { username: 'alice', role: 'admin' }, Date.now())
  const token = await createSession(server.served.runtime.core.backend, user.id, Date.now(), 3600)
  const browser = await launchChromium()
  const context = await browser.newContext({
    viewport: { width: 1280, height: opts.height ?? 860 },
    deviceScaleFactor: 1,
  })
  if (opts.clipboard)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin })
  await context.addCookies([{ name: 'bloop_session', value: token, url: server.origin }])
  const page = await context.newPage()
  watch(page)
  return { browser, context, page }
}

export const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText())

/** Sends a batch signed with the project key, the way every official SDK does. */
export async function ingest(origin: string, key: string, events: Record<string, unknown>[]): Promise<void> {
  const body = JSON.stringify({ events })
  const res = await fetch(`${origin}/v1/ingest/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-project-key': key, 'x-signature': sign(key, body) },
    body,
  })
  const answer = (await res.json()) as { accepted: number }
  if (res.status !== 200 || answer.accepted !== events.length) {
    throw new Error(
      `expected ${events.length} events accepted, got HTTP ${res.status} ${JSON.stringify(answer)}`,
    )
  }
}

export interface Received {
  headers: Headers
  body: string
}

/** A real HTTP receiver for webhook channels. */
export function webhookReceiver() {
  const received: Received[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => {
      received.push({ headers: req.headers, body: await req.text() })
      return new Response('thanks', { status: 200 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/hook`, received, stop: () => server.stop(true) }
}

/** A full-page screenshot into test-artifacts/ (and docs/screenshots/ with BLOOP_DOC_SHOTS=1). */
export async function shot(page: Page, name: string, opts: { docs?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  // From the top, so the sticky header sits where it belongs in a full-page picture.
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
  if (opts.docs && process.env.BLOOP_DOC_SHOTS === '1') {
    mkdirSync(DOC_SHOTS, { recursive: true })
    const file = join(DOC_SHOTS, `${name}.png`)
    // The top of the page, at most 1400 px of it (an issue's event list goes on and on).
    const height = await page.evaluate(() => Math.min(1400, document.documentElement.scrollHeight))
    const width = page.viewportSize()?.width ?? 1280
    await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width, height } })
    // The README's pictures live in git: keep each small.
    const size = statSync(file).size
    if (size > 300 * 1024) throw new Error(`expected ${file} under 300 KB, got ${size} bytes`)
  }
}

/**
 * False when the page fits its width; otherwise the elements sticking out on the right
 * (tag.class, widest first), so a failure says what to fix.
 */
export const scrollsSideways = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth
    if (document.documentElement.scrollWidth <= width) return false
    return [...document.querySelectorAll('body *')]
      .map((el) => ({ el, right: el.getBoundingClientRect().right }))
      .filter((x) => x.right > width + 0.5)
      .sort((a, b) => b.right - a.right)
      .slice(0, 5)
      .map(
        (x) => `${x.el.tagName.toLowerCase()}.${[...x.el.classList].join('.')} right=${Math.round(x.right)}`,
      )
  })

export interface LoadedAsset {
  url: string
  /** Bytes on the wire (gzip-compressed when the server compressed it). */
  bytes: number
  encoding: string | null
}

/**
 * Records every /assets/ file a page fetches, with its size on the wire. `take()` waits
 * for the sizes of all responses so far and returns the ones since the last call.
 */
export function assetLog(page: Page) {
  const pending: Promise<LoadedAsset>[] = []
  let taken = 0
  page.on('response', (r) => {
    const url = new URL(r.url())
    if (!url.pathname.startsWith('/assets/')) return
    pending.push(
      r
        .request()
        .sizes()
        .then((s) => ({
          url: url.pathname,
          bytes: s.responseBodySize,
          encoding: r.headers()['content-encoding'] ?? null,
        })),
    )
  })
  return {
    take: async (): Promise<LoadedAsset[]> => {
      const mine = pending.slice(taken)
      taken = pending.length
      return Promise.all(mine)
    },
  }
}

/** Waits until the dashboard shows a page (its code loaded) that is done loading its data. */
export const pageSettled = (page: Page) =>
  page.waitForFunction(() => {
    const main = document.querySelector('main#main')
    return !!main?.firstElementChild && !main.querySelector('[aria-busy], [data-load-failed]')
  })
