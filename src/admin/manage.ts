/**
 * User administration rules (docs/decisions.md, "Access"): an admin cannot change their own role or delete
 * themself (so nobody locks themself out by accident), and the last admin can never be
 * demoted or deleted. The admin count is checked inside the same IMMEDIATE transaction as
 * the change, so two admins demoting each other at once cannot leave the server without one.
 */
import { countAdmins, deleteUser, getUser, type Role, setRole, type UserRow } from '../auth'
import type { SessionPrincipal } from '../http/auth'
import { AppError } from '../http/errors'
import type { Db } from '../storage/db'

/**
 * `actor` is the signed-in admin, or null for the operator at the server's shell (the CLI),
 * who is no user and so cannot lock themself out; the last-admin rule holds for both.
 */
type Actor = SessionPrincipal | null

function target(db: Db, actor: Actor, id: string, what: string): UserRow {
  if (actor && id === actor.userId)
    throw new AppError('bad_request', `you cannot ${what} yourself; ask another admin`)
  const user = getUser(db, id)
  if (!user) throw new AppError('not_found', `user ${id} not found`)
  return user
}

const lastAdmin = (what: string) =>
  new AppError('conflict', `the last admin cannot be ${what}; make another user admin first`)

export function changeRole(db: Db, actor: Actor, id: string, role: Role): UserRow {
  return db
    .transaction(() => {
      const user = target(db, actor, id, 'change the role of')
      if (user.role === 'admin' && role !== 'admin' && countAdmins(db) <= 1) throw lastAdmin('demoted')
      setRole(db, id, role)
      return getUser(db, id) as UserRow
    })
    .immediate()
}

export function removeUser(db: Db, actor: Actor, id: string): UserRow {
  return db
    .transaction(() => {
      const user = target(db, actor, id, 'delete')
      if (user.role === 'admin' && countAdmins(db) <= 1) throw lastAdmin('deleted')
      deleteUser(db, id)
      return user
    })
    .immediate()
}

/** Deletes every user, passkey, session and invite: registration reopens for a first admin. */
export function resetAccounts(db: Db): Record<'users' | 'passkeys' | 'sessions' | 'invites', number> {
  return db
    .transaction(() => ({
      invites: db.query('DELETE FROM invites').run().changes,
      sessions: db.query('DELETE FROM sessions').run().changes,
      passkeys: db.query('DELETE FROM webauthn_credentials').run().changes,
      users: db.query('DELETE FROM users').run().changes,
    }))
    .immediate()
}
