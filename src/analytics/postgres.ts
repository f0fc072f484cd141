/**
 * The analytics endpoints on PostgreSQL (docs/ARCHITECTURE.md, "Analytics on PostgreSQL").
 * DuckDB's copy is a single-process design (a file beside the SQLite file, fed by the one
 * writer), so with PostgreSQL no copy is made: these queries read the errors feature's own
 * tables, `event_counts_hourly` (the grain of the copy's `hourly`) and `error_aggregates`
 * (its `first_seen`), and return the same sufficient statistics as queries.ts does on the
 * copy; answers.ts turns them into the published figures with stats.ts.
 *
 * - The same closed forms: per-hour sums, the issue's sums of the count and its square
 *   over the window (joined back to its hours, which costs less than a window function's
 *   sort of every hour), FILTER for the two halves of the movers' window, `lag` for the
 *   previous release. For correlations PostgreSQL picks the series and returns each one's
 *   hourly counts (as arrays) and sums; the pairs' sums of products are taken from those
 *   (`pairsOf`).
 * - The environments' percentiles are PostgreSQL's `percentile_cont` over the zero-filled
 *   hourly series (`generate_series`): linear interpolation between the closest ranks,
 *   the definition `stats.percentile` implements (Hyndman & Fan type 7).
 * - The same order: statistics rounded to 9 decimals before the tie-breakers, and text
 *   compared bytewise (`COLLATE "C"`), as DuckDB compares it, whatever the database's
 *   collation.
 * - Scoped like every read: the caller's projects and optionally one environment, every
 *   value a bound parameter.
 */
import { HOUR_MS, hourBucket } from '../core/time'
import type { Backend, Param } from '../storage/backend'
import { placeholders } from '../storage/db'
import { AnswerCache } from './cache'
import type { IssueLabel, MoverRow, PairRow, ReleaseRow, Scope, SpikeRow } from './queries'
import { labelKey, releaseOrder } from './queries'
import { switchedOff } from './service'
import type { AnalyticsSource, EnvironmentRow } from './source'

interface Clause {
  sql: string
  params: Param[]
}

function where(scope: Scope, window?: { from: number; to: number }, table = ''): Clause {
  const col = (name: string) => (table === '' ? name : `${table}.${name}`)
  const parts = [`${col('project_id')} IN (${placeholders(scope.projectIds.length)})`]
  const params: Param[] = [...scope.projectIds]
  if (window) {
    parts.push(`${col('hour_bucket')} BETWEEN ? AND ?`)
    params.push(window.from, window.to)
  }
  if (scope.environment !== undefined) {
    parts.push(`${col('environment')} = ?`)
    params.push(scope.environment)
  }
  return { sql: parts.join(' AND '), params }
}

const C = 'COLLATE "C"'

/** One issue's hourly counts over the window (hours from its first) with their sum and sum of squares. */
interface HourlySeries {
  project_id: string
  fingerprint: string
  hours: number[]
  counts: number[]
  sx: number
  sxx: number
}

/**
 * The pairs of `series` (sorted bytewise by project and fingerprint, so `a` of each pair
 * is the smaller) whose Pearson r is at least `minR`, ordered and cut as the DuckDB query
 * orders them. PostgreSQL has grouped each series' hourly counts (their sums and squares
 * too); the sums of products of every pair are a matrix product (200 series x 720 hours
 * is 14 million products), which PostgreSQL's row-at-a-time executor took seconds for as a
 * self-join on the hour, and a dense vector product takes milliseconds for here. r is the
 * same closed form, in the same double arithmetic, as the SQL on DuckDB.
 */
