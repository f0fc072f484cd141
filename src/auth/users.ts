/**
 * Users and their passkeys (WebAuthn credentials). Plain row access; the rules about who
 * may change what live in the callers (`accounts.ts`, `admin/manage.ts`).
 */
import { randomUUID } from 'node:crypto'
import type { Db } from '../storage/db'

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

export function countUsers(db: Db): number {
  return (db.query<{ n: number }, []>('SELECT count(*) AS n FROM users').get() as { n: number }).n
}

export function countAdmins(db: Db): number {
  return (
    db.query<{ n: number }, []>("SELECT count(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }
  ).n
}

export function getUser(db: Db, id: string): UserRow | null {
  return db.query<UserRow, [string]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id)
}

export function userByName(db: Db, username: string): UserRow | null {
  return db.query<UserRow, [string]>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`).get(username)
}

export interface UserSummary extends UserRow {
  passkey_count: number
  last_sign_in_at: number | null
}

export function listUsers(db: Db): UserSummary[] {
  return db
    .query<UserSummary, []>(
      `SELECT u.id, u.username, u.role, u.created_at,
              count(c.id) AS passkey_count, max(c.last_used_at) AS last_sign_in_at
       FROM users u LEFT JOIN webauthn_credentials c ON c.user_id = u.id
       GROUP BY u.id ORDER BY u.created_at, u.username`,
    )
    .all()
}

/** Usernames by id, for labelling rows that store a user id (token creators, invites). */
export function usernames(db: Db): Map<string, string> {
  const rows = db.query<{ id: string; username: string }, []>('SELECT id, username FROM users').all()
  return new Map(rows.map((r) => [r.id, r.username]))
}

export function insertUser(db: Db, u: { id?: string; username: string; role: Role }, now: number): UserRow {
  const id = u.id ?? randomUUID()
  db.query('INSERT INTO users (id, username, role, created_at) VALUES (?, ?, ?, ?)').run(
    id,
    u.username,
    u.role,
    now,
  )
  return getUser(db, id) as UserRow
}

export function setRole(db: Db, id: string, role: Role): boolean {
  return db.query('UPDATE users SET role = ? WHERE id = ?').run(role, id).changes > 0
}

/** Deletes the user; their passkeys and sessions go with them (ON DELETE CASCADE). */
export function deleteUser(db: Db, id: string): boolean {
  return db.query('DELETE FROM users WHERE id = ?').run(id).changes > 0
}

export function credentialById(db: Db, id: string): CredentialRow | null {
  const r = db
    .query<RawCredential, [string]>(`SELECT ${CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE id = ?`)
    .get(id)
  return r ? toCredential(r) : null
}

export function credentialsOf(db: Db, userId: string): CredentialRow[] {
  return db
    .query<RawCredential, [string]>(
      `SELECT ${CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id`,
    )
    .all(userId)
    .map(toCredential)
}

export function insertCredential(
  db: Db,
  c: {
    id: string
    userId: string
    publicKey: Uint8Array
    counter: number
    transports: string[]
    name: string
  },
  now: number,
): CredentialRow {
  db.query(
    `INSERT INTO webauthn_credentials (id, user_id, public_key, counter, transports, name, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(c.id, c.userId, c.publicKey, c.counter, JSON.stringify(c.transports), c.name, now)
  return credentialById(db, c.id) as CredentialRow
}

/** Records a successful sign-in: the authenticator's new signature counter and the time. */
export function touchCredential(db: Db, id: string, counter: number, now: number): void {
  db.query('UPDATE webauthn_credentials SET counter = ?, last_used_at = ? WHERE id = ?').run(counter, now, id)
}

export function renameCredential(db: Db, userId: string, id: string, name: string): boolean {
  return (
    db.query('UPDATE webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?').run(name, id, userId)
      .changes > 0
  )
}

/** Removes one of the user's passkeys, never the last one (the user could not sign in again). */
export function deleteCredential(db: Db, userId: string, id: string): 'deleted' | 'not_found' | 'last' {
  return db
    .transaction((): 'deleted' | 'not_found' | 'last' => {
      const owned = db
        .query<{ id: string }, [string]>('SELECT id FROM webauthn_credentials WHERE user_id = ?')
        .all(userId)
      if (!owned.some((c) => c.id === id)) return 'not_found'
      if (owned.length === 1) return 'last'
      db.query('DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?').run(id, userId)
      return 'deleted'
    })
    .immediate()
}
