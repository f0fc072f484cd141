/**
 * Answers of the LLM read API, as /openapi.json documents them (docs/llm-query.md). The
 * server does not validate its answers at run time; schemathesis checks them against
 * these schemas (test/process/app.schemathesis.test.ts). Money is integer microdollars,
 * rates fractions 0-1, times epoch ms; null is unknown, never zero.
 */
import { Type as T, type TSchema } from '@sinclair/typebox'

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const Count = T.Integer({ minimum: 0 })
const Rate = T.Number({ minimum: 0, maximum: 1, description: 'a fraction 0-1' })
const Micros = T.Integer({ description: 'microdollars' })
const Ms = T.Number({ minimum: 0, description: 'milliseconds' })
const At = T.Integer({ description: 'epoch ms' })
const WindowHours = T.Integer({ minimum: 1 })

export const LlmOverview = T.Object({
  total_traces: Count,
  error_trace_count: Count,
  trace_error_rate: Rate,
  total_spans: Count,
  total_input_tokens: Nullable(Count),
  total_output_tokens: Nullable(Count),
  total_cache_read_tokens: Nullable(Count),
  total_cache_write_tokens: Nullable(Count),
  total_reasoning_tokens: Nullable(Count),
  total_tokens: Nullable(Count),
  total_cost_micros: Nullable(Micros),
  cost_unknown_count: Count,
  error_count: Count,
  error_rate: Rate,
  avg_latency_ms: Nullable(Ms),
  avg_ttft_ms: Nullable(Ms),
  p95_latency_ms: Nullable(Ms),
  previous_p95_latency_ms: Nullable(Ms),
  window_hours: WindowHours,
})

export const LlmBudget = T.Object({
  project_id: T.String(),
  monthly_budget_micros: Micros,
  budget_alert_rate: Rate,
  month_start_at: At,
  current_month_spend_micros: Micros,
  budget_used_rate: T.Number({
    minimum: 0,
    description: 'spend over budget; past 1 when over, 0 without a budget',
  }),
  forecast_month_end_micros: Micros,
  forecast_over_budget: T.Boolean(),
  alert_threshold_reached: T.Boolean(),
  days_elapsed: T.Integer({ minimum: 1 }),
  days_remaining: T.Integer({ minimum: 0 }),
})

const Score = T.Object({
  name: T.String(),
  value: T.Number({ minimum: 0, maximum: 1 }),
  source: T.String(),
  comment: Nullable(T.String()),
  created_at: At,
  updated_at: At,
})
export const LlmTraceScores = T.Object({ trace_id: T.String(), scores: T.Array(Score) })

const Feedback = T.Object({
  trace_id: T.String(),
  user_id: T.String(),
  value: T.Union([T.Literal(1), T.Literal(-1)]),
  comment: Nullable(T.String()),
  created_at: At,
  updated_at: At,
})
export const LlmTraceFeedback = T.Object({ trace_id: T.String(), feedback: T.Array(Feedback) })

export const LlmScoreSummary = T.Object({
  name: T.String(),
  count: Count,
  avg: Nullable(T.Number()),
  p10: Nullable(T.Number()),
  p50: Nullable(T.Number()),
  p90: Nullable(T.Number()),
  distribution: T.Record(T.String(), Count, { description: 'counts per bucket 0.0-0.2 ... 0.8-1.0' }),
  window_hours: WindowHours,
})

export const LlmFeedbackSummary = T.Object({
  total: Count,
  positive: Count,
  negative: Count,
  positive_rate: Rate,
  window_hours: WindowHours,
})

/** A span's tokens and cost, or a set's sums of them: null is unknown. */
const Tokens = {
  input_tokens: Nullable(Count),
  output_tokens: Nullable(Count),
  cache_read_tokens: Nullable(Count),
  cache_write_tokens: Nullable(Count),
  reasoning_tokens: Nullable(Count),
  total_tokens: Nullable(Count),
  cost_micros: Nullable(Micros),
}

/** The sums of a set of spans (rollups.ts `usageOf`): null token counts are unknown. */
const UsageSums = {
  span_count: Count,
  error_count: Count,
  error_rate: Rate,
  ...Tokens,
  cost_unknown_count: Count,
}

export const LlmUsage = T.Object({
  usage: T.Array(
    T.Object({
      hour_bucket: At,
      model: Nullable(T.String()),
      provider: Nullable(T.String()),
      ...UsageSums,
      avg_latency_ms: Nullable(Ms),
    }),
  ),
  total: Count,
  limit: T.Integer({ minimum: 1 }),
  offset: Count,
  window_hours: WindowHours,
})

