/**
 * /auth/* without a browser: registration rules, challenges (single use, TTL, bound),
 * invites, sessions and their cookie, own passkeys, rate limits and origin warnings.
 * Successful ceremonies are covered in real Chromium (test/browser/auth.passkeys.test.ts).
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { SESSION_CLEANUP_JOB } from '../../src/auth'
import { ChallengeStore } from '../../src/auth/challenges'
import { revokeInvite } from '../../src/auth/invites'
import { relyingParty, relyingPartyProblems } from '../../src/auth/origin'
import { createSession, sessionCookie } from '../../src/auth/sessions'
import { testConfig } from '../../src/config/load'
import { AppError } from '../../src/http/errors'
import { memoryLogger } from '../../src/ops/log'
import { credentialIn, inviteIn, type Overrides, startRuntime, type TestRuntime, userIn } from '../helpers'
import { signedIn } from '../security'

const T0 = 1_800_000_000_000
let clock = T0
const now = () => clock
let rt: TestRuntime

afterEach(async () => {
  await rt?.dispose()
  clock = T0
})

async function start(overrides: Overrides = {}, log = memoryLogger('warn')) {
  rt = await startRuntime(
    { rate_limit: { auth_burst_size: 1000, auth_per_second: 1000 }, ...overrides },
    { now, log },
  )
  return { rt, log }
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  rt.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

/** A user with a live session, on either backend (test/security.ts `signedIn`). */
async function signInAs(rt: TestRuntime, username: string, role: 'admin' | 'user') {
  return signedIn(rt, username, role)
}

const garbageCredential = { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'e30' } }

