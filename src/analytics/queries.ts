/**
 * The analytics reads: DuckDB sums the hourly counts of the copy into the sufficient
 * statistics of each endpoint (per-hour sums, sums of squares, sums of products), filters
 * and orders them with the same closed forms as `stats.ts`, and returns at most `limit`
 * rows; the route turns those into the published figures with `stats.ts`.
 *
 * Every query is scoped to the caller's projects and optionally one environment, and
 * every value is a bound parameter.
 */
import { HOUR_MS } from '../core/time'
import type { Queryable } from '../storage/backend'
import type { Duck, Params } from './duckdb'
import type { Window } from './stats'

export interface Scope {
  projectIds: readonly string[]
  environment?: string
}

function where(scope: Scope, window?: { from: number; to: number }): { sql: string; params: Params } {
  const parts = ['project_id IN (SELECT unnest($projects::VARCHAR[]))']
  const params: Params = { projects: scope.projectIds }
  if (window) {
    parts.push('hour_bucket BETWEEN $from::BIGINT AND $to::BIGINT')
    params.from = window.from
    params.to = window.to
  }
  if (scope.environment !== undefined) {
    parts.push('environment = $environment')
    params.environment = scope.environment
  }
  return { sql: parts.join(' AND '), params }
}

// Orders round statistics to 9 decimals first, so that equal figures reached by different
// sums (equal up to rounding noise) are ordered by the tie-breakers, not by the noise.

/** Per fingerprint and hour: the summed count, over environments, sources and releases. */
const perHour = (w: string) =>
  `SELECT project_id, fingerprint, hour_bucket, sum(count)::DOUBLE AS c FROM hourly WHERE ${w}
   GROUP BY project_id, fingerprint, hour_bucket`

export interface SpikeRow {
  project_id: string
  fingerprint: string
  hour_bucket: number
  c: number
  s: number
  q: number
}

export async function spikeRows(
  duck: Duck,
  scope: Scope,
  win: Window,
  opts: { threshold: number; minCount: number; limit: number },
): Promise<SpikeRow[]> {
  if (win.hours < 3 || scope.projectIds.length === 0) return []
  const w = where(scope, { from: win.first, to: win.last })
  return duck.query<SpikeRow>(
    `WITH h AS (${perHour(w.sql)}),
     f AS (
       SELECT *, sum(c) OVER fp AS s, sum(c * c) OVER fp AS q FROM h
       WINDOW fp AS (PARTITION BY project_id, fingerprint)),
     scored AS (
       SELECT *, (s - c) / ($n - 1) AS mean,
              (($n - 1) * (q - c * c) - (s - c) * (s - c)) / (($n - 1) * ($n - 2)) AS var
       FROM f WHERE c >= $min_count)
     SELECT project_id, fingerprint, hour_bucket, c, s, q,
            CASE WHEN var > 0 THEN (c - mean) / sqrt(var) END AS zscore
     FROM scored
     WHERE (var > 0 AND (c - mean) / sqrt(var) >= $threshold) OR (var <= 0 AND c > mean)
     ORDER BY round(zscore, 9) DESC NULLS FIRST, c DESC, hour_bucket DESC, project_id, fingerprint
     LIMIT $limit::BIGINT`,
    { ...w.params, n: win.hours, min_count: opts.minCount, threshold: opts.threshold, limit: opts.limit },
  )
}

export interface MoverRow {
  project_id: string
  fingerprint: string
  current: number
  previous: number
}

export async function moverRows(duck: Duck, scope: Scope, win: Window, limit: number): Promise<MoverRow[]> {
  if (scope.projectIds.length === 0) return []
  const w = where(scope, { from: win.first - win.hours * HOUR_MS, to: win.last })
  return duck.query<MoverRow>(
    `SELECT * FROM (
       SELECT project_id, fingerprint,
              coalesce(sum(count) FILTER (WHERE hour_bucket >= $first::BIGINT), 0)::DOUBLE AS current,
              coalesce(sum(count) FILTER (WHERE hour_bucket < $first::BIGINT), 0)::DOUBLE AS previous
       FROM hourly WHERE ${w.sql} GROUP BY project_id, fingerprint)
     WHERE current <> previous
     ORDER BY abs(current - previous) DESC, project_id, fingerprint
     LIMIT $limit::BIGINT`,
    { ...w.params, first: win.first, limit },
  )
}

/** One pair, the lexically smaller (project, fingerprint) as `a`. */
export interface PairRow {
  project_a: string
  fingerprint_a: string
  project_b: string
  fingerprint_b: string
  sx: number
  sxx: number
  sy: number
  syy: number
  sxy: number
}

