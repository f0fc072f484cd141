/** Request and response shapes of the retention admin API. */
import { type Static, Type as T } from '@sinclair/typebox'
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
