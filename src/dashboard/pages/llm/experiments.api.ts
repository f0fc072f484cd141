/**
 * The experiments API (src/llm/experiments/routes.ts) as the experiments page calls it,
 * apart from api.ts so only that page's chunk carries it.
 */
import { api } from '../../lib/api'

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

export interface ArmSummary {
  traces: number
  mean_latency_ms: number | null
  mean_cost_usd: number | null
  error_rate: number | null
  thumbs_up_rate: number | null
  votes: number
}

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