/**
 * Pairs of fingerprints with at least `minHours` non-zero hours whose Pearson r over the
 * zero-filled window is at least `minR`. Only the `maxSeries` fingerprints with the most
 * events take part: the number of pairs grows with the square of the series. Each series
 * becomes a dense list of `hours` counts, and the sums of products are list dot products
 * (a join of every pair's hours was ten times slower at 720 hours).
 */
export async function pairRows(
  duck: Duck,
  scope: Scope,
  win: Window,
  opts: { minR: number; minHours: number; maxSeries: number; limit: number },
): Promise<PairRow[]> {
  if (scope.projectIds.length === 0 || win.hours < opts.minHours) return []
  const w = where(scope, { from: win.first, to: win.last })
  return duck.query<PairRow>(
    `WITH base AS (SELECT project_id, fingerprint, hour_bucket, count FROM hourly WHERE ${w.sql}),
     active AS (
       SELECT project_id, fingerprint, sum(count) AS events FROM base
       GROUP BY project_id, fingerprint HAVING count(DISTINCT hour_bucket) >= $min_hours::BIGINT),
     top AS (
       SELECT project_id, fingerprint, row_number() OVER (ORDER BY events DESC, project_id, fingerprint) AS k
       FROM active QUALIFY k <= $max_series::BIGINT),
     h AS MATERIALIZED (
       SELECT top.k, base.hour_bucket, sum(base.count)::DOUBLE AS c FROM base JOIN top USING (project_id, fingerprint)
       GROUP BY top.k, base.hour_bucket),
     dense AS MATERIALIZED (
       SELECT top.k, top.project_id, top.fingerprint, list(coalesce(h.c, 0) ORDER BY g.i) AS v,
              sum(h.c) AS sx, sum(h.c * h.c) AS sxx
       FROM top CROSS JOIN range(0, $n::BIGINT) g(i)
       LEFT JOIN h ON h.k = top.k AND h.hour_bucket = $from::BIGINT + g.i * ${HOUR_MS}
       GROUP BY top.k, top.project_id, top.fingerprint),
     pairs AS (
       SELECT a.project_id AS project_a, a.fingerprint AS fingerprint_a, a.sx, a.sxx,
              b.project_id AS project_b, b.fingerprint AS fingerprint_b, b.sx AS sy, b.sxx AS syy,
              list_dot_product(a.v, b.v) AS sxy,
              $n * a.sxx - a.sx * a.sx AS vx, $n * b.sxx - b.sx * b.sx AS vy
       FROM dense a JOIN dense b
         ON a.project_id < b.project_id OR (a.project_id = b.project_id AND a.fingerprint < b.fingerprint)),
     r AS (
       SELECT *, ($n * sxy - sx * sy) / sqrt(vx * vy) AS r FROM pairs WHERE vx > 0 AND vy > 0)
     SELECT project_a, fingerprint_a, project_b, fingerprint_b, sx, sxx, sy, syy, sxy FROM r
     WHERE r >= $min_r
     ORDER BY round(r, 9) DESC, project_a, fingerprint_a, project_b, fingerprint_b
     LIMIT $limit::BIGINT`,
    {
      ...w.params,
      n: win.hours,
      min_hours: opts.minHours,
      max_series: opts.maxSeries,
      min_r: opts.minR,
      limit: opts.limit,
    },
  )
}

export interface ReleaseRow {
  project_id: string
  release: string
  first_seen: number
  events: number
  fingerprints: number
  new_fingerprints: number
  first_24h_events: number
  previous_release: string | null
  previous_first_seen: number | null
  previous_first_24h_events: number | null
}

/**
 * The CTEs both sources rank releases with (postgres.ts too): each fingerprint's first
 * sighting in each release (`fs`, from the `firstSeen` rows that match `scoped`), each
 * release's first sighting and fingerprints (`rel`), the fingerprints it introduced
 * (`fresh`), and each release beside the one first seen just before it (`ordered`).
 * `collate` makes the release names' order bytewise where the database's is not.
 */
export function releaseOrder(firstSeen: string, scoped: string, collate = ''): string {
  return `fs AS (
       SELECT project_id, fingerprint, release, min(first_seen) AS first_seen FROM ${firstSeen}
       WHERE ${scoped} GROUP BY project_id, fingerprint, release),
     rel AS (
       SELECT project_id, release, min(first_seen) AS first_seen, count(*) AS fingerprints FROM fs
       GROUP BY project_id, release),
     fp AS (SELECT project_id, fingerprint, min(first_seen) AS t FROM fs GROUP BY project_id, fingerprint),
     fresh AS (
       SELECT fs.project_id, fs.release, count(*) AS n FROM fs
       JOIN fp ON fp.project_id = fs.project_id AND fp.fingerprint = fs.fingerprint AND fp.t = fs.first_seen
       GROUP BY fs.project_id, fs.release),
     ordered AS (
       SELECT rel.*, coalesce(fresh.n, 0) AS new_fingerprints,
              lag(rel.release) OVER w AS previous_release, lag(rel.first_seen) OVER w AS previous_first_seen
       FROM rel LEFT JOIN fresh USING (project_id, release)
       WINDOW w AS (PARTITION BY rel.project_id ORDER BY rel.first_seen, rel.release${collate === '' ? '' : ` ${collate}`}))`
}

