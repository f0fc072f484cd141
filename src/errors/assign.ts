/**
 * Assignment (writer thread): an issue's assignee is a user id, with the username as it
 * was when assigned, which alert payloads carry. Who may be assigned is checked by the
 * route (any user of the server: every user sees every project, docs/decisions.md "Access").
 */
import type { Db } from '../storage/db'
import { recordActivity } from './activity'
import { effective, type IssueRef } from './status'

export interface AssignArgs {
  items: IssueRef[]
  assignee: { id: string; username: string } | null
  actor: string
  now: number
}

export function assignIssues(db: Db, a: AssignArgs): { changed: number } {
  return db
    .transaction(() => {
      let changed = 0
      for (const asked of a.items) {
        // A merged issue is triaged as its target (merge.ts).
        const ref = effective(db, asked)
        const row = db
          .query<{ assignee_id: string | null }, [string, string]>(
            'SELECT assignee_id FROM issues WHERE project_id = ? AND fingerprint = ?',
          )
          .get(ref.project_id, ref.fingerprint)
        if (!row || row.assignee_id === (a.assignee?.id ?? null)) continue
        db.query(
          'UPDATE issues SET assignee_id = ?, assignee_name = ? WHERE project_id = ? AND fingerprint = ?',
        ).run(a.assignee?.id ?? null, a.assignee?.username ?? null, ref.project_id, ref.fingerprint)
        recordActivity(db, {
          ...ref,
          kind: a.assignee ? 'assigned' : 'unassigned',
          actor: a.actor,
          at: a.now,
          detail: a.assignee ? { assignee: a.assignee.username, assignee_id: a.assignee.id } : {},
        })
        changed++
      }
      return { changed }
    })
    .immediate()
}
