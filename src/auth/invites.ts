/**
 * Invitations: after the first user, the only way in (docs/decisions.md, "Access"). An invite is a random
 * token shown once, as a link, to the admin who made it; only its SHA-256 is stored. It
 * is valid for 7 days, works once, and can be revoked before use.
 */
import { randomUUID } from 'node:crypto'
import { DAY_MS } from '../core/time'
import type { Db } from '../storage/db'
import { newSecret, SECRET_SHAPE, sha256hex } from './secrets'
import type { Role } from './users'

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

export function createInvite(
  db: Db,
  createdBy: string | null,
  now: number,
  role: Role = 'user',
): { token: string; row: InviteRow } {
  const token = newSecret()
  const id = randomUUID()
  db.query(
    'INSERT INTO invites (id, token_hash, created_by, created_at, expires_at, role) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(id, sha256hex(token), createdBy, now, now + INVITE_TTL_MS, role)
  return { token, row: getInvite(db, id) as InviteRow }
}

export function getInvite(db: Db, id: string): InviteRow | null {
  return db.query<InviteRow, [string]>(`SELECT ${COLUMNS} FROM invites WHERE id = ?`).get(id)
}

export function listInvites(db: Db): InviteRow[] {
  return db.query<InviteRow, []>(`SELECT ${COLUMNS} FROM invites ORDER BY created_at DESC, id`).all()
}

/** The invite a token opens, if it is still usable. */
export function usableInvite(db: Db, token: string, now: number): InviteRow | null {
  if (!SECRET_SHAPE.test(token)) return null
  const row = db
    .query<InviteRow, [string]>(`SELECT ${COLUMNS} FROM invites WHERE token_hash = ?`)
    .get(sha256hex(token))
  return row && inviteStatus(row, now) === 'active' ? row : null
}

/** Marks the invite used by `userId`; false when it was used, revoked or expired meanwhile. */
export function consumeInvite(db: Db, id: string, userId: string, now: number): boolean {
  return (
    db
      .query(
        `UPDATE invites SET used_by = ?, used_at = ?
         WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
      )
      .run(userId, now, id, now).changes > 0
  )
}

export function revokeInvite(db: Db, id: string, now: number): 'revoked' | 'not_found' | 'used' {
  const row = getInvite(db, id)
  if (!row) return 'not_found'
  if (row.used_at !== null) return 'used'
  db.query('UPDATE invites SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?').run(now, id)
  return 'revoked'
}
