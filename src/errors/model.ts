/** Query and response shapes of the error query API. */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { EpochMs, Offset, QueryInt } from '../http/validate'
import {
  CRUMB_LEVELS,
  MAX_BREADCRUMBS,
  MAX_CRUMB_DATA_BYTES,
  MAX_CRUMB_LABEL_CHARS,
  MAX_CRUMB_MESSAGE_BYTES,
} from './breadcrumbs'
import { MAX_QUERY_CHARS } from './search'
import { TriageFields } from './triage.model'

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
  sort: T.Union(
    [T.Literal('last_seen'), T.Literal('total_count'), T.Literal('first_seen'), T.Literal('users_count')],
    { default: 'last_seen' },
  ),
  /** The search language of errors/search.ts; an invalid query is a 400 naming its position. */
  query: T.Optional(T.String({ maxLength: MAX_QUERY_CHARS })),
  limit: Limit,
  offset: Offset,
  /** Adds `trend`: each issue's zero-filled hourly counts over this many hours (sparklines). */
  trend_hours: T.Optional(QueryInt({ minimum: 1, maximum: MAX_TREND_HOURS })),
  /** `me`: assigned to the signed-in user; `any`: assigned to someone; `none`: unassigned. */
  assigned: T.Optional(T.Union([T.Literal('me'), T.Literal('any'), T.Literal('none')])),
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

// Answers. Types of the dashboard are `Static<typeof X>` of these (dashboard/lib/types.ts).
const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const Str = T.String()
const Ms = T.Integer({ description: 'epoch milliseconds' })

export const Issue = T.Object({
  project_id: Str,
  fingerprint: Str,
  error_type: Str,
  message: Str,
  source: Str,
  route_or_procedure: Nullable(Str),
  screen: Nullable(Str),
  status: StatusSchema,
  total_count: T.Integer(),
  first_seen: Ms,
  last_seen: Ms,
  users_count: T.Integer({ description: 'distinct users, estimated (docs/decisions.md, "Users affected")' }),
  releases: T.Array(Str),
  environments: T.Array(Str),
  /** The assigned user's id and username (triage.routes.ts), or null. */
  assignee_id: Nullable(Str),
  assignee_name: Nullable(Str),
  /** Only with `trend_hours`: zero-filled hourly counts, oldest first. */
  trend: T.Optional(T.Array(T.Integer())),
})
export type Issue = Static<typeof Issue>

const Page = <S extends TSchema>(item: S) =>
  T.Object({ items: T.Array(item), total: T.Integer(), limit: T.Integer(), offset: T.Integer() })

export const IssuePage = Page(Issue)

export const Aggregate = T.Object({
  release: Str,
  environment: Str,
  total_count: T.Integer(),
  first_seen: Ms,
  last_seen: Ms,
})

export const HistoryEntry = T.Object({
  id: T.Integer(),
  project_id: Str,
  fingerprint: Str,
  old_status: StatusSchema,
  new_status: StatusSchema,
  changed_by: Str,
  changed_at: Ms,
})
export const History = T.Array(HistoryEntry)

/** A stored breadcrumb as answered. */
export const StoredBreadcrumb = T.Object({
  timestamp: Ms,
  type: T.Optional(Str),
  category: T.Optional(Str),
  level: T.Union(CRUMB_LEVELS.map((l) => T.Literal(l))),
  message: T.Optional(Str),
  data: T.Optional(T.Record(T.String(), T.Unknown())),
})

/** A stored event as answered; `symbolicated` when the release's source maps mapped its stack. */
const EventFields = {
  id: T.Integer(),
  project_id: Str,
  fingerprint: Str,
  timestamp: T.Number(),
  source: Str,
  environment: Str,
  release: Str,
  app_version: Nullable(Str),
  build_number: Nullable(Str),
  route_or_procedure: Nullable(Str),
  screen: Nullable(Str),
  error_type: Str,
  message: Str,
  stack: Nullable(Str),
  http_status: Nullable(T.Integer()),
  request_id: Nullable(Str),
  user_id_hash: Nullable(Str),
  device_id_hash: Nullable(Str),
  metadata: T.Unknown({ description: 'the JSON the client sent, or null' }),
  event_id: Nullable(Str),
  level: Nullable(Str),
  breadcrumbs: T.Array(StoredBreadcrumb, { description: 'oldest first; empty when none were sent' }),
  symbolicated: T.Optional(T.Unknown({ description: 'frames mapped through source maps' })),
}
export const Sample = T.Object({ ...EventFields, captured_at: Ms })
export const Occurrence = T.Object({ ...EventFields, received_at: Ms })
export const OccurrencePage = Page(Occurrence)

