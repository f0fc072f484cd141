/**
 * The browser asset pipeline from a source checkout: bundled on first use, served with
 * hashed names, long caching, ETags and gzip, rebuilt after a source change; and the
 * compiled executable serving the same page from its embedded bundle (no src/ needed).
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync, statSync, utimesSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createSession } from '../../src/auth/sessions'
import { NAV } from '../../src/dashboard/pages/routes'
import { sign } from '../../src/errors/ingest/hmac'
import { openDatabase } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'
import { bundleAssets, loadAssets } from '../../src/web/assets'
import { CONTENT_SECURITY_POLICY } from '../../src/web/page'
import { launchChromium } from '../browser'
import { pageSettled, problemsOf, watch } from '../dashboard.helpers'
import { event, startRuntime, TEST_SECRET, type TestRuntime, tempDir, userOnSqlite } from '../helpers'

const rts: TestRuntime[] = []
afterAll(async () => {
  for (const rt of rts) await rt.dispose()
})

async function runtime() {
  const rt = await startRuntime()
  rts.push(rt)
  return rt
}

describe('assets from source', () => {
  test('the sign-in page links hashed assets and sends a strict CSP without inline script', async () => {
    const rt = await runtime()
    const res = await rt.fetch('/auth/login')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    const html = await res.text()
    const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0])
    expect(scripts).toHaveLength(1)
    expect(scripts[0]).toMatch(/^<script type="module" src="\/assets\/login\/main-[a-z0-9]+\.js">$/)
    expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/login\/login-[a-z0-9]+\.css">/)
    expect(html).not.toMatch(/<script>|on(click|load)=/)
  })

  test('serves an asset with immutable caching, gzip on request, 304 on a matching ETag', async () => {
    const rt = await runtime()
    const html = await (await rt.fetch('/auth/login')).text()
    const src = html.match(/src="([^"]+)"/)?.[1] as string
    const plain = await rt.fetch(src)
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-type')).toStartWith('text/javascript')
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const js = await plain.text()
    expect(js).toContain('/auth/login/start')

    const gz = await rt.fetch(src, {
      headers: { 'accept-encoding': 'gzip' },
      decompress: false,
    } as RequestInit)
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    const bytes = new Uint8Array(await gz.arrayBuffer())
    expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(js)
    expect(bytes.byteLength).toBeLessThan(js.length)

    const etag = plain.headers.get('etag') as string
    const cached = await rt.fetch(src, { headers: { 'if-none-match': etag } })
    expect(cached.status).toBe(304)
    const missing = await rt.fetch('/assets/login/nope.js')
    expect(missing.status).toBe(404)
    expect((await missing.json()).code).toBe('not_found')
  })

  test('rebuilds after a source file changes', async () => {
    const first = await loadAssets()
    expect(await loadAssets()).toBe(first)
    const file = resolve(import.meta.dir, '../../src/web/login/login.css')
    const { atime, mtime } = statSync(file)
    try {
      // Newer than every source file (the stamp is the newest modification time of all groups).
      utimesSync(file, atime, new Date(Math.max(mtime.getTime(), Date.now()) + 5000))
      const second = await loadAssets()
      expect(second).not.toBe(first)
      expect([...second.files.keys()].sort()).toEqual([...first.files.keys()].sort())
    } finally {
      utimesSync(file, atime, mtime)
    }
  })
})

/**
 * Opens each page of the dashboard in headless Chromium, signed in with `session`, and
 * waits until it shows (its chunk loaded) with no failed request or console error.
 */
async function visitPages(base: string, session: string, key: string): Promise<void> {
  const body = JSON.stringify(event({ message: 'from the binary' }))
  const sent = await fetch(`${base}/v1/ingest`, {
    method: 'POST',
    headers: { 'x-project-key': key, 'x-signature': sign(key, body) },
    body,
  })
  expect(sent.status).toBe(200)
  const cookie = `bloop_session=${session}`
  const list = (await (await fetch(`${base}/v1/errors`, { headers: { cookie } })).json()) as {
    items: { fingerprint: string }[]
  }
  const fingerprint = list.items[0]?.fingerprint as string
  const browser = await launchChromium()
  try {
    const context = await browser.newContext()
    await context.addCookies([{ name: 'bloop_session', value: session, url: base }])
    const page = await context.newPage()
    const seen = watch(page)
    const pages = [
      ...NAV.map((n) => [n.href, n.label]),
      [`/issues/${fingerprint}?project=web`, 'TypeError: from the binary'],
    ]
    for (const [href, title] of pages) {
      await page.goto(base + href)
      await pageSettled(page)
      const h1 = (await page.locator('main h1').textContent())?.trim()
      expect({ href, h1 }).toEqual({ href, h1: title })
    }
    expect(problemsOf(seen)).toEqual([])
  } finally {
    await browser.close()
  }
}

