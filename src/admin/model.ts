/** Bodies and response shapes of /v1/admin (users, invites, reset). */
import { Type as T } from '@sinclair/typebox'
import { type InviteRow, inviteStatus, type UserSummary } from '../auth'

export const RoleBody = T.Object(
  { role: T.Union([T.Literal('admin'), T.Literal('user')]) },
  { additionalProperties: false },
)

export const ResetBody = T.Object({ confirm: T.Boolean() }, { additionalProperties: false })

export function adminUserView(u: UserSummary) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    is_admin: u.role === 'admin',
    created_at: u.created_at,
    passkey_count: u.passkey_count,
    last_sign_in_at: u.last_sign_in_at,
  }
}

/** An invite without its token (only the hash is stored; the link is shown once, at creation). */
export function inviteView(row: InviteRow, names: Map<string, string>, now: number) {
  return {
    id: row.id,
    status: inviteStatus(row, now),
    created_by: row.created_by,
    created_by_name: row.created_by ? (names.get(row.created_by) ?? null) : null,
    created_at: row.created_at,
    expires_at: row.expires_at,
    used_by: row.used_by,
    used_by_name: row.used_by ? (names.get(row.used_by) ?? null) : null,
    used_at: row.used_at,
    revoked_at: row.revoked_at,
  }
}
