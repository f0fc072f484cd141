/** /v1/admin: users and roles, the last-admin rule, invites, reset; and the accounts CLI. */
import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { changeRole, removeUser } from '../../src/admin/manage'
import { usableInvite } from '../../src/auth/invites'
import { createSession } from '../../src/auth/sessions'
import { runCli } from '../../src/cli/run'
import type { SessionPrincipal } from '../../src/http/auth'
import { projectByKey } from '../../src/projects/store'
import { openDatabase } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'
import { credentialIn, startRuntime, TEST_SECRET, type TestRuntime, tempDir } from '../helpers'
import { type SignedInUser, signedIn } from '../security'

const T0 = 1_800_000_000_000
let clock = T0
let rt: TestRuntime
let alice: SignedInUser

afterEach(async () => {
  await rt?.dispose()
  clock = T0
})

async function start() {
  rt = await startRuntime({}, { now: () => clock })
  alice = await signInAs('alice', 'admin')
}

/** A user with a live session, on either backend (test/security.ts `signedIn`). */
async function signInAs(username: string, role: 'admin' | 'user'): Promise<SignedInUser> {
  return signedIn(rt as TestRuntime, username, role)
}

const call = (method: string, path: string, body?: unknown, who: SignedInUser = alice) =>
  rt.fetch(path, {
    method,
    headers: { cookie: who.cookie, origin: 'http://localhost:5332', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const principal = (u: SignedInUser, isAdmin = true): SessionPrincipal => ({
  kind: 'session',
  userId: u.id,
  username: u.username,
  isAdmin,
})

describe('users and roles', () => {
  test('lists users with role and passkey count', async () => {
    await start()
    const bob = await signInAs('bob', 'user')
    await credentialIn(
      rt.core.backend,
      { id: 'k', userId: bob.id, publicKey: new Uint8Array([1]), counter: 0, transports: [], name: 'k' },
      T0 + 5,
    )
    await rt.core.backend.run('UPDATE webauthn_credentials SET last_used_at = ?', [T0 + 9])
    expect(await (await call('GET', '/v1/admin/users')).json()).toEqual([
      {
        id: alice.id,
        username: 'alice',
        role: 'admin',
        is_admin: true,
        created_at: T0,
        passkey_count: 0,
        last_sign_in_at: null,
      },
      {
        id: bob.id,
        username: 'bob',
        role: 'user',
        is_admin: false,
        created_at: T0,
        passkey_count: 1,
        last_sign_in_at: T0 + 9,
      },
    ])
  })

  test('promotes and demotes others; never oneself; unknown users are 404', async () => {
    await start()
    const bob = await signInAs('bob', 'user')
    const up = await call('PUT', `/v1/admin/users/${bob.id}/role`, { role: 'admin' })
    expect(await up.json()).toMatchObject({ id: bob.id, role: 'admin', is_admin: true })
    expect((await call('GET', '/v1/admin/users', undefined, bob)).status).toBe(200)
    const down = await call('PUT', `/v1/admin/users/${bob.id}/role`, { role: 'user' })
    expect((await down.json()).role).toBe('user')
    const self = await call('PUT', `/v1/admin/users/${alice.id}/role`, { role: 'user' })
    expect(self.status).toBe(400)
    expect((await self.json()).error).toContain('yourself')
    expect((await call('PUT', '/v1/admin/users/nope/role', { role: 'user' })).status).toBe(404)
    expect((await call('PUT', `/v1/admin/users/${bob.id}/role`, { role: 'owner' })).status).toBe(400)
  })

  test('the last admin can be neither demoted nor deleted, even by a concurrent admin', async () => {
    await start()
    const bob = await signInAs('bob', 'admin')
    // Bob demotes Alice; Alice, still holding an admin session checked a moment earlier,
    // tries to demote or delete Bob, who is now the only admin.
    await changeRole(rt.core.backend, principal(bob), alice.id, 'user')
    await expect(changeRole(rt.core.backend, principal(alice), bob.id, 'user')).rejects.toThrow(
      'the last admin cannot be demoted',
    )
    await expect(removeUser(rt.core.backend, principal(alice), bob.id)).rejects.toThrow(
      'the last admin cannot be deleted',
    )
    expect(await rt.core.backend.all("SELECT username FROM users WHERE role = 'admin'")).toEqual([
      { username: 'bob' },
    ])
  })

  test('deleting a user removes their passkeys and sessions; never oneself', async () => {
    await start()
    const bob = await signInAs('bob', 'user')
    await credentialIn(
      rt.core.backend,
      { id: 'k', userId: bob.id, publicKey: new Uint8Array([1]), counter: 0, transports: [], name: 'k' },
      T0,
    )
    expect((await call('DELETE', `/v1/admin/users/${alice.id}`)).status).toBe(400)
    expect(await (await call('DELETE', `/v1/admin/users/${bob.id}`)).json()).toEqual({
      deleted: true,
      id: bob.id,
    })
    expect((await call('GET', '/v1/projects', undefined, bob)).status).toBe(401)
    expect(await rt.core.backend.all('SELECT * FROM webauthn_credentials')).toEqual([])
    expect(await rt.core.backend.all('SELECT user_id FROM sessions')).toEqual([{ user_id: alice.id }])
    expect((await call('DELETE', `/v1/admin/users/${bob.id}`)).status).toBe(404)
  })
})

describe('invites', () => {
  test('creates a single-use link shown once; stores only its hash; lists and revokes', async () => {
    await start()
    const res = await call('POST', '/v1/admin/invites')
    expect(res.status).toBe(201)
    const inv = await res.json()
    expect(inv.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(inv.url).toBe(`http://localhost:5332/auth/login?invite=${inv.token}`)
    expect(inv).toMatchObject({
      status: 'active',
      created_by: alice.id,
      created_by_name: 'alice',
      created_at: T0,
      expires_at: T0 + 7 * 86_400_000,
      used_by: null,
      revoked_at: null,
    })
    const row = await rt.core.backend.get('SELECT * FROM invites')
    expect(JSON.stringify(row)).not.toContain(inv.token)
    expect(row?.token_hash).toBe(new Bun.CryptoHasher('sha256').update(inv.token).digest('hex'))

    const listText = await (await call('GET', '/v1/admin/invites')).text()
    expect(listText).not.toContain(inv.token)
    expect(JSON.parse(listText)).toEqual([{ ...inv, token: undefined, url: undefined }].map(stripUndefined))

    const revoked = await (await call('DELETE', `/v1/admin/invites/${inv.id}`)).json()
    expect(revoked).toMatchObject({ id: inv.id, status: 'revoked', revoked_at: T0 })
    expect(await usableInvite(rt.core.backend, inv.token, T0)).toBeNull()
    expect((await call('DELETE', '/v1/admin/invites/nope')).status).toBe(404)
  })

  test('an invite shows as expired after 7 days; a used one cannot be revoked', async () => {
    await start()
    const a = await (await call('POST', '/v1/admin/invites')).json()
    const b = await (await call('POST', '/v1/admin/invites')).json()
    await rt.core.backend.run('UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?', [
      alice.id,
      T0,
      b.id,
    ])
    clock = T0 + 7 * 86_400_000
    // Alice's first session has run out by now too (same 7 days): she signs in again.
    alice = {
      ...alice,
      cookie: `bloop_session=${await createSession(rt.core.backend, alice.id, clock, 3600)}`,
    }
    const list = await (await call('GET', '/v1/admin/invites')).json()
    expect(Object.fromEntries(list.map((i: { id: string; status: string }) => [i.id, i.status]))).toEqual({
      [a.id]: 'expired',
      [b.id]: 'used',
    })
    expect((await call('DELETE', `/v1/admin/invites/${b.id}`)).status).toBe(409)
  })
})

describe('reset', () => {
  test('needs confirm: true; then removes every account and reopens registration, tokens untouched', async () => {
    await start()
    await signInAs('bob', 'user')
    const token = rt.token(['errors:read'])
    expect((await call('POST', '/v1/admin/reset', { confirm: false })).status).toBe(400)
    expect((await call('POST', '/v1/admin/reset', {})).status).toBe(400)
    await call('POST', '/v1/admin/invites')
    const res = await call('POST', '/v1/admin/reset', { confirm: true })
    expect(await res.json()).toEqual({
      status: 'ok',
      removed: { invites: 1, sessions: 2, passkeys: 0, users: 2 },
    })
    expect(res.headers.get('set-cookie')).toContain('Max-Age=0')
    expect(await (await rt.fetch('/auth/status')).json()).toEqual({
      setup_complete: false,
      user: null,
      rp_origin: 'http://localhost:5332',
      rp_id: 'localhost',
    })
    const reopened = await rt.fetch('/auth/register/start', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":"new-admin"}',
    })
    expect(reopened.status).toBe(200)
    expect((await rt.fetch('/v1/stats', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
  })
})

function stripUndefined(o: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

describe('CLI', () => {
  async function cli(configPath: string, ...args: string[]) {
    const out: string[] = []
    const err: string[] = []
    const code = await runCli([...args, '--config', configPath], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    })
    return { code, out, err }
  }

  function configFile(): { path: string; dbPath: string } {
    const dir = tempDir()
    const dbPath = join(dir, 'bloop.db')
    const path = join(dir, 'config.toml')
    writeFileSync(
      path,
      `[database]\npath = "${dbPath}"\n[auth]\nhmac_secret = "${TEST_SECRET}"\nrp_origin = "https://errors.example.com"\nrp_id = "errors.example.com"\n`,
    )
    return { path, dbPath }
  }

  test('project create prints the key alone on the last line; rotate-key replaces it', async () => {
    const { path, dbPath } = configFile()
    // The CLI works on the server's database; `migrate` is the command that creates one.
    expect((await cli(path, 'migrate')).code).toBe(0)
    const created = await cli(path, 'project', 'create', '--name', 'Web app', '--slug', 'web')
    expect(created.code).toBe(0)
    const key = created.out.at(-1) as string
    expect(key).toMatch(/^bloop_[0-9a-f]{64}$/)
    const db = openDatabase(dbPath)
    expect((await projectByKey(new SqliteBackend(db), key))?.slug).toBe('web')

    const dup = await cli(path, 'project', 'create', '--name', 'Again', '--slug', 'web')
    expect(dup.code).toBe(2)
    expect(dup.err.join('\n')).toContain('a project with the slug web already exists')
    expect((await cli(path, 'project', 'create', '--name', 'Bad', '--slug', 'Bad Slug')).code).toBe(2)

    const rotated = await cli(path, 'project', 'rotate-key', '--slug', 'web')
    expect(rotated.code).toBe(0)
    const newKey = rotated.out.at(-1) as string
    expect(newKey).toMatch(/^bloop_[0-9a-f]{64}$/)
    expect(await projectByKey(new SqliteBackend(db), key)).toBeNull()
    expect((await projectByKey(new SqliteBackend(db), newKey))?.slug).toBe('web')
    expect((await cli(path, 'project', 'rotate-key', '--slug', 'nope')).code).toBe(2)
    db.close()
  })

  test('user invite prints a working link on rp_origin; user list shows users', async () => {
    const { path, dbPath } = configFile()
    expect((await cli(path, 'migrate')).code).toBe(0)
    const invited = await cli(path, 'user', 'invite')
    expect(invited.code).toBe(0)
    const link = invited.out.at(-1) as string
    expect(link).toStartWith('https://errors.example.com/auth/login?invite=')
    const db = openDatabase(dbPath)
    const token = new URL(link).searchParams.get('invite') as string
    expect(await usableInvite(new SqliteBackend(db), token, Date.now())).not.toBeNull()
    db.query("INSERT INTO users (id, username, role, created_at) VALUES ('u1', 'alice', 'admin', 0)").run()
    db.close()
    const listed = await cli(path, 'user', 'list')
    expect(listed.out).toEqual([
      'USERNAME\tROLE\tPASSKEYS\tCREATED\tID',
      'alice\tadmin\t0\t1970-01-01T00:00:00.000Z\tu1',
    ])
  })
})
