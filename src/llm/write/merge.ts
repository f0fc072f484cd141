/**
 * How a span's new version and its stored version combine (the LLM commit, pure): fields
 * sent win, fields not sent keep the stored value, and defaults that depend on what is
 * stored (start time, status, latency) are resolved here. Also the sums a trace's
 * totals are taken from, and the space-separated model lists of a trace.
 */
import type { SpanRecord } from '../model'
import type { SpanFacts } from './rollups'

export interface StoredSpan extends SpanFacts {
  seq: number
  trace_id: string
  id: string
  parent_span_id: string | null
  span_type: string
  name: string
  error_message: string | null
  input: string | null
  output: string | null
  metadata: string | null
  ended_at: number | null
  total_tokens: number | null
  cost_source: string
  price_version: string | null
}

export const SPAN_COLUMNS = [
  'parent_span_id',
  'span_type',
  'name',
  'model',
  'provider',
  'status',
  'error_message',
  'input',
  'output',
  'metadata',
  'started_at',
  'ended_at',
  'latency_ms',
  'time_to_first_token_ms',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_micros',
  'cost_source',
  'price_version',
] as const

export type SpanRow = Record<(typeof SPAN_COLUMNS)[number], string | number | null>

export interface Totals {
  span_count: number
  error_count: number
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  cost_micros: number | null
  first_start: number | null
  last_end: number | null
}

/** A trace's totals over its spans (SQL's sums: NULL when no span knew the value). */
export function totalsOf(rows: SpanRow[]): Totals {
  const sum = (key: keyof SpanRow): number | null => {
    let total: number | null = null
    for (const r of rows) {
      const v = r[key]
      if (typeof v === 'number') total = (total ?? 0) + v
    }
    return total
  }
  const ends = rows.map((r) => r.ended_at).filter((v): v is number => typeof v === 'number')
  const starts = rows.map((r) => r.started_at as number)
  return {
    span_count: rows.length,
    error_count: rows.filter((r) => r.status === 'error').length,
    input_tokens: sum('input_tokens'),
    output_tokens: sum('output_tokens'),
    cache_read_tokens: sum('cache_read_tokens'),
    cache_write_tokens: sum('cache_write_tokens'),
    reasoning_tokens: sum('reasoning_tokens'),
    cost_micros: sum('cost_micros'),
    first_start: starts.length === 0 ? null : Math.min(...starts),
    last_end: ends.length === 0 ? null : Math.max(...ends),
  }
}

export const minStart = (spans: SpanRecord[]) => {
  let min: number | null = null
  for (const s of spans) if (s.started_at !== null && (min === null || s.started_at < min)) min = s.started_at
  return min
}

/** The stored span after `s` arrives: sent fields win, fields not sent keep the stored value. */
export function mergeSpan(old: StoredSpan | null, s: SpanRecord, traceStart: number): SpanRow {
  const sentEnd = s.ended_at
  let started_at = s.started_at ?? old?.started_at ?? null
  if (started_at === null) {
    started_at = sentEnd !== null && s.latency_ms !== null ? sentEnd - s.latency_ms : traceStart
  }
  const latency_ms =
    s.latency_ms ??
    (sentEnd !== null && s.started_at !== null && sentEnd >= s.started_at ? sentEnd - s.started_at : null) ??
    old?.latency_ms ??
    null
  const ended_at = sentEnd ?? old?.ended_at ?? (latency_ms !== null ? started_at + latency_ms : null)
  const finished = sentEnd !== null || s.latency_ms !== null
  const status =
    s.status ??
    (finished ? 'ok' : (old?.status ?? (ended_at !== null || latency_ms !== null ? 'ok' : 'running')))
  const tokens = {
    input_tokens: s.input_tokens ?? old?.input_tokens ?? null,
    output_tokens: s.output_tokens ?? old?.output_tokens ?? null,
    cache_read_tokens: s.cache_read_tokens ?? old?.cache_read_tokens ?? null,
    cache_write_tokens: s.cache_write_tokens ?? old?.cache_write_tokens ?? null,
    reasoning_tokens: s.reasoning_tokens ?? old?.reasoning_tokens ?? null,
  }
  // The new cost when it is known; otherwise a stored known cost stays (the re-send said nothing new about it).
  const keepOldCost = s.cost_source === 'unknown' && old !== null && old.cost_source !== 'unknown'
  return {
    parent_span_id: s.parent_span_id ?? old?.parent_span_id ?? null,
    span_type: s.span_type ?? old?.span_type ?? 'generation',
    name: s.name ?? old?.name ?? '',
    model: s.model ?? old?.model ?? null,
    provider: s.provider ?? old?.provider ?? null,
    status,
    error_message: s.error_message ?? old?.error_message ?? null,
    input: s.input ?? old?.input ?? null,
    output: s.output ?? old?.output ?? null,
    metadata: s.metadata ?? old?.metadata ?? null,
    started_at,
    ended_at,
    latency_ms,
    time_to_first_token_ms: s.time_to_first_token_ms ?? old?.time_to_first_token_ms ?? null,
    ...tokens,
    total_tokens:
      tokens.input_tokens === null || tokens.output_tokens === null
        ? null
        : tokens.input_tokens + tokens.output_tokens,
    cost_micros: keepOldCost ? old.cost_micros : s.cost_micros,
    cost_source: keepOldCost ? old.cost_source : s.cost_source,
    price_version: keepOldCost ? old.price_version : s.price_version,
  }
}

/**
 * ' a b ': distinct values, sorted, with a space on each side, so `LIKE '% a %'` matches
 * whole names (spaces inside a name become `_`). Computed from the spans just read: a
 * DISTINCT query here was planned through the (project, model) index and scanned the
 * project's spans on every commit.
 */
export function distinct(values: (string | null)[]): string {
  const set = [
    ...new Set(values.filter((v): v is string => v !== null).map((v) => v.replaceAll(' ', '_'))),
  ].sort()
  return set.length === 0 ? '' : ` ${set.join(' ')} `
}