function pairsOf(
  series: readonly HourlySeries[],
  n: number,
  opts: { minR: number; limit: number },
): PairRow[] {
  const dense = series.map((s) => {
    const v = new Float64Array(n)
    for (let i = 0; i < s.hours.length; i++) v[s.hours[i] as number] = s.counts[i] as number
    return v
  })
  const found: (PairRow & { r: number })[] = []
  for (let i = 0; i < series.length; i++) {
    const a = series[i] as (typeof series)[number]
    const va = dense[i] as Float64Array
    const vx = n * a.sxx - a.sx * a.sx
    if (!(vx > 0)) continue
    for (let j = i + 1; j < series.length; j++) {
      const b = series[j] as (typeof series)[number]
      const vy = n * b.sxx - b.sx * b.sx
      if (!(vy > 0)) continue
      const vb = dense[j] as Float64Array
      let sxy = 0
      for (let h = 0; h < n; h++) sxy += (va[h] as number) * (vb[h] as number)
      const r = (n * sxy - a.sx * b.sx) / Math.sqrt(vx * vy)
      if (r >= opts.minR)
        found.push({
          project_a: a.project_id,
          fingerprint_a: a.fingerprint,
          project_b: b.project_id,
          fingerprint_b: b.fingerprint,
          sx: a.sx,
          sxx: a.sxx,
          sy: b.sx,
          syy: b.sxx,
          sxy,
          r,
        })
    }
  }
  // Found in the order of the names (the series come sorted); the sort is stable.
  found.sort((x, y) => round9(y.r) - round9(x.r))
  return found.slice(0, opts.limit).map(({ r: _, ...row }) => row)
}

/** r rounded to 9 decimals, as the DuckDB query orders by `round(r, 9)`. */
const round9 = (r: number) => Math.round(r * 1e9) / 1e9

