/**
 * The accounts feature: users and their passkeys (WebAuthn), sessions, invites, and the
 * sign-in page. Access control itself (`Guard`) is core (http/auth.ts); this feature
 * gives it `resolveSession`. User administration (roles, deletion, invites by an admin)
 * is the admin feature, which uses what this file exports.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import { cronJob } from '../core/cron'
import type { Core, Feature, Started } from '../core/feature'
import { RateLimiter } from '../http/ratelimit'
import { Accounts } from './accounts'
import m002pg from './migrations/002_accounts.pg.sql' with { type: 'text' }
import m002 from './migrations/002_accounts.sql' with { type: 'text' }
import m008pg from './migrations/008_invite_role.pg.sql' with { type: 'text' }
import m008 from './migrations/008_invite_role.sql' with { type: 'text' }
import { OriginWatch, relyingParty } from './origin'
import { authRoutes } from './routes'
import { deleteExpiredSessions } from './sessions'

export {
  createInvite,
  getInvite,
  type InviteRow,
  inviteLink,
  inviteStatus,
  listInvites,
  mintInvite,
  revokeInvite,
} from './invites'
export { relyingParty, relyingPartyProblems } from './origin'
export { resolveSession, sessionCookie } from './sessions'
export {
  accountsTransaction,
  countAdmins,
  deleteUser,
  getUser,
  listUsers,
  mintCredential,
  mintUser,
  type Role,
  setRole,
  type UserRow,
  type UserSummary,
  userByName,
  usernames,
} from './users'

/** The hourly job that deletes expired sessions (in the app's store.cron under this name). */
export const SESSION_CLEANUP_JOB = 'session-cleanup'

const CONFIG = ['auth', 'rate_limit'] as const

export interface AuthDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now' | 'clientIp'> {
  config: Pick<Config, (typeof CONFIG)[number]>
}

export interface AuthRunning extends Started {
  routes: AnyElysia
}

export const auth: Feature<AuthDeps, AuthRunning> = {
  name: 'auth',
  config: CONFIG,
  migrations: [
    { file: '002_accounts.sql', sql: m002, pg: m002pg },
    { file: '008_invite_role.sql', sql: m008, pg: m008pg },
  ],
  backends: ['sqlite', 'postgres'],

  start(d) {
    const rp = relyingParty(d.config)
    const accounts = new Accounts({
      backend: d.backend,
      rp,
      now: d.now,
      sessionTtlSecs: d.config.auth.session_ttl_secs,
    })
    const { auth_per_second, auth_burst_size } = d.config.rate_limit
    const limiter = new RateLimiter(auth_per_second, auth_burst_size, d.now)
    const origins = new OriginWatch(rp, d.log)
    const cleanup = cronJob({
      name: SESSION_CLEANUP_JOB,
      pattern: '0 7 * * * *',
      run: async () => {
        try {
          const removed = await deleteExpiredSessions(d.backend, d.now())
          if (removed > 0) d.log.info('expired sessions removed', { removed })
        } catch (err) {
          d.log.error('expired sessions were not removed; the next run tries again', { error: String(err) })
        }
      },
    })
    return {
      routes: cleanup.plugin.use(authRoutes({ ...d, rp, accounts, limiter, origins })),
      stop: () => cleanup.job.stop(),
    }
  },
}
