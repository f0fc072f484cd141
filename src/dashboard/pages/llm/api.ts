/**
 * The LLM read API behind the LLM pages (docs/llm-query.md) and the experiments API, and
 * the shapes they answer.
 */
import type { ArmSummary } from '../../../llm/experiments/store'
import { api } from '../../lib/api'

export interface Overview {
  total_traces: number
  error_trace_count: number
  trace_error_rate: number | null
  total_spans: number
  total_tokens: number | null
  total_cost_micros: number | null
  cost_unknown_count: number
  error_count: number
  error_rate: number | null
  avg_latency_ms: number | null
  avg_ttft_ms: number | null
  p95_latency_ms: number | null
  previous_p95_latency_ms: number | null
  window_hours: number
}

export interface UsageRow {
  hour_bucket: number
  model: string | null
  provider: string | null
  span_count: number
  total_tokens: number | null
  cost_micros: number | null
}

export interface ModelRow {
  model: string | null
  provider: string | null
  span_count: number
  error_count: number
  error_rate: number | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  reasoning_tokens: number | null
  total_tokens: number | null
  cost_micros: number | null
  cost_unknown_count: number
  avg_latency_ms: number | null
  avg_ttft_ms: number | null
}

export interface LatencyRow {
  model: string | null
  p50_ms: number | null
  p90_ms: number | null
  p99_ms: number | null
  avg_ttft_ms: number | null
  span_count: number
}

export interface Budget {
  monthly_budget_micros: number
  budget_alert_rate: number
  current_month_spend_micros: number
  budget_used_rate: number | null
  forecast_month_end_micros: number
  forecast_over_budget: boolean
  alert_threshold_reached: boolean
  days_remaining: number
}

export interface TraceEntry {
  project_id: string
  id: string
  session_id: string | null
  user_id: string | null
  name: string | null
  status: string
  started_at: number
  duration_ms: number | null
  span_count: number
  error_count: number
  total_tokens: number | null
  cost_micros: number | null
  models: string[]
}

export interface TracePage {
  traces: TraceEntry[]
  total: number
  total_exact: boolean
  limit: number
  offset: number
}

export interface SpanNode {
  id: string
  parent_span_id: string | null
  span_type: string
  name: string | null
  model: string | null
  provider: string | null
  status: string
  error_message: string | null
  input: string | null
  output: string | null
  metadata: unknown
  started_at: number | null
  ended_at: number | null
  latency_ms: number | null
  time_to_first_token_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  total_tokens: number | null
  cost_micros: number | null
  cost_source: string
  /** The bloop issue a failed span became, when errors become issues. */
  issue_fingerprint: string | null
  orphan: boolean
  children: SpanNode[]
}

export interface TraceDetail extends TraceEntry {
  input: string | null
  output: string | null
  ended_at: number | null
  tree: SpanNode[]
}

export interface LlmSettings {
  project_id: string
  content_policy: string
  content_policy_source: 'config' | 'project'
  monthly_budget_micros: number
  budget_alert_rate: number
}

export interface SessionSums {
  project_id: string
  session_id: string
  user_id: string | null
  trace_count: number
  total_cost_micros: number | null
  total_tokens: number | null
  first_trace_at: number
  last_trace_at: number
  error_trace_count: number
}

export interface Score {
  name: string
  value: number
  source: string
  comment: string | null
  updated_at: number
}

export interface Vote {
  user_id: string
  value: number
  comment: string | null
  updated_at: number
}

export interface Override {
  id: string
  model_pattern: string
  match: 'exact' | 'glob'
  provider: string | null
  input_per_mtok: number
  output_per_mtok: number
}

export interface OverrideBody {
  model_pattern: string
  match: 'exact'
  provider: string | null
  input_per_mtok: number
  output_per_mtok: number
}

type Q = Record<string, string | number | undefined>