export function postgresSource(backend: Backend): AnalyticsSource {
  return {
    async spikeRows(scope, win, opts) {
      if (win.hours < 3 || scope.projectIds.length === 0) return []
      const w = where(scope, { from: win.first, to: win.last })
      return backend.all<SpikeRow>(
        `WITH p AS (SELECT ?::float8 AS n, ?::float8 AS min_count, ?::float8 AS threshold),
         h AS MATERIALIZED (
           SELECT project_id, fingerprint, hour_bucket, sum(count)::float8 AS c FROM event_counts_hourly
           WHERE ${w.sql} GROUP BY project_id, fingerprint, hour_bucket),
         f AS (SELECT project_id, fingerprint, sum(c) AS s, sum(c * c) AS q FROM h GROUP BY project_id, fingerprint),
         scored AS (
           SELECT h.*, f.s, f.q, p.threshold, (f.s - h.c) / (p.n - 1) AS mean,
                  ((p.n - 1) * (f.q - h.c * h.c) - (f.s - h.c) * (f.s - h.c)) / ((p.n - 1) * (p.n - 2)) AS var
           FROM h CROSS JOIN p JOIN f USING (project_id, fingerprint) WHERE h.c >= p.min_count),
         z AS (SELECT scored.*, CASE WHEN var > 0 THEN (c - mean) / sqrt(var) END AS zscore FROM scored)
         SELECT project_id, fingerprint, hour_bucket, c, s, q, zscore FROM z
         WHERE (var > 0 AND zscore >= threshold) OR (var <= 0 AND c > mean)
         ORDER BY round(zscore::numeric, 9) DESC NULLS FIRST, c DESC, hour_bucket DESC,
                  project_id ${C}, fingerprint ${C}
         LIMIT ?`,
        [win.hours, opts.minCount, opts.threshold, ...w.params, opts.limit],
      )
    },

    async moverRows(scope, win, limit) {
      if (scope.projectIds.length === 0) return []
      const w = where(scope, { from: win.first - win.hours * HOUR_MS, to: win.last })
      return backend.all<MoverRow>(
        `SELECT * FROM (
           SELECT project_id, fingerprint,
                  coalesce(sum(count) FILTER (WHERE hour_bucket >= ?), 0)::float8 AS current,
                  coalesce(sum(count) FILTER (WHERE hour_bucket < ?), 0)::float8 AS previous
           FROM event_counts_hourly WHERE ${w.sql} GROUP BY project_id, fingerprint) m
         WHERE current <> previous
         ORDER BY abs(current - previous) DESC, project_id ${C}, fingerprint ${C}
         LIMIT ?`,
        [win.first, win.first, ...w.params, limit],
      )
    },

    async pairRows(scope, win, opts) {
      if (scope.projectIds.length === 0 || win.hours < opts.minHours) return []
      const w = where(scope, { from: win.first, to: win.last })
      const series = await backend.all<HourlySeries>(
        `WITH p AS (SELECT ?::bigint AS min_hours, ?::bigint AS max_series, ?::bigint AS first),
         h AS MATERIALIZED (
           SELECT project_id, fingerprint, hour_bucket, sum(count)::float8 AS c FROM event_counts_hourly
           WHERE ${w.sql} GROUP BY project_id, fingerprint, hour_bucket),
         active AS (
           SELECT project_id, fingerprint, sum(c) AS events FROM h GROUP BY project_id, fingerprint
           HAVING count(*) >= (SELECT min_hours FROM p)),
         top AS (
           SELECT project_id, fingerprint FROM active
           ORDER BY events DESC, project_id ${C}, fingerprint ${C} LIMIT (SELECT max_series FROM p))
         SELECT project_id, fingerprint,
                array_agg(((hour_bucket - (SELECT first FROM p)) / ${HOUR_MS})::int ORDER BY hour_bucket) AS hours,
                array_agg(c ORDER BY hour_bucket) AS counts, sum(c) AS sx, sum(c * c) AS sxx
         FROM h JOIN top USING (project_id, fingerprint) GROUP BY project_id, fingerprint
         ORDER BY project_id ${C}, fingerprint ${C}`,
        [opts.minHours, opts.maxSeries, win.first, ...w.params],
      )
      return pairsOf(series, win.hours, opts)
    },

    async releaseRows(scope, win, limit) {
      if (scope.projectIds.length === 0) return []
      const all = where(scope)
      const onHourly = where(scope, undefined, 'h')
      // One pass over the hourly counts of the releases: their events, those of their
      // first 24 hours, and whether they have any in the window.
      return backend.all<ReleaseRow>(
        `WITH ${releaseOrder('error_aggregates', all.sql, C)},
         per AS (
           SELECT o.project_id, o.release, sum(h.count) AS events,
                  sum(h.count) FILTER (WHERE h.hour_bucket >= o.first_seen / ${HOUR_MS} * ${HOUR_MS}
                    AND h.hour_bucket < o.first_seen / ${HOUR_MS} * ${HOUR_MS} + ${24 * HOUR_MS}) AS first24,
                  bool_or(h.hour_bucket BETWEEN ? AND ?) AS active
           FROM ordered o JOIN event_counts_hourly h ON h.project_id = o.project_id AND h.release = o.release
           WHERE ${onHourly.sql}
           GROUP BY o.project_id, o.release)
         SELECT o.project_id, o.release, o.first_seen, e.events::float8 AS events,
                o.fingerprints, o.new_fingerprints, coalesce(e.first24, 0)::float8 AS first_24h_events,
                o.previous_release, o.previous_first_seen, pf.first24::float8 AS previous_first_24h_events
         FROM ordered o
         JOIN per e ON e.project_id = o.project_id AND e.release = o.release AND e.active
         LEFT JOIN per pf ON pf.project_id = o.project_id AND pf.release = o.previous_release
         ORDER BY o.first_seen DESC, o.project_id ${C}, o.release ${C}
         LIMIT ?`,
        [...all.params, win.first, win.last, ...onHourly.params, limit],
      )
    },

    async environmentRows(scope, win) {
      if (scope.projectIds.length === 0) return []
      const w = where(scope, { from: win.first, to: win.last })
      return backend.all<EnvironmentRow>(
        `WITH p AS (SELECT ?::bigint AS first, ?::int AS n),
         h AS (
           SELECT environment, hour_bucket, sum(count)::float8 AS c FROM event_counts_hourly
           WHERE ${w.sql} GROUP BY environment, hour_bucket),
         dense AS (
           SELECT e.environment, coalesce(h.c, 0) AS c
           FROM (SELECT DISTINCT environment FROM h) e
           CROSS JOIN p CROSS JOIN generate_series(0, p.n - 1) g(i)
           LEFT JOIN h ON h.environment = e.environment AND h.hour_bucket = p.first + g.i * ${HOUR_MS}::bigint),
         fingerprints AS (
           SELECT environment, count(*) AS n FROM (
             SELECT DISTINCT environment, project_id, fingerprint FROM event_counts_hourly WHERE ${w.sql}) d
           GROUP BY environment)
         SELECT d.environment, sum(d.c) AS total_count, coalesce(max(f.n), 0) AS unique_errors,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY d.c) AS p50_hourly,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY d.c) AS p90_hourly,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY d.c) AS p99_hourly
         FROM dense d LEFT JOIN fingerprints f ON f.environment = d.environment
         GROUP BY d.environment`,
        [win.first, win.hours, ...w.params, ...w.params],
      )
    },

    async labels(keys) {
      const out = new Map<string, IssueLabel>()
      const wanted = new Map(keys.map((k) => [labelKey(k.project_id, k.fingerprint), k]))
      if (wanted.size === 0) return out
      const pairs = [...wanted.values()]
      const rows = await backend.all<IssueLabel & { project_id: string; fingerprint: string }>(
        `SELECT project_id, fingerprint, error_type, message FROM issues
         WHERE (project_id, fingerprint) IN (${pairs.map(() => '(?, ?)').join(', ')})`,
        pairs.flatMap((k) => [k.project_id, k.fingerprint]),
      )
      for (const r of rows)
        out.set(labelKey(r.project_id, r.fingerprint), { error_type: r.error_type, message: r.message })
      return out
    },
  }
}

