/**
 * Read queries of the error API. Every function takes the list of project ids the caller
 * may see; no query runs unscoped. All values are bound parameters.
 */

import { HOUR_MS, hourBucket } from '../core/time'
import { type Db, placeholders } from '../storage/db'
import type { IssueStatus } from './commit'
import { issueKey, type NormalizedEvent } from './event'
import type { SqlPart } from './search.sql'

/** The key of an issue in the maps below (defined with the event model). */
export { issueKey }

export interface IssueRow {
  project_id: string
  fingerprint: string
  error_type: string
  message: string
  source: string
  route_or_procedure: string | null
  screen: string | null
  status: IssueStatus
  total_count: number
  first_seen: number
  last_seen: number
  /** Distinct users, estimated (errors/users.ts). */
  users_count: number
  assignee_id: string | null
  assignee_name: string | null
}

export interface IssueFilters {
  projectIds: string[]
  status?: IssueStatus
  release?: string
  environment?: string
  source?: string
  route?: string
  /** Only issues assigned to this user id (`assigned=me`, `assigned:me`). */
  assigneeId?: string
  /** true: only assigned issues (`is:assigned`); false: only unassigned. */
  assigned?: boolean
  since?: number
  until?: number
  sort: 'last_seen' | 'total_count' | 'first_seen' | 'users_count'
  /** Conditions of a parsed search over `i` (search.sql.ts). */
  search?: SqlPart
  limit: number
  offset: number
}

const ISSUE_COLS =
  'i.project_id, i.fingerprint, i.error_type, i.message, i.source, i.route_or_procedure, i.screen, i.status, i.users_count, i.assignee_id, i.assignee_name'

export function listIssues(db: Db, f: IssueFilters): { items: IssueRow[]; total: number } {
  if (f.projectIds.length === 0) return { items: [], total: 0 }
  const where: string[] = []
  const params: (string | number)[] = []
  const byBreakdown = f.release !== undefined || f.environment !== undefined
  let from: string
  let counts: string
  if (byBreakdown) {
    const aggWhere = [`g.project_id IN (${placeholders(f.projectIds.length)})`]
    params.push(...f.projectIds)
    if (f.release !== undefined) {
      aggWhere.push('g.release = ?')
      params.push(f.release)
    }
    if (f.environment !== undefined) {
      aggWhere.push('g.environment = ?')
      params.push(f.environment)
    }
    // A merged issue's rows count for its target (merge.ts).
    from = `(SELECT g.project_id, coalesce(m.target, g.fingerprint) AS fingerprint, sum(g.total_count) AS total_count,
                    min(g.first_seen) AS first_seen, max(g.last_seen) AS last_seen
             FROM error_aggregates g LEFT JOIN issue_merges m ON m.project_id = g.project_id AND m.fingerprint = g.fingerprint
             WHERE ${aggWhere.join(' AND ')} GROUP BY 1, 2) a
            JOIN issues i ON i.project_id = a.project_id AND i.fingerprint = a.fingerprint`
    counts = 'a.total_count, a.first_seen, a.last_seen'
  } else {
    from = 'issues i'
    counts = 'i.total_count, i.first_seen, i.last_seen'
    where.push(`i.project_id IN (${placeholders(f.projectIds.length)})`)
    params.push(...f.projectIds)
  }
  const col = byBreakdown ? 'a' : 'i'
  where.push('i.merged_into IS NULL')
  if (f.assigneeId !== undefined) {
    where.push('i.assignee_id = ?')
    params.push(f.assigneeId)
  }
  if (f.assigned !== undefined) where.push(f.assigned ? 'i.assignee_id IS NOT NULL' : 'i.assignee_id IS NULL')
  if (f.status !== undefined) {
    where.push('i.status = ?')
    params.push(f.status)
  }
  if (f.source !== undefined) {
    where.push('i.source = ?')
    params.push(f.source)
  }
  if (f.route !== undefined) {
    where.push('i.route_or_procedure = ?')
    params.push(f.route)
  }
  if (f.since !== undefined) {
    where.push(`${col}.last_seen >= ?`)
    params.push(f.since)
  }
  if (f.until !== undefined) {
    where.push(`${col}.last_seen <= ?`)
    params.push(f.until)
  }
  if (f.search) {
    where.push(...f.search.where)
    params.push(...f.search.params)
  }
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const total = (db.query(`SELECT count(*) AS n FROM ${from} ${whereSql}`).get(...params) as { n: number }).n
  const items = db
    .query<IssueRow, (string | number)[]>(
      `SELECT ${ISSUE_COLS}, ${counts} FROM ${from} ${whereSql}
       ORDER BY ${f.sort === 'users_count' ? 'i' : col}.${f.sort} DESC, i.fingerprint ASC LIMIT ? OFFSET ?`,
    )
    .all(...params, f.limit, f.offset)
  return { items, total }
}