export const LlmModels = T.Object({
  models: T.Array(
    T.Object({
      model: Nullable(T.String()),
      provider: Nullable(T.String()),
      ...UsageSums,
      avg_latency_ms: Nullable(Ms),
      avg_ttft_ms: Nullable(Ms),
    }),
  ),
  window_hours: WindowHours,
})

export const LlmLatency = T.Object({
  latency: T.Array(
    T.Object({
      model: Nullable(T.String({ description: 'null: spans without a model (tools, retrievals)' })),
      p50_ms: Nullable(Ms),
      p90_ms: Nullable(Ms),
      p99_ms: Nullable(Ms),
      avg_ttft_ms: Nullable(Ms),
      span_count: Count,
      latency_count: Count,
    }),
  ),
  window_hours: WindowHours,
})

export const LlmTools = T.Object({
  tools: T.Array(
    T.Object({
      name: T.String(),
      span_types: T.Array(T.String()),
      call_count: Count,
      error_count: Count,
      error_rate: Rate,
      avg_latency_ms: Nullable(Ms),
      p50_latency_ms: Nullable(Ms),
      p99_latency_ms: Nullable(Ms),
      total_cost_micros: Nullable(Micros),
    }),
  ),
  window_hours: WindowHours,
})

/** Figures a retrieval's own metadata reports (`rag.*`): whatever numbers the client sent. */
const Reported = Nullable(T.Number())

export const LlmRag = T.Object({
  sources: T.Array(
    T.Object({
      retrieval_name: T.String(),
      source: T.String(),
      call_count: Count,
      avg_latency_ms: Nullable(Ms),
      p50_latency_ms: Nullable(Ms),
      p95_latency_ms: Nullable(Ms),
      error_count: Count,
      error_rate: Rate,
      avg_chunks_retrieved: Reported,
      avg_chunks_used: Reported,
      avg_context_tokens: Reported,
      avg_context_utilization_rate: Reported,
    }),
  ),
  metrics: T.Array(
    T.Object({
      hour_bucket: At,
      retrieval_count: Count,
      avg_latency_ms: Nullable(Ms),
      error_count: Count,
      avg_chunks_retrieved: Reported,
      avg_context_tokens: Reported,
      avg_context_utilization_rate: Reported,
      avg_top_k: Reported,
    }),
  ),
  relevance: T.Object({
    total_retrievals: Count,
    avg_top_relevance: Reported,
    min_top_relevance: Reported,
    max_top_relevance: Reported,
    avg_chunks_retrieved: Reported,
    avg_chunks_used: Reported,
    chunk_utilization_rate: Reported,
  }),
  window_hours: WindowHours,
})

export const LlmPrompts = T.Object({
  prompts: T.Array(
    T.Object({
      name: T.String(),
      version_count: Count,
      total_traces: Count,
      avg_cost_micros: Nullable(Micros),
      first_seen: At,
      last_seen: At,
      error_rate: Rate,
    }),
  ),
  window_hours: WindowHours,
})

/** One version's figures; averages are null when no trace knew the value. */
const PromptVersion = T.Object({
  version: Nullable(T.String()),
  trace_count: Count,
  avg_cost_micros: Nullable(Micros),
  avg_latency_ms: Nullable(Ms),
  avg_input_tokens: Nullable(T.Number({ minimum: 0 })),
  avg_output_tokens: Nullable(T.Number({ minimum: 0 })),
  first_seen: Nullable(At),
  last_seen: Nullable(At),
  error_rate: Rate,
})

export const LlmPromptVersions = T.Object({
  name: T.String(),
  versions: T.Array(PromptVersion),
  window_hours: WindowHours,
})

export const LlmPromptCompare = T.Object({
  name: T.String(),
  v1: PromptVersion,
  v2: PromptVersion,
  window_hours: WindowHours,
})

/** A trace as lists show it (traces.ts `TraceEntry`): its totals, no content. */
export const LlmTraceEntry = T.Object({
  project_id: T.String(),
  id: T.String(),
  session_id: Nullable(T.String()),
  user_id: Nullable(T.String()),
  name: Nullable(T.String()),
  status: T.Union([T.Literal('running'), T.Literal('completed'), T.Literal('error')]),
  source: T.Union([T.Literal('sdk'), T.Literal('proxy'), T.Literal('otlp')]),
  prompt_name: Nullable(T.String()),
  prompt_version: Nullable(T.String()),
  started_at: At,
  ended_at: Nullable(At),
  duration_ms: Nullable(T.Integer({ minimum: 0 })),
  span_count: Count,
  error_count: Count,
  ...Tokens,
  models: T.Array(T.String()),
  providers: T.Array(T.String()),
})

