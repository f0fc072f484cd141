/**
 * The LLM percentiles on PostgreSQL (docs/ARCHITECTURE.md, "Analytics on PostgreSQL"):
 * the same answers as rollups.ts's `latency` and `overview` and tools.ts's `tools`, read
 * from PostgreSQL.
 *
 * - `/v1/llm/latency` and `/v1/llm/overview` (its p95 latency now and in the window
 *   before): the hourly sketches are stored in `llm_usage_hourly` on both backends; they
 *   are read through the storage seam and merged by the same DenseSketch (nearest rank, a
 *   bucket's reported value), so both backends give the same figures. The overview's other
 *   sums are the same portable reads.
 * - `/v1/llm/tools`: exact percentiles of the span latencies, which SQLite's reader sorts
 *   in JavaScript after one scan; PostgreSQL computes them itself with `percentile_cont`
 *   (linear interpolation at rank p x (n - 1), the definition of stats.ts's
 *   `percentileCont`), grouped by tool name, so only one row per tool leaves the database.
 *
 * routes.ts picks these when the backend's kind is `postgres`.
 */
import type { Backend } from '../../storage/backend'
import {
  latencyFrom,
  latencyRead,
  type OverviewRows,
  overviewFrom,
  overviewReads,
  type SketchRow,
} from './rollups'
import { rate, Where } from './sql'
import type { Window } from './window'

/** The overview (its p95 latencies merged from the sketches), from PostgreSQL's rollups. */
export async function overviewOnPostgres(backend: Backend, projectIds: readonly string[], w: Window) {
  const r = overviewReads(projectIds, w)
  const [spans, traces, sketches, previousSketches] = await Promise.all([
    backend.get<NonNullable<OverviewRows['spans']>>(r.spans.sql, r.spans.params),
    backend.get<NonNullable<OverviewRows['traces']>>(r.traces.sql, r.traces.params),
    backend.all<OverviewRows['sketches'][number]>(r.sketches.sql, r.sketches.params),
    backend.all<OverviewRows['previousSketches'][number]>(r.previousSketches.sql, r.previousSketches.params),
  ])
  return overviewFrom({ spans, traces, sketches, previousSketches }, w)
}

export async function latencyOnPostgres(
  backend: Backend,
  projectIds: readonly string[],
  w: Window,
  f: { model?: string },
) {
  const { sql, params } = latencyRead(projectIds, w, f)
  return latencyFrom(await backend.all<SketchRow>(sql, params), w)
}

export async function toolsOnPostgres(
  backend: Backend,
  projectIds: readonly string[],
  w: Window,
  limit: number,
) {
  const where = new Where(projectIds)
    .add("span_type IN ('tool', 'retrieval')")
    .add('started_at >= ?', w.since)
  const rows = await backend.all<{
    name: string
    span_types: string
    calls: number
    errors: number
    cost: number | null
    avg: number | null
    p50: number | null
    p99: number | null
  }>(
    `SELECT name, string_agg(DISTINCT span_type, ' ' ORDER BY span_type) AS span_types, count(*) AS calls,
            count(*) FILTER (WHERE status = 'error') AS errors, sum(cost_micros) AS cost,
            avg(latency_ms)::float8 AS avg,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
       FROM llm_spans WHERE ${where.sql}
      GROUP BY name ORDER BY count(*) DESC, name COLLATE "C" LIMIT ?`,
    [...where.params, limit],
  )
  return {
    tools: rows.map((r) => ({
      name: r.name,
      span_types: r.span_types.split(' '),
      call_count: r.calls,
      error_count: r.errors,
      error_rate: rate(r.errors, r.calls),
      avg_latency_ms: r.avg,
      p50_latency_ms: r.p50,
      p99_latency_ms: r.p99,
      total_cost_micros: r.cost,
    })),
    window_hours: w.hours,
  }
}
