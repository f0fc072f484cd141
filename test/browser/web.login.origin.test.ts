/**
 * Opening the sign-in page at an address where passkeys cannot work, in real Chromium:
 * the page must say why and how to fix it (both addresses, the SSH tunnel command, HTTPS)
 * before any ceremony, instead of the browser's bare "127.0.0.1 is an invalid domain".
 * `bloop.test` is mapped to 127.0.0.1 inside Chromium, so it is a real non-local host:
 * plain http there is not a secure context and WebAuthn is hidden from the page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { createSession } from '../../src/auth/sessions'
import { testConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { addAuthenticator, CHROMIUM, CHROMIUM_ARGS, reservePort } from '../browser'
import { TEST_SECRET, tempDir, userOnSqlite } from '../helpers'

const servers: Served[] = []
const dirs: string[] = []
let browser: Browser

async function start(rpOrigin: string, rpId: string, port: number): Promise<Served> {
  const dir = tempDir()
  dirs.push(dir)
  const served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET, rp_id: rpId, rp_origin: rpOrigin },
      rate_limit: { auth_per_second: 1000, auth_burst_size: 1000 },
    }),
    { log: memoryLogger('error') },
  )
  servers.push(served)
  return served
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP bloop.test 127.0.0.1'],
  })
})

afterAll(async () => {
  await browser?.close()
  for (const s of servers) await s.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser.newContext()).newPage()
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  return { page, problems }
}

const waitForState = (page: Page, s: string) =>
  page.waitForFunction((want) => document.body.dataset.state === want, s, { timeout: 15_000 })
const text = async (page: Page, sel: string) => (await page.locator(sel).textContent()) ?? ''

describe('the sign-in page at the wrong address', () => {
  test('opened as http://127.0.0.1 while rp_origin is http://localhost: names both and the tunnel', async () => {
    const port = reservePort()
    await start(`http://localhost:${port}`, 'localhost', port)
    const { page, problems } = await newPage()
    await page.goto(`http://127.0.0.1:${port}/auth/login?next=/insights`)
    await waitForState(page, 'origin')
    const why = await text(page, '#origin-why')
    expect(why).toBe(
      `You opened http://127.0.0.1:${port}, but passkeys on this server work only at ` +
        `http://localhost:${port} (auth.rp_origin), so the browser refuses them here.`,
    )
    expect(await text(page, '#origin-config')).toBe(
      `auth.rp_origin = "http://localhost:${port}", auth.rp_id = "localhost"`,
    )
    expect(await text(page, '#origin-tunnel-command')).toBe(`ssh -L ${port}:localhost:${port} user@<server>`)
    expect(await page.getAttribute('#origin-tunnel-link', 'href')).toBe(`http://localhost:${port}`)
    const all = await text(page, '#origin')
    expect(all).toContain('Running on a VPS')
    expect(all).toContain('HTTPS')
    // The way out works: the link is this page at the configured origin, where setup is offered.
    expect(await page.getAttribute('#origin-open-link', 'href')).toBe(
      `http://localhost:${port}/auth/login?next=/insights`,
    )
    await page.click('#origin-open-link')
    await waitForState(page, 'setup')
    expect(problems).toEqual([])
  })

  test('the browser refusing a ceremony (SecurityError) shows the same explanation', async () => {
    const port = reservePort()
    const served = await start(`http://localhost:${port}`, 'localhost', port)
    // A session that reached 127.0.0.1 (the account panel skips the up-front check, and
    // adding a passkey is a ceremony the browser refuses at this address).
    const db = served.runtime.core.db
    const user = userOnSqlite(db, { username: 'alice', role: 'admin' }, Date.now())
    const session = await createSession(served.runtime.core.backend, user.id, Date.now(), 3600)
    const { page, problems } = await newPage()
    await page
      .context()
      .addCookies([{ name: 'bloop_session', value: session, url: `http://127.0.0.1:${port}` }])
    await addAuthenticator(page)
    await page.goto(`http://127.0.0.1:${port}/auth/login`)
    await waitForState(page, 'account')
    await page.click('#add-passkey-submit')
    await waitForState(page, 'origin')
    expect(await text(page, '#origin-why')).toContain(
      `You opened http://127.0.0.1:${port}, but passkeys on this server work only at http://localhost:${port}`,
    )
    expect(await text(page, '#origin-tunnel-command')).toBe(`ssh -L ${port}:localhost:${port} user@<server>`)
    expect(await text(page, '#message')).toBe('')
    expect(problems).toEqual([])
  })

  test('plain http on a non-local host that rp_origin names: https or a tunnel to localhost', async () => {
    const port = reservePort()
    await start(`http://bloop.test:${port}`, 'bloop.test', port)
    const { page, problems } = await newPage()
    await page.goto(`http://bloop.test:${port}/auth/login`)
    await waitForState(page, 'origin')
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false)
    expect(await text(page, '#origin-why')).toBe(
      `You opened http://bloop.test:${port}: plain http on an address other than localhost. ` +
        'Browsers allow passkeys only on https:// or on http://localhost.',
    )
    expect(await text(page, '#origin-tunnel-command')).toBe(
      `ssh -L ${port}:localhost:${port} user@bloop.test`,
    )
    expect(await text(page, '#origin-tunnel')).toContain(
      `first set auth.rp_origin = "http://localhost:${port}" and auth.rp_id = "localhost" on the server`,
    )
    expect(await page.isHidden('#origin-open')).toBe(true)
    expect(problems).toEqual([])
  })
})
