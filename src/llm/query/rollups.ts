/**
 * Overview, usage, models and latency: read from the hourly rollups only (a window of 720
 * hours is at most 720 rows per model and provider, whatever the number of spans), so
 * they stay fast at millions of spans and need no DuckDB.
 *
 * Unknown is not zero: a token sum is null when no span in it knew that count, a cost sum
 * is null when no span had a known cost, and `cost_unknown_count` says how many spans a
 * known sum leaves out. A model or provider the spans did not name is null.
 *
 * On the storage seam: the same SQL and the same sketch merging on both backends.
 */
import type { Queryable } from '../../storage/backend'
import { DenseSketch } from './sketches'
import { mean, rate, Where } from './sql'
import { HOUR_MS, type Window } from './window'

const TOKENS = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const
type TokenKind = (typeof TOKENS)[number]

const SUMS = `sum(span_count) AS span_count, sum(error_count) AS error_count,
  ${TOKENS.map((k) => `sum(${k}_tokens) AS ${k}_tokens, sum(${k}_tokens_known) AS ${k}_tokens_known`).join(', ')},
  sum(cost_micros) AS cost_micros, sum(cost_unknown_count) AS cost_unknown_count,
  sum(latency_sum_ms) AS latency_sum_ms, sum(latency_count) AS latency_count,
  sum(ttft_sum_ms) AS ttft_sum_ms, sum(ttft_count) AS ttft_count`

type Sums = { span_count: number; error_count: number; cost_micros: number; cost_unknown_count: number } & {
  [K in `${TokenKind}_tokens` | `${TokenKind}_tokens_known`]: number
} & { latency_sum_ms: number; latency_count: number; ttft_sum_ms: number; ttft_count: number }

/** Token sums and cost of rolled-up spans, with unknown as null. */
function usageOf(s: Sums) {
  const known = (k: TokenKind): number | null =>
    s.span_count > 0 && s[`${k}_tokens_known`] === 0 ? null : s[`${k}_tokens`]
  const input = known('input')
  const output = known('output')
  return {
    span_count: s.span_count,
    error_count: s.error_count,
    error_rate: rate(s.error_count, s.span_count),
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: known('cache_read'),
    cache_write_tokens: known('cache_write'),
    reasoning_tokens: known('reasoning'),
    total_tokens: input === null && output === null ? null : (input ?? 0) + (output ?? 0),
    cost_micros: s.span_count > 0 && s.cost_unknown_count === s.span_count ? null : s.cost_micros,
    cost_unknown_count: s.cost_unknown_count,
  }
}

const orNull = (s: string) => (s === '' ? null : s)
const zeroSums = (row: Partial<Sums> | null): Sums => {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(row ?? {})) out[k] = v ?? 0
  for (const k of ['span_count', 'error_count', 'cost_micros', 'cost_unknown_count', 'latency_sum_ms'])
    out[k] ??= 0
  return out as unknown as Sums
}

interface OverviewRows {
  spans: Partial<Sums> | null
  traces: { n: number | null; e: number | null } | null
  sketches: readonly { latency_sketch: Uint8Array | null }[]
  previousSketches: readonly { latency_sketch: Uint8Array | null }[]
}

/** The p-quantile of merged latency sketches. */
function quantileOf(rows: readonly { latency_sketch: Uint8Array | null }[], q: number) {
  const sketch = new DenseSketch()
  for (const r of rows) sketch.add(r.latency_sketch)
  return sketch.quantile(q)
}

/**
 * The window's span sums, its trace sums, and the latency sketches of it and of the
 * window of the same length before it (its p95 now and then), merged here by the same
 * DenseSketch on both backends.
 */
export async function overview(db: Queryable, projectIds: readonly string[], w: Window) {
  const where = new Where(projectIds).add('hour >= ?', w.fromHour)
  const before = new Where(projectIds)
    .add('hour >= ?', w.fromHour - w.hours * HOUR_MS)
    .add('hour < ?', w.fromHour)
  type Sketch = { latency_sketch: Uint8Array | null }
  const [spans, traces, sketches, previousSketches] = await Promise.all([
    db.get<Sums>(`SELECT ${SUMS} FROM llm_usage_hourly WHERE ${where.sql}`, where.params),
    db.get<{ n: number | null; e: number | null }>(
      `SELECT sum(trace_count) AS n, sum(error_trace_count) AS e FROM llm_trace_hourly WHERE ${where.sql}`,
      where.params,
    ),
    db.all<Sketch>(`SELECT latency_sketch FROM llm_usage_hourly WHERE ${where.sql}`, where.params),
    db.all<Sketch>(`SELECT latency_sketch FROM llm_usage_hourly WHERE ${before.sql}`, before.params),
  ])
  return overviewFrom({ spans, traces, sketches, previousSketches }, w)
}

