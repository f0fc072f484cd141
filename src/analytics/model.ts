/**
 * Query and response shapes of the analytics endpoints. The response schemas are
 * the contract the dashboard's Insights view reads; README "Analytics" shows examples.
 * All times are epoch milliseconds; hour buckets are the UTC hour's start.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { QueryInt } from '../http/validate'

export const DEFAULT_HOURS = 72
export const MAX_HOURS = 720
export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 100

export const AnalyticsQuery = T.Object({
  project_id: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
  hours: QueryInt({ minimum: 1, maximum: MAX_HOURS, default: DEFAULT_HOURS }),
  limit: QueryInt({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
  environment: T.Optional(T.String({ minLength: 1, maxLength: 512 })),
})
export type AnalyticsQuery = Static<typeof AnalyticsQuery>

const Ms = T.Integer({ description: 'epoch milliseconds' })

/** What every answer carries about the window it covers. */
const WindowFields = {
  window_hours: T.Integer(),
  /** Start of the first hour bucket of the window. */
  window_start: Ms,
  /** End (exclusive) of the window's last bucket, the current hour. */
  window_end: Ms,
  environment: T.Union([T.String(), T.Null()]),
}

const IssueFields = {
  project_id: T.String(),
  fingerprint: T.String(),
  error_type: T.String(),
  message: T.String(),
}

export const Spike = T.Object({
  ...IssueFields,
  hour_bucket: Ms,
  count: T.Integer(),
  /** Mean of the fingerprint's other hours in the window (zeros included). */
  mean: T.Number(),
  /** Sample standard deviation of those other hours. */
  stddev: T.Number(),
  /** (count - mean) / stddev; null means infinite (the other hours were all equal). */
  zscore: T.Union([T.Number(), T.Null()]),
})
export const SpikesResponse = T.Object({
  spikes: T.Array(Spike),
  threshold: T.Number(),
  min_count: T.Integer(),
  ...WindowFields,
})

export const Mover = T.Object({
  ...IssueFields,
  count_current: T.Integer(),
  count_previous: T.Integer(),
  delta: T.Integer(),
  /** (current - previous) x 100 / previous; 100 when previous is 0. */
  delta_pct: T.Number(),
})
export const MoversResponse = T.Object({
  movers: T.Array(Mover),
  /** Start of the previous window (it ends where the current one starts). */
  previous_window_start: Ms,
  ...WindowFields,
})

export const Pair = T.Object({
  project_a: T.String(),
  fingerprint_a: T.String(),
  error_type_a: T.String(),
  message_a: T.String(),
  count_a: T.Integer(),
  project_b: T.String(),
  fingerprint_b: T.String(),
  error_type_b: T.String(),
  message_b: T.String(),
  count_b: T.Integer(),
  /** Pearson r of the two zero-filled hourly series. */
  correlation: T.Number(),
})
export const CorrelationsResponse = T.Object({
  pairs: T.Array(Pair),
  min_correlation: T.Number(),
  min_active_hours: T.Integer(),
  max_fingerprints: T.Integer(),
  ...WindowFields,
})

export const Release = T.Object({
  project_id: T.String(),
  release: T.String(),
  first_seen: Ms,
  events: T.Integer(),
  unique_fingerprints: T.Integer(),
  /** Fingerprints whose first event ever is in this release. */
  new_fingerprints: T.Integer(),
  first_24h_events: T.Integer(),
  /** Events per hour over the release's first 24 hourly buckets (fewer if younger). */
  first_24h_rate: T.Number(),
  previous_release: T.Union([T.String(), T.Null()]),
  previous_first_24h_rate: T.Union([T.Number(), T.Null()]),
  /** Percentage change of first_24h_rate against the previous release; null without one. */
  rate_change_pct: T.Union([T.Number(), T.Null()]),
  /** 10 x new_fingerprints + rate_change_pct (0 when null). */
  impact_score: T.Number(),
})
export const ReleasesResponse = T.Object({ releases: T.Array(Release), ...WindowFields })

export const Environment = T.Object({
  environment: T.String(),
  total_count: T.Integer(),
  /** Distinct (project, fingerprint) with events in the window. */
  unique_errors: T.Integer(),
  /** total_count x 100 / the window's total over all environments. */
  pct_of_total: T.Number(),
  /** Percentiles of the environment's zero-filled hourly counts (linear interpolation). */
  p50_hourly: T.Number(),
  p90_hourly: T.Number(),
  p99_hourly: T.Number(),
})
export const EnvironmentsResponse = T.Object({
  environments: T.Array(Environment),
  total_count: T.Integer(),
  ...WindowFields,
})

export const StatusResponse = T.Object({
  /** ready | starting | disabled | slim | failed */
  state: T.String(),
  /** Why analytics is not ready, for a human; null when ready. */
  message: T.Union([T.String(), T.Null()]),
  /** Events of the caller's projects held by the copy (0 unless ready). */
  events: T.Integer(),
  /** true when every event committed so far has been copied. */
  caught_up: T.Boolean(),
})

export type Spike = Static<typeof Spike>
export type Mover = Static<typeof Mover>
export type Pair = Static<typeof Pair>
export type Release = Static<typeof Release>
export type Environment = Static<typeof Environment>
export type SpikesResponse = Static<typeof SpikesResponse>
export type MoversResponse = Static<typeof MoversResponse>
export type CorrelationsResponse = Static<typeof CorrelationsResponse>
export type ReleasesResponse = Static<typeof ReleasesResponse>
export type EnvironmentsResponse = Static<typeof EnvironmentsResponse>
export type StatusResponse = Static<typeof StatusResponse>
