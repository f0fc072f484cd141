/**
 * Users affected (docs/decisions.md, "Users affected"): the distinct `user_id_hash` values
 * of an issue, in total, per release and per hour, as sketches (sketch.ts) the writer
 * keeps while committing; `issues.users_count` holds the total's estimate so the list
 * can sort by it through an index. The last 24 hours are the union of that many hourly
 * sketches, merged on read. Hourly sketches expire with the hourly counts (retention's
 * `hourly_counts_days`); the total and per-release sketches stay with the issue.
 *
 * Events without a user cost nothing here.
 */
import { HOUR_MS, hourBucket } from '../core/time'
import type { Db, Statement } from '../storage/db'
import type { NormalizedEvent } from './event'
import { estimate, mergeSketches, sketchOf, userHash32 } from './sketch'

interface UserStatements {
  getTotal: Statement
  putTotal: Statement
  getRelease: Statement
  putRelease: Statement
  getHour: Statement
  putHour: Statement
  setCount: Statement
}

const prepared = new WeakMap<Db, UserStatements>()

function statements(db: Db): UserStatements {
  let s = prepared.get(db)
  if (s) return s
  s = {
    getTotal: db.prepare('SELECT sketch FROM issue_users WHERE project_id = ? AND fingerprint = ?'),
    putTotal: db.prepare(
      `INSERT INTO issue_users (project_id, fingerprint, sketch) VALUES (?, ?, ?)
       ON CONFLICT (project_id, fingerprint) DO UPDATE SET sketch = excluded.sketch`,
    ),
    getRelease: db.prepare(
      'SELECT sketch FROM issue_users_release WHERE project_id = ? AND fingerprint = ? AND release = ?',
    ),
    putRelease: db.prepare(
      `INSERT INTO issue_users_release (project_id, fingerprint, release, sketch, users) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (project_id, fingerprint, release) DO UPDATE SET sketch = excluded.sketch, users = excluded.users`,
    ),
    getHour: db.prepare(
      'SELECT sketch FROM issue_users_hourly WHERE project_id = ? AND fingerprint = ? AND hour_bucket = ?',
    ),
    putHour: db.prepare(
      `INSERT INTO issue_users_hourly (project_id, fingerprint, hour_bucket, sketch) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_id, fingerprint, hour_bucket) DO UPDATE SET sketch = excluded.sketch`,
    ),
    setCount: db.prepare('UPDATE issues SET users_count = ? WHERE project_id = ? AND fingerprint = ?'),
  }
  prepared.set(db, s)
  return s
}

const blob = (row: unknown): Uint8Array | null => (row as { sketch: Uint8Array } | null)?.sketch ?? null

/** Adds the users of one issue's events of a batch (writer thread, inside the commit). */
export function commitUsers(db: Db, projectId: string, fingerprint: string, events: NormalizedEvent[]): void {
  const all: number[] = []
  const byRelease = new Map<string, number[]>()
  const byHour = new Map<number, number[]>()
  for (const e of events) {
    if (e.user_id_hash === null) continue
    const h = userHash32(e.user_id_hash)
    all.push(h)
    const r = byRelease.get(e.release)
    if (r) r.push(h)
    else byRelease.set(e.release, [h])
    const hour = hourBucket(e.received_at)
    const b = byHour.get(hour)
    if (b) b.push(h)
    else byHour.set(hour, [h])
  }
  if (all.length === 0) return
  const st = statements(db)
  const total = mergeSketches(blob(st.getTotal.get(projectId, fingerprint)), sketchOf(all))
  st.putTotal.run(projectId, fingerprint, total)
  st.setCount.run(estimate(total), projectId, fingerprint)
  for (const [release, hashes] of byRelease) {
    const s = mergeSketches(blob(st.getRelease.get(projectId, fingerprint, release)), sketchOf(hashes))
    st.putRelease.run(projectId, fingerprint, release, s, estimate(s))
  }
  for (const [hour, hashes] of byHour) {
    const s = mergeSketches(blob(st.getHour.get(projectId, fingerprint, hour)), sketchOf(hashes))
    st.putHour.run(projectId, fingerprint, hour, s)
  }
}

export interface UsersAffected {
  total: number
  last_24h: number
  by_release: { release: string; users: number }[]
}

/** An issue's users: total, the 24 hours ending with the current hour, per release (most first). */
export function usersOf(db: Db, projectId: string, fingerprint: string, now: number): UsersAffected {
  return {
    total: estimate(
      blob(
        db
          .query('SELECT sketch FROM issue_users WHERE project_id = ? AND fingerprint = ?')
          .get(projectId, fingerprint),
      ),
    ),
    last_24h:
      users24h(db, [{ project_id: projectId, fingerprint }], now).get(`${projectId}\u0000${fingerprint}`) ??
      0,
    by_release: db
      .query<{ release: string; users: number }, [string, string]>(
        `SELECT release, users FROM issue_users_release WHERE project_id = ? AND fingerprint = ?
         ORDER BY users DESC, release`,
      )
      .all(projectId, fingerprint),
  }
}

/** The last-24-hours users of several issues, keyed by `project_id + "\u0000" + fingerprint`. */
export function users24h(
  db: Db,
  issues: { project_id: string; fingerprint: string }[],
  now: number,
): Map<string, number> {
  const from = hourBucket(now) - 23 * HOUR_MS
  const q = db.query<{ sketch: Uint8Array }, [string, string, number]>(
    'SELECT sketch FROM issue_users_hourly WHERE project_id = ? AND fingerprint = ? AND hour_bucket >= ?',
  )
  const out = new Map<string, number>()
  for (const i of issues) {
    let s: Uint8Array | null = null
    for (const r of q.all(i.project_id, i.fingerprint, from)) s = mergeSketches(s, r.sketch)
    out.set(`${i.project_id}\u0000${i.fingerprint}`, estimate(s))
  }
  return out
}

/** Retention hook: deletes up to `limit` hourly sketches whose hour is past the hourly window. */
export function pruneUsersHourly(db: Db, lastBucket: number, limit: number): number {
  return db
    .transaction(
      () =>
        db
          .prepare(
            `DELETE FROM issue_users_hourly WHERE rowid IN (
               SELECT rowid FROM issue_users_hourly INDEXED BY issue_users_hourly_bucket WHERE hour_bucket <= ? LIMIT ?)`,
          )
          .run(lastBucket, limit).changes,
    )
    .immediate()
}
