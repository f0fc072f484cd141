/**
 * Assignment, a writer task on the storage seam (triage.tasks.ts): an issue's assignee is
 * a user id, with the username as it was when assigned, which alert payloads carry. Who may
 * be assigned is checked by the route (any user of the server: every user sees every
 * project, docs/decisions.md "Access").
 */
import type { Queryable } from '../storage/backend'
import { recordActivity } from './activity'
import { effective, type IssueRef } from './status'

export interface AssignArgs {
  items: IssueRef[]
  assignee: { id: string; username: string } | null
  actor: string
  now: number
}

export async function assignIssues(tx: Queryable, a: AssignArgs): Promise<{ changed: number }> {
  let changed = 0
  for (const asked of a.items) {
    // A merged issue is triaged as its target (merge.ts).
    const ref = await effective(tx, asked)
    const row = await tx.get<{ assignee_id: string | null }>(
      'SELECT assignee_id FROM issues WHERE project_id = ? AND fingerprint = ?',
      [ref.project_id, ref.fingerprint],
    )
    if (!row || row.assignee_id === (a.assignee?.id ?? null)) continue
    await tx.run(
      'UPDATE issues SET assignee_id = ?, assignee_name = ? WHERE project_id = ? AND fingerprint = ?',
      [a.assignee?.id ?? null, a.assignee?.username ?? null, ref.project_id, ref.fingerprint],
    )
    await recordActivity(tx, {
      ...ref,
      kind: a.assignee ? 'assigned' : 'unassigned',
      actor: a.actor,
      at: a.now,
      detail: a.assignee ? { assignee: a.assignee.username, assignee_id: a.assignee.id } : {},
    })
    changed++
  }
  return { changed }
}
