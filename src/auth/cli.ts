/** CLI: `bloop user invite` and `bloop user list` (work directly on the database). */
import type { Command } from '../cli/args'
import { withDatabase } from '../cli/db'
import { createInvite, inviteLink } from './invites'
import { listUsers } from './users'

export const userInvite: Command = {
  path: ['user', 'invite'],
  usage: 'bloop user invite',
  summary: 'Create a single-use invite link (valid 7 days); prints the link alone on the last line.',
  run(ctx) {
    return withDatabase(ctx, (db, config) => {
      const { token, row } = createInvite(db, null, Date.now())
      ctx.out(
        `invite ${row.id} expires ${new Date(row.expires_at).toISOString()}; open this link to register:`,
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
    return withDatabase(ctx, (db) => {
      ctx.out(['USERNAME', 'ROLE', 'PASSKEYS', 'CREATED', 'ID'].join('\t'))
      for (const u of listUsers(db)) {
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
