/** Bodies and response shapes of /auth/* (passkey ceremonies, sessions, own passkeys). */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import type { CredentialRow, UserRow } from './users'

/**
 * A WebAuthn response as @simplewebauthn/browser produces it. Only the envelope is checked
 * here; @simplewebauthn/server validates the inner fields and signatures.
 */
const Credential = T.Object(
  {
    id: T.String({ minLength: 1, maxLength: 1400 }),
    rawId: T.String({ minLength: 1, maxLength: 1400 }),
    type: T.Literal('public-key'),
    response: T.Object({ clientDataJSON: T.String({ minLength: 1 }) }, { additionalProperties: true }),
  },
  { additionalProperties: true },
)

const ChallengeId = T.String({ minLength: 1, maxLength: 64 })
const Username = T.String({ maxLength: 256 })

export const RegisterStartBody = T.Object({ username: Username }, { additionalProperties: false })
export const InviteStartBody = T.Object(
  { username: Username, invite_token: T.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
)
export const FinishBody = T.Object(
  { challenge_id: ChallengeId, credential: Credential },
  { additionalProperties: false },
)
export type FinishBody = Static<typeof FinishBody>

export const PasskeyStartBody = T.Object(
  { name: T.Optional(T.String({ maxLength: 256 })) },
  { additionalProperties: false },
)
export const PasskeyRenameBody = T.Object(
  { name: T.String({ maxLength: 256 }) },
  { additionalProperties: false },
)

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const RoleSchema = T.Union([T.Literal('admin'), T.Literal('user')])

export const User = T.Object({
  id: T.String(),
  username: T.String(),
  role: RoleSchema,
  is_admin: T.Boolean(),
  created_at: T.Integer(),
})
export type User = Static<typeof User>
export const Passkey = T.Object({
  id: T.String(),
  name: T.String(),
  transports: T.Array(T.String()),
  created_at: T.Integer(),
  last_used_at: Nullable(T.Integer()),
})
export type Passkey = Static<typeof Passkey>
export const AuthStatus = T.Object({
  setup_complete: T.Boolean(),
  user: Nullable(User),
  rp_origin: T.String(),
  rp_id: T.String(),
})
export const SignedInAnswer = T.Object({ user: User })
/** WebAuthn options for the browser (@simplewebauthn), with the challenge's id. */
export const CeremonyOptions = T.Object({
  challenge_id: T.String(),
  options: T.Object({}, { additionalProperties: true }),
})

export function userView(u: UserRow): User {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    is_admin: u.role === 'admin',
    created_at: u.created_at,
  }
}

export function passkeyView(c: CredentialRow): Passkey {
  return {
    id: c.id,
    name: c.name,
    transports: c.transports,
    created_at: c.created_at,
    last_used_at: c.last_used_at,
  }
}
