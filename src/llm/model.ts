/**
 * What the main thread hands the writer thread (the items of the `llm.commit` task) and
 * what it answers. JSON-safe plain data; types only, so both threads may import it.
 *
 * A TraceRecord is a parsed trace after the content policy and pricing: optional fields
 * are null when the client did not send them, so the writer can tell "not sent" (keep the
 * stored value, on a re-send) from a value. Defaults that depend on what is stored
 * (started_at, a span's status) are resolved by the writer (write/merge.ts).
 */
import type { SpanStatus, SpanType, TraceStatus } from './ingest/contract'

export type TraceSource = 'sdk' | 'proxy' | 'otlp'
export type CostSource = 'client' | 'table' | 'override' | 'unknown'

export interface SpanRecord {
  /** Always set: the parser's id, or a deterministic one from the span's position. */
  id: string
  parent_span_id: string | null
  span_type: SpanType | null
  name: string | null
  model: string | null
  provider: string | null
  status: SpanStatus | null
  error_message: string | null
  input: string | null
  output: string | null
  metadata: string | null
  started_at: number | null
  ended_at: number | null
  latency_ms: number | null
  time_to_first_token_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  cost_micros: number | null
  cost_source: CostSource
  price_version: string | null
}

export interface TraceRecord {
  kind: 'trace'
  project_id: string
  id: string
  source: TraceSource
  session_id: string | null
  user_id: string | null
  name: string | null
  status: TraceStatus | null
  input: string | null
  output: string | null
  metadata: string | null
  tags: string | null
  prompt_name: string | null
  prompt_version: string | null
  started_at: number | null
  ended_at: number | null
  spans: SpanRecord[]
  /** Server receive time of this request. */
  received_at: number
}

/**
 * PUT /v1/traces/:id: changes to an existing trace, applied in queue order after any
 * earlier submission of it (an update never overtakes the insert it follows).
 */
export interface TraceUpdate {
  kind: 'update'
  project_id: string
  id: string
  status: TraceStatus | null
  output: string | null
  ended_at: number | null
  /** Spans to upsert, as in a re-send. */
  spans: SpanRecord[]
  received_at: number
}

export type CommitItem = TraceRecord | TraceUpdate

/** A span that became `error` in this commit (it was not stored as an error before). */
export interface NewErrorSpan {
  project_id: string
  trace_id: string
  span_id: string
  model: string | null
  provider: string | null
  name: string
  error_message: string | null
  started_at: number
}

export interface CommitResult {
  /** Per item, in order: 1 when stored (an update of an unknown trace is 0). */
  stored: number[]
  spans: number
  new_errors: NewErrorSpan[]
  /** Spans whose cost stayed unknown because no price matched their model. */
  unknown_models: number
  duration_ms: number
}
