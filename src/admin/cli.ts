/**
 * CLI for accounts (works directly on the database): invites, the user list, and the
 * admin's own rescue: when the only admin has lost their passkeys, `user invite --admin`
 * prints a link that registers a new admin, after which the old account can be demoted or
 * deleted. The last-admin rule of the dashboard holds here too (manage.ts).
 */
import { createInvite, inviteLink, listUsers, type Role, type UserRow, userByName } from '../auth'
import { type Command, CommandFailed, UsageError } from '../core/command'
import { AppError } from '../http/errors'
import type { Queryable } from '../storage/backend'
import { changeRole, removeUser } from './manage'

export const userInvite: Command = {
  path: ['user', 'invite'],
  usage: 'bloop user invite [--admin]',
  summary:
    'Create a single-use invite link (valid 7 days) on auth.rp_origin; --admin makes the new user an admin. Prints the link alone on the last line.',
  options: { admin: { type: 'boolean' } },
  run(ctx) {
    const role: Role = ctx.values.admin === true ? 'admin' : 'user'
    return ctx.withDatabase(async (b, config) => {
      const { token, row } = await createInvite(b, null, Date.now(), role)
      ctx.out(
        `${role === 'admin' ? 'admin ' : ''}invite ${row.id} expires ${new Date(row.expires_at).toISOString()}; open this link to register:`,
      )
      ctx.out(inviteLink(config.auth.rp_origin, token))
      return 0
    })
  },
}

export const userList: Command = {
  path: ['user', 'list'],
  usage: 'bloop user list',
  summary: 'List users (username, role, passkeys, created).',
  run(ctx) {
    return ctx.withDatabase(async (b) => {
      ctx.out(['USERNAME', 'ROLE', 'PASSKEYS', 'CREATED', 'ID'].join('\t'))
      for (const u of await listUsers(b)) {
        ctx.out(
          [u.username, u.role, String(u.passkey_count), new Date(u.created_at).toISOString(), u.id].join(
            '\t',
          ),
        )
      }
      return 0
    })
  },
}

async function userOrUsage(q: Queryable, username: string): Promise<UserRow> {
  const user = await userByName(q, username)
  if (!user) throw new UsageError(`no user named ${username}; see: bloop user list`)
  return user
}

/** A refused change (the last admin) is a failed command with the dashboard's message. */
async function refusedAsFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof AppError) throw new CommandFailed(err.message)
    throw err
  }
}

const roleCommand = (word: 'promote' | 'demote', role: Role): Command => ({
  path: ['user', word],
  usage: `bloop user ${word} <username>`,
  summary: role === 'admin' ? 'Make a user an admin.' : 'Make an admin a plain user (never the last admin).',
  args: ['username'],
  run(ctx) {
    return ctx.withDatabase(async (b) => {
      const user = await userOrUsage(b, ctx.positionals[0] as string)
      if (user.role === role) {
        ctx.out(`${user.username} is already ${role === 'admin' ? 'an admin' : 'a user'}`)
        return 0
      }
      await refusedAsFailure(() => changeRole(b, null, user.id, role))
      ctx.out(`${user.username} is now ${role === 'admin' ? 'an admin' : 'a user'}`)
      return 0
    })
  },
})

export const userPromote = roleCommand('promote', 'admin')
export const userDemote = roleCommand('demote', 'user')

export const userDelete: Command = {
  path: ['user', 'delete'],
  usage: 'bloop user delete <username>',
  summary: 'Delete a user with their passkeys and sessions (never the last admin).',
  args: ['username'],
  run(ctx) {
    return ctx.withDatabase(async (b) => {
      const user = await userOrUsage(b, ctx.positionals[0] as string)
      await refusedAsFailure(() => removeUser(b, null, user.id))
      ctx.out(`deleted user ${user.username} (${user.id}), their passkeys and sessions`)
      return 0
    })
  },
}