/** The issue with this fingerprint among `projectIds`, most recently seen first. */
export function findIssues(db: Db, projectIds: string[], fingerprint: string): IssueRow[] {
  if (projectIds.length === 0) return []
  return db
    .query<IssueRow, string[]>(
      `SELECT ${ISSUE_COLS}, i.total_count, i.first_seen, i.last_seen FROM issues i
       WHERE i.fingerprint = ? AND i.project_id IN (${placeholders(projectIds.length)}) ORDER BY i.last_seen DESC`,
    )
    .all(fingerprint, ...projectIds)
}

export interface AggregateRow {
  release: string
  environment: string
  total_count: number
  first_seen: number
  last_seen: number
}

export function aggregatesOf(db: Db, projectId: string, fingerprint: string): AggregateRow[] {
  return db
    .query<AggregateRow, [string, string]>(
      `SELECT release, environment, total_count, first_seen, last_seen FROM error_aggregates
       WHERE project_id = ? AND fingerprint = ? ORDER BY last_seen DESC, release, environment`,
    )
    .all(projectId, fingerprint)
}

export interface SeenIn {
  releases: string[]
  environments: string[]
}

/** Distinct releases and environments in aggregate rows, most recent first. */
export function seenFrom(rows: { release: string; environment: string }[]): SeenIn {
  return {
    releases: [...new Set(rows.map((r) => r.release))],
    environments: [...new Set(rows.map((r) => r.environment))],
  }
}

/** `seenFrom` for a page of issues, with one query per project instead of one per issue. */
export function seenInAll(
  db: Db,
  issues: { project_id: string; fingerprint: string }[],
): Map<string, SeenIn> {
  const rows = new Map<string, { release: string; environment: string }[]>()
  for (const [projectId, fps] of byProject(issues)) {
    const found = db
      .query<{ fingerprint: string; release: string; environment: string }, string[]>(
        `SELECT fingerprint, release, environment FROM error_aggregates
         WHERE project_id = ? AND fingerprint IN (${placeholders(fps.length)})
         ORDER BY last_seen DESC, release, environment`,
      )
      .all(projectId, ...fps)
    for (const r of found) {
      const key = issueKey(projectId, r.fingerprint)
      const list = rows.get(key)
      if (list) list.push(r)
      else rows.set(key, [r])
    }
  }
  return new Map(
    issues.map((i) => [
      issueKey(i.project_id, i.fingerprint),
      seenFrom(rows.get(issueKey(i.project_id, i.fingerprint)) ?? []),
    ]),
  )
}

/** Fingerprints grouped by project, for queries that take one project at a time. */
function byProject(issues: { project_id: string; fingerprint: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const i of issues) {
    const list = out.get(i.project_id)
    if (list) list.push(i.fingerprint)
    else out.set(i.project_id, [i.fingerprint])
  }
  return out
}

const EVENT_FIELDS = `timestamp, source, environment, release, app_version, build_number, route_or_procedure, screen,
  error_type, message, stack, http_status, request_id, user_id_hash, device_id_hash, metadata, event_id, level, breadcrumbs`

/** A stored event as read back: the normalized event without its receive time, plus its row id. */
export type EventRow = Omit<NormalizedEvent, 'received_at'> & { id: number }

export function samplesOf(
  db: Db,
  projectId: string,
  fingerprint: string,
): (EventRow & { captured_at: number })[] {
  return db
    .query<EventRow & { captured_at: number }, [string, string]>(
      `SELECT id, project_id, fingerprint, captured_at, ${EVENT_FIELDS} FROM samples
       WHERE project_id = ? AND fingerprint = ? ORDER BY raw_event_id DESC`,
    )
    .all(projectId, fingerprint)
}

export function occurrencesOf(
  db: Db,
  projectId: string,
  fingerprint: string,
  limit: number,
  offset: number,
): { items: (EventRow & { received_at: number })[]; total: number } {
  const total = (
    db
      .query('SELECT count(*) AS n FROM raw_events WHERE project_id = ? AND fingerprint = ?')
      .get(projectId, fingerprint) as { n: number }
  ).n
  const items = db
    .query<EventRow & { received_at: number }, [string, string, number, number]>(
      `SELECT id, project_id, fingerprint, received_at, ${EVENT_FIELDS} FROM raw_events
       WHERE project_id = ? AND fingerprint = ? ORDER BY id DESC LIMIT ? OFFSET ?`,
    )
    .all(projectId, fingerprint, limit, offset)
  return { items, total }
}

