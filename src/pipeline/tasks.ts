/**
 * Every kind of write the writer thread performs. Features that must write event data
 * (retention pruning, project data removal) add their task here, so all such writes go
 * through the one writer and never contend with ingest commits.
 */
import type { NormalizedEvent } from '../ingest/event'
import { purgeBatch } from '../projects/purge'
import type { Cutoffs } from '../retention/policy'
import { pruneHourlyBatch, pruneRawBatch, type RawCursor, vacuumStep } from '../retention/prune'
import type { Db } from '../storage/db'
import { commitEvents, type IssueStatus, resizeSampleRings, setIssueStatus } from './commit'

export interface TaskMap {
  commit: { args: { events: NormalizedEvent[]; sampleSize: number }; result: ReturnType<typeof commitEvents> }
  setStatus: {
    args: { project_id: string; fingerprint: string; status: IssueStatus; changed_by: string; now: number }
    result: ReturnType<typeof setIssueStatus>
  }
  /** Deletes one batch of a deleted project's rows from one event table (projects/purge.ts). */
  purgeProject: { args: { project_id: string; table: string; batch: number }; result: { deleted: number } }
  /** Re-lays the sample rings when the configured reservoir size changed. */
  resizeSampleRings: { args: { sampleSize: number }; result: ReturnType<typeof resizeSampleRings> }
  /** Proves the writer can take the write lock: BEGIN IMMEDIATE then ROLLBACK. */
  ping: { args: Record<string, never>; result: { ok: true } }
  /** Retention: looks at up to `limit` raw events after the cursor, deletes the expired ones. */
  pruneRaw: {
    args: { cutoffs: Cutoffs; after: RawCursor | null; limit: number }
    result: ReturnType<typeof pruneRawBatch>
  }
  /** Retention: deletes up to `limit` hourly-count rows at or before `lastBucket`. */
  pruneHourly: { args: { lastBucket: number; limit: number }; result: { deleted: number } }
  /** Retention: PRAGMA incremental_vacuum of up to `pages` free pages. */
  vacuumStep: { args: { pages: number }; result: ReturnType<typeof vacuumStep> }
}

export type TaskKind = keyof TaskMap

export const TASKS: { [K in TaskKind]: (db: Db, args: TaskMap[K]['args']) => TaskMap[K]['result'] } = {
  commit: (db, a) => commitEvents(db, a.events, a.sampleSize),
  setStatus: (db, a) => setIssueStatus(db, a),
  resizeSampleRings: (db, a) => resizeSampleRings(db, a.sampleSize),
  purgeProject: (db, a) => ({ deleted: purgeBatch(db, a.project_id, a.table, a.batch) }),
  ping: (db) => {
    db.run('BEGIN IMMEDIATE')
    db.run('ROLLBACK')
    return { ok: true }
  },
  pruneRaw: (db, a) => pruneRawBatch(db, a),
  pruneHourly: (db, a) => pruneHourlyBatch(db, a),
  vacuumStep: (db, a) => vacuumStep(db, a),
}
