/**
 * The triage history beside `status_changes`: assignment, comments, merges and resolve in
 * the next release, one row each with who did it (docs/decisions.md, "Triage"). Written
 * by the writer tasks of those changes, read by the issue page.
 */
import { type Db, placeholders } from '../storage/db'

export type ActivityKind =
  | 'assigned'
  | 'unassigned'
  | 'commented'
  | 'comment_deleted'
  | 'merged'
  | 'merged_into'
  | 'unmerged'
  | 'unmerged_from'
  | 'resolved_next_release'

export interface ActivityRow {
  id: number
  project_id: string
  fingerprint: string
  kind: ActivityKind
  actor: string
  at: number
  detail: Record<string, unknown>
}

export function recordActivity(
  db: Db,
  a: {
    project_id: string
    fingerprint: string
    kind: ActivityKind
    actor: string
    at: number
    detail?: Record<string, unknown>
  },
): void {
  db.query(
    'INSERT INTO issue_activity (project_id, fingerprint, kind, actor, at, detail) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(a.project_id, a.fingerprint, a.kind, a.actor, a.at, JSON.stringify(a.detail ?? {}))
}

/** The activity of an issue and the issues merged into it, newest first. */
export function activityOf(db: Db, projectId: string, fingerprints: string[]): ActivityRow[] {
  return db
    .query<Omit<ActivityRow, 'detail'> & { detail: string }, string[]>(
      `SELECT id, project_id, fingerprint, kind, actor, at, detail FROM issue_activity
       WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)}) ORDER BY id DESC`,
    )
    .all(projectId, ...fingerprints)
    .map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }))
}
