/**
 * The analytics feature: the insight endpoints (spikes, movers, correlations, releases,
 * environments). On SQLite they read a DuckDB copy of the errors feature's events beside
 * the SQLite file, fed after every committed batch (feed.ts); ingest never waits for it:
 * whatever its state (service.ts), events are stored and acknowledged as usual. On
 * PostgreSQL no copy is made and they read PostgreSQL itself (postgres.ts). Which one
 * runs is decided here, once, by the backend's kind; the copy's feed reads the SQLite file
 * on read-only connections storage opens for it (`openSqliteReader`), never Core.db.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import type { ErrorsCommitListener } from '../errors'
import { PostgresAnalytics } from './postgres'
import { analyticsRoutes } from './routes'
import { Analytics } from './service'

export { PostgresAnalytics } from './postgres'
export { Analytics, duckdbPathOf } from './service'

const CONFIG = ['analytics', 'database'] as const

export interface AnalyticsFeatureDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now' | 'metrics'> {
  config: Pick<Config, (typeof CONFIG)[number]>
  onErrorsCommit: (listener: ErrorsCommitListener) => void
}

export interface AnalyticsRunning extends Started {
  routes: AnyElysia
  analytics: Analytics | PostgresAnalytics
}

export const analytics: Feature<AnalyticsFeatureDeps, AnalyticsRunning> = {
  name: 'analytics',
  config: CONFIG,
  migrations: [],
  // On SQLite the copy's feed reads the SQLite file on read-only connections of its own
  // (storage's openSqliteReader), and everything else goes through the seam.
  backends: ['sqlite', 'postgres'],

  start(d) {
    if (d.backend.kind === 'postgres') {
      const pg = new PostgresAnalytics(d.backend, {
        enabled: d.config.analytics.enabled,
        ttlMs: d.config.analytics.cache_ttl_secs * 1000,
        now: d.now,
      })
      d.onErrorsCommit((_result, events) => pg.onCommit(events))
      return { routes: analyticsRoutes({ ...d, analytics: pg }), analytics: pg, stop: () => pg.close() }
    }
    const copy = new Analytics(d)
    d.onErrorsCommit(() => copy.onCommit())
    d.metrics.registry.gauge(
      'bloop_analytics_feed_position',
      'Last raw event id copied into the DuckDB analytics copy.',
      () => copy.feed?.position ?? 0,
    )
    return {
      routes: analyticsRoutes({ ...d, analytics: copy }),
      analytics: copy,
      stop: () => copy.close(),
    }
  },
}
