/** Issue status changes from the API, with their history row (writer thread). */
import type { Db } from '../storage/db'
import type { IssueStatus } from './commit'
import { statements } from './statements'

/** A status change from the API, recorded in the history. Returns null for an unknown issue. */
export function setIssueStatus(
  db: Db,
  a: { project_id: string; fingerprint: string; status: IssueStatus; changed_by: string; now: number },
): { old_status: IssueStatus; status: IssueStatus } | null {
  return db
    .transaction(() => {
      const row = db
        .query<{ status: IssueStatus }, [string, string]>(
          'SELECT status FROM issues WHERE project_id = ? AND fingerprint = ?',
        )
        .get(a.project_id, a.fingerprint)
      if (!row) return null
      if (row.status !== a.status) {
        db.query('UPDATE issues SET status = ? WHERE project_id = ? AND fingerprint = ?').run(
          a.status,
          a.project_id,
          a.fingerprint,
        )
        statements(db).insertHistory.run(
          a.project_id,
          a.fingerprint,
          row.status,
          a.status,
          a.changed_by,
          a.now,
        )
      }
      return { old_status: row.status, status: a.status }
    })
    .immediate()
}
