/**
 * Issue status changes from the API, one issue or a batch (bulk actions), each with its
 * history row (writer thread). "Resolve in the next release" stores the release current
 * at resolution (releases.ts); the commit reopens the issue only for a newer one.
 */
import type { Db } from '../storage/db'
import { recordActivity } from './activity'
import type { IssueStatus } from './commit'
import { currentRelease } from './releases'
import { statements } from './statements'

export interface IssueRef {
  project_id: string
  fingerprint: string
}

export interface StatusArgs {
  status: IssueStatus
  /** With `resolved`: reopen only on an event of a newer release than the current one. */
  next_release?: boolean
  changed_by: string
  now: number
}

export interface StatusResult {
  old_status: IssueStatus
  status: IssueStatus
  resolved_in_release: string | null
}

/** A status change from the API, recorded in the history. Returns null for an unknown issue. */
export function setIssueStatus(db: Db, a: IssueRef & StatusArgs): StatusResult | null {
  return db.transaction(() => changeStatus(db, a, a)).immediate()
}

/** A bulk status change: every issue in one transaction; unknown issues are skipped. */
export function setIssueStatuses(db: Db, a: StatusArgs & { items: IssueRef[] }): { changed: number } {
  return db
    .transaction(() => {
      let changed = 0
      for (const ref of a.items) {
        const r = changeStatus(db, ref, a)
        if (r && (r.old_status !== r.status || r.resolved_in_release !== null)) changed++
      }
      return { changed }
    })
    .immediate()
}

/** A merged issue's status is its target's (merge.ts): a change of it changes the target. */
export function effective(db: Db, ref: IssueRef): IssueRef {
  const into = db
    .query<{ merged_into: string | null }, [string, string]>(
      'SELECT merged_into FROM issues WHERE project_id = ? AND fingerprint = ?',
    )
    .get(ref.project_id, ref.fingerprint)?.merged_into
  return into ? { project_id: ref.project_id, fingerprint: into } : ref
}

function changeStatus(db: Db, asked: IssueRef, a: StatusArgs): StatusResult | null {
  const ref = effective(db, asked)
  const row = db
    .query<{ status: IssueStatus; resolved_in_release: string | null }, [string, string]>(
      'SELECT status, resolved_in_release FROM issues WHERE project_id = ? AND fingerprint = ?',
    )
    .get(ref.project_id, ref.fingerprint)
  if (!row) return null
  const next = a.status === 'resolved' && a.next_release ? currentRelease(db, ref.project_id) : null
  db.query(
    `UPDATE issues SET status = ?, resolved_in_release = ?, resolved_release_seen = ?
     WHERE project_id = ? AND fingerprint = ?`,
  ).run(a.status, next?.release ?? null, next?.first_seen ?? null, ref.project_id, ref.fingerprint)
  if (row.status !== a.status) {
    statements(db).insertHistory.run(
      ref.project_id,
      ref.fingerprint,
      row.status,
      a.status,
      a.changed_by,
      a.now,
    )
  }
  if (next) {
    recordActivity(db, {
      project_id: ref.project_id,
      fingerprint: ref.fingerprint,
      kind: 'resolved_next_release',
      actor: a.changed_by,
      at: a.now,
      detail: { release: next.release },
    })
  }
  return { old_status: row.status, status: a.status, resolved_in_release: next?.release ?? null }
}
