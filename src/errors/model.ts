/** Query and response shapes of the error query API. */
import { type Static, Type as T } from '@sinclair/typebox'
import { EpochMs, Offset, QueryInt } from '../http/validate'

export const MAX_LIMIT = 200
export const MAX_HOURS = 720
/** Longest per-issue sparkline the list embeds: a week of hourly counts per issue. */
export const MAX_TREND_HOURS = 168

const ProjectRef = T.Optional(T.String({ minLength: 1, maxLength: 128 }))
const Text = T.Optional(T.String({ minLength: 1, maxLength: 512 }))
const Limit = QueryInt({ minimum: 1, maximum: MAX_LIMIT, default: 50 })
const Hours = QueryInt({ minimum: 1, maximum: MAX_HOURS, default: 72 })

export const StatusSchema = T.Union([
  T.Literal('unresolved'),
  T.Literal('resolved'),
  T.Literal('ignored'),
  T.Literal('muted'),
])

export const ListQuery = T.Object({
  project_id: ProjectRef,
  release: Text,
  environment: Text,
  source: Text,
  route: Text,
  status: T.Optional(StatusSchema),
  since: T.Optional(EpochMs),
  until: T.Optional(EpochMs),
  sort: T.Union([T.Literal('last_seen'), T.Literal('total_count'), T.Literal('first_seen')], {
    default: 'last_seen',
  }),
  limit: Limit,
  offset: Offset,
  /** Adds `trend`: each issue's zero-filled hourly counts over this many hours (sparklines). */
  trend_hours: T.Optional(QueryInt({ minimum: 1, maximum: MAX_TREND_HOURS })),
})
export type ListQuery = Static<typeof ListQuery>

export const ReleaseQuery = T.Object({
  project_id: ProjectRef,
  environment: Text,
  status: T.Optional(StatusSchema),
  sort: T.Union([T.Literal('last_seen'), T.Literal('total_count'), T.Literal('first_seen')], {
    default: 'total_count',
  }),
  limit: Limit,
  offset: Offset,
})

export const ProjectQuery = T.Object({ project_id: ProjectRef })
export const PageQuery = T.Object({ project_id: ProjectRef, limit: Limit, offset: Offset })
export const TrendQuery = T.Object({ project_id: ProjectRef, environment: Text, hours: Hours })

export const FingerprintParam = T.String({ minLength: 1, maxLength: 128 })
