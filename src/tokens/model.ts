/** Bodies and response shapes of /v1/tokens. */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { SCOPES } from '../http/scopes'
import type { TokenRow } from './store'

export const TOKEN_NAME_MAX = 100
export const MAX_EXPIRY_DAYS = 3650

export const CreateTokenBody = T.Object(
  {
    name: T.String({ maxLength: 1000 }),
    /** The project's id or slug. */
    project_id: T.String({ minLength: 1, maxLength: 128 }),
    scopes: T.Array(T.Union(SCOPES.map((s) => T.Literal(s))), {
      minItems: 1,
      maxItems: SCOPES.length,
      uniqueItems: true,
    }),
    expires_in_days: T.Optional(T.Union([T.Integer({ minimum: 1, maximum: MAX_EXPIRY_DAYS }), T.Null()])),
  },
  { additionalProperties: false },
)

export const ListTokensQuery = T.Object({
  project_id: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
})

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const ScopeSchema = T.Union(SCOPES.map((s) => T.Literal(s)))

export const Token = T.Object({
  id: T.String(),
  name: T.String(),
  token_prefix: T.String({ description: 'the first characters, to recognise it' }),
  project_id: T.String(),
  scopes: T.Array(ScopeSchema),
  created_by: Nullable(T.String()),
  created_by_name: Nullable(T.String()),
  created_at: T.Integer(),
  expires_at: Nullable(T.Integer()),
  last_used_at: Nullable(T.Integer()),
  revoked_at: Nullable(T.Integer()),
})
export type Token = Static<typeof Token>
export const NewToken = T.Object({ ...Token.properties, token: T.String({ description: 'shown this once' }) })
export const TokenRevoked = T.Object({ id: T.String(), revoked_at: T.Integer() })

/** A token without its secret; `created_by_name` is the creator's username when known. */
export function tokenView(row: TokenRow, names: Map<string, string>): Token {
  return {
    id: row.id,
    name: row.name,
    token_prefix: row.token_prefix,
    project_id: row.project_id,
    scopes: row.scopes,
    created_by: row.created_by,
    created_by_name: row.created_by ? (names.get(row.created_by) ?? null) : null,
    created_at: row.created_at,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  }
}