/** The overview's answer from its rows. */
function overviewFrom(rows: OverviewRows, w: Window) {
  const spans = zeroSums(rows.spans)
  const traces = rows.traces
  const u = usageOf(spans)
  const traceCount = traces?.n ?? 0
  const errorTraces = traces?.e ?? 0
  return {
    total_traces: traceCount,
    error_trace_count: errorTraces,
    trace_error_rate: rate(errorTraces, traceCount),
    total_spans: u.span_count,
    total_input_tokens: u.input_tokens,
    total_output_tokens: u.output_tokens,
    total_cache_read_tokens: u.cache_read_tokens,
    total_cache_write_tokens: u.cache_write_tokens,
    total_reasoning_tokens: u.reasoning_tokens,
    total_tokens: u.total_tokens,
    total_cost_micros: u.cost_micros,
    cost_unknown_count: u.cost_unknown_count,
    error_count: u.error_count,
    error_rate: u.error_rate,
    avg_latency_ms: mean(spans.latency_sum_ms, spans.latency_count ?? 0),
    avg_ttft_ms: mean(spans.ttft_sum_ms, spans.ttft_count ?? 0),
    // Span latency at the 95th percentile (nearest rank, from the sketches), in this window
    // and in the window of the same length before it (percentiles cannot be differenced).
    p95_latency_ms: quantileOf(rows.sketches, 0.95),
    previous_p95_latency_ms: quantileOf(rows.previousSketches, 0.95),
    window_hours: w.hours,
  }
}

export interface UsageFilters {
  model?: string
  provider?: string
  limit: number
  offset: number
}

/** Hourly rows by model and provider, newest hour first. */
export async function usage(db: Queryable, projectIds: readonly string[], w: Window, f: UsageFilters) {
  const where = new Where(projectIds)
    .add('hour >= ?', w.fromHour)
    .maybe(f.model, 'model = ?')
    .maybe(f.provider, 'provider = ?')
  const [rows, total] = await Promise.all([
    db.all<Sums & { hour: number; model: string; provider: string }>(
      `SELECT hour, model, provider, ${SUMS} FROM llm_usage_hourly WHERE ${where.sql}
        GROUP BY hour, model, provider ORDER BY hour DESC, model COLLATE BINARY, provider COLLATE BINARY LIMIT ? OFFSET ?`,
      [...where.params, f.limit, f.offset],
    ),
    db.get<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM llm_usage_hourly WHERE ${where.sql} GROUP BY hour, model, provider) g`,
      where.params,
    ) as Promise<{ n: number }>,
  ])
  return {
    usage: rows.map((r) => ({
      hour_bucket: r.hour,
      model: orNull(r.model),
      provider: orNull(r.provider),
      ...usageOf(r),
      avg_latency_ms: mean(r.latency_sum_ms, r.latency_count),
    })),
    total: total.n,
    limit: f.limit,
    offset: f.offset,
    window_hours: w.hours,
  }
}

/** Per model and provider over the window, most expensive first. */
export async function models(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  f: { provider?: string; limit: number },
) {
  const where = new Where(projectIds).add('hour >= ?', w.fromHour).maybe(f.provider, 'provider = ?')
  const rows = await db.all<Sums & { model: string; provider: string }>(
    `SELECT model, provider, ${SUMS} FROM llm_usage_hourly WHERE ${where.sql}
      GROUP BY model, provider ORDER BY sum(cost_micros) DESC, sum(span_count) DESC, model COLLATE BINARY, provider COLLATE BINARY LIMIT ?`,
    [...where.params, f.limit],
  )
  return {
    models: rows.map((r) => ({
      model: orNull(r.model),
      provider: orNull(r.provider),
      ...usageOf(r),
      avg_latency_ms: mean(r.latency_sum_ms, r.latency_count),
      avg_ttft_ms: mean(r.ttft_sum_ms, r.ttft_count),
    })),
    window_hours: w.hours,
  }
}

/**
 * Latency percentiles by model, merged from the hourly sketches (within 1% of the exact
 * percentile of the same rank; nearest rank, src/llm/write/sketch.ts), and the mean time
 * to first token. Spans without a model (tools, retrievals) are the `model: null` row.
 */
export async function latency(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  f: { model?: string },
) {
  const where = new Where(projectIds).add('hour >= ?', w.fromHour).maybe(f.model, 'model = ?')
  const rows = await db.all<SketchRow>(
    `SELECT model, latency_sketch, latency_count, span_count, ttft_sum_ms, ttft_count
       FROM llm_usage_hourly WHERE ${where.sql}`,
    where.params,
  )
  return latencyFrom(rows, w)
}

/** One hour of one model's sketch and sums, as both backends store it. */
interface SketchRow {
  model: string
  latency_sketch: Uint8Array | null
  latency_count: number
  span_count: number
  ttft_sum_ms: number
  ttft_count: number
}

/** The answer of `latency` from its rows: sketches merged per model. */
function latencyFrom(rows: readonly SketchRow[], w: Window) {
  const byModel = new Map<string, SketchRow[]>()
  for (const r of rows) {
    const list = byModel.get(r.model)
    if (list) list.push(r)
    else byModel.set(r.model, [r])
  }
  const out = [...byModel].map(([model, list]) => {
    const sketch = new DenseSketch()
    for (const r of list) sketch.add(r.latency_sketch)
    const sum = (k: 'latency_count' | 'span_count' | 'ttft_sum_ms' | 'ttft_count') =>
      list.reduce((a, r) => a + r[k], 0)
    return {
      model: orNull(model),
      p50_ms: sketch.quantile(0.5),
      p90_ms: sketch.quantile(0.9),
      p99_ms: sketch.quantile(0.99),
      avg_ttft_ms: mean(sum('ttft_sum_ms'), sum('ttft_count')),
      span_count: sum('span_count'),
      latency_count: sum('latency_count'),
    }
  })
  out.sort((a, b) => b.span_count - a.span_count || String(a.model).localeCompare(String(b.model)))
  return { latency: out, window_hours: w.hours }
}
