/**
 * Users affected (docs/decisions.md, "Users affected"): the distinct `user_id_hash` values
 * of an issue, in total, per release and per hour, as sketches (sketch.ts) in
 * `issue_user_sketches` (scope `t`, `r:<release>`, `h:<hour bucket>`), folded in after the
 * commit, many commits' events at a time (fold.ts). `issues.users_count` holds the
 * estimate of the total over the issue's merge group (the union of the `t` sketches of the
 * issue and of the fingerprints merged into it, merge.ts), which the list shows and sorts
 * by. The last 24 hours are the union of that many hourly sketches, merged on read. Hourly
 * sketches expire with the hourly counts (retention's `hourly_counts_days`); the total and
 * per-release sketches stay with the issue.
 *
 * Per fold, for all its issues together: one read of the sketches it touches, one write
 * of those that changed (a user already counted changes nothing) and one update of the
 * issues' counts, per 100 of each. Events without a user cost nothing here.
 */
import { HOUR_MS, hourBucket } from '../core/time'
import type { Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import type { NormalizedEvent } from './event'
import { recountUsers } from './merge'
import { estimate, mergeSketches, userHash32, withHashes } from './sketch'

/** An hour's scope: `h:` and the hours since the epoch in 8 digits, so scopes sort by time. */
const hourScope = (hourBucketMs: number) => `h:${String(hourBucketMs / HOUR_MS).padStart(8, '0')}`

/** Sketches per read or write statement, issues per count update. */
const CHUNK = 100

const key = (a: string, b: string, c: string) => `${a}\u0000${b}\u0000${c}`

const tuples = (n: number, width: number) =>
  Array.from({ length: n }, () => `(${placeholders(width)})`).join(', ')

/** `rows` in chunks of CHUNK, one call of `run` (one multi-row statement) each, in order. */
async function chunked<T>(rows: readonly T[], run: (chunk: readonly T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await run(rows.slice(i, i + CHUNK))
}

/** What an event's users are read from. */
export type UserSource = Pick<NormalizedEvent, 'user_id_hash' | 'release' | 'received_at'>

/** One issue's events of a fold, under its own fingerprint. */
export interface IssueEvents {
  project_id: string
  fingerprint: string
  events: UserSource[]
}

/**
 * Adds the users of a fold's events (inside the fold's transaction), for all its issues at
 * once: the hashes gathered per sketch in memory, then one read of the sketches they
 * touch, one write of those that changed (a user already counted changes nothing), one
 * update of the issues' counts, per 100 of each; and the counts of the merge groups they
 * belong to (merge.ts `recountUsers`).
 */
export async function commitUsers(tx: Queryable, groups: IssueEvents[]): Promise<void> {
  const touched: { project_id: string; fingerprint: string; scope: string; hashes: number[] }[] = []
  // (project, user, fingerprint) once each, for the `user:` search (issue_users).
  const pairs = new Map<string, [string, string, string]>()
  for (const g of groups) {
    const scopes = new Map<string, number[]>()
    const add = (scope: string, h: number) => {
      const s = scopes.get(scope)
      if (s) s.push(h)
      else scopes.set(scope, [h])
    }
    for (const e of g.events) {
      if (e.user_id_hash === null) continue
      pairs.set(key(g.project_id, e.user_id_hash, g.fingerprint), [
        g.project_id,
        e.user_id_hash,
        g.fingerprint,
      ])
      const h = userHash32(e.user_id_hash)
      add('t', h)
      add(`r:${e.release}`, h)
      add(hourScope(hourBucket(e.received_at)), h)
    }
    for (const [scope, hashes] of scopes)
      touched.push({ project_id: g.project_id, fingerprint: g.fingerprint, scope, hashes })
  }
  if (touched.length === 0) return
  // In key order, so consecutive rows land on the same b-tree pages; a pair already there
  // (a user who hit the issue before) writes nothing.
  const rows = [...pairs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1])
  await chunked(rows, (chunk) =>
    tx.run(
      `INSERT INTO issue_users (project_id, user_id_hash, fingerprint) VALUES ${tuples(chunk.length, 3)}
       ON CONFLICT DO NOTHING`,
      chunk.flat(),
    ),
  )
  const old = new Map<string, Uint8Array>()
  await chunked(touched, async (chunk) => {
    const found = await tx.all<{
      project_id: string
      fingerprint: string
      scope: string
      sketch: Uint8Array
    }>(
      `SELECT project_id, fingerprint, scope, sketch FROM issue_user_sketches
       WHERE (project_id, fingerprint, scope) IN (VALUES ${tuples(chunk.length, 3)})`,
      chunk.flatMap((t) => [t.project_id, t.fingerprint, t.scope]),
    )
    for (const r of found) old.set(key(r.project_id, r.fingerprint, r.scope), r.sketch)
  })
  const writes: (string | number | Uint8Array)[][] = []
  const counts: [string, string, number][] = []
  for (const t of touched) {
    const next = withHashes(old.get(key(t.project_id, t.fingerprint, t.scope)) ?? null, t.hashes)
    if (next === null) continue
    const users = estimate(next)
    writes.push([t.project_id, t.fingerprint, t.scope, next, users])
    if (t.scope === 't') counts.push([t.project_id, t.fingerprint, users])
  }
  await chunked(writes, (chunk) =>
    tx.run(
      `INSERT INTO issue_user_sketches (project_id, fingerprint, scope, sketch, users) VALUES ${tuples(chunk.length, 5)}
       ON CONFLICT (project_id, fingerprint, scope) DO UPDATE SET sketch = excluded.sketch, users = excluded.users`,
      chunk.flat(),
    ),
  )
  // The count's own type, since a VALUES list's parameters have none on PostgreSQL.
  const counted = Array.from({ length: CHUNK }, () => '(?, ?, CAST(? AS INTEGER))')
  await chunked(counts, (chunk) =>
    tx.run(
      `UPDATE issues SET users_count = v.column3 FROM (VALUES ${counted.slice(0, chunk.length).join(', ')}) AS v
       WHERE issues.project_id = v.column1 AND issues.fingerprint = v.column2`,
      chunk.flat(),
    ),
  )
  // An issue in a merge group (a target or a member) gave its own count above; the
  // group's target counts the union of the group's users instead.
  const byProject = new Map<string, string[]>()
  for (const [p, f] of counts) {
    const list = byProject.get(p)
    if (list) list.push(f)
    else byProject.set(p, [f])
  }
  for (const [projectId, fps] of byProject) {
    const targets = new Set<string>()
    await chunked(fps, async (chunk) => {
      const list = placeholders(chunk.length)
      for (const t of await tx.all<{ target: string }>(
        `SELECT DISTINCT target FROM issue_merges WHERE project_id = ?
           AND (fingerprint IN (${list}) OR target IN (${list}))`,
        [projectId, ...chunk, ...chunk],
      ))
        targets.add(t.target)
    })
    if (targets.size > 0) await recountUsers(tx, projectId, [...targets])
  }
}

export interface UsersAffected {
  total: number
  last_24h: number
  by_release: { release: string; users: number }[]
}

/**
 * An issue's users: total, the 24 hours ending with the current hour, per release (most
 * first), over its merge group (the fingerprints merged into it, merge.ts): the union of
 * their sketches.
 */
export async function usersOf(
  b: Queryable,
  projectId: string,
  group: string[],
  now: number,
): Promise<UsersAffected> {
  const from = hourScope(hourBucket(now) - 23 * HOUR_MS)
  const rows = await b.all<{ scope: string; sketch: Uint8Array }>(
    `SELECT scope, sketch FROM issue_user_sketches
     WHERE project_id = ? AND fingerprint IN (${placeholders(group.length)})
       AND (scope = 't' OR (scope >= 'r:' AND scope < 'r;') OR (scope >= ? AND scope < 'h;'))`,
    [projectId, ...group, from],
  )
  let total: Uint8Array | null = null
  let day: Uint8Array | null = null
  const releases = new Map<string, Uint8Array>()
  for (const r of rows) {
    if (r.scope === 't') total = mergeSketches(total, r.sketch)
    else if (r.scope.startsWith('h:')) day = mergeSketches(day, r.sketch)
    else releases.set(r.scope.slice(2), mergeSketches(releases.get(r.scope.slice(2)) ?? null, r.sketch))
  }
  return {
    total: estimate(total),
    last_24h: estimate(day),
    by_release: [...releases]
      .map(([release, s]) => ({ release, users: estimate(s) }))
      .sort((a, b) => b.users - a.users || (a.release < b.release ? -1 : a.release > b.release ? 1 : 0)),
  }
}

/** Where a retention pass over the hourly sketches continues: after this issue. */
export interface UsersCursor {
  project_id: string
  fingerprint: string
}

/**
 * Retention hook (a seam task): walks the issues in key order from the cursor and deletes
 * their hourly sketches of hours up to `lastBucket`, at most `limit` rows (and at most
 * `limit` issues looked at) in the writer's one transaction. An issue's old hours are one
 * key range, so no index on the hour is kept for this.
 */
export async function pruneUsersHourly(
  tx: Queryable,
  a: { lastBucket: number; after: UsersCursor | null; limit: number },
): Promise<{ deleted: number; next: UsersCursor | null }> {
  const upTo = hourScope(a.lastBucket)
  const issues =
    a.after === null
      ? await tx.all<UsersCursor>(
          'SELECT project_id, fingerprint FROM issues ORDER BY project_id, fingerprint LIMIT ?',
          [a.limit],
        )
      : await tx.all<UsersCursor>(
          `SELECT project_id, fingerprint FROM issues WHERE (project_id, fingerprint) > (?, ?)
           ORDER BY project_id, fingerprint LIMIT ?`,
          [a.after.project_id, a.after.fingerprint, a.limit],
        )
  const del = `DELETE FROM issue_user_sketches WHERE (project_id, fingerprint, scope) IN (
     SELECT project_id, fingerprint, scope FROM issue_user_sketches
     WHERE project_id = ? AND fingerprint = ? AND scope >= 'h:' AND scope <= ? LIMIT ?)`
  let deleted = 0
  let previous = a.after
  // One statement per issue, in turn: each one's budget is what the ones before it left.
  for (const i of issues) {
    const budget = a.limit - deleted
    const n = (await tx.run(del, [i.project_id, i.fingerprint, upTo, budget])).changes
    deleted += n
    // Out of budget: this issue may hold more, so the next call starts with it again.
    if (n === budget) return { deleted, next: previous ?? { project_id: '', fingerprint: '' } }
    previous = i
  }
  const last = issues[issues.length - 1]
  return { deleted, next: issues.length < a.limit || !last ? null : last }
}
