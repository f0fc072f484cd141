/**
 * Tool and retrieval spans: calls, errors and exact latency percentiles by span name, and
 * the RAG figures that retrieval spans report in their metadata (`rag.chunks_retrieved`,
 * `rag.chunks_used`, `rag.context_tokens`, `rag.max_context_tokens`, `rag.top_k`,
 * `rag.relevance_scores`, `rag.source`; flat keys or a nested `rag` object). Read from
 * the spans. Rates are fractions 0-1;
 * what no span reported is null. Under the content policy `none` metadata is not stored,
 * so the RAG figures are empty.
 */
import type { Queryable } from '../../storage/backend'
import { rate, Where } from './sql'
import { average, numbers, percentileCont } from './stats'
import { HOUR_MS, type Window } from './window'

interface ToolGroup {
  types: Set<string>
  calls: number
  errors: number
  cost: number | null
  latencies: Float64Array
  n: number
  latencySum: number
}

/**
 * Exact percentiles need every latency of the window, so the spans are read once through
 * a covering index into one typed array per tool. It is still a scan: about 0.8 s at a
 * million tool spans (docs/benchmarks.md); SQL's GROUP BY over them was no faster. A
 * per-tool sketch in the hourly rollups would make this route as cheap as
 * /v1/llm/latency. SQLite's reader; PostgreSQL computes the same percentiles itself
 * (postgres.ts's `toolsOnPostgres`).
 */
export async function tools(db: Queryable, projectIds: readonly string[], w: Window, limit: number) {
  const where = new Where(projectIds)
    .add("span_type IN ('tool', 'retrieval')")
    .add('started_at >= ?', w.since)
  const rows = await db.all<{
    name: string
    span_type: string
    status: string
    latency_ms: number | null
    cost_micros: number | null
  }>(
    `SELECT name, span_type, status, latency_ms, cost_micros FROM llm_spans INDEXED BY llm_spans_tools WHERE ${where.sql}`,
    where.params,
  )
  const groups = new Map<string, ToolGroup>()
  for (const { name, span_type: type, status, latency_ms: ms, cost_micros: cost } of rows) {
    let g = groups.get(name)
    if (!g) {
      g = {
        types: new Set(),
        calls: 0,
        errors: 0,
        cost: null,
        latencies: new Float64Array(64),
        n: 0,
        latencySum: 0,
      }
      groups.set(name, g)
    }
    g.types.add(type)
    g.calls++
    if (status === 'error') g.errors++
    if (cost !== null) g.cost = (g.cost ?? 0) + cost
    if (ms !== null) {
      if (g.n === g.latencies.length) {
        const grown = new Float64Array(g.n * 2)
        grown.set(g.latencies)
        g.latencies = grown
      }
      g.latencies[g.n++] = ms
      g.latencySum += ms
    }
  }
  const out = [...groups]
    .sort(([an, a], [bn, b]) => b.calls - a.calls || (an < bn ? -1 : an > bn ? 1 : 0))
    .slice(0, limit)
    .map(([name, g]) => {
      const lat = g.latencies.subarray(0, g.n).sort()
      return {
        name,
        span_types: [...g.types].sort(),
        call_count: g.calls,
        error_count: g.errors,
        error_rate: rate(g.errors, g.calls),
        avg_latency_ms: g.n > 0 ? g.latencySum / g.n : null,
        p50_latency_ms: percentileCont(lat, 0.5),
        p99_latency_ms: percentileCont(lat, 0.99),
        total_cost_micros: g.cost,
      }
    })
  return { tools: out, window_hours: w.hours }
}

const key = (k: string) =>
  `coalesce(json_extract(metadata, '$."rag.${k}"'), json_extract(metadata, '$.rag.${k}'))`