export const LlmTracePage = T.Object({
  traces: T.Array(LlmTraceEntry),
  total: Count,
  total_exact: T.Boolean({ description: 'false: total is a lower bound (the count stopped early)' }),
  limit: T.Integer({ minimum: 1 }),
  offset: Count,
  window_hours: WindowHours,
})

/** A session's sums over its traces (sessions.ts). */
const SessionSums = {
  project_id: T.String(),
  session_id: T.String(),
  user_id: Nullable(T.String()),
  trace_count: Count,
  total_cost_micros: Nullable(Micros),
  total_tokens: Nullable(Count),
  first_trace_at: At,
  last_trace_at: At,
  error_trace_count: Count,
}

export const LlmSessions = T.Object({
  sessions: T.Array(T.Object(SessionSums)),
  total: Count,
  total_exact: T.Boolean({ description: 'false: total is a lower bound (the count stopped early)' }),
  limit: T.Integer({ minimum: 1 }),
  offset: Count,
  window_hours: WindowHours,
})

export const LlmSessionDetail = T.Object({
  ...SessionSums,
  traces: T.Array(LlmTraceEntry),
  limit: T.Integer({ minimum: 1 }),
  offset: Count,
})

/** A stored span as trace detail shows it (detail.ts `SpanView`). */
const SpanFields = {
  id: T.String(),
  parent_span_id: Nullable(T.String()),
  span_type: T.Union([
    T.Literal('generation'),
    T.Literal('tool'),
    T.Literal('retrieval'),
    T.Literal('custom'),
  ]),
  name: T.String(),
  model: Nullable(T.String()),
  provider: Nullable(T.String()),
  status: T.Union([T.Literal('ok'), T.Literal('error'), T.Literal('running')]),
  error_message: Nullable(T.String()),
  input: Nullable(T.String()),
  output: Nullable(T.String()),
  metadata: T.Unknown({ description: 'the JSON the span was sent with, or null' }),
  started_at: At,
  ended_at: Nullable(At),
  latency_ms: Nullable(T.Integer({ minimum: 0 })),
  time_to_first_token_ms: Nullable(T.Integer({ minimum: 0 })),
  ...Tokens,
  cost_source: T.Union([
    T.Literal('client'),
    T.Literal('table'),
    T.Literal('override'),
    T.Literal('unknown'),
  ]),
  price_version: Nullable(T.String()),
  issue_fingerprint: Nullable(T.String({ description: 'the bloop issue a failed span became' })),
}

const TreeNode = T.Object({
  ...SpanFields,
  orphan: T.Boolean({ description: 'its parent_span_id names no span of the trace' }),
  children: T.Array(T.Unknown(), { description: 'nodes of this same shape, by parent_span_id' }),
})

const DetailTrace = {
  ...LlmTraceEntry.properties,
  input: Nullable(T.String()),
  output: Nullable(T.String()),
  metadata: T.Unknown({ description: 'the JSON the trace was sent with, or null' }),
  created_at: At,
  updated_at: At,
}

export const LlmTraceDetail = T.Object({
  ...DetailTrace,
  spans: T.Array(T.Object(SpanFields)),
  trace: T.Object(DetailTrace),
  tree: T.Array(TreeNode),
})

/** GET /v1/llm/pricing without `model`: which price table the server carries. */
const PriceTableAnswer = T.Object({
  project_id: T.String(),
  table: T.Object({ package: T.String(), version: T.String(), price_version: T.String() }),
})

/** With `model`: the price ingest would apply now, in dollars per million tokens of each kind. */
const PerMtok = Nullable(T.Number({ minimum: 0, description: 'dollars per million tokens' }))
const ModelPriceAnswer = T.Object({
  project_id: T.String(),
  model: T.String(),
  provider: Nullable(T.String()),
  source: T.Union([T.Literal('table'), T.Literal('override')]),
  matched: T.Object({ provider: Nullable(T.String()), model: T.String() }),
  price_version: T.String(),
  input_per_mtok: PerMtok,
  output_per_mtok: PerMtok,
  cache_read_per_mtok: PerMtok,
  cache_write_per_mtok: PerMtok,
  at: At,
})

export const LlmPricing = T.Union([PriceTableAnswer, ModelPriceAnswer])
