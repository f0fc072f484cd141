/** Request and response shapes of the retention admin API. */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { MAX_DAYS, MIN_DAYS } from './policy'

/** PUT bodies are small; a list of every project's override fits many times over. */
export const MAX_BODY_BYTES = 64 * 1024
export const MAX_OVERRIDES_PER_REQUEST = 1000

const Days = T.Integer({ minimum: MIN_DAYS, maximum: MAX_DAYS })

export const RetentionUpdate = T.Object(
  {
    raw_events_days: T.Optional(Days),
    hourly_counts_days: T.Optional(Days),
    per_project: T.Optional(
      T.Array(
        T.Object(
          {
            /** Project id or slug. */
            project_id: T.String({ minLength: 1, maxLength: 128 }),
            /** 0 removes the override (the project follows the global window again). */
            raw_events_days: T.Integer({ minimum: 0, maximum: MAX_DAYS }),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_OVERRIDES_PER_REQUEST },
      ),
    ),
  },
  { additionalProperties: false },
)
export type RetentionUpdate = Static<typeof RetentionUpdate>

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
/** What a pass did (retention/sweeper.ts, PassReport): `<hook>_deleted` counts besides these. */
export const PassReportSchema = T.Object(
  {
    trigger: T.Union([T.Literal('schedule'), T.Literal('purge')]),
    started_at: T.Integer(),
    finished_at: T.Integer(),
    duration_ms: T.Number(),
    per_project: T.Array(T.Object({ project_id: T.String() }, { additionalProperties: T.Integer() })),
    pages_freed: T.Integer(),
    partitions_dropped: T.Record(T.String(), T.Integer()),
    phases_ms: T.Record(T.String(), T.Number()),
    cutoffs: T.Object({
      raw_events_before: T.Integer(),
      hourly_buckets_through: T.Integer(),
      per_project: T.Record(T.String(), T.Integer()),
    }),
  },
  { additionalProperties: true },
)
/** Settings, overrides, storage figures and the schedule (retention/service.ts, RetentionView). */
export const RetentionViewSchema = T.Object({
  global: T.Object({
    raw_events_days: T.Integer(),
    hourly_counts_days: T.Integer(),
    source: T.Union([T.Literal('config'), T.Literal('admin')]),
    set_by: Nullable(T.String()),
    updated_at: T.Integer(),
  }),
  per_project: T.Array(T.Object({}, { additionalProperties: true })),
  storage: T.Object({}, { additionalProperties: true }),
  schedule: T.Object({
    prune_interval_secs: T.Integer(),
    prune_batch_size: T.Integer(),
    next_run_at: Nullable(T.Integer()),
    last_run: Nullable(PassReportSchema),
  }),
})
export const PurgeAnswer = T.Intersect([T.Object({ status: T.Literal('ok') }), PassReportSchema])
