/**
 * The LLM percentiles on PostgreSQL (docs/ARCHITECTURE.md, "Analytics on PostgreSQL"):
 * the same answers as tools.ts's `tools` and `rag`, read from PostgreSQL. (The overview's
 * and /v1/llm/latency's sketches are read by rollups.ts on both backends alike.)
 *
 * - `/v1/llm/tools`: exact percentiles of the span latencies, which SQLite's reader sorts
 *   in JavaScript after one scan; PostgreSQL computes them itself with `percentile_cont`
 *   (linear interpolation at rank p x (n - 1), the definition of stats.ts's
 *   `percentileCont`), grouped by tool name, so only one row per tool leaves the database.
 * - `/v1/llm/rag`: the retrieval spans' RAG keys read from the stored metadata as jsonb,
 *   typed as SQLite's json_extract returns them, then the same figures (`ragFrom`).
 *
 * routes.ts picks these when the backend's kind is `postgres`.
 */
import type { Queryable } from '../../storage/backend'
import { rate, Where } from './sql'
import { type RagRow, ragFrom, ragWhere } from './tools'
import type { Window } from './window'

export async function toolsOnPostgres(
  backend: Queryable,
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

/** A RAG key of the stored metadata, flat (`"rag.k"`) or nested (`rag.k`); JSON null is absent, as in json_extract. */
const ragKey = (k: string) =>
  `coalesce(nullif(m.j -> 'rag.${k}', 'null'::jsonb), nullif(m.j -> 'rag' -> '${k}', 'null'::jsonb))`

/**
 * A metadata value as SQLite's json_extract returns it: numbers (and booleans as 1/0) as
 * numbers, strings as text, arrays and objects as their JSON text. One column of each type.
 */
const asNumber = (v: string) =>
  `CASE jsonb_typeof(${v}) WHEN 'number' THEN (${v} #>> '{}')::float8
     WHEN 'boolean' THEN CASE WHEN ${v} = 'true'::jsonb THEN 1 ELSE 0 END END`
const asText = (v: string) =>
  `CASE jsonb_typeof(${v}) WHEN 'string' THEN ${v} #>> '{}' WHEN 'array' THEN ${v}::text WHEN 'object' THEN ${v}::text END`

const RAG_KEYS = {
  source: 'source',
  retrieved: 'chunks_retrieved',
  used: 'chunks_used',
  context: 'context_tokens',
  max_context: 'max_context_tokens',
  top_k: 'top_k',
} as const

/**
 * `/v1/llm/rag` on PostgreSQL: the retrieval spans and their RAG keys read from it (the
 * stored metadata text as jsonb), then the same figures as on SQLite (tools.ts's
 * `ragFrom`: exact percentiles by stats.ts's `percentileCont`, means of what was reported).
 */
export async function ragOnPostgres(
  backend: Queryable,
  projectIds: readonly string[],
  w: Window,
  limit: number,
) {
  const where = ragWhere(projectIds, w)
  const cols = Object.entries(RAG_KEYS).map(
    ([as, k]) => `${asNumber(ragKey(k))} AS ${as}_n, ${asText(ragKey(k))} AS ${as}_t`,
  )
  const rows = await backend.all<Record<string, unknown>>(
    `SELECT name, started_at, latency_ms, status, ${cols.join(', ')},
            (${ragKey('relevance_scores')})::text AS relevance
       FROM llm_spans CROSS JOIN LATERAL (SELECT metadata::jsonb AS j) m
      WHERE ${where.sql} AND ${ragKey('chunks_retrieved')} IS NOT NULL`,
    where.params,
  )
  const value = (r: Record<string, unknown>, as: string) => r[`${as}_n`] ?? r[`${as}_t`] ?? null
  return ragFrom(
    rows.map(
      (r): RagRow => ({
        name: r.name as string,
        started_at: r.started_at as number,
        latency_ms: r.latency_ms as number | null,
        status: r.status as string,
        source: value(r, 'source'),
        retrieved: value(r, 'retrieved'),
        used: value(r, 'used'),
        context: value(r, 'context'),
        max_context: value(r, 'max_context'),
        top_k: value(r, 'top_k'),
        relevance: r.relevance as string | null,
      }),
    ),
    w,
    limit,
  )
}
