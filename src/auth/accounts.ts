/**
 * Sign-up, sign-in and passkey management as a sequence of rules, without HTTP:
 *
 * - First user: registration is open only while the users table is empty; that user is an
 *   admin. The emptiness is checked again inside the insert transaction, so two people
 *   racing to be first cannot both win.
 * - Invited users: an invite link opens one registration; the invite is consumed inside the
 *   same transaction that creates the user (a second use fails even when concurrent).
 * - Sign-in: discoverable passkeys, no username; the credential id picks the user, and the
 *   user handle the authenticator returns must agree with it.
 * - Own passkeys: add (with the user's existing ones excluded), rename, remove (never the
 *   last one).
 *
 * Every ceremony is two calls (start/finish) joined by a single-use challenge id; the start
 * names the client address, which bounds how many ceremonies one client may hold open.
 *
 * Each finish writes in one accounts transaction of the storage seam
 * (`accountsTransaction`), so the checks above hold on PostgreSQL as under SQLite's BEGIN
 * IMMEDIATE; the session is stored in the same transaction, so a sign-in is whole or absent.
 */
import type { SessionPrincipal } from '../http/auth'
import { AppError } from '../http/errors'
import type { Backend, Queryable } from '../storage/backend'
import { type Ceremony, ChallengeStore } from './challenges'
import { consumeInvite, getInvite, usableInvite } from './invites'
import { createSession } from './sessions'
import {
  accountsTransaction,
  type CredentialRow,
  countUsers,
  credentialById,
  credentialsOf,
  deleteCredential,
  getUser,
  insertCredential,
  insertUser,
  renameCredential,
  touchCredential,
  type UserRow,
  userByName,
} from './users'
import {
  type AuthenticationResponseJSON,
  authenticationOptions,
  type NewCredential,
  type RegistrationResponseJSON,
  type RelyingParty,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
} from './webauthn'

export const USERNAME_MAX = 64
export const PASSKEY_NAME_MAX = 64

export interface AccountsDeps {
  backend: Backend
  rp: RelyingParty
  now: () => number
  sessionTtlSecs: number
}

export interface Started {
  challenge_id: string
  options: unknown
}

export interface SignedIn {
  user: UserRow
  /** The session cookie value (plaintext, only ever sent in Set-Cookie). */
  session: string
}

const CONTROL = /\p{Cc}/u

/** Trimmed username, 1-64 characters without control characters, or 400. */
export function normalizeUsername(raw: string): string {
  const name = raw.trim()
  if (name.length === 0 || name.length > USERNAME_MAX || CONTROL.test(name)) {
    throw new AppError(
      'invalid_field',
      `username must be 1-${USERNAME_MAX} characters without control characters`,
      { field: 'username' },
    )
  }
  return name
}

/** Trimmed passkey name, or `fallback` when absent. */
export function normalizePasskeyName(raw: string | undefined, fallback: string): string {
  if (raw === undefined) return fallback
  const name = raw.trim()
  if (name.length === 0 || name.length > PASSKEY_NAME_MAX || CONTROL.test(name)) {
    throw new AppError('invalid_field', `name must be 1-${PASSKEY_NAME_MAX} characters`, { field: 'name' })
  }
  return name
}

const expired = () =>
  new AppError('bad_request', 'this passkey request expired or was already used; start again', {
    field: 'challenge_id',
  })
const usernameTaken = (name: string) => new AppError('conflict', `the username ${name} is already taken`)
const badInvite = () =>
  new AppError(
    'invalid_field',
    'this invite link is invalid, expired, revoked or already used; ask for a new one',
    {
      field: 'invite_token',
    },
  )

export class Accounts {
  readonly challenges: ChallengeStore

  constructor(private readonly d: AccountsDeps) {
    this.challenges = new ChallengeStore(d.now)
  }

  async setupComplete(): Promise<boolean> {
    return (await countUsers(this.d.backend)) > 0
  }

  async startFirstUser(rawUsername: string, client: string): Promise<Started> {
    const username = normalizeUsername(rawUsername)
    if (await this.setupComplete()) throw registrationClosed()
    return this.startRegistration({ kind: 'first_user', userId: crypto.randomUUID(), username }, client, [])
  }

  async finishFirstUser(challengeId: string, response: RegistrationResponseJSON): Promise<SignedIn> {
    const pending = this.challenges.take(challengeId, 'first_user')
    if (!pending) throw expired()
    const credential = await this.verifyNew(response, pending.challenge)
    return this.transaction(async (tx) => {
      if ((await countUsers(tx)) > 0) throw registrationClosed()
      const user = await insertUser(
        tx,
        { id: pending.userId, username: pending.username, role: 'admin' },
        this.d.now(),
      )
      await this.store(tx, user.id, credential, 'Passkey 1')
      return this.signIn(tx, user)
    })
  }

  async startInvite(rawUsername: string, inviteToken: string, client: string): Promise<Started> {
    const username = normalizeUsername(rawUsername)
    const invite = await usableInvite(this.d.backend, inviteToken, this.d.now())
    if (!invite) throw badInvite()
    if (await userByName(this.d.backend, username)) throw usernameTaken(username)
    return this.startRegistration(
      { kind: 'invite', userId: crypto.randomUUID(), username, inviteId: invite.id },
      client,
      [],
    )
  }

