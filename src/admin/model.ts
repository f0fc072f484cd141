/** Bodies and response shapes of /v1/admin (users, invites, reset). */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { type InviteRow, inviteStatus, type UserSummary } from '../auth'

export const RoleBody = T.Object(
  { role: T.Union([T.Literal('admin'), T.Literal('user')]) },
  { additionalProperties: false },
)

export const ResetBody = T.Object({ confirm: T.Boolean() }, { additionalProperties: false })

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])

export const AdminUser = T.Object({
  id: T.String(),
  username: T.String(),
  role: T.Union([T.Literal('admin'), T.Literal('user')]),
  is_admin: T.Boolean(),
  created_at: T.Integer(),
  passkey_count: T.Integer(),
  last_sign_in_at: Nullable(T.Integer()),
})
export type AdminUser = Static<typeof AdminUser>
export const Invite = T.Object({
  id: T.String(),
  status: T.Union([T.Literal('active'), T.Literal('used'), T.Literal('revoked'), T.Literal('expired')]),
  created_by: Nullable(T.String()),
  created_by_name: Nullable(T.String()),
  created_at: T.Integer(),
  expires_at: T.Integer(),
  used_by: Nullable(T.String()),
  used_by_name: Nullable(T.String()),
  used_at: Nullable(T.Integer()),
  revoked_at: Nullable(T.Integer()),
})
export type Invite = Static<typeof Invite>
export const NewInvite = T.Object({ ...Invite.properties, token: T.String(), url: T.String() })
export const IdParams = T.Object({ id: T.String() })

export function adminUserView(u: UserSummary): AdminUser {
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
export function inviteView(row: InviteRow, names: Map<string, string>, now: number): Invite {
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
