/** /v1/tokens: creation rules, secrets shown once, listing, revocation and who may revoke. */
import { afterEach, describe, expect, test } from 'bun:test'
import { projectIn, startRuntime, type TestRuntime } from '../helpers'
import { type SignedInUser, signedIn } from '../security'

const T0 = 1_800_000_000_000
let clock = T0
let rt: TestRuntime
let alice: SignedInUser // admin
let bob: SignedInUser // user
let carol: SignedInUser // user

afterEach(async () => {
  await rt?.dispose()
  clock = T0
})

async function start() {
  rt = await startRuntime({}, { now: () => clock })
  alice = await signInAs('alice', 'admin')
  bob = await signInAs('bob', 'user')
  carol = await signInAs('carol', 'user')
  await projectIn(rt.core.backend, { name: 'Web', slug: 'web' }, clock)
}

/** A user with a live session, on either backend (test/security.ts `signedIn`). */
async function signInAs(username: string, role: 'admin' | 'user'): Promise<SignedInUser> {
  return signedIn(rt as TestRuntime, username, role)
}

const call = (who: SignedInUser, method: string, path: string, body?: unknown) =>
  rt.fetch(path, {
    method,
    headers: { cookie: who.cookie, origin: 'http://localhost:5332', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const createAs = async (who: SignedInUser, body: Record<string, unknown>) => {
  const res = await call(who, 'POST', '/v1/tokens', {
    name: 'ci',
    project_id: 'default',
    scopes: ['errors:read'],
    ...body,
  })
  return { status: res.status, body: await res.json() }
}

describe('creating tokens', () => {
  test('any signed-in user gets a bloop_tk_ token once; it works with exactly its scopes', async () => {
    await start()
    const { status, body } = await createAs(bob, { project_id: 'web', expires_in_days: 30 })
    expect(status).toBe(201)
    expect(body.token).toMatch(/^bloop_tk_[A-Za-z0-9_-]{43}$/)
    expect(body.token_prefix).toBe(body.token.slice(0, 16))
    const web = await rt.core.backend.get("SELECT id FROM projects WHERE slug = 'web'")
    expect(body).toMatchObject({
      name: 'ci',
      project_id: web?.id,
      scopes: ['errors:read'],
      created_by: bob.id,
      created_by_name: 'bob',
      created_at: T0,
      expires_at: T0 + 30 * 86_400_000,
      last_used_at: null,
      revoked_at: null,
    })
    // Only the hash is stored.
    const stored = await rt.core.backend.get('SELECT token_hash FROM api_tokens')
    expect(stored?.token_hash).toBe(new Bun.CryptoHasher('sha256').update(body.token).digest('hex'))

    const auth = { authorization: `Bearer ${body.token}` }
    expect((await rt.fetch('/v1/errors', { headers: auth })).status).toBe(200)
    expect((await rt.fetch('/v1/errors?project_id=default', { headers: auth })).status).toBe(404)
    expect((await rt.fetch('/v1/errors/abc/resolve', { method: 'POST', headers: auth })).status).toBe(403)
  })

  test('expiry: 1 and 3650 days accepted, 0 and 3651 refused; the token dies at its expiry', async () => {
    await start()
    expect((await createAs(bob, { expires_in_days: 3650 })).status).toBe(201)
    for (const days of [0, 3651, 1.5]) {
      const r = await createAs(bob, { expires_in_days: days })
      expect(r.status).toBe(400)
      expect(r.body.field).toBe('expires_in_days')
    }
    const { body } = await createAs(bob, { expires_in_days: 1 })
    const auth = { authorization: `Bearer ${body.token}` }
    clock = T0 + 86_400_000 - 1
    expect((await rt.fetch('/v1/stats', { headers: auth })).status).toBe(200)
    clock = T0 + 86_400_000
    expect((await rt.fetch('/v1/stats', { headers: auth })).status).toBe(401)
  })

  test('name, scopes and project are validated', async () => {
    await start()
    expect((await createAs(bob, { name: 'n'.repeat(100) })).status).toBe(201)
    const cases: [Record<string, unknown>, number, string | undefined][] = [
      [{ name: 'n'.repeat(101) }, 400, 'name'],
      [{ name: '   ' }, 400, 'name'],
      [{ scopes: [] }, 400, 'scopes'],
      [{ scopes: ['errors:read', 'errors:read'] }, 400, 'scopes'],
      [{ scopes: ['admin'] }, 400, 'scopes.0'],
      [{ project_id: 'nope' }, 404, undefined],
      [{ extra: 1 }, 400, 'extra'],
    ]
    for (const [body, status, field] of cases) {
      const r = await createAs(bob, body)
      expect({ body, status: r.status, field: r.body.field }).toEqual({ body, status, field })
    }
  })
})

describe('listing tokens', () => {
  test('lists without secrets, newest first, filtered by project, with last use and revocation', async () => {
    await start()
    const a = await createAs(alice, { name: 'a' })
    clock += 1
    const b = await createAs(bob, { name: 'b', project_id: 'web' })
    clock += 1
    await rt.fetch('/v1/stats', { headers: { authorization: `Bearer ${a.body.token}` } })
    await call(alice, 'DELETE', `/v1/tokens/${b.body.id}`)

    const res = await call(carol, 'GET', '/v1/tokens')
    const text = await res.text()
    expect(text).not.toContain(a.body.token)
    expect(text).not.toContain('token_hash')
    const list = JSON.parse(text)
    expect(list.map((t: { name: string }) => t.name)).toEqual(['b', 'a'])
    expect(list[0]).toMatchObject({ revoked_at: T0 + 2, created_by_name: 'bob', last_used_at: null })
    expect(list[1]).toMatchObject({ revoked_at: null, created_by_name: 'alice', last_used_at: T0 + 2 })
    expect(list[1].token).toBeUndefined()

    const web = await (await call(carol, 'GET', '/v1/tokens?project_id=web')).json()
    expect(web.map((t: { name: string }) => t.name)).toEqual(['b'])
    expect((await call(carol, 'GET', '/v1/tokens?project_id=nope')).status).toBe(404)
  })
})

describe('revoking tokens', () => {
  test('the creator or an admin may revoke; another user may not; revocation applies on the next request', async () => {
    await start()
    const one = await createAs(bob, {})
    const two = await createAs(bob, {})
    const denied = await call(carol, 'DELETE', `/v1/tokens/${one.body.id}`)
    expect(denied.status).toBe(403)
    expect(
      (await rt.fetch('/v1/stats', { headers: { authorization: `Bearer ${one.body.token}` } })).status,
    ).toBe(200)

    const own = await call(bob, 'DELETE', `/v1/tokens/${one.body.id}`)
    expect(await own.json()).toEqual({ id: one.body.id, revoked_at: T0 })
    const after = await rt.fetch('/v1/stats', { headers: { authorization: `Bearer ${one.body.token}` } })
    expect(after.status).toBe(401)
    expect((await after.json()).error).toBe('API token has been revoked')

    expect((await call(alice, 'DELETE', `/v1/tokens/${two.body.id}`)).status).toBe(200)
    expect((await call(alice, 'DELETE', `/v1/tokens/${two.body.id}`)).status).toBe(404)
    expect((await call(alice, 'DELETE', '/v1/tokens/unknown')).status).toBe(404)
  })
})
