/**
 * Passkey ceremonies end to end: the real server on a real port, the real sign-in page in
 * headless Chromium, credentials made and used by the DevTools virtual authenticator.
 * The steps build on each other (one server, one story), so they run in order.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { testConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { addAuthenticator, launchChromium, reservePort, type VirtualAuthenticator } from '../browser'
import { TEST_SECRET, tempDir } from '../helpers'

let served: Served
let browser: Browser
let origin: string
let dir: string
const log = memoryLogger('warn')
const contexts: BrowserContext[] = []

beforeAll(async () => {
  dir = tempDir()
  const port = reservePort()
  origin = `http://localhost:${port}`
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET, rp_id: 'localhost', rp_origin: origin },
      // The story makes ~40 /auth requests from one address; the limit itself is tested elsewhere.
      rate_limit: { auth_per_second: 1000, auth_burst_size: 1000 },
    }),
    { log },
  )
  browser = await launchChromium()
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await served?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const db = () => served.runtime.core.db

async function freshPage(): Promise<{ page: Page; authenticator: VirtualAuthenticator }> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  return { page, authenticator: await addAuthenticator(page) }
}

const state = (page: Page) => page.evaluate(() => document.body.dataset.state)
const waitForState = (page: Page, s: string) =>
  page.waitForFunction((want) => document.body.dataset.state === want, s, { timeout: 15_000 })

describe('passkeys in a real browser', () => {
  let admin: { page: Page; authenticator: VirtualAuthenticator }
  let inviteUrl: string

  test('the first visitor registers with a passkey and becomes admin', async () => {
    admin = await freshPage()
    const { page, authenticator } = admin
    await page.goto(`${origin}/auth/login`)
    await waitForState(page, 'setup')
    await page.fill('#setup-username', 'alice')
    await page.click('#setup-submit')
    await waitForState(page, 'account')
    expect(await page.textContent('#account-name')).toBe('alice')
    expect(await page.textContent('#account-role')).toBe('Administrator')

    const users = db()
      .query<{ id: string; username: string; role: string }, []>('SELECT id, username, role FROM users')
      .all()
    expect(users).toHaveLength(1)
    expect(users[0]).toMatchObject({ username: 'alice', role: 'admin' })
    const stored = await authenticator.credentials()
    expect(stored).toHaveLength(1)
    expect(stored[0]?.isResidentCredential).toBe(true)
    // The resident credential carries the user handle: the user id, so sign-in needs no username.
    expect(Buffer.from(stored[0]?.userHandle ?? '', 'base64').toString()).toBe(users[0]?.id as string)
    const cred = db().query<{ id: string }, []>('SELECT id FROM webauthn_credentials').get()
    expect(Buffer.from(stored[0]?.credentialId ?? '', 'base64').toString('base64url')).toBe(
      cred?.id as string,
    )

    const cookie = (await page.context().cookies()).find((c) => c.name === 'bloop_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' })
    // Only the SHA-256 of the cookie is stored.
    const hashes = db().query<{ token_hash: string }, []>('SELECT token_hash FROM sessions').all()
    expect(hashes).toEqual([
      { token_hash: new Bun.CryptoHasher('sha256').update(cookie?.value ?? '').digest('hex') },
    ])
  })

  test('the page loads without console errors under its Content-Security-Policy', async () => {
    const { page } = await freshPage()
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text())
    })
    page.on('pageerror', (e) => problems.push(e.message))
    const res = await page.goto(`${origin}/auth/login`)
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'")
    await waitForState(page, 'signin')
    expect(problems).toEqual([])
  })

  test('signing out clears the cookie and ends the session', async () => {
    const { page } = admin
    await page.click('#signout')
    await waitForState(page, 'signin')
    expect((await page.context().cookies()).some((c) => c.name === 'bloop_session')).toBe(false)
    expect(db().query('SELECT * FROM sessions').all()).toEqual([])
    const status = await page.evaluate(() => fetch('/auth/status').then((r) => r.json()))
    expect(status).toEqual({ setup_complete: true, user: null, rp_origin: origin, rp_id: 'localhost' })
  })

  test('signing in with the passkey needs no username', async () => {
    const { page, authenticator } = admin
    await page.click('#signin-submit')
    await waitForState(page, 'account')
    expect(await page.textContent('#account-name')).toBe('alice')
    const row = db()
      .query<{ counter: number; last_used_at: number | null }, []>(
        'SELECT counter, last_used_at FROM webauthn_credentials',
      )
      .get()
    expect(row?.last_used_at).toBeGreaterThan(0)
    expect(row?.counter).toBe((await authenticator.credentials())[0]?.signCount as number)
  })

  test('a signed-in user adds a second passkey from another authenticator and signs in with it', async () => {
    const { page } = admin
    // The first authenticator already holds a credential for alice and is excluded; a new
    // device (another authenticator) is what "add a passkey" is for.
    await admin.authenticator.remove()
    const second = await addAuthenticator(page)
    await page.fill('#add-passkey-name', 'work laptop')
    await page.click('#add-passkey-submit')
    await page.waitForSelector('#passkeys li:nth-child(2)', { timeout: 15_000 })
    const names = await page.$$eval('#passkeys li input', (inputs) =>
      inputs.map((i) => (i as HTMLInputElement).value),
    )
    expect(names).toEqual(['Passkey 1', 'work laptop'])
    expect(await second.credentials()).toHaveLength(1)

    await page.click('#signout')
    await waitForState(page, 'signin')
    await page.click('#signin-submit')
    await waitForState(page, 'account')
    const used = db()
      .query<{ name: string }, []>(
        'SELECT name FROM webauthn_credentials WHERE last_used_at IS NOT NULL ORDER BY last_used_at DESC',
      )
      .all()
    expect(used[0]?.name).toBe('work laptop')
  })

  test('an admin creates an invite from the page session', async () => {
    const created = await admin.page.evaluate(() =>
      fetch('/v1/admin/invites', { method: 'POST' }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      })),
    )
    expect(created.status).toBe(201)
    inviteUrl = created.body.url
    expect(inviteUrl).toStartWith(`${origin}/auth/login?invite=`)
  })

  test('an invited user registers in a fresh browser context and is not an admin', async () => {
    const { page, authenticator } = await freshPage()
    await page.goto(inviteUrl)
    await waitForState(page, 'invite')
    await page.fill('#invite-username', 'bob')
    await page.click('#invite-submit')
    await waitForState(page, 'account')
    expect(await page.textContent('#account-name')).toBe('bob')
    expect(await page.textContent('#account-role')).toBe('Member')
    expect(new URL(page.url()).search).toBe('')
    expect(await authenticator.credentials()).toHaveLength(1)

    const bob = db()
      .query<{ id: string; role: string }, []>("SELECT id, role FROM users WHERE username = 'bob'")
      .get()
    expect(bob?.role).toBe('user')
    const invite = db().query<{ used_by: string }, []>('SELECT used_by FROM invites').get()
    expect(invite?.used_by).toBe(bob?.id as string)

    const adminApi = await page.evaluate(() => fetch('/v1/admin/users').then((r) => r.status))
    expect(adminApi).toBe(403)
    const projects = await page.evaluate(() => fetch('/v1/projects').then((r) => r.status))
    expect(projects).toBe(200)
  })

  test('a used invite link cannot register anyone else', async () => {
    const { page } = await freshPage()
    await page.goto(inviteUrl)
    await waitForState(page, 'invite')
    await page.fill('#invite-username', 'carol')
    await page.click('#invite-submit')
    await page.waitForFunction(() => document.getElementById('message')?.textContent !== '', null, {
      timeout: 15_000,
    })
    expect(await page.textContent('#message')).toContain('invite link is invalid')
    expect(await state(page)).toBe('invite')
    expect(db().query("SELECT * FROM users WHERE username = 'carol'").all()).toEqual([])
  })

  test('the server logged no errors or warnings during the story', () => {
    expect(log.lines).toEqual([])
  })
})