/**
 * Releases with events in the window, newest first, with their figures over everything the
 * copy holds: first seen, events, distinct and new fingerprints, and the events of their
 * first 24 hourly buckets and those of the release first seen just before.
 */
export async function releaseRows(
  duck: Duck,
  scope: Scope,
  win: Window,
  limit: number,
): Promise<ReleaseRow[]> {
  if (scope.projectIds.length === 0) return []
  const all = where(scope)
  const recent = where(scope, { from: win.first, to: win.last })
  return duck.query<ReleaseRow>(
    `WITH ${releaseOrder('first_seen', all.sql)},
     active AS (SELECT DISTINCT project_id, release FROM hourly WHERE ${recent.sql}),
     scoped AS (SELECT * FROM hourly WHERE ${all.sql}),
     events AS (SELECT project_id, release, sum(count) AS events FROM scoped GROUP BY project_id, release),
     first24 AS (
       SELECT o.project_id, o.release, sum(h.count) AS events FROM ordered o
       JOIN scoped h ON h.project_id = o.project_id AND h.release = o.release
         AND h.hour_bucket >= o.first_seen // ${HOUR_MS} * ${HOUR_MS}
         AND h.hour_bucket < o.first_seen // ${HOUR_MS} * ${HOUR_MS} + ${24 * HOUR_MS}
       GROUP BY o.project_id, o.release)
     SELECT o.project_id, o.release, o.first_seen, coalesce(e.events, 0)::DOUBLE AS events,
            o.fingerprints, o.new_fingerprints, coalesce(f.events, 0)::DOUBLE AS first_24h_events,
            o.previous_release, o.previous_first_seen, p.events::DOUBLE AS previous_first_24h_events
     FROM ordered o
     JOIN active USING (project_id, release)
     LEFT JOIN events e ON e.project_id = o.project_id AND e.release = o.release
     LEFT JOIN first24 f ON f.project_id = o.project_id AND f.release = o.release
     LEFT JOIN first24 p ON p.project_id = o.project_id AND p.release = o.previous_release
     ORDER BY o.first_seen DESC, o.project_id, o.release
     LIMIT $limit::BIGINT`,
    { ...recent.params, limit },
  )
}

export interface EnvironmentHourRow {
  environment: string
  hour_bucket: number
  c: number
}

/** Per environment and hour: events in the window (summed over projects, issues, sources, releases). */
export async function environmentHours(duck: Duck, scope: Scope, win: Window): Promise<EnvironmentHourRow[]> {
  if (scope.projectIds.length === 0) return []
  const w = where(scope, { from: win.first, to: win.last })
  return duck.query<EnvironmentHourRow>(
    `SELECT environment, hour_bucket, sum(count)::DOUBLE AS c FROM hourly WHERE ${w.sql}
     GROUP BY environment, hour_bucket`,
    w.params,
  )
}

/** Per environment: distinct (project, fingerprint) with events in the window. */
export async function environmentFingerprints(
  duck: Duck,
  scope: Scope,
  win: Window,
): Promise<{ environment: string; fingerprints: number }[]> {
  if (scope.projectIds.length === 0) return []
  const w = where(scope, { from: win.first, to: win.last })
  return duck.query(
    `SELECT environment, count(*) AS fingerprints FROM (
       SELECT DISTINCT environment, project_id, fingerprint FROM hourly WHERE ${w.sql})
     GROUP BY environment`,
    w.params,
  )
}

export interface IssueLabel {
  error_type: string
  message: string
}

/**
 * error_type and message of issues, from the issues table through the storage seam (the
 * copy keeps only counts): one primary-key lookup per issue, each a cached prepared
 * statement on SQLite's main connection.
 */
export async function issueLabels(
  db: Queryable,
  keys: readonly { project_id: string; fingerprint: string }[],
): Promise<Map<string, IssueLabel>> {
  const out = new Map<string, IssueLabel>()
  for (const k of keys) {
    const id = labelKey(k.project_id, k.fingerprint)
    if (out.has(id)) continue
    const row = await db.get<IssueLabel>(
      'SELECT error_type, message FROM issues WHERE project_id = ? AND fingerprint = ?',
      [k.project_id, k.fingerprint],
    )
    if (row) out.set(id, row)
  }
  return out
}

export const labelKey = (projectId: string, fingerprint: string) => `${projectId}\u0000${fingerprint}`
