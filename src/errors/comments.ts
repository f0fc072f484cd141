/**
 * Comments on an issue: author and time, listed oldest first; an author deletes their own
 * (docs/decisions.md, "Triage"); an admin deletes anyone's. `author_id` null means an
 * admin. Writes are writer tasks (triage.tasks.ts), each with an activity row; reads and
 * writes go through the storage seam.
 */
import type { Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import { recordActivity } from './activity'
import type { IssueRef } from './status'

export const MAX_COMMENT_CHARS = 4000

export interface CommentRow {
  id: number
  project_id: string
  fingerprint: string
  author_id: string
  author: string
  body: string
  created_at: number
}

const COLS = 'id, project_id, fingerprint, author_id, author, body, created_at'

export async function addComment(
  tx: Queryable,
  a: IssueRef & { author_id: string; author: string; body: string; now: number },
): Promise<CommentRow | null> {
  const exists = await tx.get('SELECT 1 AS one FROM issues WHERE project_id = ? AND fingerprint = ?', [
    a.project_id,
    a.fingerprint,
  ])
  if (!exists) return null
  const row = (await tx.get<CommentRow>(
    `INSERT INTO issue_comments (project_id, fingerprint, author_id, author, body, created_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLS}`,
    [a.project_id, a.fingerprint, a.author_id, a.author, a.body, a.now],
  )) as CommentRow
  await recordActivity(tx, {
    project_id: a.project_id,
    fingerprint: a.fingerprint,
    kind: 'commented',
    actor: a.author,
    at: a.now,
    detail: { comment_id: row.id },
  })
  return row
}

export type DeleteOutcome = 'deleted' | 'missing' | 'not_author'

export async function deleteComment(
  tx: Queryable,
  a: IssueRef & { id: number; author_id: string | null; actor: string; now: number },
): Promise<DeleteOutcome> {
  const row = await tx.get<{ author_id: string }>(
    'SELECT author_id FROM issue_comments WHERE id = ? AND project_id = ? AND fingerprint = ?',
    [a.id, a.project_id, a.fingerprint],
  )
  if (!row) return 'missing'
  if (a.author_id !== null && row.author_id !== a.author_id) return 'not_author'
  await tx.run('DELETE FROM issue_comments WHERE id = ?', [a.id])
  await recordActivity(tx, {
    project_id: a.project_id,
    fingerprint: a.fingerprint,
    kind: 'comment_deleted',
    actor: a.actor,
    at: a.now,
    detail: { comment_id: a.id },
  })
  return 'deleted'
}

/** The comments of an issue and of the issues merged into it (merge.ts), oldest first. */
export function commentsOf(b: Queryable, projectId: string, fingerprints: string[]): Promise<CommentRow[]> {
  return b.all<CommentRow>(
    `SELECT ${COLS} FROM issue_comments WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)})
     ORDER BY id`,
    [projectId, ...fingerprints],
  )
}
