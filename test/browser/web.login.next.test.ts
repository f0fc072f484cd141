/**
 * The sign-in page's `?next=` in real Chromium: a signed-in visitor of a sign-in link with
 * a destination goes straight there, so a link such as /auth/login?next=/%5C<host>/pwned
 * would be an open redirect if the page trusted the string. A trap server stands in for
 * the attacker's site; for every tricky value the browser must stay on bloop's origin and
 * the trap must see no request. The links are written as an attacker would send them
 * (raw query strings), so the browser's own decoding and URL parsing are what is tested.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { testConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { addAuthenticator, launchChromium, reservePort } from '../browser'
import { TEST_SECRET, tempDir } from '../helpers'

let served: Served
let trap: ReturnType<typeof Bun.serve>
const trapHits: string[] = []
let browser: Browser
let page: Page
let origin: string
let evil: string
let dir: string

beforeAll(async () => {
  dir = tempDir()
  const port = reservePort()
  origin = `http://localhost:${port}`
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET, rp_id: 'localhost', rp_origin: origin },
      rate_limit: { auth_per_second: 1000, auth_burst_size: 1000 },
    }),
    { log: memoryLogger('error') },
  )
  trap = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => {
      trapHits.push(request.url)
      return new Response('pwned')
    },
  })
  evil = `127.0.0.1:${trap.port}`
  browser = await launchChromium()
  page = await (await browser.newContext()).newPage()
  await addAuthenticator(page)
  // Sign up as the first user: the context now holds a session cookie.
  await page.goto(`${origin}/auth/login`)
  await waitForState('setup')
  await page.fill('#setup-username', 'alice')
  await page.click('#setup-submit')
  await waitForState('account')
})

afterAll(async () => {
  await browser?.close()
  trap?.stop(true)
  await served?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function waitForState(s: string) {
  return page.waitForFunction((want) => document.body.dataset.state === want, s, { timeout: 15_000 })
}

/** Waits until the page either shows the account panel (next refused) or has left /auth/login. */
async function settle(): Promise<URL> {
  await page.waitForFunction(
    () => location.pathname !== '/auth/login' || document.body?.dataset.state === 'account',
    null,
    { timeout: 15_000 },
  )
  return new URL(page.url())
}

/** Raw `next=` values; EVIL is replaced by the trap's host:port. */
const REFUSED = [
  '//EVIL/pwned',
  '/%5CEVIL/pwned',
  '/%5C%5CEVIL/pwned',
  '%5C%5CEVIL/pwned',
  '/%5C/EVIL/pwned',
  '/%09/EVIL/pwned',
  '/%0A/EVIL/pwned',
  '/%0D%0A/EVIL/pwned',
  '/%09%5CEVIL/pwned',
  '%2F%2FEVIL/pwned',
  '/%2F%2FEVIL/pwned',
  '/.//EVIL/pwned',
  '/x/..//EVIL/pwned',
  '%20//EVIL/pwned',
  'javascript:location.assign(%22http://EVIL/pwned%22)',
  'data:text/html,%3Cscript%3Elocation=%22http://EVIL/pwned%22%3C/script%3E',
  'http://EVIL/pwned',
  'HTTP://EVIL/pwned',
  'http:EVIL/pwned',
]

describe('?next= on the sign-in page in Chromium', () => {
  for (const raw of REFUSED) {
    test(`a signed-in visitor of /auth/login?next=${raw} stays on the sign-in page`, async () => {
      const next = raw.replaceAll('EVIL', evil)
      trapHits.length = 0
      await page.goto(`${origin}/auth/login?next=${next}`)
      const at = await settle()
      expect(at.origin).toBe(origin)
      expect(at.pathname).toBe('/auth/login')
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('account')
      expect(trapHits).toEqual([])
    })
  }

  test('an encoded backslash that stays encoded is a path of this origin', async () => {
    trapHits.length = 0
    await page.goto(`${origin}/auth/login?next=/%255C${evil}/pwned`)
    const at = await settle()
    expect(at.href).toBe(`${origin}/%5C${evil}/pwned`)
    expect(trapHits).toEqual([])
  })

  test('a real destination is followed', async () => {
    await page.goto(`${origin}/auth/login?next=${encodeURIComponent('/alerts?project=default')}`)
    const at = await settle()
    expect(at.href).toBe(`${origin}/alerts?project=default`)
  })

  test('after signing in, a hostile next= leaves the visitor on the account panel', async () => {
    await page.goto(`${origin}/auth/login`)
    await waitForState('account')
    await page.click('#signout')
    await waitForState('signin')
    trapHits.length = 0
    await page.goto(`${origin}/auth/login?next=/%5C${evil}/pwned`)
    await waitForState('signin')
    await page.click('#signin-submit')
    const at = await settle()
    expect(at.origin).toBe(origin)
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('account')
    expect(trapHits).toEqual([])
  })
})
