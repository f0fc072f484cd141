/**
 * /v1/tokens (docs/decisions.md, "Access"), for signed-in users only (a token cannot mint tokens):
 *
 *   POST   /v1/tokens        {name, project_id (id or slug), scopes, expires_in_days?}
 *                            -> 201 token view + `token` (the plaintext, shown this once)
 *   GET    /v1/tokens        ?project_id= (id or slug; default: every visible project)
 *                            -> [token view], newest first, revoked ones included
 *   DELETE /v1/tokens/:id    -> {id, revoked_at}; the token's creator or an admin
 *
 * Any signed-in user may create tokens for any project they can see (CI needs them; users
 * manage source maps and alerts). Revocation applies on the next request.
 */

import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { usernames } from '../auth'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import { AppError, json } from '../http/errors'
import { parseBody, parseQuery } from '../http/validate'
import {
  CreateTokenBody,
  ListTokensQuery,
  NewToken,
  TOKEN_NAME_MAX,
  Token,
  TokenRevoked,
  tokenView,
} from './model'
import { createToken, getToken, listTokens, revokeToken } from './store'

export function tokensRoutes(s: Pick<Core, 'backend' | 'guard' | 'log' | 'now'>) {
  return new Elysia({ name: 'tokens' })
    .use(access(s.guard))
    .post(
      '/v1/tokens',
      async ({ user, access, body }) => {
        const b = parseBody(CreateTokenBody, body)
        const name = b.name.trim()
        if (name.length === 0 || name.length > TOKEN_NAME_MAX) {
          throw new AppError('invalid_field', `name must be 1-${TOKEN_NAME_MAX} characters`, {
            field: 'name',
          })
        }
        const projectId = access.narrow(b.project_id).projectIds[0] as string
        const { token, row } = await createToken(
          s.backend,
          {
            projectId,
            name,
            scopes: b.scopes,
            expiresInDays: b.expires_in_days ?? null,
            createdBy: user.userId,
          },
          s.now(),
        )
        s.log.info('API token created', {
          token_id: row.id,
          project_id: projectId,
          scopes: row.scopes,
          by: user.username,
        })
        return json({ ...tokenView(row, new Map([[user.userId, user.username]])), token }, 201)
      },
      { session: true, schema: { body: CreateTokenBody, response: { 201: NewToken } } },
    )
    .get(
      '/v1/tokens',
      async ({ access, query }) => {
        const q = parseQuery(ListTokensQuery, query)
        const names = await usernames(s.backend)
        const rows = await listTokens(s.backend, access.narrow(q.project_id).projectIds)
        return rows.map((row) => tokenView(row, names))
      },
      { session: true, schema: { query: ListTokensQuery, response: { 200: T.Array(Token) } } },
    )
    .delete(
      '/v1/tokens/:id',
      async ({ user, access, params }) => {
        const visible = access.projectIds
        const row = await getToken(s.backend, params.id)
        if (!row || !visible.includes(row.project_id) || row.revoked_at !== null) {
          throw new AppError('not_found', 'token not found or already revoked')
        }
        if (!user.isAdmin && row.created_by !== user.userId) {
          throw new AppError('forbidden', 'only the token creator or an admin can revoke this token')
        }
        const now = s.now()
        await revokeToken(s.backend, row.id, now)
        s.log.info('API token revoked', { token_id: row.id, project_id: row.project_id, by: user.username })
        return { id: row.id, revoked_at: now }
      },
      { session: true, schema: { params: T.Object({ id: T.String() }), response: { 200: TokenRevoked } } },
    )
}