export interface RagRow {
  name: string
  started_at: number
  latency_ms: number | null
  status: string
  source: unknown
  retrieved: unknown
  used: unknown
  context: unknown
  max_context: unknown
  top_k: unknown
  relevance: string | null
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const known = (v: (number | null)[]) => v.filter((x): x is number => x !== null)

function utilization(rows: RagRow[]): number | null {
  return average(
    known(
      rows.map((r) => {
        const c = num(r.context)
        const m = num(r.max_context)
        return c !== null && m !== null && m > 0 ? c / m : null
      }),
    ),
  )
}

function topRelevance(r: RagRow): number | null {
  if (r.relevance === null) return null
  try {
    const v = JSON.parse(r.relevance)
    return Array.isArray(v) ? num(v[0]) : null
  } catch {
    return null
  }
}

/** On SQLite (json_extract is its own); PostgreSQL's read of the same keys is postgres.ts's `ragOnPostgres`. */
export async function rag(db: Queryable, projectIds: readonly string[], w: Window, limit: number) {
  const where = ragWhere(projectIds, w).add(`${key('chunks_retrieved')} IS NOT NULL`)
  const rows = await db.all<RagRow>(
    `SELECT name, started_at, latency_ms, status, ${key('source')} AS source, ${key('chunks_retrieved')} AS retrieved,
            ${key('chunks_used')} AS used, ${key('context_tokens')} AS context,
            ${key('max_context_tokens')} AS max_context, ${key('top_k')} AS top_k,
            json(${key('relevance_scores')}) AS relevance
       FROM llm_spans WHERE ${where.sql}`,
    where.params,
  )
  return ragFrom(rows, w, limit)
}

/** The retrieval spans of the window (the RAG keys' condition is each backend's to add). */
export const ragWhere = (projectIds: readonly string[], w: Window) =>
  new Where(projectIds).add("span_type = 'retrieval'").add('started_at >= ?', w.since)

/** The RAG answer from the retrieval spans' rows, the keys read as SQLite's json_extract gives them. */
export function ragFrom(rows: RagRow[], w: Window, limit: number) {
  const avgOf = (list: RagRow[], f: (r: RagRow) => unknown) => average(known(list.map((r) => num(f(r)))))
  const group = <K>(keyOf: (r: RagRow) => K) => {
    const m = new Map<K, RagRow[]>()
    for (const r of rows) {
      const k = keyOf(r)
      const g = m.get(k)
      if (g) g.push(r)
      else m.set(k, [r])
    }
    return m
  }
  const sources = [
    ...group((r) => JSON.stringify([r.name, typeof r.source === 'string' ? r.source : 'unknown'])),
  ]
    .map(([k, list]) => {
      const [retrieval_name, source] = JSON.parse(k) as [string, string]
      const lat = numbers(list.map((r) => r.latency_ms))
      const errors = list.filter((r) => r.status === 'error').length
      return {
        retrieval_name,
        source,
        call_count: list.length,
        avg_latency_ms: average(lat),
        p50_latency_ms: percentileCont(lat, 0.5),
        p95_latency_ms: percentileCont(lat, 0.95),
        error_count: errors,
        error_rate: rate(errors, list.length),
        avg_chunks_retrieved: avgOf(list, (r) => r.retrieved),
        avg_chunks_used: avgOf(list, (r) => r.used),
        avg_context_tokens: avgOf(list, (r) => r.context),
        avg_context_utilization_rate: utilization(list),
      }
    })
    // Ties by source too, so the order (and what `limit` cuts) never depends on the rows' order.
    .sort(
      (a, b) =>
        b.call_count - a.call_count ||
        a.retrieval_name.localeCompare(b.retrieval_name) ||
        a.source.localeCompare(b.source),
    )
    .slice(0, limit)
  const metrics = [...group((r) => Math.floor(r.started_at / HOUR_MS) * HOUR_MS)]
    .sort((a, b) => b[0] - a[0])
    .map(([hour, list]) => ({
      hour_bucket: hour,
      retrieval_count: list.length,
      avg_latency_ms: average(numbers(list.map((r) => r.latency_ms))),
      error_count: list.filter((r) => r.status === 'error').length,
      avg_chunks_retrieved: avgOf(list, (r) => r.retrieved),
      avg_context_tokens: avgOf(list, (r) => r.context),
      avg_context_utilization_rate: utilization(list),
      avg_top_k: avgOf(list, (r) => r.top_k),
    }))
  const tops = known(rows.map(topRelevance))
  const chunkUse = known(
    rows.map((r) => {
      const got = num(r.retrieved)
      const used = num(r.used)
      return got !== null && used !== null && got > 0 ? used / got : null
    }),
  )
  return {
    sources,
    metrics,
    relevance: {
      total_retrievals: rows.length,
      avg_top_relevance: average(tops),
      min_top_relevance: tops.length ? tops.reduce((a, b) => Math.min(a, b)) : null,
      max_top_relevance: tops.length ? tops.reduce((a, b) => Math.max(a, b)) : null,
      avg_chunks_retrieved: avgOf(rows, (r) => r.retrieved),
      avg_chunks_used: avgOf(rows, (r) => r.used),
      chunk_utilization_rate: average(chunkUse),
    },
    window_hours: w.hours,
  }
}