  async finishInvite(challengeId: string, response: RegistrationResponseJSON): Promise<SignedIn> {
    const pending = this.challenges.take(challengeId, 'invite')
    if (!pending) throw expired()
    const credential = await this.verifyNew(response, pending.challenge)
    return this.transaction(async (tx) => {
      if (await userByName(tx, pending.username)) throw usernameTaken(pending.username)
      const now = this.d.now()
      // The role is the invite's (an admin invite is how the CLI restores admin access).
      const role = (await getInvite(tx, pending.inviteId))?.role ?? 'user'
      const user = await insertUser(tx, { id: pending.userId, username: pending.username, role }, now)
      if (!(await consumeInvite(tx, pending.inviteId, user.id, now))) throw badInvite()
      await this.store(tx, user.id, credential, 'Passkey 1')
      return this.signIn(tx, user)
    })
  }

  async startLogin(client: string): Promise<Started> {
    const options = await authenticationOptions(this.d.rp, this.challenges.ttlMs)
    return { challenge_id: this.challenges.put(options.challenge, { kind: 'login' }, client), options }
  }

  async finishLogin(challengeId: string, response: AuthenticationResponseJSON): Promise<SignedIn> {
    const pending = this.challenges.take(challengeId, 'login')
    if (!pending) throw expired()
    const credential = await credentialById(this.d.backend, response.id)
    if (!credential) throw new AppError('unauthorized', 'this passkey is not registered on this server')
    const handle = response.response.userHandle
    if (handle && decodeUserHandle(handle) !== credential.user_id) {
      throw new AppError('unauthorized', 'the passkey does not belong to the user it names')
    }
    const verified = await verifyAuthentication(this.d.rp, response, pending.challenge, credential)
    if ('error' in verified) throw new AppError('unauthorized', `sign-in failed: ${verified.error}`)
    return this.transaction(async (tx) => {
      const user = await getUser(tx, credential.user_id)
      if (!user) throw new AppError('unauthorized', 'this passkey is not registered on this server')
      await touchCredential(tx, credential.id, verified.counter, this.d.now())
      return this.signIn(tx, user)
    })
  }

  async startAddPasskey(user: SessionPrincipal, client: string, rawName?: string): Promise<Started> {
    const existing = await credentialsOf(this.d.backend, user.userId)
    const name = normalizePasskeyName(rawName, `Passkey ${existing.length + 1}`)
    return this.startRegistration(
      { kind: 'add_passkey', userId: user.userId, name },
      client,
      existing,
      user.username,
    )
  }

  async finishAddPasskey(
    user: SessionPrincipal,
    challengeId: string,
    response: RegistrationResponseJSON,
  ): Promise<CredentialRow> {
    const pending = this.challenges.take(challengeId, 'add_passkey')
    if (!pending || pending.userId !== user.userId) throw expired()
    const credential = await this.verifyNew(response, pending.challenge)
    return this.transaction((tx) => this.store(tx, user.userId, credential, pending.name))
  }

  passkeys(userId: string): Promise<CredentialRow[]> {
    return credentialsOf(this.d.backend, userId)
  }

  async renamePasskey(userId: string, id: string, rawName: string): Promise<CredentialRow> {
    const name = normalizePasskeyName(rawName, '')
    if (!(await renameCredential(this.d.backend, userId, id, name)))
      throw new AppError('not_found', 'passkey not found')
    return (await credentialById(this.d.backend, id)) as CredentialRow
  }

  async removePasskey(userId: string, id: string): Promise<void> {
    const r = await deleteCredential(this.d.backend, userId, id)
    if (r === 'not_found') throw new AppError('not_found', 'passkey not found')
    if (r === 'last') {
      throw new AppError('conflict', 'this is your only passkey; add another one before removing it')
    }
  }

  private async startRegistration(
    ceremony: Ceremony & { userId: string },
    client: string,
    exclude: CredentialRow[],
    username?: string,
  ): Promise<Started> {
    const options = await registrationOptions(
      this.d.rp,
      { id: ceremony.userId, username: username ?? ('username' in ceremony ? ceremony.username : '') },
      exclude,
      this.challenges.ttlMs,
    )
    return { challenge_id: this.challenges.put(options.challenge, ceremony, client), options }
  }

  private async verifyNew(response: RegistrationResponseJSON, challenge: string): Promise<NewCredential> {
    const v = await verifyRegistration(this.d.rp, response, challenge)
    if ('error' in v) throw new AppError('bad_request', `passkey registration failed: ${v.error}`)
    return v
  }

  private async store(tx: Queryable, userId: string, c: NewCredential, name: string): Promise<CredentialRow> {
    if (await credentialById(tx, c.id)) throw new AppError('conflict', 'this passkey is already registered')
    return insertCredential(
      tx,
      { id: c.id, userId, publicKey: c.publicKey, counter: c.counter, transports: c.transports, name },
      this.d.now(),
    )
  }

  /** The session, in the transaction that made or checked the account. */
  private async signIn(tx: Queryable, user: UserRow): Promise<SignedIn> {
    return { user, session: await createSession(tx, user.id, this.d.now(), this.d.sessionTtlSecs) }
  }

  private transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return accountsTransaction(this.d.backend, work)
  }
}

function registrationClosed(): AppError {
  return new AppError(
    'forbidden',
    'registration is closed: this server already has users; ask an admin for an invite link',
  )
}

/** The user handle is the user id's UTF-8 bytes, sent back base64url-encoded. */
function decodeUserHandle(handle: string): string {
  return Buffer.from(handle, 'base64url').toString('utf8')
}