describe('first-user registration', () => {
  test('is open on an empty server and closed once a user exists', async () => {
    await start()
    expect(await (await rt.fetch('/auth/status')).json()).toEqual({
      setup_complete: false,
      user: null,
      rp_origin: 'http://localhost:5332',
      rp_id: 'localhost',
    })
    const open = await post('/auth/register/start', { username: 'alice' })
    expect(open.status).toBe(200)
    const started = await open.json()
    expect(started.challenge_id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(started.options.authenticatorSelection).toEqual({
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'preferred',
    })
    expect(started.options.rp).toEqual({ name: 'bloop', id: 'localhost' })

    await userIn(rt.core.backend, { username: 'alice', role: 'admin' }, now())
    const closed = await post('/auth/register/start', { username: 'mallory' })
    expect(closed.status).toBe(403)
    expect((await closed.json()).error).toContain('registration is closed')
    expect((await (await rt.fetch('/auth/status')).json()).setup_complete).toBe(true)
  })

  test('accepts a 64-character username and rejects 65, blank and control characters with 400', async () => {
    await start()
    expect((await post('/auth/register/start', { username: 'a'.repeat(64) })).status).toBe(200)
    for (const username of ['a'.repeat(65), '   ', 'bad\nname']) {
      const res = await post('/auth/register/start', { username })
      expect(res.status).toBe(400)
      expect((await res.json()).field).toBe('username')
    }
  })

  test('a challenge is single use: a second finish with the same id is refused as expired', async () => {
    await start()
    const { challenge_id } = await (await post('/auth/register/start', { username: 'alice' })).json()
    const first = await post('/auth/register/finish', { challenge_id, credential: garbageCredential })
    expect(first.status).toBe(400)
    expect((await first.json()).error).toStartWith('passkey registration failed')
    const second = await post('/auth/register/finish', { challenge_id, credential: garbageCredential })
    expect(second.status).toBe(400)
    expect((await second.json()).error).toContain('expired or was already used')
  })

  test('a challenge lives 120 s: verified just before, refused at the limit', async () => {
    await start()
    const a = await (await post('/auth/register/start', { username: 'alice' })).json()
    const b = await (await post('/auth/register/start', { username: 'alice' })).json()
    clock = T0 + 119_999
    const live = await post('/auth/register/finish', {
      challenge_id: a.challenge_id,
      credential: garbageCredential,
    })
    expect((await live.json()).error).toStartWith('passkey registration failed')
    clock = T0 + 120_000
    const dead = await post('/auth/register/finish', {
      challenge_id: b.challenge_id,
      credential: garbageCredential,
    })
    expect((await dead.json()).error).toContain('expired or was already used')
  })

  test('a registration challenge cannot be used for sign-in', async () => {
    await start()
    const { challenge_id } = await (await post('/auth/register/start', { username: 'alice' })).json()
    const res = await post('/auth/login/finish', { challenge_id, credential: garbageCredential })
    expect(res.status).toBe(400)
    expect((await res.json()).field).toBe('challenge_id')
  })
})

describe('challenge store', () => {
  const login = { kind: 'login' } as const

  test('drops expired entries when full, and refuses a new one with 503 rather than evict a live one', () => {
    let t = 0
    const store = new ChallengeStore(() => t, { ttlMs: 100, capacity: 3, perClient: 3 })
    const a = store.put('a', login, 'A')
    t = 50
    const b = store.put('b', login, 'B')
    const c = store.put('c', login, 'C')
    t = 120 // a expired, b and c live
    const d = store.put('d', login, 'D')
    expect(store.size).toBe(3)
    expect(store.take(a, 'login')).toBeNull()
    // Full of live entries, all of other clients: E waits until the oldest (b) expires at 150.
    t = 121
    let refused: unknown = null
    try {
      store.put('e', login, 'E')
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(AppError)
    expect((refused as AppError).status).toBe(503)
    expect((refused as AppError).extra.retryAfterSecs).toBe(1)
    expect(store.size).toBe(3)
    expect(store.take(b, 'login')?.challenge).toBe('b')
    expect(store.take(c, 'login')?.challenge).toBe('c')
    expect(store.take(d, 'login')?.challenge).toBe('d')
    expect(store.size).toBe(0)
  })

  test("a client over its quota loses its own oldest challenge, never another client's", () => {
    const store = new ChallengeStore(() => 0, { ttlMs: 100, capacity: 10, perClient: 2 })
    const mine = store.put('mine', login, '192.0.2.1')
    const theirs = Array.from({ length: 50 }, (_, i) => store.put(`f${i}`, login, '198.51.100.9'))
    expect(store.size).toBe(3)
    expect(store.heldBy('198.51.100.9')).toBe(2)
    expect(store.take(mine, 'login')?.challenge).toBe('mine')
    expect(theirs.map((id) => store.take(id, 'login')?.challenge ?? null)).toEqual([
      ...Array(48).fill(null),
      'f48',
      'f49',
    ])
    expect(store.size).toBe(0)
    expect(store.heldBy('198.51.100.9')).toBe(0)
  })
})

describe('sign-in', () => {
  test('login options name no credentials (discoverable passkeys) and prefer user verification', async () => {
    await start()
    const res = await post('/auth/login/start', {})
    expect(res.status).toBe(200)
    const { options } = await res.json()
    expect(options.rpId).toBe('localhost')
    expect(options.allowCredentials).toBeUndefined()
    expect(options.userVerification).toBe('preferred')
  })

  test('an unknown passkey is refused with 401', async () => {
    await start()
    const { challenge_id } = await (await post('/auth/login/start', {})).json()
    const res = await post('/auth/login/finish', { challenge_id, credential: garbageCredential })
    expect(res.status).toBe(401)
    expect((await res.json()).error).toContain('not registered')
  })

  test('a malformed finish body is a 400 naming the field', async () => {
    await start()
    const res = await post('/auth/login/finish', { challenge_id: 'x' })
    expect(res.status).toBe(400)
    expect((await res.json()).field).toBe('credential')
  })
})

describe('invites', () => {
  test('an invite opens registration for 7 days, then it has expired', async () => {
    await start()
    const admin = await userIn(rt.core.backend, { username: 'alice', role: 'admin' }, now())
    const { token } = await inviteIn(rt.core.backend, admin.id, now())
    clock = T0 + 7 * 86_400_000 - 1
    expect((await post('/auth/invite/register/start', { username: 'bob', invite_token: token })).status).toBe(
      200,
    )
    clock = T0 + 7 * 86_400_000
    const late = await post('/auth/invite/register/start', { username: 'bob', invite_token: token })
    expect(late.status).toBe(400)
    expect((await late.json()).field).toBe('invite_token')
  })

  test('revoked, used and made-up invites are refused; a taken username is 409', async () => {
    await start()
    const b = rt.core.backend
    const admin = await userIn(b, { username: 'alice', role: 'admin' }, now())
    const revoked = await inviteIn(b, admin.id, now())
    expect(await revokeInvite(rt.core.backend, revoked.row.id, now())).toBe('revoked')
    const used = await inviteIn(b, admin.id, now())
    await b.run('UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?', [admin.id, now(), used.row.id])
    for (const token of [revoked.token, used.token, 'A'.repeat(43), 'short']) {
      const res = await post('/auth/invite/register/start', { username: 'bob', invite_token: token })
      expect(res.status).toBe(400)
    }
    const fresh = await inviteIn(b, admin.id, now())
    const taken = await post('/auth/invite/register/start', { username: 'ALICE', invite_token: fresh.token })
    expect(taken.status).toBe(409)
  })
})

describe('sessions', () => {
  test('a session is valid until its TTL and refused from then on', async () => {
    await start()
    const alice = await signInAs(rt, 'alice', 'admin')
    const ttlMs = rt.config.auth.session_ttl_secs * 1000
    clock = T0 + ttlMs - 1
    const live = await rt.fetch('/auth/status', { headers: { cookie: alice.cookie } })
    expect((await live.json()).user).toMatchObject({ username: 'alice', role: 'admin', is_admin: true })
    clock = T0 + ttlMs
    expect(
      (await (await rt.fetch('/auth/status', { headers: { cookie: alice.cookie } })).json()).user,
    ).toBeNull()
    expect((await rt.fetch('/v1/projects', { headers: { cookie: alice.cookie } })).status).toBe(401)
  })

  test('a role change applies to existing sessions at once', async () => {
    await start()
    const bob = await signInAs(rt, 'bob', 'admin')
    expect((await rt.fetch('/v1/admin/users', { headers: { cookie: bob.cookie } })).status).toBe(200)
    await rt.core.backend.run("UPDATE users SET role = 'user' WHERE id = ?", [bob.id])
    expect((await rt.fetch('/v1/admin/users', { headers: { cookie: bob.cookie } })).status).toBe(403)
  })

  test('logout deletes the session and clears the cookie', async () => {
    await start()
    const alice = await signInAs(rt, 'alice', 'admin')
    const res = await post('/auth/logout', {}, { cookie: alice.cookie, origin: 'http://localhost:5332' })
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie')).toBe('bloop_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0')
    expect(await rt.core.backend.all('SELECT * FROM sessions')).toEqual([])
    expect((await rt.fetch('/v1/projects', { headers: { cookie: alice.cookie } })).status).toBe(401)
  })

  test('logout from a foreign origin is refused and keeps the session', async () => {
    await start()
    const alice = await signInAs(rt, 'alice', 'admin')
    const res = await post('/auth/logout', {}, { cookie: alice.cookie, origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    expect((await rt.fetch('/v1/projects', { headers: { cookie: alice.cookie } })).status).toBe(200)
  })

  test('the cookie is Secure except on loopback origins, and lives session_ttl_secs', () => {
    expect(sessionCookie('tok', 'https://errors.example.com', 3600)).toBe(
      'bloop_session=tok; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600; Secure',
    )
    for (const o of ['http://localhost:5332', 'http://127.0.0.1:8080', 'http://[::1]:5332']) {
      expect(sessionCookie('tok', o, 60)).toBe(
        'bloop_session=tok; HttpOnly; SameSite=Lax; Path=/; Max-Age=60',
      )
    }
  })

  test('the hourly cleanup job deletes expired sessions only, and stops when the server closes', async () => {
    await start()
    const alice = await userIn(rt.core.backend, { username: 'alice', role: 'admin' }, now())
    await createSession(rt.core.backend, alice.id, T0 - 10_000_000, 60) // expired long ago
    await createSession(rt.core.backend, alice.id, T0, 3600) // live
    const job = rt.app.store.cron[SESSION_CLEANUP_JOB]
    expect(job.getPattern()).toBe('0 7 * * * *')
    expect(job.nextRun()).not.toBeNull()
    await job.trigger()
    expect((await rt.core.backend.get('SELECT count(*) AS n FROM sessions'))?.n).toBe(1)
    await rt.close()
    expect(job.isStopped()).toBe(true)
    rt = undefined as unknown as TestRuntime
  })
})

describe('own passkeys', () => {
  const cred = (userId: string, id: string) =>
    credentialIn(
      rt.core.backend,
      { id, userId, publicKey: new Uint8Array([1]), counter: 0, transports: ['usb'], name: id },
      now(),
    )

  test('lists, renames and removes own passkeys, never the last one', async () => {
    await start()
    const alice = await signInAs(rt, 'alice', 'admin')
    await cred(alice.id, 'k1')
    await cred(alice.id, 'k2')
    const h = { cookie: alice.cookie, origin: 'http://localhost:5332', 'content-type': 'application/json' }
    const list = await (await rt.fetch('/auth/passkeys', { headers: h })).json()
    expect(list).toEqual([
      { id: 'k1', name: 'k1', transports: ['usb'], created_at: T0, last_used_at: null },
      { id: 'k2', name: 'k2', transports: ['usb'], created_at: T0, last_used_at: null },
    ])
    const renamed = await rt.fetch('/auth/passkeys/k1', {
      method: 'PATCH',
      headers: h,
      body: '{"name":" YubiKey "}',
    })
    expect((await renamed.json()).name).toBe('YubiKey')
    const tooLong = await rt.fetch('/auth/passkeys/k1', {
      method: 'PATCH',
      headers: h,
      body: JSON.stringify({ name: 'x'.repeat(65) }),
    })
    expect(tooLong.status).toBe(400)
    expect((await rt.fetch('/auth/passkeys/k2', { method: 'DELETE', headers: h })).status).toBe(200)
    const last = await rt.fetch('/auth/passkeys/k1', { method: 'DELETE', headers: h })
    expect(last.status).toBe(409)
    expect((await last.json()).error).toContain('only passkey')
    expect(
      (await (await rt.fetch('/auth/passkeys', { headers: h })).json()).map((k: { id: string }) => k.id),
    ).toEqual(['k1'])
  })

  test("another user's passkey is 404 to rename or remove", async () => {
    await start()
    const alice = await signInAs(rt, 'alice', 'admin')
    const bob = await signInAs(rt, 'bob', 'user')
    await cred(bob.id, 'b1')
    await cred(bob.id, 'b2')
    const h = { cookie: alice.cookie, origin: 'http://localhost:5332', 'content-type': 'application/json' }
    expect(
      (await rt.fetch('/auth/passkeys/b1', { method: 'PATCH', headers: h, body: '{"name":"x"}' })).status,
    ).toBe(404)
    expect((await rt.fetch('/auth/passkeys/b1', { method: 'DELETE', headers: h })).status).toBe(404)
    expect(
      await rt.core.backend.all('SELECT name FROM webauthn_credentials ORDER BY id COLLATE BINARY'),
    ).toEqual([{ name: 'b1' }, { name: 'b2' }])
  })

  test('adding a passkey excludes the ones the user already has', async () => {
    await start()
    const alice = await signInAs(rt, 'alice', 'admin')
    await cred(alice.id, 'k1')
    const res = await rt.fetch('/auth/passkeys/register/start', {
      method: 'POST',
      headers: { cookie: alice.cookie, origin: 'http://localhost:5332', 'content-type': 'application/json' },
      body: '{}',
    })
    const { options } = await res.json()
    expect(options.excludeCredentials).toEqual([{ id: 'k1', type: 'public-key', transports: ['usb'] }])
    expect(Buffer.from(options.user.id, 'base64url').toString()).toBe(alice.id)
    expect(options.user.name).toBe('alice')
  })
})

describe('rate limits on /auth', () => {
  test('allows the burst, then answers 429 with Retry-After until a token refills', async () => {
    await start({ rate_limit: { auth_per_second: 1, auth_burst_size: 3 } })
    for (let i = 0; i < 3; i++) expect((await rt.fetch('/auth/status')).status).toBe(200)
    const limited = await rt.fetch('/auth/login')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    expect((await limited.json()).code).toBe('rate_limited')
    clock += 1000
    expect((await rt.fetch('/auth/status')).status).toBe(200)
    expect((await rt.fetch('/auth/status')).status).toBe(429)
  })

  test('a burst of bad sign-ins is limited, malformed bodies included', async () => {
    await start({ rate_limit: { auth_per_second: 5, auth_burst_size: 10 } })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await rt.fetch('/auth/login/finish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body:
          i % 2 === 0 ? '{not json' : JSON.stringify({ challenge_id: 'x', credential: garbageCredential }),
      })
      statuses.push(res.status)
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 429, 429])
  })

  test('routes of other features do not spend the sign-in budget', async () => {
    await start({ rate_limit: { auth_per_second: 1, auth_burst_size: 2 } })
    for (let i = 0; i < 5; i++) expect((await rt.fetch('/health')).status).toBe(200)
    expect((await rt.fetch('/nope')).status).toBe(404)
    expect([(await rt.fetch('/auth/status')).status, (await rt.fetch('/auth/status')).status]).toEqual([
      200, 200,
    ])
    expect((await rt.fetch('/auth/status')).status).toBe(429)
  })

  test('an /auth body over 64 KB is refused with 413 before it is parsed', async () => {
    await start()
    const res = await rt.fetch('/auth/login/finish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge_id: 'x', credential: { id: 'a'.repeat(70_000) } }),
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({ error: 'request body exceeds 65536 bytes', code: 'payload_too_large' })
  })

  test('a burst of bad API tokens from one address: bad ones get 429, valid tokens and sessions still pass', async () => {
    await start({ rate_limit: { auth_per_second: 5, auth_burst_size: 10 } })
    const good = rt.token(['errors:read'])
    const { cookie } = await signInAs(rt, 'carol', 'user')
    const bad = `bloop_tk_${'A'.repeat(43)}`
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      statuses.push((await rt.fetch('/v1/errors', { headers: { authorization: `Bearer ${bad}` } })).status)
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429])
    const locked = await rt.fetch('/v1/errors', { headers: { authorization: `Bearer ${bad}` } })
    expect(locked.status).toBe(429)
    expect(locked.headers.get('retry-after')).toBe('1')
    // Another bad credential from the locked-out address is refused too: guessing stays slow.
    const other = await rt.fetch('/v1/errors', {
      headers: { authorization: `Bearer bloop_tk_${'C'.repeat(43)}` },
    })
    expect(other.status).toBe(429)
    // A valid token or session from the same address (a colleague behind the same NAT) works.
    expect((await rt.fetch('/v1/errors', { headers: { authorization: `Bearer ${good}` } })).status).toBe(200)
    expect((await rt.fetch('/v1/projects', { headers: { cookie } })).status).toBe(200)
    clock += 200 // one failure token refilled at 5/s
    expect((await rt.fetch('/v1/errors', { headers: { authorization: `Bearer ${bad}` } })).status).toBe(401)
  })

  test('bad session cookies count as failed attempts too', async () => {
    await start({ rate_limit: { auth_per_second: 5, auth_burst_size: 2 } })
    const cookie = { cookie: `bloop_session=${'B'.repeat(43)}` }
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await rt.fetch('/v1/projects', { headers: cookie })).status)
    expect(statuses).toEqual([401, 401, 429])
  })
})

