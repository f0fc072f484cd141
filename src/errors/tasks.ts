/**
 * The errors feature's writer side: every write of event data (the write path of ingest,
 * the fold of tag counts and users after it, status changes from the API, the sample
 * rings at start, retention's deletions of raw events and hourly counts) is one of these
 * seam tasks (storage/tasks.ts), run one at a time by the writer, so none of them contends
 * with an ingest commit. src/writer.tasks.ts registers this table; nothing here
 * imports HTTP code, because the writer thread loads it.
 */
import type { ProjectDataTable } from '../core/feature'
import type { PruneArgs, SeamPruneTask } from '../retention'
import { seamTask, type TaskTable } from '../storage/tasks'
import { commitEvents } from './commit'
import type { NormalizedEvent } from './event'
import { foldEvents } from './fold'
import { pruneHourlyBatch, pruneRawBatch, type RawCursor } from './prune'
import { resizeSampleRings } from './samples'
import { triageTasks } from './triage.tasks'
import { pruneUsersHourly, type UsersCursor } from './users'

export const errorsTasks = {
  /** One group commit of events (the errors BatchQueue's batches). */
  'errors.commit': seamTask((tx, a: { events: NormalizedEvent[]; sampleSize: number }) =>
    commitEvents(tx, a.events, a.sampleSize),
  ),
  /** Tag counts and users of the raw events after the watermark (fold.ts; fold.schedule.ts runs it). */
  'errors.fold': seamTask((tx, a: { limit: number }) => foldEvents(tx, a)),
  /** Status changes, assignment, merge and comments: seam tasks (triage.tasks.ts). */
  ...triageTasks,
  /** Re-lays the sample rings when the configured reservoir size changed. */
  'errors.resizeSampleRings': seamTask((tx, a: { sampleSize: number }) =>
    resizeSampleRings(tx, a.sampleSize),
  ),
  /** Retention hook: looks at up to `limit` raw events after the cursor, deletes the expired ones. */
  'errors.pruneRaw': seamTask(pruneRawBatch) satisfies SeamPruneTask<RawCursor>,
  /** Retention hook: deletes up to `limit` hourly-count rows whose hour is past the window. */
  'errors.pruneHourly': seamTask(pruneHourlyBatch) satisfies SeamPruneTask<true>,
  /** Retention hook: hourly distinct-user sketches go with the hourly counts' window. */
  'errors.pruneUsersHourly': seamTask((tx, a: PruneArgs<UsersCursor>) =>
    pruneUsersHourly(tx, {
      lastBucket: a.cutoffs.hourly_last_bucket,
      after: a.after,
      limit: a.limit,
    }),
  ) satisfies SeamPruneTask<UsersCursor>,
} satisfies TaskTable

export type ErrorsTasks = typeof errorsTasks

/**
 * Rows of a deleted project, removed in this order (projects/tasks.ts). `issues` goes
 * last: a removal cut short leaves issue rows, and that is how the next start finds it.
 */
export const errorsProjectData: readonly ProjectDataTable[] = [
  { table: 'raw_event_ids', key: ['project_id', 'event_id'] },
  { table: 'raw_events', key: ['id'] },
  { table: 'samples', key: ['id'] },
  { table: 'status_changes', key: ['id'] },
  { table: 'issue_activity', key: ['id'] },
  { table: 'issue_comments', key: ['id'] },
  { table: 'issue_merges', key: ['project_id', 'fingerprint'] },
  { table: 'error_settings', key: ['project_id'] },
  {
    table: 'event_counts_hourly',
    key: ['project_id', 'fingerprint', 'hour_bucket', 'environment', 'source', 'release'],
  },
  { table: 'error_aggregates', key: ['project_id', 'fingerprint', 'release', 'environment'] },
  { table: 'issue_user_sketches', key: ['project_id', 'fingerprint', 'scope'] },
  { table: 'issue_users', key: ['project_id', 'user_id_hash', 'fingerprint'] },
  { table: 'issue_tags', key: ['project_id', 'fingerprint', 'key', 'value'] },
  { table: 'issues', key: ['project_id', 'fingerprint'] },
]
