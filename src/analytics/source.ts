/**
 * What the analytics answers read: the sufficient statistics of each endpoint (sums per
 * hour, sums of squares and products, release figures, per-environment percentiles) and
 * the issues' labels. Two sources give them: the DuckDB copy beside the SQLite file
 * (`duckdbSource`, over queries.ts) and PostgreSQL itself (`postgresSource`, postgres.ts).
 * answers.ts turns either into the published figures with stats.ts, so both backends
 * answer with one definition of every statistic (docs/ARCHITECTURE.md, "Analytics on
 * PostgreSQL").
 */
import { HOUR_MS } from '../core/time'
import type { Queryable } from '../storage/backend'
import type { Duck } from './duckdb'
import {
  environmentFingerprints,
  environmentHours,
  type IssueLabel,
  issueLabels,
  type MoverRow,
  moverRows,
  type PairRow,
  pairRows,
  type ReleaseRow,
  releaseRows,
  type Scope,
  type SpikeRow,
  spikeRows,
} from './queries'
import { percentile, type Window } from './stats'

/** One environment's figures over the window (pct_of_total is the answer's to add). */
export interface EnvironmentRow {
  environment: string
  total_count: number
  unique_errors: number
  p50_hourly: number
  p90_hourly: number
  p99_hourly: number
}

export interface AnalyticsSource {
  spikeRows(
    scope: Scope,
    win: Window,
    opts: { threshold: number; minCount: number; limit: number },
  ): Promise<SpikeRow[]>
  moverRows(scope: Scope, win: Window, limit: number): Promise<MoverRow[]>
  pairRows(
    scope: Scope,
    win: Window,
    opts: { minR: number; minHours: number; maxSeries: number; limit: number },
  ): Promise<PairRow[]>
  releaseRows(scope: Scope, win: Window, limit: number): Promise<ReleaseRow[]>
  /** Every environment with events in the window, in no particular order. */
  environmentRows(scope: Scope, win: Window): Promise<EnvironmentRow[]>
  /** error_type and message of the given issues, keyed by `labelKey`. */
  labels(keys: readonly { project_id: string; fingerprint: string }[]): Promise<Map<string, IssueLabel>>
}

/**
 * The DuckDB copy: its queries (queries.ts), labels from SQLite's issues table, and the
 * environments' percentiles of the zero-filled hourly series computed by stats.ts.
 */
export function duckdbSource(duck: Duck, db: Queryable): AnalyticsSource {
  return {
    spikeRows: (scope, win, opts) => spikeRows(duck, scope, win, opts),
    moverRows: (scope, win, limit) => moverRows(duck, scope, win, limit),
    pairRows: (scope, win, opts) => pairRows(duck, scope, win, opts),
    releaseRows: (scope, win, limit) => releaseRows(duck, scope, win, limit),
    async environmentRows(scope, win) {
      const [hours, fingerprints] = await Promise.all([
        environmentHours(duck, scope, win),
        environmentFingerprints(duck, scope, win),
      ])
      const series = new Map<string, number[]>()
      for (const r of hours) {
        let s = series.get(r.environment)
        if (!s) {
          s = new Array<number>(win.hours).fill(0)
          series.set(r.environment, s)
        }
        s[(r.hour_bucket - win.first) / HOUR_MS] = r.c
      }
      const distinct = new Map(fingerprints.map((f) => [f.environment, f.fingerprints]))
      return [...series].map(([environment, s]) => ({
        environment,
        total_count: s.reduce((a, b) => a + b, 0),
        unique_errors: distinct.get(environment) ?? 0,
        p50_hourly: percentile(s, 0.5),
        p90_hourly: percentile(s, 0.9),
        p99_hourly: percentile(s, 0.99),
      }))
    },
    labels: (keys) => issueLabels(db, keys),
  }
}
