/**
 * Users and their passkeys (WebAuthn credentials). Plain row access; the rules about who
 * may change what live in the callers (`accounts.ts`, `admin/manage.ts`).
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/auth.accounts.store.test.ts runs it on both). On PostgreSQL
 * `username` is citext, so `username = ?` ignores case there as COLLATE NOCASE does here.
 */
import { randomUUID } from 'node:crypto'
import type { Backend, Param, Queryable } from '../storage/backend'
import { exclusive } from '../storage/exclusive'

export type Role = 'admin' | 'user'

export interface UserRow {
  id: string
  username: string
  role: Role
  created_at: number
}

export interface CredentialRow {
  id: string
  user_id: string
  public_key: Uint8Array<ArrayBuffer>
  counter: number
  transports: string[]
  name: string
  created_at: number
  last_used_at: number | null
}

interface RawCredential extends Omit<CredentialRow, 'transports'> {
  transports: string
}

const USER_COLUMNS = 'id, username, role, created_at'
const CREDENTIAL_COLUMNS = 'id, user_id, public_key, counter, transports, name, created_at, last_used_at'

function parseTransports(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

const toCredential = (r: RawCredential): CredentialRow => ({
  ...r,
  public_key: new Uint8Array(r.public_key),
  transports: parseTransports(r.transports),
})

/**
 * A transaction that no other accounts transaction overlaps (storage/exclusive.ts), so the
 * rules checked inside it (the first user, a free username, the last admin, an unused
 * invite) still hold when it writes, on PostgreSQL as under SQLite's BEGIN IMMEDIATE.
 */
export function accountsTransaction<R>(b: Backend, work: (tx: Queryable) => Promise<R>): Promise<R> {
  return exclusive(b, 'accounts', work)
}

export async function countUsers(q: Queryable): Promise<number> {
  return ((await q.get<{ n: number }>('SELECT count(*) AS n FROM users')) as { n: number }).n
}

export async function countAdmins(q: Queryable): Promise<number> {
  return (
    (await q.get<{ n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin'")) as { n: number }
  ).n
}

export function getUser(q: Queryable, id: string): Promise<UserRow | null> {
  return q.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id])
}

export function userByName(q: Queryable, username: string): Promise<UserRow | null> {
  return q.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username])
}

export interface UserSummary extends UserRow {
  passkey_count: number
  last_sign_in_at: number | null
}

export function listUsers(q: Queryable): Promise<UserSummary[]> {
  return q.all<UserSummary>(
    `SELECT u.id, u.username, u.role, u.created_at,
            count(c.id) AS passkey_count, max(c.last_used_at) AS last_sign_in_at
     FROM users u LEFT JOIN webauthn_credentials c ON c.user_id = u.id
     GROUP BY u.id, u.username, u.role, u.created_at ORDER BY u.created_at, u.username`,
  )
}

/** Usernames by id, for labelling rows that store a user id (token creators, invites). */
export async function usernames(q: Queryable): Promise<Map<string, string>> {
  const rows = await q.all<{ id: string; username: string }>('SELECT id, username FROM users')
  return new Map(rows.map((r) => [r.id, r.username]))
}

export interface NewUser {
  id?: string
  username: string
  role: Role
}

/**
 * A new user's statement, without running it: `insertUser` runs it through the seam;
 * synchronous test fixtures run the same text on a SQLite connection. It answers the row.
 */
export function mintUser(u: NewUser, now: number): { sql: string; params: Param[] } {
  return {
    sql: `INSERT INTO users (id, username, role, created_at) VALUES (?, ?, ?, ?) RETURNING ${USER_COLUMNS}`,
    params: [u.id ?? randomUUID(), u.username, u.role, now],
  }
}

export async function insertUser(q: Queryable, u: NewUser, now: number): Promise<UserRow> {
  const { sql, params } = mintUser(u, now)
  return (await q.get<UserRow>(sql, params)) as UserRow
}

export async function setRole(q: Queryable, id: string, role: Role): Promise<boolean> {
  return (await q.run('UPDATE users SET role = ? WHERE id = ?', [role, id])).changes > 0
}

/** Deletes the user; their passkeys and sessions go with them (ON DELETE CASCADE). */
export async function deleteUser(q: Queryable, id: string): Promise<boolean> {
  return (await q.run('DELETE FROM users WHERE id = ?', [id])).changes > 0
}

export async function credentialById(q: Queryable, id: string): Promise<CredentialRow | null> {
  const r = await q.get<RawCredential>(
    `SELECT ${CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE id = ?`,
    [id],
  )
  return r ? toCredential(r) : null
}

export async function credentialsOf(q: Queryable, userId: string): Promise<CredentialRow[]> {
  const rows = await q.all<RawCredential>(
    `SELECT ${CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id`,
    [userId],
  )
  return rows.map(toCredential)
}

export interface NewCredentialRow {
  id: string
  userId: string
  publicKey: Uint8Array
  counter: number
  transports: string[]
  name: string
}

/** A new passkey's statement, without running it (as `mintUser`). It answers the row. */
export function mintCredential(c: NewCredentialRow, now: number): { sql: string; params: Param[] } {
  return {
    sql: `INSERT INTO webauthn_credentials (id, user_id, public_key, counter, transports, name, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${CREDENTIAL_COLUMNS}`,
    params: [c.id, c.userId, c.publicKey, c.counter, JSON.stringify(c.transports), c.name, now],
  }
}

/** The stored passkey as `mintCredential`'s statement answers it. */
export const credentialRowOf = (raw: unknown): CredentialRow => toCredential(raw as RawCredential)

export async function insertCredential(
  q: Queryable,
  c: NewCredentialRow,
  now: number,
): Promise<CredentialRow> {
  const { sql, params } = mintCredential(c, now)
  return credentialRowOf(await q.get(sql, params))
}

/** Records a successful sign-in: the authenticator's new signature counter and the time. */
export async function touchCredential(q: Queryable, id: string, counter: number, now: number): Promise<void> {
  await q.run('UPDATE webauthn_credentials SET counter = ?, last_used_at = ? WHERE id = ?', [
    counter,
    now,
    id,
  ])
}

export async function renameCredential(
  q: Queryable,
  userId: string,
  id: string,
  name: string,
): Promise<boolean> {
  const r = await q.run('UPDATE webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?', [
    name,
    id,
    userId,
  ])
  return r.changes > 0
}

/** Removes one of the user's passkeys, never the last one (the user could not sign in again). */
export function deleteCredential(
  b: Backend,
  userId: string,
  id: string,
): Promise<'deleted' | 'not_found' | 'last'> {
  return accountsTransaction(b, async (tx): Promise<'deleted' | 'not_found' | 'last'> => {
    const owned = await tx.all<{ id: string }>('SELECT id FROM webauthn_credentials WHERE user_id = ?', [
      userId,
    ])
    if (!owned.some((c) => c.id === id)) return 'not_found'
    if (owned.length === 1) return 'last'
    await tx.run('DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?', [id, userId])
    return 'deleted'
  })
}
