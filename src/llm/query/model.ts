/**
 * Query parameters of the LLM read API (docs/llm-query.md). Every parameter is checked
 * here: an integer outside its range, a non-integer, an unknown sort or status, or a
 * parameter the route does not know is a 400 naming it (a misspelt filter silently
 * ignored would answer a different question than the one asked).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Offset, QueryInt } from '../../http/validate'

export const MAX_HOURS = 720
export const DEFAULT_HOURS = 24
export const MAX_LIMIT = 200
export const DEFAULT_LIMIT = 50
/** Money and durations a filter can ask for: far past any real trace, well inside SQLite's integers. */
const MAX_FILTER = 1_000_000_000_000_000
/** Shortest search text: the full-text index is made of trigrams, so shorter text matches nothing. */
export const MIN_SEARCH_CHARS = 3

const Closed = { additionalProperties: false }
const ProjectRef = T.Optional(T.String({ minLength: 1, maxLength: 128 }))
/** Ids and names as ingest bounds them (ids are at most 128 characters). */
const Id = T.Optional(T.String({ minLength: 1, maxLength: 128 }))
const Name = T.Optional(T.String({ minLength: 1, maxLength: 512 }))
const Hours = QueryInt({ minimum: 1, maximum: MAX_HOURS, default: DEFAULT_HOURS })
const Limit = QueryInt({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })

export const WindowQuery = T.Object({ project_id: ProjectRef, hours: Hours }, Closed)
export type WindowQuery = Static<typeof WindowQuery>

export const ProjectQuery = T.Object({ project_id: ProjectRef }, Closed)

export const UsageQuery = T.Object(
  { project_id: ProjectRef, hours: Hours, model: Name, provider: Name, limit: Limit, offset: Offset },
  Closed,
)
export type UsageQuery = Static<typeof UsageQuery>

export const LatencyQuery = T.Object({ project_id: ProjectRef, hours: Hours, model: Name }, Closed)
export const ModelsQuery = T.Object(
  { project_id: ProjectRef, hours: Hours, provider: Name, limit: Limit },
  Closed,
)

export const TraceStatus = T.Union([T.Literal('running'), T.Literal('completed'), T.Literal('error')])
export const TraceSort = T.Union(
  [T.Literal('newest'), T.Literal('oldest'), T.Literal('most_expensive'), T.Literal('slowest')],
  { default: 'newest' },
)
export type TraceSort = Static<typeof TraceSort>

const traceFilters = {
  project_id: ProjectRef,
  hours: Hours,
  session_id: Id,
  user_id: Id,
  status: T.Optional(TraceStatus),
  model: Name,
  provider: Name,
  prompt_name: Name,
  prompt_version: Name,
  min_cost_micros: T.Optional(QueryInt({ minimum: 0, maximum: MAX_FILTER })),
  min_latency_ms: T.Optional(QueryInt({ minimum: 0, maximum: MAX_FILTER })),
  has_error: T.Optional(T.Union([T.Literal('true'), T.Literal('false')])),
  search: T.Optional(T.String({ maxLength: 512 })),
  sort: TraceSort,
  limit: Limit,
  offset: Offset,
}
export const TracesQuery = T.Object(traceFilters, Closed)
export type TracesQuery = Static<typeof TracesQuery>
/** `/v1/llm/search` takes the list's parameters; `q` is what the old dashboard sent for `search`. */
export const SearchQuery = T.Object({ ...traceFilters, q: T.Optional(T.String({ maxLength: 512 })) }, Closed)

export const SessionsQuery = T.Object(
  { project_id: ProjectRef, hours: Hours, user_id: Id, limit: Limit, offset: Offset },
  Closed,
)
export const PageQuery = T.Object({ project_id: ProjectRef, limit: Limit, offset: Offset }, Closed)
export const ListQuery = T.Object({ project_id: ProjectRef, hours: Hours, limit: Limit }, Closed)
export const CompareQuery = T.Object(
  {
    project_id: ProjectRef,
    hours: Hours,
    v1: T.String({ minLength: 1, maxLength: 512 }),
    v2: T.String({ minLength: 1, maxLength: 512 }),
  },
  Closed,
)
export const ScoreSummaryQuery = T.Object(
  {
    project_id: ProjectRef,
    hours: Hours,
    name: T.String({ minLength: 1, maxLength: 64, default: 'accuracy' }),
  },
  Closed,
)
export const PricingQuery = T.Object({ project_id: ProjectRef, model: Name, provider: Name }, Closed)

/** Path parameters: a trace or session id, a prompt name. */
export const IdParam = T.String({ minLength: 1, maxLength: 128 })
export const NameParam = T.String({ minLength: 1, maxLength: 512 })
