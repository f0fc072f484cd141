/**
 * Comments on an issue: author and time, listed oldest first; an author deletes their own
 * (docs/decisions.md, "Triage"); an admin deletes anyone's. `author_id` null means an
 * admin. Writes run on the writer thread, with a history row; the list is read through
 * the storage seam.
 */
import type { Queryable } from '../storage/backend'
import { type Db, placeholders } from '../storage/db'
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

export function addComment(
  db: Db,
  a: IssueRef & { author_id: string; author: string; body: string; now: number },
): CommentRow | null {
  return db
    .transaction(() => {
      const exists = db
        .query('SELECT 1 FROM issues WHERE project_id = ? AND fingerprint = ?')
        .get(a.project_id, a.fingerprint)
      if (!exists) return null
      const row = db
        .query<CommentRow, [string, string, string, string, string, number]>(
          `INSERT INTO issue_comments (project_id, fingerprint, author_id, author, body, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLS}`,
        )
        .get(a.project_id, a.fingerprint, a.author_id, a.author, a.body, a.now) as CommentRow
      recordActivity(db, {
        project_id: a.project_id,
        fingerprint: a.fingerprint,
        kind: 'commented',
        actor: a.author,
        at: a.now,
        detail: { comment_id: row.id },
      })
      return row
    })
    .immediate()
}

export type DeleteOutcome = 'deleted' | 'missing' | 'not_author'

export function deleteComment(
  db: Db,
  a: IssueRef & { id: number; author_id: string | null; actor: string; now: number },
): DeleteOutcome {
  return db
    .transaction((): DeleteOutcome => {
      const row = db
        .query<{ author_id: string }, [number, string, string]>(
          'SELECT author_id FROM issue_comments WHERE id = ? AND project_id = ? AND fingerprint = ?',
        )
        .get(a.id, a.project_id, a.fingerprint)
      if (!row) return 'missing'
      if (a.author_id !== null && row.author_id !== a.author_id) return 'not_author'
      db.query('DELETE FROM issue_comments WHERE id = ?').run(a.id)
      recordActivity(db, {
        project_id: a.project_id,
        fingerprint: a.fingerprint,
        kind: 'comment_deleted',
        actor: a.actor,
        at: a.now,
        detail: { comment_id: a.id },
      })
      return 'deleted'
    })
    .immediate()
}

/** The comments of an issue and of the issues merged into it (merge.ts), oldest first. */
export function commentsOf(b: Queryable, projectId: string, fingerprints: string[]): Promise<CommentRow[]> {
  return b.all<CommentRow>(
    `SELECT ${COLS} FROM issue_comments WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)})
     ORDER BY id`,
    [projectId, ...fingerprints],
  )
}
