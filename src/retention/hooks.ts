/**
 * The contract between the retention sweeper and the features whose data it prunes. A
 * feature declares hooks (`retention: [{ name, task }]` in its feature object): each names
 * a writer task of this shape, which the sweeper calls batch after batch until it answers
 * `next: null`. The sweeper decides the cutoffs (policy.ts); the task applies them to its
 * own tables in one short transaction of at most `limit` rows, so an ingest commit waits
 * for at most one batch.
 *
 * `after` and `next` are the task's own cursor (opaque to the sweeper, JSON-safe). The
 * pass report counts `deleted` as `<name>_deleted` and, when the task reports
 * `by_project`, per project.
 */
import type { SeamTask, Task } from '../storage/tasks'
import type { Cutoffs } from './policy'

export interface PruneArgs<C = unknown> {
  cutoffs: Cutoffs
  after: C | null
  limit: number
}

export interface PruneStep<C = unknown> {
  /** Rows deleted by this call (at most `limit`). */
  deleted: number
  /** The same, per project id (only projects that lost rows). */
  by_project?: Record<string, number>
  /** Where the next call continues; null when nothing expired is left. */
  next: C | null
}

export type PruneTask<C = unknown> = Task<PruneArgs<C>, PruneStep<C>>

/**
 * The same hook as a seam task (storage/tasks.ts `seamTask`): it runs in the writer's one
 * transaction on either backend, so its feature can run on PostgreSQL
 * (docs/ARCHITECTURE.md, "Converting a writer task").
 */
export type SeamPruneTask<C = unknown> = SeamTask<PruneArgs<C>, PruneStep<C>>
