/**
 * The accounts stores on the storage seam, on both backends with the same cases: users
 * (src/auth/users.ts: lookups, the admin list with passkey counts, names case-insensitive),
 * passkeys (bytes kept, own passkeys only, never the last one), invites
 * (src/auth/invites.ts: stored as a hash, used once, revoked before use) and the admin
 * rules (src/admin/manage.ts: never oneself, never the last admin, also when two admins
 * demote each other at the same moment, the reset).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { changeRole, removeUser, resetAccounts } from '../../src/admin/manage'
import {
  consumeInvite,
  createInvite,
  getInvite,
  inviteStatus,
  listInvites,
  revokeInvite,
  usableInvite,
} from '../../src/auth/invites'
import { createSession, resolveSession } from '../../src/auth/sessions'
import {
  countAdmins,
  countUsers,
  credentialById,
  credentialsOf,
  deleteCredential,
  deleteUser,
  getUser,
  insertCredential,
  insertUser,
  listUsers,
  renameCredential,
  setRole,
  touchCredential,
  userByName,
  usernames,
} from '../../src/auth/users'
import type { SessionPrincipal } from '../../src/http/auth'
import type { Backend } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile, warmPool } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const DAY = 86_400_000
const KEY = new Uint8Array([0, 1, 2, 254, 255, 128])

const principal = (id: string, username: string): SessionPrincipal => ({
  kind: 'session',
  userId: id,
  username,
  isAdmin: true,
})

const passkey = (id: string, userId: string, name = 'Laptop') => ({
  id,
  userId,
  publicKey: KEY,
  counter: 0,
  transports: ['internal', 'hybrid'],
  name,
})

for (const kind of BACKENDS) {
  describe(`users and passkeys on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
    })

    test('a user comes back from its insert and is found by id, and by name whatever its case', async () => {
      expect(await countUsers(b)).toBe(0)
      const alice = await insertUser(b, { id: 'u-alice', username: 'Alice', role: 'admin' }, T0)
      expect(alice).toEqual({ id: 'u-alice', username: 'Alice', role: 'admin', created_at: T0 })
      expect(await getUser(b, 'u-alice')).toEqual(alice)
      expect(await userByName(b, 'Alice')).toEqual(alice)
      expect(await userByName(b, 'alice')).toEqual(alice)
      expect(await userByName(b, 'ALICE')).toEqual(alice)
      expect(await getUser(b, 'Alice')).toBeNull()
      const bob = await insertUser(b, { username: 'bob', role: 'user' }, T0 + 1)
      expect(bob.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(await countUsers(b)).toBe(2)
      expect(await countAdmins(b)).toBe(1)
      // "Alice" and "alice" are one person: the second is refused by the database.
      await expect(insertUser(b, { username: 'alice', role: 'user' }, T0)).rejects.toThrow()
      expect(await usernames(b)).toEqual(
        new Map([
          ['u-alice', 'Alice'],
          [bob.id, 'bob'],
        ]),
      )
    })

    test('passkeys keep their bytes and transports; sign-ins move the counter and the time', async () => {
      const made = await insertCredential(b, passkey('cred-1', 'u-alice'), T0 + 10)
      expect(made).toEqual({
        id: 'cred-1',
        user_id: 'u-alice',
        public_key: KEY,
        counter: 0,
        transports: ['internal', 'hybrid'],
        name: 'Laptop',
        created_at: T0 + 10,
        last_used_at: null,
      })
      expect(made.public_key).toBeInstanceOf(Uint8Array)
      expect(await credentialById(b, 'cred-1')).toEqual(made)
      await insertCredential(b, passkey('cred-2', 'u-alice', 'Phone'), T0 + 20)
      await touchCredential(b, 'cred-2', 7, T0 + 30)
      expect(await credentialById(b, 'cred-2')).toMatchObject({ counter: 7, last_used_at: T0 + 30 })
      expect((await credentialsOf(b, 'u-alice')).map((c) => c.name)).toEqual(['Laptop', 'Phone'])
      expect(await credentialsOf(b, 'nobody')).toEqual([])
      expect(await credentialById(b, 'missing')).toBeNull()
    })

    test('the admin list counts passkeys and shows the last sign-in, in creation order', async () => {
      const bob = (await userByName(b, 'bob'))?.id as string
      expect(await listUsers(b)).toEqual([
        {
          id: 'u-alice',
          username: 'Alice',
          role: 'admin',
          created_at: T0,
          passkey_count: 2,
          last_sign_in_at: T0 + 30,
        },
        {
          id: bob,
          username: 'bob',
          role: 'user',
          created_at: T0 + 1,
          passkey_count: 0,
          last_sign_in_at: null,
        },
      ])
    })

    test('a passkey is renamed and removed by its owner only, and never the last one', async () => {
      const bob = (await userByName(b, 'bob'))?.id as string
      expect(await renameCredential(b, bob, 'cred-1', 'Stolen')).toBe(false)
      expect(await renameCredential(b, 'u-alice', 'cred-1', 'Work laptop')).toBe(true)
      expect((await credentialById(b, 'cred-1'))?.name).toBe('Work laptop')
      expect(await deleteCredential(b, bob, 'cred-1')).toBe('not_found')
      expect(await deleteCredential(b, 'u-alice', 'missing')).toBe('not_found')
      expect(await deleteCredential(b, 'u-alice', 'cred-1')).toBe('deleted')
      expect(await deleteCredential(b, 'u-alice', 'cred-2')).toBe('last')
      expect((await credentialsOf(b, 'u-alice')).map((c) => c.id)).toEqual(['cred-2'])
    })

    test('deleting a user takes their passkeys and sessions with them', async () => {
      const carol = await insertUser(b, { username: 'carol', role: 'user' }, T0 + 2)
      await insertCredential(b, passkey('cred-carol', carol.id), T0)
      const cookie = await createSession(b, carol.id, T0, 3600)
      expect(await setRole(b, carol.id, 'admin')).toBe(true)
      expect((await resolveSession(b, cookie, T0))?.isAdmin).toBe(true)
      expect(await deleteUser(b, carol.id)).toBe(true)
      expect(await deleteUser(b, carol.id)).toBe(false)
      expect(await credentialById(b, 'cred-carol')).toBeNull()
      expect(await resolveSession(b, cookie, T0)).toBeNull()
      expect(await setRole(b, carol.id, 'user')).toBe(false)
    })
  })

  describe(`invites on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await insertUser(b, { id: 'u-admin', username: 'admin', role: 'admin' }, T0)
      await insertUser(b, { id: 'u-new', username: 'new', role: 'user' }, T0)
    })

    test('an invite is stored as its hash, opens registration for 7 days, and is used once', async () => {
      const { token, row } = await createInvite(b, 'u-admin', T0, 'admin')
      expect(row).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        created_by: 'u-admin',
        created_at: T0,
        expires_at: T0 + 7 * DAY,
        used_by: null,
        used_at: null,
        revoked_at: null,
        role: 'admin',
      })
      expect(await getInvite(b, row.id)).toEqual(row)
      const stored = await b.get<{ token_hash: string }>('SELECT token_hash FROM invites WHERE id = ?', [
        row.id,
      ])
      expect(stored?.token_hash).toBe(createHash('sha256').update(token).digest('hex'))
      expect(await usableInvite(b, token, T0 + 7 * DAY - 1)).toEqual(row)
      expect(await usableInvite(b, token, T0 + 7 * DAY)).toBeNull()
      expect(await usableInvite(b, 'A'.repeat(43), T0)).toBeNull()
      expect(await usableInvite(b, 'short', T0)).toBeNull()
      expect(await consumeInvite(b, row.id, 'u-new', T0 + 5)).toBe(true)
      expect(await consumeInvite(b, row.id, 'u-new', T0 + 6)).toBe(false)
      const used = (await getInvite(b, row.id)) as NonNullable<Awaited<ReturnType<typeof getInvite>>>
      expect(used).toMatchObject({ used_by: 'u-new', used_at: T0 + 5 })
      expect(inviteStatus(used, T0 + 6)).toBe('used')
      expect(await usableInvite(b, token, T0 + 6)).toBeNull()
      expect(await revokeInvite(b, row.id, T0 + 7)).toBe('used')
    })

    test('revocation happens before use, keeps its first time, and an expired invite cannot be used', async () => {
      const { token, row } = await createInvite(b, null, T0 + 100)
      expect(row.role).toBe('user')
      expect(await revokeInvite(b, row.id, T0 + 200)).toBe('revoked')
      expect(await revokeInvite(b, row.id, T0 + 300)).toBe('revoked')
      expect((await getInvite(b, row.id))?.revoked_at).toBe(T0 + 200)
      expect(await usableInvite(b, token, T0 + 201)).toBeNull()
      expect(await consumeInvite(b, row.id, 'u-new', T0 + 201)).toBe(false)
      expect(await revokeInvite(b, 'missing', T0)).toBe('not_found')
      const late = await createInvite(b, 'u-admin', T0 + 400)
      expect(await consumeInvite(b, late.row.id, 'u-new', T0 + 400 + 7 * DAY)).toBe(false)
      expect((await listInvites(b)).map((i) => i.created_at)).toEqual([T0 + 400, T0 + 100, T0])
    })
  })

  describe(`the admin rules on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
    })

    test('an admin changes others, never themself; an unknown user is 404', async () => {
      await insertUser(b, { id: 'u-ann', username: 'ann', role: 'admin' }, T0)
      await insertUser(b, { id: 'u-ben', username: 'ben', role: 'user' }, T0 + 1)
      const ann = principal('u-ann', 'ann')
      expect(await changeRole(b, ann, 'u-ben', 'admin')).toEqual({
        id: 'u-ben',
        username: 'ben',
        role: 'admin',
        created_at: T0 + 1,
      })
      await expect(changeRole(b, ann, 'u-ann', 'user')).rejects.toThrow(
        'you cannot change the role of yourself',
      )
      await expect(removeUser(b, ann, 'u-ann')).rejects.toThrow('you cannot delete yourself')
      await expect(changeRole(b, ann, 'nope', 'user')).rejects.toThrow('user nope not found')
      await expect(removeUser(b, null, 'nope')).rejects.toThrow('user nope not found')
    })

    test('two admins demoting each other at the same moment leave one admin', async () => {
      // Pooled connections on PostgreSQL run both at once (opened beforehand, so neither
      // waits for a connection while the other finishes); the accounts lock orders them.
      await warmPool(b)
      const outcomes = await Promise.allSettled([
        changeRole(b, principal('u-ann', 'ann'), 'u-ben', 'user'),
        changeRole(b, principal('u-ben', 'ben'), 'u-ann', 'user'),
      ])
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
      expect((refused.reason as Error).message).toBe(
        'the last admin cannot be demoted; make another user admin first',
      )
      expect(await countAdmins(b)).toBe(1)
    })

    test('the operator (no actor) cannot delete or demote the last admin either', async () => {
      const last = (await listUsers(b)).find((u) => u.role === 'admin')?.id as string
      await expect(removeUser(b, null, last)).rejects.toThrow('the last admin cannot be deleted')
      await expect(changeRole(b, null, last, 'user')).rejects.toThrow('the last admin cannot be demoted')
      const other = last === 'u-ann' ? 'u-ben' : 'u-ann'
      expect((await removeUser(b, null, other)).id).toBe(other)
      expect(await countUsers(b)).toBe(1)
    })

    test('the reset removes every user, passkey, session and invite and says how many', async () => {
      const admin = (await listUsers(b))[0]?.id as string
      await insertCredential(b, passkey('cred-a', admin), T0)
      await createSession(b, admin, T0, 3600)
      await createSession(b, admin, T0, 3600)
      await createInvite(b, admin, T0)
      expect(await resetAccounts(b)).toEqual({ invites: 1, sessions: 2, passkeys: 1, users: 1 })
      expect(await countUsers(b)).toBe(0)
      expect(await resetAccounts(b)).toEqual({ invites: 0, sessions: 0, passkeys: 0, users: 0 })
      // Every accounts transaction above deleted its lock row before it committed.
      expect(await b.all("SELECT key FROM meta WHERE key LIKE 'lock:%'")).toEqual([])
    })
  })
}