describe('relying party origin', () => {
  test('warns once per foreign browser origin, naming both origins and the keys to change', async () => {
    const { log } = await start()
    const headers = { origin: 'http://192.168.1.20:5332' }
    await post('/auth/login/start', {}, headers)
    await post('/auth/login/start', {}, headers)
    await post('/auth/login/start', {}, { origin: 'http://localhost:5332' })
    expect(log.lines).toHaveLength(1)
    const line = log.lines[0] as Record<string, string>
    expect(line.level).toBe('warn')
    expect(line.msg).toContain('http://192.168.1.20:5332')
    expect(line.msg).toContain('auth.rp_origin http://localhost:5332')
    expect(line.msg).toContain('BLOOP__AUTH__RP_ORIGIN')
    expect(line.msg).toContain('auth.rp_id')
  })

  test('startup problems: rp_id not matching the origin, plain http on a public host, another local port', () => {
    const rp = (origin: string, id: string) =>
      relyingParty(testConfig({ auth: { rp_origin: origin, rp_id: id, hmac_secret: '' } }))
    expect(relyingPartyProblems(rp('http://localhost:5332', 'localhost'), 5332)).toEqual([])
    expect(relyingPartyProblems(rp('https://errors.example.com', 'example.com'), 5332)).toEqual([])
    const [wrongId] = relyingPartyProblems(rp('https://errors.example.com', 'localhost'), 5332)
    expect(wrongId).toContain(
      'auth.rp_id "localhost" is not the host of auth.rp_origin https://errors.example.com',
    )
    const [plain] = relyingPartyProblems(rp('http://errors.example.com', 'errors.example.com'), 5332)
    expect(plain).toContain('plain http')
    const [port] = relyingPartyProblems(rp('http://localhost:5332', 'localhost'), 8080)
    expect(port).toContain('listens on port 8080')
    expect(() => rp('not a url', 'localhost')).toThrow('auth.rp_origin must be an origin')
    expect(() => rp('ftp://x.example', 'x.example')).toThrow('http:// or https://')
  })
})
