/**
 * The triage history beside `status_changes`: assignment, comments, merges and resolve in
 * the next release, one row each with who did it (docs/decisions.md, "Triage"). Written
 * by the writer tasks of those changes, read by the issue page, both through the storage
 * seam.
 */
import type { Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'

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

export async function recordActivity(
  tx: Queryable,
  a: {
    project_id: string
    fingerprint: string
    kind: ActivityKind
    actor: string
    at: number
    detail?: Record<string, unknown>
  },
): Promise<void> {
  await tx.run(
    'INSERT INTO issue_activity (project_id, fingerprint, kind, actor, at, detail) VALUES (?, ?, ?, ?, ?, ?)',
    [a.project_id, a.fingerprint, a.kind, a.actor, a.at, JSON.stringify(a.detail ?? {})],
  )
}

/** The activity of an issue and the issues merged into it, newest first. */
export async function activityOf(
  b: Queryable,
  projectId: string,
  fingerprints: string[],
): Promise<ActivityRow[]> {
  const rows = await b.all<Omit<ActivityRow, 'detail'> & { detail: string }>(
    `SELECT id, project_id, fingerprint, kind, actor, at, detail FROM issue_activity
     WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)}) ORDER BY id DESC`,
    [projectId, ...fingerprints],
  )
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }))
}