export interface HistoryRow {
  id: number
  project_id: string
  fingerprint: string
  old_status: IssueStatus
  new_status: IssueStatus
  changed_by: string
  changed_at: number
}

export function historyOf(db: Db, projectId: string, fingerprint: string): HistoryRow[] {
  return db
    .query<HistoryRow, [string, string]>(
      `SELECT id, project_id, fingerprint, old_status, new_status, changed_by, changed_at FROM status_changes
       WHERE project_id = ? AND fingerprint = ? ORDER BY id DESC`,
    )
    .all(projectId, fingerprint)
}

export interface TrendPoint {
  hour_bucket: number
  count: number
}

/**
 * Hourly counts for the `hours` buckets ending with the current hour, zero-filled, oldest
 * first. Optionally for one fingerprint and one environment.
 */
export function hourlySeries(
  db: Db,
  a: { projectIds: string[]; hours: number; now: number; fingerprint?: string; environment?: string },
): TrendPoint[] {
  const last = hourBucket(a.now)
  const first = last - (a.hours - 1) * HOUR_MS
  const out: TrendPoint[] = Array.from({ length: a.hours }, (_, i) => ({
    hour_bucket: first + i * HOUR_MS,
    count: 0,
  }))
  if (a.projectIds.length === 0) return out
  const where = [
    `project_id IN (${placeholders(a.projectIds.length)})`,
    'hour_bucket >= ?',
    'hour_bucket <= ?',
  ]
  const params: (string | number)[] = [...a.projectIds, first, last]
  if (a.fingerprint !== undefined) {
    where.push('fingerprint = ?')
    params.push(a.fingerprint)
  }
  if (a.environment !== undefined) {
    where.push('environment = ?')
    params.push(a.environment)
  }
  const rows = db
    .query<TrendPoint, (string | number)[]>(
      `SELECT hour_bucket, sum(count) AS count FROM event_counts_hourly WHERE ${where.join(' AND ')} GROUP BY hour_bucket`,
    )
    .all(...params)
  for (const r of rows) {
    const point = out[(r.hour_bucket - first) / HOUR_MS]
    if (point) point.count = r.count
  }
  return out
}

/**
 * Zero-filled hourly counts of several issues at once (the list's sparklines), keyed by
 * `project_id + "\u0000" + fingerprint`: one query per project instead of one per issue.
 */
export function issueTrends(
  db: Db,
  issues: { project_id: string; fingerprint: string }[],
  hours: number,
  now: number,
): Map<string, number[]> {
  const last = hourBucket(now)
  const first = last - (hours - 1) * HOUR_MS
  const out = new Map<string, number[]>()
  for (const i of issues) out.set(issueKey(i.project_id, i.fingerprint), new Array(hours).fill(0))
  for (const [projectId, fps] of byProject(issues)) {
    const rows = db
      .query<{ fingerprint: string; hour_bucket: number; count: number }, (string | number)[]>(
        `SELECT fingerprint, hour_bucket, sum(count) AS count FROM event_counts_hourly
         WHERE project_id = ? AND fingerprint IN (${placeholders(fps.length)}) AND hour_bucket >= ? AND hour_bucket <= ?
         GROUP BY fingerprint, hour_bucket`,
      )
      .all(projectId, ...fps, first, last)
    for (const r of rows) {
      const series = out.get(issueKey(projectId, r.fingerprint))
      if (series) series[(r.hour_bucket - first) / HOUR_MS] = r.count
    }
  }
  return out
}

export interface Stats {
  total_errors: number
  unresolved_errors: number
  total_events_24h: number
  top_routes: { route: string; count: number }[]
}

export function statsOf(db: Db, projectIds: string[], now: number): Stats {
  if (projectIds.length === 0)
    return { total_errors: 0, unresolved_errors: 0, total_events_24h: 0, top_routes: [] }
  const inP = `project_id IN (${placeholders(projectIds.length)})`
  const counts = db
    .query(
      `SELECT count(*) AS total, coalesce(sum(status = 'unresolved'), 0) AS unresolved FROM issues
       WHERE ${inP} AND merged_into IS NULL`,
    )
    .get(...projectIds) as { total: number; unresolved: number }
  const events24h = hourlySeries(db, { projectIds, hours: 24, now }).reduce((n, p) => n + p.count, 0)
  const top_routes = db
    .query<{ route: string; count: number }, string[]>(
      `SELECT route_or_procedure AS route, sum(total_count) AS count FROM issues
       WHERE ${inP} AND route_or_procedure IS NOT NULL GROUP BY route_or_procedure ORDER BY count DESC, route LIMIT 10`,
    )
    .all(...projectIds)
  return {
    total_errors: counts.total,
    unresolved_errors: counts.unresolved,
    total_events_24h: events24h,
    top_routes,
  }
}
