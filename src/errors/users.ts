/**
 * Users affected (docs/decisions.md, "Users affected"): the distinct `user_id_hash` values
 * of an issue, in total, per release and per hour, as sketches (sketch.ts) the writer
 * keeps while committing, in `issue_user_sketches` (scope `t`, `r:<release>`,
 * `h:<hour bucket>`); `issues.users_count` holds the total's estimate so the list can sort
 * by it through an index. The last 24 hours are the union of that many hourly sketches,
 * merged on read. Hourly sketches expire with the hourly counts (retention's
 * `hourly_counts_days`); the total and per-release sketches stay with the issue.
 *
 * Per issue and batch: one read of the scopes the batch touches, one write of those that
 * changed (a user already counted changes nothing), and the issue's count when the total
 * changed. Events without a user cost nothing here.
 */
import { HOUR_MS, hourBucket } from '../core/time'
import { type Db, placeholders, type Statement } from '../storage/db'
import { issueKey, type NormalizedEvent } from './event'
import { estimate, mergeSketches, userHash32, withHashes } from './sketch'

/** An hour's scope: `h:` and the hours since the epoch in 8 digits, so scopes sort by time. */
const hourScope = (hourBucketMs: number) => `h:${String(hourBucketMs / HOUR_MS).padStart(8, '0')}`

/** Rows per upsert statement; a batch touching more scopes of one issue takes several. */
const ROWS_PER_WRITE = 16

interface UserStatements {
  read: Map<number, Statement>
  write: Map<number, Statement>
  setCount: Statement
}

const prepared = new WeakMap<Db, UserStatements>()

function statements(db: Db): UserStatements {
  let s = prepared.get(db)
  if (!s) {
    s = {
      read: new Map(),
      write: new Map(),
      setCount: db.prepare('UPDATE issues SET users_count = ? WHERE project_id = ? AND fingerprint = ?'),
    }
    prepared.set(db, s)
  }
  return s
}

function readStatement(db: Db, st: UserStatements, n: number): Statement {
  let q = st.read.get(n)
  if (!q) {
    q = db.prepare(
      `SELECT scope, sketch FROM issue_user_sketches
       WHERE project_id = ? AND fingerprint = ? AND scope IN (${placeholders(n)})`,
    )
    st.read.set(n, q)
  }
  return q
}

function writeStatement(db: Db, st: UserStatements, n: number): Statement {
  let q = st.write.get(n)
  if (!q) {
    q = db.prepare(
      `INSERT INTO issue_user_sketches (project_id, fingerprint, scope, sketch, users)
       VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (project_id, fingerprint, scope) DO UPDATE SET sketch = excluded.sketch, users = excluded.users`,
    )
    st.write.set(n, q)
  }
  return q
}

/** Adds the users of one issue's events of a batch (writer thread, inside the commit). */
export function commitUsers(db: Db, projectId: string, fingerprint: string, events: NormalizedEvent[]): void {
  const scopes = new Map<string, number[]>()
  const add = (scope: string, h: number) => {
    const s = scopes.get(scope)
    if (s) s.push(h)
    else scopes.set(scope, [h])
  }
  for (const e of events) {
    if (e.user_id_hash === null) continue
    const h = userHash32(e.user_id_hash)
    const hour = hourBucket(e.received_at)
    add('t', h)
    add(`r:${e.release}`, h)
    add(hourScope(hour), h)
  }
  if (scopes.size === 0) return
  const st = statements(db)
  const names = [...scopes.keys()]
  const old = new Map<string, Uint8Array>()
  for (const r of readStatement(db, st, names.length).all(projectId, fingerprint, ...names) as {
    scope: string
    sketch: Uint8Array
  }[])
    old.set(r.scope, r.sketch)
  const rows: (string | number | null | Uint8Array)[][] = []
  let total: number | null = null
  for (const [scope, hashes] of scopes) {
    const next = withHashes(old.get(scope) ?? null, hashes)
    if (next === null) continue
    const users = estimate(next)
    if (scope === 't') total = users
    rows.push([projectId, fingerprint, scope, next, users])
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_WRITE) {
    const chunk = rows.slice(i, i + ROWS_PER_WRITE)
    writeStatement(db, st, chunk.length).run(...chunk.flat())
  }
  if (total !== null) st.setCount.run(total, projectId, fingerprint)
}

