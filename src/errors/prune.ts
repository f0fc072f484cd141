/**
 * The errors feature's retention hooks (registered as `errors.pruneRaw` and
 * `errors.pruneHourly`, run by the retention sweeper), one small transaction per call, so
 * an ingest commit waits at most one batch. Both are seam tasks; the raw one folds the
 * events it is about to delete first (fold.ts), in the same transaction.
 *
 * Raw events are walked in `received_at` order through the `raw_events_received` index
 * with a cursor, oldest first, and stop at the latest cutoff of any project. Each call
 * looks at most `limit` rows and deletes the expired ones among them (per project cutoff,
 * see retention/policy.ts), so a project whose longer override keeps old rows costs one
 * look at each of them per pass, not one per batch. Hourly counts go by bucket.
 */
import type { Cutoffs, PruneArgs, PruneStep } from '../retention'
import type { Param, Queryable } from '../storage/backend'
import { FOLD_LIMIT, foldEvents, foldWatermark } from './fold'

export interface RawCursor {
  received_at: number
  id: number
}

export type PruneRawResult = PruneStep<RawCursor> & { by_project: Record<string, number> }

const PRUNE_SQL = {
  scanFirst: `SELECT id, project_id, received_at, event_id FROM raw_events INDEXED BY raw_events_received
     WHERE received_at < ? ORDER BY received_at, id LIMIT ?`,
  // Rows at the cursor's own receive time with a smaller id were looked at already.
  scanAfter: `SELECT id, project_id, received_at, event_id FROM raw_events INDEXED BY raw_events_received
     WHERE received_at >= ? AND received_at < ? AND NOT (received_at = ? AND id <= ?)
     ORDER BY received_at, id LIMIT ?`,
  deleteRaw: 'DELETE FROM raw_events WHERE id = ?',
  // The event's claim of its Sentry event_id goes with it (commit.ts).
  deleteEventId: 'DELETE FROM raw_event_ids WHERE project_id = ? AND event_id = ?',
} as const

interface ScanRow {
  id: number
  project_id: string
  received_at: number
  event_id: string | null
}

/**
 * The rule of retention/policy.ts (`isExpired`): received strictly before the project's
 * cutoff. Restated here because this runs on the writer thread, which loads no feature's
 * main side (retention's index brings its routes).
 */
const expired = (c: Cutoffs, projectId: string, receivedAt: number) =>
  receivedAt < (c.raw_by_project[projectId] ?? c.raw_default)

/**
 * Looks at up to `limit` raw events after `after` and deletes the expired ones, in the
 * task's one transaction. Expired events the fold has not reached yet are folded first.
 */
export async function pruneRawBatch(tx: Queryable, a: PruneArgs<RawCursor>): Promise<PruneRawResult> {
  const until = a.cutoffs.raw_scan_until
  const rows = await (a.after === null
    ? tx.all<ScanRow>(PRUNE_SQL.scanFirst, [until, a.limit])
    : tx.all<ScanRow>(PRUNE_SQL.scanAfter, [
        a.after.received_at,
        until,
        a.after.received_at,
        a.after.id,
        a.limit,
      ]))
  let newest = 0
  for (const r of rows) if (r.id > newest && expired(a.cutoffs, r.project_id, r.received_at)) newest = r.id
  while ((await foldWatermark(tx)) < newest && (await foldEvents(tx, { limit: FOLD_LIMIT })).folded > 0) {}
  const by_project: Record<string, number> = {}
  const gone: Param[][] = []
  const ids: Param[][] = []
  for (const r of rows) {
    if (!expired(a.cutoffs, r.project_id, r.received_at)) continue
    gone.push([r.id])
    if (r.event_id !== null) ids.push([r.project_id, r.event_id])
    by_project[r.project_id] = (by_project[r.project_id] ?? 0) + 1
  }
  if (gone.length > 0) await tx.runMany(PRUNE_SQL.deleteRaw, gone)
  if (ids.length > 0) await tx.runMany(PRUNE_SQL.deleteEventId, ids)
  const last = rows[rows.length - 1]
  const next = rows.length < a.limit || !last ? null : { received_at: last.received_at, id: last.id }
  return { deleted: gone.length, by_project, next }
}

/**
 * Deletes up to `limit` hourly-count rows whose hour lies wholly before the window. A
 * full batch may have left more: the next call continues (the cursor carries nothing).
 * A seam task: the writer's one transaction holds it, on either backend.
 */
export async function pruneHourlyBatch(tx: Queryable, a: PruneArgs<true>): Promise<PruneStep<true>> {
  const { changes: deleted } = await tx.run(
    `DELETE FROM event_counts_hourly
     WHERE (project_id, fingerprint, hour_bucket, environment, source, release) IN (
       SELECT project_id, fingerprint, hour_bucket, environment, source, release
       FROM event_counts_hourly INDEXED BY event_counts_hourly_bucket
       WHERE hour_bucket <= ? LIMIT ?)`,
    [a.cutoffs.hourly_last_bucket, a.limit],
  )
  return { deleted, next: deleted < a.limit ? null : true }
}
