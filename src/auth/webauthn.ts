/**
 * The WebAuthn ceremonies, through @simplewebauthn/server (never hand-rolled: attestation
 * and assertion parsing is where subtle bugs live).
 *
 * Choices (WebAuthn Level 3):
 * - Discoverable credentials (`residentKey: 'required'`): the passkey stores the user
 *   handle, so sign-in needs no username and `allowCredentials` stays empty, which also
 *   means the login options reveal nothing about which accounts exist.
 * - `userVerification: 'preferred'`: a PIN or biometric is used when the authenticator has
 *   one; security keys without UV still work. Verification therefore does not require UV.
 * - Attestation `none`: bloop does not restrict authenticator makes.
 * - The expected origin is `auth.rp_origin` and the RP id `auth.rp_id`; a response made for
 *   another origin fails verification.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import type { CredentialRow } from './users'

export interface RelyingParty {
  id: string
  /** Normalized origin, e.g. "https://errors.example.com". */
  origin: string
  name: string
}

export type { AuthenticationResponseJSON, RegistrationResponseJSON }

export function registrationOptions(
  rp: RelyingParty,
  user: { id: string; username: string },
  exclude: CredentialRow[],
  timeoutMs: number,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userDisplayName: user.username,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    timeout: timeoutMs,
    excludeCredentials: exclude.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: {
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'preferred',
    },
  })
}

export interface NewCredential {
  id: string
  publicKey: Uint8Array
  counter: number
  transports: string[]
}

/** The verified credential, or a reason for refusing it. */
export async function verifyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  expectedChallenge: string,
): Promise<NewCredential | { error: string }> {
  try {
    const v = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
    })
    if (!v.verified) return { error: 'the passkey response could not be verified' }
    const c = v.registrationInfo.credential
    return {
      id: c.id,
      publicKey: c.publicKey,
      counter: c.counter,
      transports: c.transports ?? response.response.transports ?? [],
    }
  } catch (err) {
    return { error: (err as Error).message }
  }
}

export function authenticationOptions(
  rp: RelyingParty,
  timeoutMs: number,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({ rpID: rp.id, userVerification: 'preferred', timeout: timeoutMs })
}

/** The authenticator's new signature counter, or a reason for refusing the assertion. */
export async function verifyAuthentication(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  credential: CredentialRow,
): Promise<{ counter: number } | { error: string }> {
  try {
    const v = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: credential.id,
        publicKey: credential.public_key,
        counter: credential.counter,
        transports: credential.transports,
      },
      requireUserVerification: false,
    })
    if (!v.verified) return { error: 'the passkey signature could not be verified' }
    return { counter: v.authenticationInfo.newCounter }
  } catch (err) {
    return { error: (err as Error).message }
  }
}
