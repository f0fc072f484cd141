/**
 * The sessions store (src/auth/sessions.ts) on the storage seam, on both backends with the
 * same cases: a cookie value is stored only as its SHA-256, resolves to its user (with the
 * role read now, so a demotion applies at once) until it expires, sign-out removes it, and
 * the cleanup job removes exactly the expired rows.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { createSession, deleteExpiredSessions, deleteSession, resolveSession } from '../../src/auth/sessions'
import type { Backend } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const HOUR = 3600

const addUser = (b: Backend, id: string, username: string, role: 'admin' | 'user') =>
  b.run('INSERT INTO users (id, username, role, created_at) VALUES (?, ?, ?, ?)', [id, username, role, T0])

for (const kind of BACKENDS) {
  describe(`sessions on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addUser(b, 'u-alice', 'alice', 'admin')
      await addUser(b, 'u-bob', 'bob', 'user')
    })

    test('a session resolves to its user until it expires, and is stored only as its hash', async () => {
      const token = await createSession(b, 'u-alice', T0, HOUR)
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(await resolveSession(b, token, T0)).toEqual({
        kind: 'session',
        userId: 'u-alice',
        username: 'alice',
        isAdmin: true,
      })
      expect((await resolveSession(b, token, T0 + HOUR * 1000 - 1))?.userId).toBe('u-alice')
      expect(await resolveSession(b, token, T0 + HOUR * 1000)).toBeNull()
      const row = await b.get<{ user_id: string; created_at: number; expires_at: number }>(
        'SELECT user_id, created_at, expires_at FROM sessions WHERE token_hash = ?',
        [createHash('sha256').update(token).digest('hex')],
      )
      expect(row).toEqual({ user_id: 'u-alice', created_at: T0, expires_at: T0 + HOUR * 1000 })
      expect(await b.get('SELECT 1 AS found FROM sessions WHERE token_hash = ?', [token])).toBeNull()
    })

    test('unknown and malformed cookie values resolve to nobody', async () => {
      expect(await resolveSession(b, 'A'.repeat(43), T0)).toBeNull()
      expect(await resolveSession(b, 'short', T0)).toBeNull()
      expect(await resolveSession(b, "' OR 1=1 --", T0)).toBeNull()
    })

    test("the user's role is read on every lookup: a demotion applies to a live session", async () => {
      const token = await createSession(b, 'u-bob', T0, HOUR)
      expect((await resolveSession(b, token, T0))?.isAdmin).toBe(false)
      await b.run("UPDATE users SET role = 'admin' WHERE id = ?", ['u-bob'])
      expect((await resolveSession(b, token, T0))?.isAdmin).toBe(true)
      await b.run("UPDATE users SET role = 'user' WHERE id = ?", ['u-bob'])
      expect((await resolveSession(b, token, T0))?.isAdmin).toBe(false)
    })

    test('signing out removes that session only', async () => {
      const one = await createSession(b, 'u-bob', T0, HOUR)
      const two = await createSession(b, 'u-bob', T0, HOUR)
      await deleteSession(b, one)
      expect(await resolveSession(b, one, T0)).toBeNull()
      expect((await resolveSession(b, two, T0))?.username).toBe('bob')
      await deleteSession(b, 'never-issued')
    })

    test('the cleanup removes exactly the sessions expired by then', async () => {
      const { backend: own } = await freshBackend(kind, pg(), { migrated: true })
      await addUser(own, 'u-carol', 'carol', 'user')
      const early = await createSession(own, 'u-carol', T0, 60)
      const late = await createSession(own, 'u-carol', T0, 120)
      expect(await deleteExpiredSessions(own, T0 + 59_999)).toBe(0)
      expect(await deleteExpiredSessions(own, T0 + 60_000)).toBe(1)
      expect(await resolveSession(own, early, T0)).toBeNull()
      expect((await resolveSession(own, late, T0))?.username).toBe('carol')
      expect(await deleteExpiredSessions(own, T0 + 120_000)).toBe(1)
      expect(await own.get('SELECT count(*) AS n FROM sessions')).toEqual({ n: 0 })
    })
  })
}
