/**
 * Every kind of write the writer thread performs. Features that must write event data
 * (retention pruning, project data removal) add their task here, so all such writes go
 * through the one writer and never contend with ingest commits.
 */
import type { NormalizedEvent } from '../ingest/event'
import { purgeBatch } from '../projects/purge'
import type { Db } from '../storage/db'
import { commitEvents, type IssueStatus, setIssueStatus } from './commit'

export interface TaskMap {
  commit: { args: { events: NormalizedEvent[]; sampleSize: number }; result: ReturnType<typeof commitEvents> }
  setStatus: {
    args: { project_id: string; fingerprint: string; status: IssueStatus; changed_by: string; now: number }
    result: ReturnType<typeof setIssueStatus>
  }
  /** Deletes one batch of a deleted project's rows from one event table (projects/purge.ts). */
  purgeProject: { args: { project_id: string; table: string; batch: number }; result: { deleted: number } }
  /** Proves the writer can take the write lock: BEGIN IMMEDIATE then ROLLBACK. */
  ping: { args: Record<string, never>; result: { ok: true } }
}

export type TaskKind = keyof TaskMap

export const TASKS: { [K in TaskKind]: (db: Db, args: TaskMap[K]['args']) => TaskMap[K]['result'] } = {
  commit: (db, a) => commitEvents(db, a.events, a.sampleSize),
  setStatus: (db, a) => setIssueStatus(db, a),
  purgeProject: (db, a) => ({ deleted: purgeBatch(db, a.project_id, a.table, a.batch) }),
  ping: (db) => {
    db.run('BEGIN IMMEDIATE')
    db.run('ROLLBACK')
    return { ok: true }
  },
}
