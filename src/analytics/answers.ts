/**
 * Builds each endpoint's answer: runs its query on the source (the DuckDB copy or
 * PostgreSQL, source.ts), attaches the issues' labels, and turns the sums into the
 * published figures with `stats.ts`.
 */
import { HOUR_MS } from '../core/time'
import type {
  CorrelationsResponse,
  Environment,
  EnvironmentsResponse,
  MoversResponse,
  ReleasesResponse,
  SpikesResponse,
} from './model'
import { labelKey, type Scope } from './queries'
import type { AnalyticsSource } from './source'
import {
  deltaPct,
  first24hRate,
  impactScore,
  pearsonFromSums,
  rateChangePct,
  spikeFigures,
  type Window,
} from './stats'

/**
 * Fingerprints need this many non-zero hours in the window to be correlated: with fewer,
 * mostly-zero series correlate highly by chance (docs/decisions.md, "Analytics").
 */
export const MIN_ACTIVE_HOURS = 6

export interface AnswerContext {
  source: AnalyticsSource
  scope: Scope
  win: Window
  limit: number
  now: number
  settings: {
    zscoreThreshold: number
    spikeMinCount: number
    minCorrelation: number
    maxCorrelationSeries: number
  }
}

function windowFields(c: AnswerContext) {
  return {
    window_hours: c.win.hours,
    window_start: c.win.first,
    window_end: c.win.last + HOUR_MS,
    environment: c.scope.environment ?? null,
  }
}

async function labeller(source: AnalyticsSource, keys: { project_id: string; fingerprint: string }[]) {
  const labels = await source.labels(keys)
  return (projectId: string, fingerprint: string) =>
    labels.get(labelKey(projectId, fingerprint)) ?? { error_type: '', message: '' }
}

export async function spikes(c: AnswerContext): Promise<SpikesResponse> {
  const { zscoreThreshold: threshold, spikeMinCount: minCount } = c.settings
  const rows = await c.source.spikeRows(c.scope, c.win, { threshold, minCount, limit: c.limit })
  const label = await labeller(c.source, rows)
  return {
    spikes: rows.flatMap((r) => {
      const f = spikeFigures(r.c, r.s, r.q, c.win.hours)
      if (!f) return []
      return [
        {
          project_id: r.project_id,
          fingerprint: r.fingerprint,
          ...label(r.project_id, r.fingerprint),
          hour_bucket: r.hour_bucket,
          count: r.c,
          mean: f.mean,
          stddev: f.stddev,
          zscore: f.zscore,
        },
      ]
    }),
    threshold,
    min_count: minCount,
    ...windowFields(c),
  }
}

export async function movers(c: AnswerContext): Promise<MoversResponse> {
  const rows = await c.source.moverRows(c.scope, c.win, c.limit)
  const label = await labeller(c.source, rows)
  return {
    movers: rows.map((r) => ({
      project_id: r.project_id,
      fingerprint: r.fingerprint,
      ...label(r.project_id, r.fingerprint),
      count_current: r.current,
      count_previous: r.previous,
      delta: r.current - r.previous,
      delta_pct: deltaPct(r.current, r.previous),
    })),
    previous_window_start: c.win.first - c.win.hours * HOUR_MS,
    ...windowFields(c),
  }
}

export async function correlations(c: AnswerContext): Promise<CorrelationsResponse> {
  const rows = await c.source.pairRows(c.scope, c.win, {
    minR: c.settings.minCorrelation,
    minHours: MIN_ACTIVE_HOURS,
    maxSeries: c.settings.maxCorrelationSeries,
    limit: c.limit,
  })
  const label = await labeller(c.source, [
    ...rows.map((r) => ({ project_id: r.project_a, fingerprint: r.fingerprint_a })),
    ...rows.map((r) => ({ project_id: r.project_b, fingerprint: r.fingerprint_b })),
  ])
  return {
    pairs: rows.flatMap((r) => {
      const correlation = pearsonFromSums(c.win.hours, r.sx, r.sy, r.sxx, r.syy, r.sxy)
      if (correlation === null) return []
      const x = { project: r.project_a, fingerprint: r.fingerprint_a, count: r.sx }
      const y = { project: r.project_b, fingerprint: r.fingerprint_b, count: r.sy }
      const lx = label(x.project, x.fingerprint)
      const ly = label(y.project, y.fingerprint)
      return [
        {
          project_a: x.project,
          fingerprint_a: x.fingerprint,
          error_type_a: lx.error_type,
          message_a: lx.message,
          count_a: x.count,
          project_b: y.project,
          fingerprint_b: y.fingerprint,
          error_type_b: ly.error_type,
          message_b: ly.message,
          count_b: y.count,
          correlation,
        },
      ]
    }),
    min_correlation: c.settings.minCorrelation,
    min_active_hours: MIN_ACTIVE_HOURS,
    max_fingerprints: c.settings.maxCorrelationSeries,
    ...windowFields(c),
  }
}

export async function releases(c: AnswerContext): Promise<ReleasesResponse> {
  const rows = await c.source.releaseRows(c.scope, c.win, c.limit)
  return {
    releases: rows.map((r) => {
      const rate = first24hRate(r.first_24h_events, r.first_seen, c.now)
      const previousRate =
        r.previous_first_seen === null
          ? null
          : first24hRate(r.previous_first_24h_events ?? 0, r.previous_first_seen, c.now)
      const change = rateChangePct(rate, previousRate)
      return {
        project_id: r.project_id,
        release: r.release,
        first_seen: r.first_seen,
        events: r.events,
        unique_fingerprints: r.fingerprints,
        new_fingerprints: r.new_fingerprints,
        first_24h_events: r.first_24h_events,
        first_24h_rate: rate,
        previous_release: r.previous_release,
        previous_first_24h_rate: previousRate,
        rate_change_pct: change,
        impact_score: impactScore(r.new_fingerprints, change),
      }
    }),
    ...windowFields(c),
  }
}

export async function environments(c: AnswerContext): Promise<EnvironmentsResponse> {
  const rows = await c.source.environmentRows(c.scope, c.win)
  let total = 0
  for (const r of rows) total += r.total_count
  const all: Environment[] = rows.map((r) => ({
    environment: r.environment,
    total_count: r.total_count,
    unique_errors: r.unique_errors,
    pct_of_total: total > 0 ? (r.total_count * 100) / total : 0,
    p50_hourly: r.p50_hourly,
    p90_hourly: r.p90_hourly,
    p99_hourly: r.p99_hourly,
  }))
  all.sort((a, b) => b.total_count - a.total_count || (a.environment < b.environment ? -1 : 1))
  return { environments: all.slice(0, c.limit), total_count: total, ...windowFields(c) }
}
