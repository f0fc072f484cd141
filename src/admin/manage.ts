/**
 * User administration rules (docs/decisions.md, "Access"): an admin cannot change their own role or delete
 * themself (so nobody locks themself out by accident), and the last admin can never be
 * demoted or deleted. The admin count is checked inside the same transaction as the change,
 * an accounts transaction (`accountsTransaction`: none overlaps another, on either
 * backend), so two admins demoting each other at once cannot leave the server without one.
 */
import {
  accountsTransaction,
  countAdmins,
  deleteUser,
  getUser,
  type Role,
  setRole,
  type UserRow,
} from '../auth'
import type { SessionPrincipal } from '../http/auth'
import { AppError } from '../http/errors'
import type { Backend, Queryable } from '../storage/backend'

/**
 * `actor` is the signed-in admin, or null for the operator at the server's shell (the CLI),
 * who is no user and so cannot lock themself out; the last-admin rule holds for both.
 */
type Actor = SessionPrincipal | null

async function target(q: Queryable, actor: Actor, id: string, what: string): Promise<UserRow> {
  if (actor && id === actor.userId)
    throw new AppError('bad_request', `you cannot ${what} yourself; ask another admin`)
  const user = await getUser(q, id)
  if (!user) throw new AppError('not_found', `user ${id} not found`)
  return user
}

const lastAdmin = (what: string) =>
  new AppError('conflict', `the last admin cannot be ${what}; make another user admin first`)

export function changeRole(b: Backend, actor: Actor, id: string, role: Role): Promise<UserRow> {
  return accountsTransaction(b, async (tx) => {
    const user = await target(tx, actor, id, 'change the role of')
    if (user.role === 'admin' && role !== 'admin' && (await countAdmins(tx)) <= 1) throw lastAdmin('demoted')
    await setRole(tx, id, role)
    return (await getUser(tx, id)) as UserRow
  })
}

export function removeUser(b: Backend, actor: Actor, id: string): Promise<UserRow> {
  return accountsTransaction(b, async (tx) => {
    const user = await target(tx, actor, id, 'delete')
    if (user.role === 'admin' && (await countAdmins(tx)) <= 1) throw lastAdmin('deleted')
    await deleteUser(tx, id)
    return user
  })
}

/** Deletes every user, passkey, session and invite: registration reopens for a first admin. */
export function resetAccounts(
  b: Backend,
): Promise<Record<'users' | 'passkeys' | 'sessions' | 'invites', number>> {
  return accountsTransaction(b, async (tx) => {
    const invites = (await tx.run('DELETE FROM invites')).changes
    const sessions = (await tx.run('DELETE FROM sessions')).changes
    const passkeys = (await tx.run('DELETE FROM webauthn_credentials')).changes
    const users = (await tx.run('DELETE FROM users')).changes
    return { invites, sessions, passkeys, users }
  })
}