describe('compiled executable', () => {
  const dir = tempDir('bloop-build-')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('serves the sign-in page from its embedded bundle and runs the accounts CLI', async () => {
    const root = resolve(import.meta.dir, '..', '..')
    const exe = join(dir, 'bloop')
    const build = Bun.spawnSync([process.execPath, 'build.ts', `--outfile=${exe}`], { cwd: root })
    expect(build.exitCode).toBe(0)

    // Run from an empty folder: nothing under src/ is reachable.
    const work = join(dir, 'work')
    const env = {
      PATH: process.env.PATH ?? '',
      BLOOP__DATABASE__PATH: join(work, 'bloop.db'),
      BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
    }
    Bun.spawnSync(['mkdir', '-p', work])
    // The CLI works on the server's database; `migrate` is the command that creates one.
    expect(Bun.spawnSync([exe, 'migrate'], { cwd: work, env }).exitCode).toBe(0)
    const created = Bun.spawnSync([exe, 'project', 'create', '--name', 'Web', '--slug', 'web'], {
      cwd: work,
      env,
    })
    expect(created.exitCode).toBe(0)
    const key = created.stdout.toString().trim().split('\n').at(-1) as string
    expect(key).toMatch(/^bloop_[0-9a-f]{64}$/)

    const server = Bun.spawn([exe], { cwd: work, env, stdout: 'pipe', stderr: 'pipe' })
    try {
      const lines = { out: '', err: '' }
      const port = await new Promise<number>((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`no "listening" line: ${lines.out} ${lines.err}`)),
          20_000,
        )
        const read = async (stream: ReadableStream<Uint8Array>, which: 'out' | 'err') => {
          for await (const chunk of stream) {
            lines[which] += new TextDecoder().decode(chunk)
            const m = lines.out.match(/"msg":"listening".*?"port":(\d+)/)
            if (m) {
              clearTimeout(timer)
              res(Number(m[1]))
            }
          }
        }
        void read(server.stdout, 'out')
        void read(server.stderr, 'err')
      })
      const base = `http://127.0.0.1:${port}`
      const page = await fetch(`${base}/auth/login`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
      const html = await page.text()
      const src = html.match(/src="([^"]+)"/)?.[1] as string
      expect(src).toMatch(/^\/assets\/login\/main-[a-z0-9]+\.js$/)
      const js = await fetch(base + src)
      expect(js.status).toBe(200)
      expect(await js.text()).toContain('/auth/login/start')
      // The dashboard is in the binary too: its routes send a signed-out visitor to sign in.
      const dashboard = await fetch(`${base}/issues/abc?project=web`, { redirect: 'manual' })
      expect(dashboard.status).toBe(303)
      expect(dashboard.headers.get('location')).toBe('/auth/login?next=%2Fissues%2Fabc%3Fproject%3Dweb')
      // Signed in (a session written straight into the binary's database), the shell and
      // its script come from the embedded bundle.
      const db = openDatabase(join(work, 'bloop.db'))
      const user = userOnSqlite(db, { username: 'ops', role: 'admin' }, Date.now())
      const session = await createSession(new SqliteBackend(db), user.id, Date.now(), 3600)
      db.close()
      const shell = await fetch(`${base}/`, { headers: { cookie: `bloop_session=${session}` } })
      expect(shell.status).toBe(200)
      const app = (await shell.text()).match(/src="(\/assets\/dashboard\/main-[a-z0-9]+\.js)"/)?.[1] as string
      const appJs = await fetch(base + app)
      expect(appJs.status).toBe(200)
      const appText = await appJs.text()
      expect(appText).toContain('/v1/stream')
      // Every file of the bundle is embedded, the pages' chunks among them.
      const built = Object.keys((await bundleAssets()).files)
      const chunks = built.filter((u) => u.startsWith('/assets/dashboard/chunks/'))
      expect(chunks).toContainEqual(expect.stringMatching(/\/AlertsPage-[a-z0-9]+\.js$/))
      for (const url of built) {
        const res = await fetch(base + url)
        expect({ url, status: res.status }).toEqual({ url, status: 200 })
      }
      // And each page of the navigation, plus an issue, comes up in a real browser.
      await visitPages(base, session, key)
      // The default rp_origin (port 5332) does not match the port it listens on: said at startup.
      await Bun.sleep(50)
      expect(lines.err).toContain(
        `auth.rp_origin is http://localhost:5332 but the server listens on port ${port}`,
      )
    } finally {
      server.kill('SIGTERM')
      await server.exited
    }
  }, 60_000)
})
