/**
 * Read queries of the error API. Every function takes the list of project ids the caller
 * may see; no query runs unscoped. All values are bound parameters.
 *
 * Written against the storage seam (storage/backend.ts), so they answer the same on SQLite
 * and on PostgreSQL (test/http/errors.store.test.ts runs them on both with the same rows).
 */

import { HOUR_MS, hourBucket } from '../core/time'
import type { Param, Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
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

export async function listIssues(
  b: Queryable,
  f: IssueFilters,
): Promise<{ items: IssueRow[]; total: number }> {
  if (f.projectIds.length === 0) return { items: [], total: 0 }
  const where: string[] = []
  const params: Param[] = []
  const byBreakdown = f.release !== undefined || f.environment !== undefined
  let from: string
  let counts: string
  if (byBreakdown) {
    const aggWhere = [`g.project_id IN (${placeholders(f.projectIds.length)})`]
    const aggParams: Param[] = [...f.projectIds]
    if (f.release !== undefined) {
      aggWhere.push('g.release = ?')
      aggParams.push(f.release)
    }
    if (f.environment !== undefined) {
      aggWhere.push('g.environment = ?')
      aggParams.push(f.environment)
    }
    if (f.search?.narrows) {
      // Tag or user conditions leave few issues: start from them and read only their
      // groups' aggregate rows, rather than every issue's rows of the release
      // (docs/benchmarks.md, "Triage"). The outer conditions still apply to each.
      params.push(...f.projectIds, ...f.search.params, ...aggParams)
      from = `(WITH c AS (SELECT i.project_id, i.fingerprint FROM issues i
                        WHERE i.project_id IN (${placeholders(f.projectIds.length)}) AND i.merged_into IS NULL
                          AND ${f.search.where.join(' AND ')}),
                  grp AS (SELECT project_id, fingerprint AS target, fingerprint AS member FROM c
                          UNION ALL
                          SELECT m.project_id, m.target, m.fingerprint FROM c JOIN issue_merges m
                            ON m.project_id = c.project_id AND m.target = c.fingerprint)
               SELECT g.project_id, grp.target AS fingerprint, CAST(sum(g.total_count) AS BIGINT) AS total_count,
                      min(g.first_seen) AS first_seen, max(g.last_seen) AS last_seen
               FROM grp JOIN error_aggregates g ON g.project_id = grp.project_id AND g.fingerprint = grp.member
               WHERE ${aggWhere.join(' AND ')} GROUP BY 1, 2) a
              JOIN issues i ON i.project_id = a.project_id AND i.fingerprint = a.fingerprint`
    } else {
      params.push(...aggParams)
      // A merged issue's rows count for its target (merge.ts).
      from = `(SELECT g.project_id, coalesce(m.target, g.fingerprint) AS fingerprint, CAST(sum(g.total_count) AS BIGINT) AS total_count,
                      min(g.first_seen) AS first_seen, max(g.last_seen) AS last_seen
               FROM error_aggregates g LEFT JOIN issue_merges m ON m.project_id = g.project_id AND m.fingerprint = g.fingerprint
               WHERE ${aggWhere.join(' AND ')} GROUP BY 1, 2) a
              JOIN issues i ON i.project_id = a.project_id AND i.fingerprint = a.fingerprint`
    }
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
  const [count, items] = await Promise.all([
    b.get<{ n: number }>(`SELECT count(*) AS n FROM ${from} ${whereSql}`, params),
    b.all<IssueRow>(
      `SELECT ${ISSUE_COLS}, ${counts} FROM ${from} ${whereSql}
       ORDER BY ${f.sort === 'users_count' ? 'i' : col}.${f.sort} DESC, i.fingerprint ASC LIMIT ? OFFSET ?`,
      [...params, f.limit, f.offset],
    ),
  ])
  return { items, total: count?.n ?? 0 }
}

/** The issue with this fingerprint among `projectIds`, most recently seen first. */
export async function findIssues(
  b: Queryable,
  projectIds: string[],
  fingerprint: string,
): Promise<IssueRow[]> {
  if (projectIds.length === 0) return []
  return b.all<IssueRow>(
    `SELECT ${ISSUE_COLS}, i.total_count, i.first_seen, i.last_seen FROM issues i
     WHERE i.fingerprint = ? AND i.project_id IN (${placeholders(projectIds.length)}) ORDER BY i.last_seen DESC`,
    [fingerprint, ...projectIds],
  )
}

export interface AggregateRow {
  release: string
  environment: string
  total_count: number
  first_seen: number
  last_seen: number
}

/** The aggregate rows of one or several fingerprints of a project (a merge group), most recent first. */
export function aggregatesOf(
  b: Queryable,
  projectId: string,
  fingerprints: string[],
): Promise<AggregateRow[]> {
  return b.all<AggregateRow>(
    `SELECT release, environment, total_count, first_seen, last_seen FROM error_aggregates
     WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)})
     ORDER BY last_seen DESC, release, environment`,
    [projectId, ...fingerprints],
  )
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
export async function seenInAll(
  b: Queryable,
  issues: { project_id: string; fingerprint: string }[],
): Promise<Map<string, SeenIn>> {
  const rows = new Map<string, { release: string; environment: string }[]>()
  for (const [projectId, fps] of byProject(issues)) {
    const found = await b.all<{ fingerprint: string; release: string; environment: string }>(
      `SELECT fingerprint, release, environment FROM error_aggregates
       WHERE project_id = ? AND fingerprint IN (${placeholders(fps.length)})
       ORDER BY last_seen DESC, release, environment`,
      [projectId, ...fps],
    )
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

/** The samples of one or several fingerprints of a project, newest capture first. */
export function samplesOf(
  b: Queryable,
  projectId: string,
  fingerprints: string[],
): Promise<(EventRow & { captured_at: number })[]> {
  return b.all<EventRow & { captured_at: number }>(
    `SELECT id, project_id, fingerprint, captured_at, ${EVENT_FIELDS} FROM samples
     WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)})
     ORDER BY captured_at DESC, id DESC`,
    [projectId, ...fingerprints],
  )
}

/** Raw events of one or several fingerprints of a project (a merge group), newest first. */
export async function occurrencesOf(
  b: Queryable,
  projectId: string,
  fingerprints: string[],
  limit: number,
  offset: number,
): Promise<{ items: (EventRow & { received_at: number })[]; total: number }> {
  const inG = `fingerprint IN (${placeholders(fingerprints.length)})`
  const [count, items] = await Promise.all([
    b.get<{ n: number }>(`SELECT count(*) AS n FROM raw_events WHERE project_id = ? AND ${inG}`, [
      projectId,
      ...fingerprints,
    ]),
    b.all<EventRow & { received_at: number }>(
      `SELECT id, project_id, fingerprint, received_at, ${EVENT_FIELDS} FROM raw_events
       WHERE project_id = ? AND ${inG} ORDER BY id DESC LIMIT ? OFFSET ?`,
      [projectId, ...fingerprints, limit, offset],
    ),
  ])
  return { items, total: count?.n ?? 0 }
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

/** The status changes of one or several fingerprints of a project, newest first. */
export function historyOf(b: Queryable, projectId: string, fingerprints: string[]): Promise<HistoryRow[]> {
  return b.all<HistoryRow>(
    `SELECT id, project_id, fingerprint, old_status, new_status, changed_by, changed_at FROM status_changes
     WHERE project_id = ? AND fingerprint IN (${placeholders(fingerprints.length)}) ORDER BY id DESC`,
    [projectId, ...fingerprints],
  )
}

export interface TrendPoint {
  hour_bucket: number
  count: number
}

/**
 * Hourly counts for the `hours` buckets ending with the current hour, zero-filled, oldest
 * first. Optionally for some fingerprints (an issue's merge group, summed) and one environment.
 */
export async function hourlySeries(
  b: Queryable,
  a: { projectIds: string[]; hours: number; now: number; fingerprints?: string[]; environment?: string },
): Promise<TrendPoint[]> {
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
  const params: Param[] = [...a.projectIds, first, last]
  if (a.fingerprints !== undefined) {
    where.push(`fingerprint IN (${placeholders(a.fingerprints.length)})`)
    params.push(...a.fingerprints)
  }
  if (a.environment !== undefined) {
    where.push('environment = ?')
    params.push(a.environment)
  }
  const rows = await b.all<TrendPoint>(
    `SELECT hour_bucket, CAST(sum(count) AS BIGINT) AS count FROM event_counts_hourly WHERE ${where.join(' AND ')} GROUP BY hour_bucket`,
    params,
  )
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
export async function issueTrends(
  b: Queryable,
  issues: { project_id: string; fingerprint: string }[],
  hours: number,
  now: number,
): Promise<Map<string, number[]>> {
  const last = hourBucket(now)
  const first = last - (hours - 1) * HOUR_MS
  const out = new Map<string, number[]>()
  for (const i of issues) out.set(issueKey(i.project_id, i.fingerprint), new Array(hours).fill(0))
  for (const [projectId, fps] of byProject(issues)) {
    const rows = await b.all<{ fingerprint: string; hour_bucket: number; count: number }>(
      `SELECT fingerprint, hour_bucket, CAST(sum(count) AS BIGINT) AS count FROM event_counts_hourly
       WHERE project_id = ? AND fingerprint IN (${placeholders(fps.length)}) AND hour_bucket >= ? AND hour_bucket <= ?
       GROUP BY fingerprint, hour_bucket`,
      [projectId, ...fps, first, last],
    )
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

export async function statsOf(b: Queryable, projectIds: string[], now: number): Promise<Stats> {
  if (projectIds.length === 0)
    return { total_errors: 0, unresolved_errors: 0, total_events_24h: 0, top_routes: [] }
  const inP = `project_id IN (${placeholders(projectIds.length)})`
  const [counts, series, top_routes] = await Promise.all([
    // count() of a CASE, not sum() of the comparison: PostgreSQL has no sum(boolean).
    b.get<{ total: number; unresolved: number }>(
      `SELECT count(*) AS total, count(CASE WHEN status = 'unresolved' THEN 1 END) AS unresolved FROM issues
       WHERE ${inP} AND merged_into IS NULL`,
      projectIds,
    ),
    hourlySeries(b, { projectIds, hours: 24, now }),
    b.all<{ route: string; count: number }>(
      `SELECT route_or_procedure AS route, CAST(sum(total_count) AS BIGINT) AS count FROM issues
       WHERE ${inP} AND route_or_procedure IS NOT NULL GROUP BY route_or_procedure ORDER BY count DESC, route LIMIT 10`,
      projectIds,
    ),
  ])
  const events24h = series.reduce((n, p) => n + p.count, 0)
  return {
    total_errors: counts?.total ?? 0,
    unresolved_errors: counts?.unresolved ?? 0,
    total_events_24h: events24h,
    top_routes,
  }
}