export const llm = {
  overview: (q: Q) => api<Overview>('/v1/llm/overview', { query: q }),
  usage: (q: Q) => api<{ usage: UsageRow[]; total: number }>('/v1/llm/usage', { query: q }),
  models: (q: Q) => api<{ models: ModelRow[] }>('/v1/llm/models', { query: q }),
  latency: (q: Q) => api<{ latency: LatencyRow[] }>('/v1/llm/latency', { query: q }),
  budget: (project: string) => api<Budget>('/v1/llm/budget', { query: { project_id: project } }),
  traces: (q: Q) => api<TracePage>('/v1/llm/traces', { query: q }),
  trace: (id: string, project?: string) =>
    api<TraceDetail>(`/v1/llm/traces/${encodeURIComponent(id)}`, { query: { project_id: project } }),
  sessions: (q: Q) =>
    api<{ sessions: SessionSums[]; total: number; total_exact: boolean }>('/v1/llm/sessions', { query: q }),
  session: (id: string, project?: string) =>
    api<SessionSums & { traces: TraceEntry[] }>(`/v1/llm/sessions/${encodeURIComponent(id)}`, {
      query: { project_id: project, limit: 200 },
    }),
  scores: (id: string, project: string) =>
    api<{ scores: Score[] }>(`/v1/llm/traces/${encodeURIComponent(id)}/scores`, {
      query: { project_id: project },
    }),
  feedback: (id: string, project: string) =>
    api<{ feedback: Vote[] }>(`/v1/llm/traces/${encodeURIComponent(id)}/feedback`, {
      query: { project_id: project },
    }),
  addScore: (
    id: string,
    project: string,
    body: { name: string; value: number; source: 'user'; comment?: string },
  ) =>
    api<{ status: string }>(`/v1/llm/traces/${encodeURIComponent(id)}/scores`, {
      method: 'POST',
      query: { project_id: project },
      body,
    }),
  overrides: (project: string) =>
    api<{ overrides: Override[] }>('/v1/llm/pricing/overrides', { query: { project_id: project } }),
  unknownModels: (project: string) =>
    api<{ models: { model: string; provider: string | null; span_count: number }[] }>(
      '/v1/llm/pricing/unknown',
      {
        query: { project_id: project },
      },
    ),
  putOverride: (project: string, body: OverrideBody) =>
    api<{ override: Override; created: boolean }>('/v1/llm/pricing/overrides', {
      method: 'PUT',
      query: { project_id: project },
      body,
    }),
  prompts: (q: Q) =>
    api<{
      prompts: {
        name: string
        version_count: number
        total_traces: number
        avg_cost_micros: number | null
        error_rate: number
      }[]
    }>('/v1/llm/prompts', { query: q }),
  promptVersions: (name: string, q: Q) =>
    api<{
      versions: {
        version: string | null
        trace_count: number
        avg_cost_micros: number | null
        avg_latency_ms: number | null
        avg_input_tokens: number | null
        avg_output_tokens: number | null
        error_rate: number
      }[]
    }>(`/v1/llm/prompts/${encodeURIComponent(name)}/versions`, { query: q }),
  settings: (project: string) => api<LlmSettings>('/v1/llm/settings', { query: { project_id: project } }),
  saveSettings: (project: string, body: { content_policy: string | null }) =>
    api<LlmSettings>('/v1/llm/settings', { method: 'PUT', query: { project_id: project }, body }),
  saveBudget: (project: string, body: { monthly_budget_micros: number; budget_alert_rate: number }) =>
    api<Pick<LlmSettings, 'monthly_budget_micros' | 'budget_alert_rate'>>('/v1/llm/budget', {
      method: 'PUT',
      query: { project_id: project },
      body,
    }),
}

// Prompt experiments (src/llm/experiments/routes.ts).
export interface ExperimentSummary {
  id: string
  project_id: string
  name: string
  description: string | null
  status: 'running' | 'paused' | 'concluded'
  prompt_name: string
  variant_count: number
  planned_per_arm: number
  started_at: number
  concluded_at: number | null
  updated_at: number
}

/** One variant's counts and means, as the server's store computes them (a type: erased from the bundle). */
export type { ArmSummary }

export interface ExperimentDetail extends ExperimentSummary {
  metrics: string[]
  variants: {
    name: string
    version: string
    prompt_template: string | null
    traffic_percentage: number
    metrics: ArmSummary
  }[]
}

export interface Comparison {
  baseline: { name: string; version: string; traces: number }
  treatment: { name: string; version: string; traces: number }
  peeking: { planned_per_arm: number; observed_per_arm: number; reached: boolean; advice: string }
  sample_ratio: { status: string; summary: string }
  results: { metric: string; status: string; summary: string }[]
  truncated: boolean
  recommendation: string
}

export interface NewExperiment {
  name: string
  prompt_name: string
  description?: string
  planned_per_arm?: number
  variants: { name: string; version: string; traffic_percentage: number }[]
}

export const experiments = {
  list: (project?: string) =>
    api<{ experiments: ExperimentSummary[] }>('/v1/llm/experiments', {
      query: { project_id: project, limit: 200 },
    }),
  get: (id: string, project: string) =>
    api<ExperimentDetail>(`/v1/llm/experiments/${encodeURIComponent(id)}`, {
      query: { project_id: project },
    }),
  compare: (id: string, project: string, baseline: string, treatment: string) =>
    api<Comparison>(`/v1/llm/experiments/${encodeURIComponent(id)}/compare`, {
      query: { project_id: project, baseline, treatment },
    }),
  create: (project: string, body: NewExperiment) =>
    api<{ id: string; experiment: ExperimentDetail }>('/v1/llm/experiments', {
      method: 'POST',
      query: { project_id: project },
      body,
    }),
  setStatus: (id: string, project: string, status: 'running' | 'paused' | 'concluded') =>
    api<ExperimentDetail>(`/v1/llm/experiments/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      query: { project_id: project },
      body: { status },
    }),
}
