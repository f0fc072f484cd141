/**
 * Merge and unmerge (docs/decisions.md, "Triage"). Merging moves no rows: each merged
 * issue keeps its own row, aggregates, hourly counts, samples and raw events under its
 * own fingerprint, and `issue_merges` redirects it to the target. The commit (commit.ts)
 * consults the redirect, so later events grow both the merged issue's own totals and the
 * target's; reads of the target combine the group (`groupOf`). Unmerge therefore restores
 * exactly: the merged issue's own totals were never mixed, and the target's are taken
 * back out and its first/last sighting recomputed from the aggregates that remain.
 *
 * Merging and unmerging are writer tasks (triage.tasks.ts); they and the reads of a group
 * (`groupOf`) go through the storage seam.
 */
import type { Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import { recordActivity } from './activity'
import type { IssueStatus } from './commit'
import { estimate, mergeSketches } from './sketch'

export interface MergeArgs {
  project_id: string
  target: string
  fingerprints: string[]
  actor: string
  now: number
}

export type MergeResult = { merged: string[] } | { error: string; field?: string }

interface Row {
  fingerprint: string
  status: IssueStatus
  total_count: number
  first_seen: number
  last_seen: number
  last_release: string
  last_environment: string
  merged_into: string | null
}

const ROW =
  'fingerprint, status, total_count, first_seen, last_seen, last_release, last_environment, merged_into'

function rowOf(tx: Queryable, projectId: string, fingerprint: string): Promise<Row | null> {
  return tx.get<Row>(`SELECT ${ROW} FROM issues WHERE project_id = ? AND fingerprint = ?`, [
    projectId,
    fingerprint,
  ])
}

/** The fingerprints merged into `target` (not the target itself). */
async function membersOf(tx: Queryable, projectId: string, target: string): Promise<string[]> {
  const rows = await tx.all<{ fingerprint: string }>(
    'SELECT fingerprint FROM issue_merges WHERE project_id = ? AND target = ? ORDER BY merged_at, fingerprint',
    [projectId, target],
  )
  return rows.map((r) => r.fingerprint)
}

/** The target and every fingerprint merged into it: what reads of the target combine. */
export async function groupOf(b: Queryable, projectId: string, target: string): Promise<string[]> {
  return [target, ...(await membersOf(b, projectId, target))]
}

/** Merges `fingerprints` into `target`, in the writer task's one transaction. */
export async function mergeIssues(tx: Queryable, a: MergeArgs): Promise<MergeResult> {
  const target = await rowOf(tx, a.project_id, a.target)
  if (!target) return { error: `no issue with fingerprint ${a.target}`, field: 'target' }
  if (target.merged_into)
    return { error: `${a.target} is merged into ${target.merged_into}`, field: 'target' }
  const sources: Row[] = []
  for (const fp of new Set(a.fingerprints)) {
    if (fp === a.target) continue
    const row = await rowOf(tx, a.project_id, fp)
    if (!row) return { error: `no issue with fingerprint ${fp}`, field: 'fingerprints' }
    if (row.merged_into === a.target) continue
    if (row.merged_into)
      return { error: `${fp} is already merged into ${row.merged_into}`, field: 'fingerprints' }
    sources.push(row)
  }
  let { total_count, first_seen, last_seen, last_release, last_environment } = target
  for (const s of sources) {
    // A source that is itself a target hands its members over: they now point at the new
    // target directly, and the source's row keeps only its own totals again.
    const members = await membersOf(tx, a.project_id, s.fingerprint)
    if (members.length > 0) {
      const own = (await tx.get<{ n: number }>(
        `SELECT CAST(coalesce(sum(total_count), 0) AS BIGINT) AS n FROM issues
         WHERE project_id = ? AND fingerprint IN (${placeholders(members.length)})`,
        [a.project_id, ...members],
      )) as { n: number }
      await tx.run(
        'UPDATE issues SET total_count = total_count - ? WHERE project_id = ? AND fingerprint = ?',
        [own.n, a.project_id, s.fingerprint],
      )
      await tx.run('UPDATE issue_merges SET target = ? WHERE project_id = ? AND target = ?', [
        a.target,
        a.project_id,
        s.fingerprint,
      ])
      await tx.run('UPDATE issues SET merged_into = ? WHERE project_id = ? AND merged_into = ?', [
        a.target,
        a.project_id,
        s.fingerprint,
      ])
    }
    await tx.run(
      `INSERT INTO issue_merges (project_id, fingerprint, target, old_status, merged_by, merged_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [a.project_id, s.fingerprint, a.target, s.status, a.actor, a.now],
    )
    await tx.run('UPDATE issues SET merged_into = ? WHERE project_id = ? AND fingerprint = ?', [
      a.target,
      a.project_id,
      s.fingerprint,
    ])
    total_count += s.total_count
    first_seen = Math.min(first_seen, s.first_seen)
    if (s.last_seen > last_seen) {
      last_seen = s.last_seen
      last_release = s.last_release
      last_environment = s.last_environment
    }
    await recordActivity(tx, {
      project_id: a.project_id,
      fingerprint: s.fingerprint,
      kind: 'merged_into',
      actor: a.actor,
      at: a.now,
      detail: { target: a.target },
    })
  }
  if (sources.length === 0) return { merged: [] }
  await tx.run(
    `UPDATE issues SET total_count = ?, first_seen = ?, last_seen = ?, last_release = ?, last_environment = ?
     WHERE project_id = ? AND fingerprint = ?`,
    [total_count, first_seen, last_seen, last_release, last_environment, a.project_id, a.target],
  )
  // A source that was a target itself is back to its own users.
  await recountUsers(tx, a.project_id, [a.target, ...sources.map((s) => s.fingerprint)])
  const merged = sources.map((s) => s.fingerprint)
  await recordActivity(tx, {
    project_id: a.project_id,
    fingerprint: a.target,
    kind: 'merged',
    actor: a.actor,
    at: a.now,
    detail: { fingerprints: merged },
  })
  return { merged }
}

export interface UnmergeArgs {
  project_id: string
  fingerprints: string[]
  actor: string
  now: number
}

/** Takes each merged fingerprint back out of its target (a writer task); skips the unmerged. */
export async function unmergeIssues(
  tx: Queryable,
  a: UnmergeArgs,
): Promise<{ unmerged: { fingerprint: string; target: string }[] }> {
  const unmerged: { fingerprint: string; target: string }[] = []
  for (const fp of new Set(a.fingerprints)) {
    const m = await tx.get<{ target: string; old_status: IssueStatus }>(
      'SELECT target, old_status FROM issue_merges WHERE project_id = ? AND fingerprint = ?',
      [a.project_id, fp],
    )
    const own = await rowOf(tx, a.project_id, fp)
    if (!m || !own) continue
    await tx.run('DELETE FROM issue_merges WHERE project_id = ? AND fingerprint = ?', [a.project_id, fp])
    await tx.run(
      'UPDATE issues SET merged_into = NULL, status = ? WHERE project_id = ? AND fingerprint = ?',
      [m.old_status, a.project_id, fp],
    )
    await restoreTarget(tx, a.project_id, m.target, own.total_count)
    await recountUsers(tx, a.project_id, [fp, m.target])
    await recordActivity(tx, {
      project_id: a.project_id,
      fingerprint: fp,
      kind: 'unmerged_from',
      actor: a.actor,
      at: a.now,
      detail: { target: m.target },
    })
    await recordActivity(tx, {
      project_id: a.project_id,
      fingerprint: m.target,
      kind: 'unmerged',
      actor: a.actor,
      at: a.now,
      detail: { fingerprint: fp },
    })
    unmerged.push({ fingerprint: fp, target: m.target })
  }
  return { unmerged }
}

/** The target without one member: its totals less the member's, sightings from what is left. */
async function restoreTarget(
  tx: Queryable,
  projectId: string,
  target: string,
  memberTotal: number,
): Promise<void> {
  const group = await groupOf(tx, projectId, target)
  const inG = `fingerprint IN (${placeholders(group.length)})`
  const seen = await tx.get<{ first_seen: number | null; last_seen: number | null }>(
    `SELECT min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM error_aggregates
     WHERE project_id = ? AND ${inG}`,
    [projectId, ...group],
  )
  const last = await tx.get<{ release: string; environment: string }>(
    `SELECT release, environment FROM error_aggregates
     WHERE project_id = ? AND ${inG} ORDER BY last_seen DESC LIMIT 1`,
    [projectId, ...group],
  )
  await tx.run(
    `UPDATE issues SET total_count = total_count - ?,
       first_seen = coalesce(?, first_seen), last_seen = coalesce(?, last_seen),
       last_release = coalesce(?, last_release), last_environment = coalesce(?, last_environment)
     WHERE project_id = ? AND fingerprint = ?`,
    [
      memberTotal,
      seen?.first_seen ?? null,
      seen?.last_seen ?? null,
      last?.release ?? null,
      last?.environment ?? null,
      projectId,
      target,
    ],
  )
}

/**
 * Sets `users_count` of each issue to the estimate over its merge group, the union of the
 * group's total sketches (an issue merged into another has no members, so it gets its own
 * count), so the list sorts a merge or unmerge's issues right at once instead of after
 * their next events are folded (the fold's users.ts calls it for the groups it touches).
 */
export async function recountUsers(tx: Queryable, projectId: string, fingerprints: string[]): Promise<void> {
  for (const fp of new Set(fingerprints)) {
    const group = await groupOf(tx, projectId, fp)
    const rows = await tx.all<{ sketch: Uint8Array }>(
      `SELECT sketch FROM issue_user_sketches WHERE project_id = ? AND scope = 't'
         AND fingerprint IN (${placeholders(group.length)})`,
      [projectId, ...group],
    )
    let union: Uint8Array | null = null
    for (const r of rows) union = mergeSketches(union, r.sketch)
    await tx.run('UPDATE issues SET users_count = ? WHERE project_id = ? AND fingerprint = ?', [
      estimate(union),
      projectId,
      fp,
    ])
  }
}
