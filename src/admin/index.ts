/**
 * The user administration feature: admins list users, change roles, delete users, invite
 * and revoke invites, or reset every account (routes.ts); the operator does the same from
 * the shell (cli.ts). The rules that keep at least one admin are in manage.ts. Accounts
 * themselves are the auth feature's.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import { adminRoutes } from './routes'

export { userDelete, userDemote, userInvite, userList, userPromote } from './cli'

const CONFIG = ['auth'] as const

export interface AdminDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  config: Pick<Config, (typeof CONFIG)[number]>
}

export interface AdminRunning extends Started {
  routes: AnyElysia
}

export const admin: Feature<AdminDeps, AdminRunning> = {
  name: 'admin',
  config: CONFIG,
  migrations: [],
  backends: ['sqlite', 'postgres'],
  start: (d) => ({ routes: adminRoutes(d) }),
}
