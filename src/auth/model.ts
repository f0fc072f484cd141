/** Bodies and response shapes of /auth/* (passkey ceremonies, sessions, own passkeys). */
import { type Static, Type as T } from '@sinclair/typebox'
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

export function userView(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    is_admin: u.role === 'admin',
    created_at: u.created_at,
  }
}

export function passkeyView(c: CredentialRow) {
  return {
    id: c.id,
    name: c.name,
    transports: c.transports,
    created_at: c.created_at,
    last_used_at: c.last_used_at,
  }
}
