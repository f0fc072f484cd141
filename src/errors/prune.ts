/**
 * The errors feature's retention hooks (registered as `errors.pruneRaw` and
 * `errors.pruneHourly`, run by the retention sweeper), one small transaction per call, so
 * an ingest commit waits at most one batch. The hourly one is a seam task; the raw one
 * stays on the writer thread's bun:sqlite connection because it folds the events it is
 * about to delete first (fold.ts, itself a SQLite task still).
 *
 * Raw events are walked in `received_at` order through the `raw_events_received` index
 * with a cursor, oldest first, and stop at the latest cutoff of any project. Each call
 * looks at most `limit` rows and deletes the expired ones among them (per project cutoff,
 * see retention/policy.ts), so a project whose longer override keeps old rows costs one
 * look at each of them per pass, not one per batch. Hourly counts go by bucket.
 */
import type { Cutoffs, PruneArgs, PruneStep } from '../retention'
import type { Queryable } from '../storage/backend'
import type { Db, Statement } from '../storage/db'
import { FOLD_LIMIT, foldEvents, foldWatermark } from './fold'

export interface RawCursor {
  received_at: number
  id: number
}

export type PruneRawResult = PruneStep<RawCursor> & { by_project: Record<string, number> }

interface Statements {
  scanFirst: Statement
  scanAfter: Statement
  deleteRaw: Statement
}

const prepared = new WeakMap<Db, Statements>()

function statements(db: Db): Statements {
  let s = prepared.get(db)
  if (s) return s
  s = {
    scanFirst: db.prepare(
      `SELECT id, project_id, received_at FROM raw_events INDEXED BY raw_events_received
       WHERE received_at < ? ORDER BY received_at, id LIMIT ?`,
    ),
    // Rows at the cursor's own receive time with a smaller id were looked at already.
    scanAfter: db.prepare(
      `SELECT id, project_id, received_at FROM raw_events INDEXED BY raw_events_received
       WHERE received_at >= ? AND received_at < ? AND NOT (received_at = ? AND id <= ?)
       ORDER BY received_at, id LIMIT ?`,
    ),
    deleteRaw: db.prepare('DELETE FROM raw_events WHERE id = ?'),
  }
  prepared.set(db, s)
  return s
}

interface ScanRow {
  id: number
  project_id: string
  received_at: number
}

/**
 * The rule of retention/policy.ts (`isExpired`): received strictly before the project's
 * cutoff. Restated here because this runs on the writer thread, which loads no feature's
 * main side (retention's index brings its routes).
 */
const expired = (c: Cutoffs, projectId: string, receivedAt: number) =>
  receivedAt < (c.raw_by_project[projectId] ?? c.raw_default)

/** Looks at up to `limit` raw events after `after` and deletes the expired ones, in one transaction. */
export function pruneRawBatch(db: Db, a: PruneArgs<RawCursor>): PruneRawResult {
  const st = statements(db)
  const until = a.cutoffs.raw_scan_until
  return db
    .transaction(() => {
      const rows = (
        a.after === null
          ? st.scanFirst.all(until, a.limit)
          : st.scanAfter.all(a.after.received_at, until, a.after.received_at, a.after.id, a.limit)
      ) as ScanRow[]
      let newest = 0
      for (const r of rows)
        if (r.id > newest && expired(a.cutoffs, r.project_id, r.received_at)) newest = r.id
      while (foldWatermark(db) < newest && foldEvents(db, { limit: FOLD_LIMIT }).folded > 0) {}
      const by_project: Record<string, number> = {}
      let deleted = 0
      for (const r of rows) {
        if (!expired(a.cutoffs, r.project_id, r.received_at)) continue
        st.deleteRaw.run(r.id)
        by_project[r.project_id] = (by_project[r.project_id] ?? 0) + 1
        deleted++
      }
      const last = rows[rows.length - 1]
      const next = rows.length < a.limit || !last ? null : { received_at: last.received_at, id: last.id }
      return { deleted, by_project, next }
    })
    .immediate()
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
