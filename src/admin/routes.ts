/**
 * /v1/admin: user and invite management, admins only (signed-in sessions, never tokens).
 *
 *   GET    /v1/admin/users              [user]
 *   PUT    /v1/admin/users/:id/role     {role: "admin"|"user"} -> user
 *   DELETE /v1/admin/users/:id          {deleted, id}    (passkeys and sessions go with it)
 *   GET    /v1/admin/invites            [invite]          newest first, no tokens
 *   POST   /v1/admin/invites            -> 201 invite + {token, url}   (shown this once)
 *   DELETE /v1/admin/invites/:id        -> invite (revoked)
 *   POST   /v1/admin/reset              {confirm: true}: deletes all users, passkeys,
 *                                       sessions and invites; registration reopens
 */

import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import {
  createInvite,
  getInvite,
  type InviteRow,
  inviteLink,
  listInvites,
  listUsers,
  revokeInvite,
  sessionCookie,
  usernames,
} from '../auth'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import { AppError, json } from '../http/errors'
import { parseBody } from '../http/validate'
import { changeRole, removeUser, resetAccounts } from './manage'
import {
  AdminUser,
  adminUserView,
  IdParams,
  Invite,
  inviteView,
  NewInvite,
  ResetBody,
  RoleBody,
} from './model'

export interface AdminRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  config: Pick<Config, 'auth'>
}

export function adminRoutes(s: AdminRoutesDeps) {
  const summaryOf = async (id: string) => {
    const found = (await listUsers(s.backend)).find((u) => u.id === id)
    if (!found) throw new AppError('not_found', `user ${id} not found`)
    return adminUserView(found)
  }

  return new Elysia({ name: 'admin' })
    .use(access(s.guard))
    .get('/v1/admin/users', async () => (await listUsers(s.backend)).map(adminUserView), {
      admin: true,
      schema: { response: { 200: T.Array(AdminUser) } },
    })
    .put(
      '/v1/admin/users/:id/role',
      async ({ user: admin, params, body }) => {
        const { role } = parseBody(RoleBody, body)
        const user = await changeRole(s.backend, admin, params.id, role)
        s.log.info('user role changed', {
          user_id: user.id,
          username: user.username,
          role,
          by: admin.username,
        })
        return summaryOf(user.id)
      },
      { admin: true, schema: { params: IdParams, body: RoleBody, response: { 200: AdminUser } } },
    )
    .delete(
      '/v1/admin/users/:id',
      async ({ user: admin, params }) => {
        const user = await removeUser(s.backend, admin, params.id)
        s.log.info('user deleted', { user_id: user.id, username: user.username, by: admin.username })
        return { deleted: true, id: user.id }
      },
      {
        admin: true,
        schema: {
          params: IdParams,
          response: { 200: T.Object({ deleted: T.Literal(true), id: T.String() }) },
        },
      },
    )
    .get(
      '/v1/admin/invites',
      async () => {
        const names = await usernames(s.backend)
        const now = s.now()
        return (await listInvites(s.backend)).map((row) => inviteView(row, names, now))
      },
      { admin: true, schema: { response: { 200: T.Array(Invite) } } },
    )
    .post(
      '/v1/admin/invites',
      async ({ user: admin }) => {
        const now = s.now()
        const { token, row } = await createInvite(s.backend, admin.userId, now)
        s.log.info('invite created', { invite_id: row.id, by: admin.username })
        const view = inviteView(row, new Map([[admin.userId, admin.username]]), now)
        return json({ ...view, token, url: inviteLink(s.config.auth.rp_origin, token) }, 201)
      },
      { admin: true, schema: { response: { 201: NewInvite } } },
    )
    .delete(
      '/v1/admin/invites/:id',
      async ({ user: admin, params }) => {
        const r = await revokeInvite(s.backend, params.id, s.now())
        if (r === 'not_found') throw new AppError('not_found', `invite ${params.id} not found`)
        if (r === 'used')
          throw new AppError('conflict', 'this invite was already used; delete the user instead')
        s.log.info('invite revoked', { invite_id: params.id, by: admin.username })
        return inviteView(
          (await getInvite(s.backend, params.id)) as InviteRow,
          await usernames(s.backend),
          s.now(),
        )
      },
      { admin: true, schema: { params: IdParams, response: { 200: Invite } } },
    )
    .post(
      '/v1/admin/reset',
      async ({ user: admin, body }) => {
        if (!parseBody(ResetBody, body).confirm) {
          throw new AppError(
            'invalid_field',
            'confirm must be true to delete every user, passkey, session and invite',
            {
              field: 'confirm',
            },
          )
        }
        const removed = await resetAccounts(s.backend)
        s.log.warn('all accounts reset; registration is open for a new first admin', {
          by: admin.username,
          removed,
        })
        return json({ status: 'ok', removed }, 200, {
          'set-cookie': sessionCookie(null, s.config.auth.rp_origin, s.config.auth.session_ttl_secs),
        })
      },
      {
        admin: true,
        schema: {
          body: ResetBody,
          response: { 200: T.Object({ status: T.Literal('ok'), removed: T.Unknown() }) },
        },
      },
    )
}
