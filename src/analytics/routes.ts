/**
 * The analytics endpoints (docs/decisions.md, "Analytics"), scope `errors:read`:
 * GET /v1/analytics/{spikes,movers,correlations,releases,environments} and
 * GET /v1/analytics/status. Common query: project_id, hours (1-720, default 72), limit
 * (1-100, default 20), environment; a value that is not an integer in its range is a 400
 * naming the parameter. Answers are cached (see cache.ts); `x-bloop-cache: hit|miss` says
 * which. A slim build answers 501, `analytics.enabled = false` 404 (see service.ts).
 */
import { Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import type { Reach } from '../http/auth'
import { json } from '../http/errors'
import { parseQuery } from '../http/validate'
import * as answers from './answers'
import {
  AnalyticsQuery,
  CorrelationsResponse,
  EnvironmentsResponse,
  MoversResponse,
  ReleasesResponse,
  SpikesResponse,
  StatusResponse,
} from './model'
import type { PostgresAnalytics } from './postgres'
import type { Analytics } from './service'
import { windowOf } from './stats'

type Endpoint = keyof typeof ENDPOINTS
const ENDPOINTS = {
  spikes: answers.spikes,
  movers: answers.movers,
  correlations: answers.correlations,
  releases: answers.releases,
  environments: answers.environments,
} as const

export interface AnalyticsRoutesDeps extends Pick<Core, 'guard' | 'now'> {
  config: Pick<Config, 'analytics'>
  /** The DuckDB copy (SQLite) or PostgreSQL itself: index.ts picks by the backend. */
  analytics: Analytics | PostgresAnalytics
}

export function analyticsRoutes(s: AnalyticsRoutesDeps) {
  /** Every analytics answer is derived from error data. */
  const READ = { scope: 'errors:read' } as const
  const analyticsOf = () => s.analytics

  const answer = async (name: Endpoint, reach: Reach, query: Record<string, unknown>) => {
    const q = parseQuery(AnalyticsQuery, query)
    const access = reach.narrow(q.project_id)
    const analytics = analyticsOf()
    const source = await analytics.source()
    const now = s.now()
    const win = windowOf(now, q.hours)
    const { limit } = q
    const projectIds = [...access.projectIds].sort()
    const key = JSON.stringify([name, projectIds, win.hours, win.last, limit, q.environment ?? null])
    const cached = analytics.cache.get(key)
    if (cached !== undefined) return json(cached, 200, { 'x-bloop-cache': 'hit' })
    const cfg = s.config.analytics
    const value = await ENDPOINTS[name]({
      source,
      scope: { projectIds, environment: q.environment },
      win,
      limit,
      now,
      settings: {
        zscoreThreshold: cfg.zscore_threshold,
        spikeMinCount: cfg.spike_min_count,
        minCorrelation: cfg.min_correlation,
        maxCorrelationSeries: cfg.correlation_max_fingerprints,
      },
    })
    analytics.cache.set(key, value, projectIds, win.last)
    return json(value, 200, { 'x-bloop-cache': 'miss' })
  }

  return new Elysia({ name: 'analytics' })
    .use(access(s.guard))
    .get('/v1/analytics/spikes', ({ access, query }) => answer('spikes', access, query), {
      ...READ,
      schema: { query: AnalyticsQuery, response: { 200: SpikesResponse } },
    })
    .get('/v1/analytics/movers', ({ access, query }) => answer('movers', access, query), {
      ...READ,
      schema: { query: AnalyticsQuery, response: { 200: MoversResponse } },
    })
    .get('/v1/analytics/correlations', ({ access, query }) => answer('correlations', access, query), {
      ...READ,
      schema: { query: AnalyticsQuery, response: { 200: CorrelationsResponse } },
    })
    .get('/v1/analytics/releases', ({ access, query }) => answer('releases', access, query), {
      ...READ,
      schema: { query: AnalyticsQuery, response: { 200: ReleasesResponse } },
    })
    .get('/v1/analytics/environments', ({ access, query }) => answer('environments', access, query), {
      ...READ,
      schema: { query: AnalyticsQuery, response: { 200: EnvironmentsResponse } },
    })
    .get(
      '/v1/analytics/status',
      async ({ access, query }) => {
        const q = parseQuery(AnalyticsQuery, query)
        return analyticsOf().status(access.narrow(q.project_id).projectIds)
      },
      { ...READ, schema: { query: AnalyticsQuery, response: { 200: StatusResponse } } },
    )
}
