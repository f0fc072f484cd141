/**
 * The analytics feature: a DuckDB copy of the errors feature's events beside the SQLite
 * file, fed after every committed batch (feed.ts), and the insight endpoints over it
 * (spikes, movers, correlations, releases, environments). Ingest never waits for it:
 * whatever its state (service.ts), events are stored and acknowledged as usual.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import type { ErrorsCommitListener } from '../errors'
import { analyticsRoutes } from './routes'
import { Analytics } from './service'

export { Analytics, duckdbPathOf } from './service'

const CONFIG = ['analytics', 'database'] as const

export interface AnalyticsFeatureDeps extends Pick<Core, 'db' | 'guard' | 'log' | 'now' | 'metrics'> {
  config: Pick<Config, (typeof CONFIG)[number]>
  onErrorsCommit: (listener: ErrorsCommitListener) => void
}

export interface AnalyticsRunning extends Started {
  routes: AnyElysia
  analytics: Analytics
}

export const analytics: Feature<AnalyticsFeatureDeps, AnalyticsRunning> = {
  name: 'analytics',
  config: CONFIG,
  migrations: [],

  start(d) {
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