export interface UsersAffected {
  total: number
  last_24h: number
  by_release: { release: string; users: number }[]
}

/** An issue's users: total, the 24 hours ending with the current hour, per release (most first). */
export function usersOf(db: Db, projectId: string, fingerprint: string, now: number): UsersAffected {
  const total = db
    .query<{ users: number }, [string, string]>(
      "SELECT users FROM issue_user_sketches WHERE project_id = ? AND fingerprint = ? AND scope = 't'",
    )
    .get(projectId, fingerprint)
  return {
    total: total?.users ?? 0,
    last_24h:
      users24h(db, [{ project_id: projectId, fingerprint }], now).get(issueKey(projectId, fingerprint)) ?? 0,
    by_release: db
      .query<{ release: string; users: number }, [string, string]>(
        `SELECT substr(scope, 3) AS release, users FROM issue_user_sketches
         WHERE project_id = ? AND fingerprint = ? AND scope >= 'r:' AND scope < 'r;'
         ORDER BY users DESC, release`,
      )
      .all(projectId, fingerprint),
  }
}

/** The last-24-hours users of several issues, keyed by `issueKey`. */
export function users24h(
  db: Db,
  issues: { project_id: string; fingerprint: string }[],
  now: number,
): Map<string, number> {
  const from = hourScope(hourBucket(now) - 23 * HOUR_MS)
  const q = db.query<{ sketch: Uint8Array }, [string, string, string]>(
    `SELECT sketch FROM issue_user_sketches
     WHERE project_id = ? AND fingerprint = ? AND scope >= ? AND scope < 'h;'`,
  )
  const out = new Map<string, number>()
  for (const i of issues) {
    let s: Uint8Array | null = null
    for (const r of q.all(i.project_id, i.fingerprint, from)) s = mergeSketches(s, r.sketch)
    out.set(issueKey(i.project_id, i.fingerprint), estimate(s))
  }
  return out
}

/** Where a retention pass over the hourly sketches continues: after this issue. */
export interface UsersCursor {
  project_id: string
  fingerprint: string
}

/**
 * Retention hook: walks the issues in key order from the cursor and deletes their hourly
 * sketches of hours up to `lastBucket`, at most `limit` rows (and at most `limit` issues
 * looked at) in one transaction. An issue's old hours are one key range, so no index on
 * the hour is kept for this.
 */
export function pruneUsersHourly(
  db: Db,
  a: { lastBucket: number; after: UsersCursor | null; limit: number },
): { deleted: number; next: UsersCursor | null } {
  const upTo = hourScope(a.lastBucket)
  return db
    .transaction(() => {
      const issues = (
        a.after === null
          ? db
              .query('SELECT project_id, fingerprint FROM issues ORDER BY project_id, fingerprint LIMIT ?')
              .all(a.limit)
          : db
              .query(
                `SELECT project_id, fingerprint FROM issues WHERE (project_id, fingerprint) > (?, ?)
                 ORDER BY project_id, fingerprint LIMIT ?`,
              )
              .all(a.after.project_id, a.after.fingerprint, a.limit)
      ) as UsersCursor[]
      const del = db.prepare(
        `DELETE FROM issue_user_sketches WHERE (project_id, fingerprint, scope) IN (
           SELECT project_id, fingerprint, scope FROM issue_user_sketches
           WHERE project_id = ? AND fingerprint = ? AND scope >= 'h:' AND scope <= ? LIMIT ?)`,
      )
      let deleted = 0
      let previous = a.after
      for (const i of issues) {
        const budget = a.limit - deleted
        const n = del.run(i.project_id, i.fingerprint, upTo, budget).changes
        deleted += n
        // Out of budget: this issue may hold more, so the next call starts with it again.
        if (n === budget) return { deleted, next: previous ?? { project_id: '', fingerprint: '' } }
        previous = i
      }
      const last = issues[issues.length - 1]
      return { deleted, next: issues.length < a.limit || !last ? null : last }
    })
    .immediate()
}