/**
 * The analytics feature on PostgreSQL: always ready (the database is the data, there is no
 * copy to open or catch up), answers cached like the copy's (cache.ts): for
 * `analytics.cache_ttl_secs`, dropped earlier when this server commits events of one of an
 * answer's projects in its window's last hour. Events committed by another bloop node on
 * the same database are seen once the entry expires.
 */
export class PostgresAnalytics {
  readonly kind = 'postgres' as const
  /** `disabled` with `analytics.enabled = false` (404, as on SQLite); else always `ready`. */
  readonly state: 'ready' | 'disabled'
  readonly cache: AnswerCache
  readonly ready: Promise<void> = Promise.resolve()
  /** No DuckDB copy and no feed on PostgreSQL. */
  readonly copy = null
  readonly feed = null
  private readonly answers: AnalyticsSource

  constructor(
    private readonly backend: Backend,
    o: { enabled: boolean; ttlMs: number; now: () => number },
  ) {
    this.state = o.enabled ? 'ready' : 'disabled'
    this.cache = new AnswerCache(o.ttlMs, o.now)
    this.answers = postgresSource(backend)
  }

  /** Committed events: answers of their projects covering their hours go stale. */
  onCommit(events: readonly { project_id: string; received_at: number }[]): void {
    const touched = new Map<string, number>()
    for (const e of events) {
      const hour = hourBucket(e.received_at)
      if ((touched.get(e.project_id) ?? Number.NEGATIVE_INFINITY) < hour) touched.set(e.project_id, hour)
    }
    if (touched.size > 0) this.cache.noteAppend(touched)
  }

  async source(): Promise<AnalyticsSource> {
    if (this.state === 'disabled') throw switchedOff()
    return this.answers
  }

  /** Nothing to copy: every committed event is already where the answers read. */
  async syncNow(): Promise<void> {}

  async status(projectIds: readonly string[]) {
    if (this.state === 'disabled')
      return { state: this.state, message: switchedOff().message, events: 0, caught_up: false }
    const events =
      projectIds.length === 0
        ? 0
        : ((
            await this.backend.get<{ events: number | null }>(
              `SELECT sum(count)::float8 AS events FROM event_counts_hourly
               WHERE project_id IN (${placeholders(projectIds.length)})`,
              [...projectIds],
            )
          )?.events ?? 0)
    return { state: this.state, message: null, events, caught_up: true }
  }

  async close(): Promise<void> {}
}
