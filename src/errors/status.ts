/**
 * Issue status changes from the API, one issue or a batch (bulk actions), each with its
 * history row: writer tasks on the storage seam (triage.tasks.ts), so each runs in the
 * writer's one transaction on SQLite or PostgreSQL. "Resolve in the next release" stores
 * the release current at resolution (releases.ts); the commit reopens the issue only for a
 * newer one.
 */
import type { Param, Queryable } from '../storage/backend'
import { recordActivity } from './activity'
import type { IssueStatus } from './commit'
import { currentRelease } from './releases'

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
export function setIssueStatus(tx: Queryable, a: IssueRef & StatusArgs): Promise<StatusResult | null> {
  return changeStatus(tx, a, a)
}

/**
 * A bulk status change: every issue in the task's one transaction; unknown issues are
 * skipped. The same rows as one `setIssueStatus` per issue in order (a merged issue's
 * change is its target's, and a target asked twice sees its first change), but read and
 * written in bulk calls (`getEach`/`runMany`: pipelined on PostgreSQL), not four round
 * trips an issue.
 */
export async function setIssueStatuses(
  tx: Queryable,
  a: StatusArgs & { items: IssueRef[] },
): Promise<{ changed: number }> {
  const key = (r: IssueRef) => `${r.project_id}\u0000${r.fingerprint}`
  const merged = await tx.getEach<{ merged_into: string | null }>(
    'SELECT merged_into FROM issues WHERE project_id = ? AND fingerprint = ?',
    a.items.map((r) => [r.project_id, r.fingerprint]),
  )
  const refs = a.items.map((r, i) => {
    const into = merged[i]?.merged_into
    return into ? { project_id: r.project_id, fingerprint: into } : r
  })
  const unique = [...new Map(refs.map((r) => [key(r), r])).values()]
  const rows = await tx.getEach<{ status: IssueStatus }>(
    'SELECT status FROM issues WHERE project_id = ? AND fingerprint = ?',
    unique.map((r) => [r.project_id, r.fingerprint]),
  )
  const status = new Map<string, IssueStatus>()
  unique.forEach((r, i) => {
    const row = rows[i]
    if (row) status.set(key(r), row.status)
  })
  const releases = new Map<string, { release: string; first_seen: number } | null>()
  const updates: Param[][] = []
  const history: Param[][] = []
  const activity: IssueRef[] = []
  let changed = 0
  for (const ref of refs) {
    const old = status.get(key(ref))
    if (old === undefined) continue
    let next: { release: string; first_seen: number } | null = null
    if (a.status === 'resolved' && a.next_release) {
      if (!releases.has(ref.project_id))
        releases.set(ref.project_id, await currentRelease(tx, ref.project_id))
      next = releases.get(ref.project_id) ?? null
    }
    updates.push([a.status, next?.release ?? null, next?.first_seen ?? null, ref.project_id, ref.fingerprint])
    if (old !== a.status) history.push([ref.project_id, ref.fingerprint, old, a.status, a.changed_by, a.now])
    if (next) activity.push(ref)
    if (old !== a.status || next !== null) changed++
    status.set(key(ref), a.status)
  }
  if (updates.length > 0)
    await tx.runMany(
      `UPDATE issues SET status = ?, resolved_in_release = ?, resolved_release_seen = ?
       WHERE project_id = ? AND fingerprint = ?`,
      updates,
    )
  if (history.length > 0)
    await tx.runMany(
      `INSERT INTO status_changes (project_id, fingerprint, old_status, new_status, changed_by, changed_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      history,
    )
  for (const ref of activity)
    await recordActivity(tx, {
      ...ref,
      kind: 'resolved_next_release',
      actor: a.changed_by,
      at: a.now,
      detail: { release: releases.get(ref.project_id)?.release },
    })
  return { changed }
}

/** A merged issue's status is its target's (merge.ts): a change of it changes the target. */
export async function effective(tx: Queryable, ref: IssueRef): Promise<IssueRef> {
  const row = await tx.get<{ merged_into: string | null }>(
    'SELECT merged_into FROM issues WHERE project_id = ? AND fingerprint = ?',
    [ref.project_id, ref.fingerprint],
  )
  return row?.merged_into ? { project_id: ref.project_id, fingerprint: row.merged_into } : ref
}

async function changeStatus(tx: Queryable, asked: IssueRef, a: StatusArgs): Promise<StatusResult | null> {
  const ref = await effective(tx, asked)
  const row = await tx.get<{ status: IssueStatus; resolved_in_release: string | null }>(
    'SELECT status, resolved_in_release FROM issues WHERE project_id = ? AND fingerprint = ?',
    [ref.project_id, ref.fingerprint],
  )
  if (!row) return null
  const next = a.status === 'resolved' && a.next_release ? await currentRelease(tx, ref.project_id) : null
  await tx.run(
    `UPDATE issues SET status = ?, resolved_in_release = ?, resolved_release_seen = ?
     WHERE project_id = ? AND fingerprint = ?`,
    [a.status, next?.release ?? null, next?.first_seen ?? null, ref.project_id, ref.fingerprint],
  )
  if (row.status !== a.status) {
    // The same row the commit writes for a regression (statements.ts `insertHistory`).
    await tx.run(
      `INSERT INTO status_changes (project_id, fingerprint, old_status, new_status, changed_by, changed_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [ref.project_id, ref.fingerprint, row.status, a.status, a.changed_by, a.now],
    )
  }
  if (next) {
    await recordActivity(tx, {
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
