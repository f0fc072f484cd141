/**
 * CLI commands for Sentry DSNs, so a headless install can set up SDKs without a browser:
 * `bloop project dsn` prints a project's DSN, `bloop project rotate-sentry-key` replaces
 * its public key (SDKs with the old DSN get 403 from then on) and prints the new DSN.
 * Each prints the DSN alone on the last line of stdout.
 */

import type { Config } from '../config/schema'
import { type Command, type CommandContext, requireString, UsageError } from '../core/command'
import { projectOrUsage } from '../projects'
import type { Queryable } from '../storage/backend'
import { dsnFor, rotateSentryKey } from './store'

function originOf(ctx: CommandContext, fallback: string): string {
  const raw = typeof ctx.values.origin === 'string' ? ctx.values.origin : fallback
  try {
    const url = new URL(raw)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http')
    // A path prefix is kept: behind a proxy that serves bloop under /bloop, SDKs post to /bloop/api/...
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  } catch {
    throw new UsageError(`--origin must be an http(s) URL such as https://errors.example.com, got "${raw}"`)
  }
}

/** The project and DSN origin named on the command line. */
async function target(ctx: CommandContext, q: Queryable, config: Config) {
  return {
    project: await projectOrUsage(q, requireString(ctx.values, 'project')),
    origin: originOf(ctx, config.auth.rp_origin),
  }
}

export const projectDsn: Command = {
  path: ['project', 'dsn'],
  usage: 'bloop project dsn --project <slug> [--origin https://host]',
  summary: "Print a project's Sentry DSN (origin defaults to auth.rp_origin).",
  options: { project: { type: 'string' }, origin: { type: 'string' } },
  run(ctx) {
    return ctx.withDatabase(async (backend, config) => {
      const { project, origin } = await target(ctx, backend, config)
      ctx.out((await dsnFor(backend, project, origin)) as string)
      return 0
    })
  },
}

export const projectRotateSentryKey: Command = {
  path: ['project', 'rotate-sentry-key'],
  usage: 'bloop project rotate-sentry-key --project <slug> [--origin https://host]',
  summary: "Replace a project's Sentry public key; prints the new DSN.",
  options: { project: { type: 'string' }, origin: { type: 'string' } },
  run(ctx) {
    return ctx.withDatabase(async (backend, config) => {
      const { project, origin } = await target(ctx, backend, config)
      await rotateSentryKey(backend, project.id)
      ctx.err(`rotated the Sentry key of project ${project.slug}; SDKs using the old DSN now get 403`)
      ctx.out((await dsnFor(backend, project, origin)) as string)
      return 0
    })
  },
}
