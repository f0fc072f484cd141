/**
 * The Sentry compatibility feature: Sentry SDKs send to `POST /api/:id/envelope/` (and
 * the legacy store endpoint) with the project's DSN; events are mapped (map.ts, pure) and
 * handed to the errors feature through its `submit`, so they follow the same queue and
 * durability rule as bloop's own ingest. Keys and DSNs: store.ts, cli.ts.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import type { Submit } from '../errors'
import { DecompressionBudget } from './budget'
import m005pg from './migrations/005_sentry.pg.sql' with { type: 'text' }
import m005 from './migrations/005_sentry.sql' with { type: 'text' }
import { sentryMetrics, sentryRoutes } from './routes'

export { projectDsn, projectRotateSentryKey } from './cli'
export { dsnFor } from './store'

const CONFIG = ['sentry', 'ingest', 'auth'] as const

export interface SentryDeps
  extends Pick<Core, 'backend' | 'guard' | 'log' | 'metrics' | 'now' | 'clientIp' | 'ingestLimiter'> {
  config: Pick<Config, (typeof CONFIG)[number]>
  submit: Submit
}

export interface SentryRunning extends Started {
  routes: AnyElysia
}

export const sentry: Feature<SentryDeps, SentryRunning> = {
  name: 'sentry',
  config: CONFIG,
  migrations: [{ file: '005_sentry.sql', sql: m005, pg: m005pg }],
  backends: ['sqlite', 'postgres'],

  start(d) {
    const m = sentryMetrics(d.metrics.registry)
    const budget = new DecompressionBudget(d.config.sentry.decompression_budget_bytes)
    return { routes: sentryRoutes({ ...d, m, budget }) }
  },
}
