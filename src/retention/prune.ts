/**
 * The deleting half of retention; these functions run on the writer thread (as the tasks
 * `pruneRaw`, `pruneHourly` and `vacuumStep` in pipeline/tasks.ts), one small transaction
 * per call, so an ingest commit waits at most one batch.
 *
 * Raw events are walked in `received_at` order through the `raw_events_received` index
 * with a cursor, oldest first, and stop at the latest cutoff of any project. Each call
 * looks at most `limit` rows and deletes the expired ones among them (per project cutoff,
 * see policy.ts), so a project whose longer override keeps old rows costs one look at
 * each of them per pass, not one per batch.
 */
import type { Db, Statement } from '../storage/db'
import { type Cutoffs, isExpired } from './policy'

export interface RawCursor {
  received_at: number
  id: number
}

export interface PruneRawResult {
  /** Rows deleted by this call (at most `limit`). */
  deleted: number
  by_project: Record<string, number>
  /** Where the next call continues; null when the walk reached the cutoff. */
  next: RawCursor | null
}

interface Statements {
  scanFirst: Statement
  scanAfter: Statement
  deleteRaw: Statement
  hourly: Statement
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
    hourly: db.prepare(
      `DELETE FROM event_counts_hourly
       WHERE (project_id, fingerprint, hour_bucket, environment, source, release) IN (
         SELECT project_id, fingerprint, hour_bucket, environment, source, release
         FROM event_counts_hourly INDEXED BY event_counts_hourly_bucket
         WHERE hour_bucket <= ? LIMIT ?)`,
    ),
  }
  prepared.set(db, s)
  return s
}

interface ScanRow {
  id: number
  project_id: string
  received_at: number
}

/** Looks at up to `limit` raw events after `after` and deletes the expired ones, in one transaction. */
export function pruneRawBatch(
  db: Db,
  a: { cutoffs: Cutoffs; after: RawCursor | null; limit: number },
): PruneRawResult {
  const st = statements(db)
  const until = a.cutoffs.raw_scan_until
  return db
    .transaction(() => {
      const rows = (
        a.after === null
          ? st.scanFirst.all(until, a.limit)
          : st.scanAfter.all(a.after.received_at, until, a.after.received_at, a.after.id, a.limit)
      ) as ScanRow[]
      const by_project: Record<string, number> = {}
      let deleted = 0
      for (const r of rows) {
        if (!isExpired(a.cutoffs, r.project_id, r.received_at)) continue
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

/** Deletes up to `limit` hourly-count rows whose hour lies wholly before the window. */
export function pruneHourlyBatch(db: Db, a: { lastBucket: number; limit: number }): { deleted: number } {
  const st = statements(db)
  return db.transaction(() => ({ deleted: st.hourly.run(a.lastBucket, a.limit).changes })).immediate()
}

/**
 * Returns up to `pages` free pages to the file system (PRAGMA incremental_vacuum), one
 * short write transaction; the database was created with auto_vacuum = INCREMENTAL
 * (storage/db.ts). Reports how many pages were freed and how many free pages remain.
 */
export function vacuumStep(db: Db, a: { pages: number }): { freed: number; remaining: number } {
  const free = () => (db.query('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count
  const before = free()
  if (before === 0) return { freed: 0, remaining: 0 }
  db.run(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(a.pages))})`)
  const after = free()
  return { freed: before - after, remaining: after }
}
