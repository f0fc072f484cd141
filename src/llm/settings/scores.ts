/**
 * Scores and feedback on traces (main connection, small writes). One score per (trace,
 * name) and one vote per (trace, user): a later POST replaces the earlier one, keeping
 * when it was first given in created_at. Retention removes them with their trace.
 */
import type { Db } from '../../storage/db'
import type { FeedbackBody, ScoreBody } from './model'

export function traceExists(db: Db, projectId: string, traceId: string): boolean {
  return db.query('SELECT 1 FROM llm_traces WHERE project_id = ? AND id = ?').get(projectId, traceId) !== null
}

export function upsertScore(db: Db, projectId: string, traceId: string, s: ScoreBody, now: number): void {
  db.query(
    `INSERT INTO llm_scores (project_id, trace_id, name, value, source, comment, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
     ON CONFLICT (project_id, trace_id, name) DO UPDATE SET value = ?4, source = ?5, comment = ?6, updated_at = ?7`,
  ).run(projectId, traceId, s.name, s.value, s.source, s.comment, now)
}

export function upsertFeedback(
  db: Db,
  projectId: string,
  traceId: string,
  f: FeedbackBody,
  now: number,
): void {
  db.query(
    `INSERT INTO llm_feedback (project_id, trace_id, user_id, value, comment, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
     ON CONFLICT (project_id, trace_id, user_id) DO UPDATE SET value = ?4, comment = ?5, updated_at = ?6`,
  ).run(projectId, traceId, f.user_id, f.value, f.comment, now)
}
