/**
 * Invitations: after the first user, the only way in (docs/decisions.md, "Access"). An invite is a random
 * token shown once, as a link, to the admin who made it; only its SHA-256 is stored. It
 * is valid for 7 days, works once, and can be revoked before use.
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/auth.accounts.store.test.ts runs it on both).
 */
import { randomUUID } from 'node:crypto'
import { DAY_MS } from '../core/time'
import type { Backend, Param, Queryable } from '../storage/backend'
import { newSecret, SECRET_SHAPE, sha256hex } from './secrets'
import { accountsTransaction, type Role } from './users'

export const INVITE_TTL_MS = 7 * DAY_MS

export type InviteStatus = 'active' | 'used' | 'expired' | 'revoked'

export interface InviteRow {
  id: string
  created_by: string | null
  created_at: number
  expires_at: number
  used_by: string | null
  used_at: number | null
  revoked_at: number | null
  /** The role the invited user gets: `user`, or `admin` for invites made with the CLI's --admin. */
  role: Role
}

const COLUMNS = 'id, created_by, created_at, expires_at, used_by, used_at, revoked_at, role'

export function inviteStatus(row: InviteRow, now: number): InviteStatus {
  if (row.used_at !== null) return 'used'
  if (row.revoked_at !== null) return 'revoked'
  if (row.expires_at <= now) return 'expired'
  return 'active'
}

/** The link a new user opens; the login page reads `invite` and offers registration. */
export function inviteLink(rpOrigin: string, token: string): string {
  return `${new URL(rpOrigin).origin}/auth/login?invite=${token}`
}

/**
 * A new invite's token and statement, without running it: `createInvite` runs it through
 * the seam; synchronous test fixtures run the same text on a SQLite connection. The
 * statement answers the row.
 */
export function mintInvite(
  createdBy: string | null,
  now: number,
  role: Role = 'user',
): { token: string; sql: string; params: Param[] } {
  const token = newSecret()
  return {
    token,
    sql: `INSERT INTO invites (id, token_hash, created_by, created_at, expires_at, role)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    params: [randomUUID(), sha256hex(token), createdBy, now, now + INVITE_TTL_MS, role],
  }
}

export async function createInvite(
  q: Queryable,
  createdBy: string | null,
  now: number,
  role: Role = 'user',
): Promise<{ token: string; row: InviteRow }> {
  const { token, sql, params } = mintInvite(createdBy, now, role)
  return { token, row: (await q.get<InviteRow>(sql, params)) as InviteRow }
}

export function getInvite(q: Queryable, id: string): Promise<InviteRow | null> {
  return q.get<InviteRow>(`SELECT ${COLUMNS} FROM invites WHERE id = ?`, [id])
}

export function listInvites(q: Queryable): Promise<InviteRow[]> {
  return q.all<InviteRow>(`SELECT ${COLUMNS} FROM invites ORDER BY created_at DESC, id`)
}

/** The invite a token opens, if it is still usable. */
export async function usableInvite(q: Queryable, token: string, now: number): Promise<InviteRow | null> {
  if (!SECRET_SHAPE.test(token)) return null
  const row = await q.get<InviteRow>(`SELECT ${COLUMNS} FROM invites WHERE token_hash = ?`, [
    sha256hex(token),
  ])
  return row && inviteStatus(row, now) === 'active' ? row : null
}

/** Marks the invite used by `userId`; false when it was used, revoked or expired meanwhile. */
export async function consumeInvite(q: Queryable, id: string, userId: string, now: number): Promise<boolean> {
  const r = await q.run(
    `UPDATE invites SET used_by = ?, used_at = ?
     WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
    [userId, now, id, now],
  )
  return r.changes > 0
}

/** Revokes an unused invite (a second revocation keeps the first time). */
export function revokeInvite(b: Backend, id: string, now: number): Promise<'revoked' | 'not_found' | 'used'> {
  // An invite being used at this moment is either used or revoked, never both.
  return accountsTransaction(b, async (tx) => {
    const row = await getInvite(tx, id)
    if (!row) return 'not_found'
    if (row.used_at !== null) return 'used'
    await tx.run('UPDATE invites SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?', [now, id])
    return 'revoked'
  })
}