export const UsersAffected = T.Object({
  total: T.Integer(),
  last_24h: T.Integer({ description: 'the 24 hours ending with the current one' }),
  by_release: T.Array(T.Object({ release: Str, users: T.Integer() })),
})

export const IssueDetail = T.Object({
  ...Issue.properties,
  aggregates: T.Array(Aggregate),
  samples: T.Array(Sample),
  history: History,
  users: UsersAffected,
  ...TriageFields,
})

export const TagTopQuery = T.Object({
  project_id: ProjectRef,
  top: QueryInt({ minimum: 1, maximum: 100, default: 10 }),
})
export const TagFacets = T.Array(
  T.Object({
    key: Str,
    total: T.Integer({ description: 'events that carried the tag' }),
    distinct: T.Integer({ description: 'distinct values kept (at most 100, then "(other)")' }),
    values: T.Array(
      T.Object({
        value: Str,
        count: T.Integer(),
        share: T.Number({ description: 'count / total' }),
        last_seen: Ms,
      }),
    ),
  }),
)

export const TrendPoint = T.Object({ hour_bucket: Ms, count: T.Integer() })
export const Trend = T.Array(TrendPoint)

export const Stats = T.Object({
  total_errors: T.Integer(),
  unresolved_errors: T.Integer(),
  total_events_24h: T.Integer(),
  top_routes: T.Array(T.Object({ route: Str, count: T.Integer() })),
})

export const StatusChange = T.Object({
  project_id: Str,
  fingerprint: Str,
  status: StatusSchema,
  previous_status: StatusSchema,
  /** With `resolve_next`: the release current at resolution (null when the project has none). */
  resolved_in_release: T.Optional(Nullable(Str)),
})

export const FingerprintParams = T.Object({ fingerprint: FingerprintParam })
export const ActionParams = T.Object({
  fingerprint: FingerprintParam,
  action: T.Union([
    T.Literal('resolve'),
    T.Literal('resolve_next'),
    T.Literal('ignore'),
    T.Literal('mute'),
    T.Literal('unresolve'),
  ]),
})

/** Ingest answers. */
export const Accepted = T.Object({ status: T.Literal('accepted') })
export const BatchAccepted = T.Object({
  accepted: T.Integer(),
  dropped: T.Integer(),
  errors: T.Array(T.Object({ index: T.Integer(), field: Str, error: Str })),
})

/** A breadcrumb as SDKs send it (errors/breadcrumbs.ts checks the caps and names the crumb at fault). */
export const IngestBreadcrumb = T.Object({
  timestamp: T.Optional(T.Number({ minimum: 0, description: 'epoch ms or s; default: the event time' })),
  type: T.Optional(T.String({ maxLength: MAX_CRUMB_LABEL_CHARS })),
  category: T.Optional(T.String({ maxLength: MAX_CRUMB_LABEL_CHARS })),
  level: T.Optional(T.Union(CRUMB_LEVELS.map((l) => T.Literal(l)))),
  message: T.Optional(T.String({ description: `at most ${MAX_CRUMB_MESSAGE_BYTES} UTF-8 bytes` })),
  data: T.Optional(
    T.Record(T.String(), T.Unknown(), {
      description: `at most ${MAX_CRUMB_DATA_BYTES} bytes of compact JSON`,
    }),
  ),
})

/** An event as SDKs send it (validated by ingest/validate.ts, which names the field at fault). */
export const IngestEvent = T.Object({
  source: T.String({ minLength: 1 }),
  environment: T.String({ minLength: 1 }),
  error_type: T.String({ minLength: 1 }),
  message: T.String({ minLength: 1 }),
  timestamp: T.Optional(T.Number({ minimum: 0, description: 'epoch ms or s; default: the receive time' })),
  release: T.Optional(T.String()),
  app_version: T.Optional(T.String()),
  build_number: T.Optional(T.String()),
  route_or_procedure: T.Optional(T.String()),
  screen: T.Optional(T.String()),
  stack: T.Optional(T.String()),
  http_status: T.Optional(T.Integer({ minimum: 0, maximum: 65535 })),
  request_id: T.Optional(T.String()),
  user_id_hash: T.Optional(T.String()),
  device_id_hash: T.Optional(T.String()),
  fingerprint: T.Optional(T.String()),
  metadata: T.Optional(T.Unknown()),
  breadcrumbs: T.Optional(
    T.Array(IngestBreadcrumb, {
      maxItems: MAX_BREADCRUMBS,
      description: 'what happened before the error, oldest first (docs/decisions.md, "Breadcrumbs")',
    }),
  ),
})
