/**
 * Scores and feedback on traces (main connection, small writes, through the storage
 * seam). One score per (trace, name) and one vote per (trace, user): a later POST replaces
 * the earlier one, keeping when it was first given in created_at. Retention removes them
 * with their trace.
 */
import type { Queryable } from '../../storage/backend'
import type { FeedbackBody, ScoreBody } from './model'

export async function traceExists(db: Queryable, projectId: string, traceId: string): Promise<boolean> {
  return (
    (await db.get('SELECT 1 AS found FROM llm_traces WHERE project_id = ? AND id = ?', [
      projectId,
      traceId,
    ])) !== null
  )
}

export async function upsertScore(
  db: Queryable,
  projectId: string,
  traceId: string,
  s: ScoreBody,
  now: number,
): Promise<void> {
  await db.run(
    `INSERT INTO llm_scores (project_id, trace_id, name, value, source, comment, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
     ON CONFLICT (project_id, trace_id, name) DO UPDATE SET value = ?4, source = ?5, comment = ?6, updated_at = ?7`,
    [projectId, traceId, s.name, s.value, s.source, s.comment, now],
  )
}

export async function upsertFeedback(
  db: Queryable,
  projectId: string,
  traceId: string,
  f: FeedbackBody,
  now: number,
): Promise<void> {
  await db.run(
    `INSERT INTO llm_feedback (project_id, trace_id, user_id, value, comment, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
     ON CONFLICT (project_id, trace_id, user_id) DO UPDATE SET value = ?4, comment = ?5, updated_at = ?6`,
    [projectId, traceId, f.user_id, f.value, f.comment, now],
  )
}
