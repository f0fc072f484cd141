/**
 * The LLM tracing feature: traces in (the SDK routes, and `intake.submit` for the proxy
 * and the OTLP import), committed with exact hourly rollups on the writer thread, read
 * back by the LLM query API.
 *
 *   ingest/     contract.ts (the trace contract, pure), intake.ts (policy, pricing, the
 *               queue), routes.ts (POST /v1/traces[/batch], PUT /v1/traces/:id)
 *   write/      the writer side: commit.ts, rollups, sketch.ts (latency percentiles), prune
 *   settings/   content policy, budget, pricing overrides, scores and feedback routes
 *   query/      GET /v1/llm/* (read routes)
 *   tasks.ts    the writer task table
 *
 * Other features reach it only through what this file exports.
 */
import { type AnyElysia, Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import type { Submit } from '../errors'
import type { TaskRunner } from '../storage/tasks'
import type { LlmIntake } from './ingest/intake'
import m202612020500 from './migrations/202612020500_llm_tracing.sql' with { type: 'text' }
import { type LlmTasks, llmProjectData, llmTasks } from './tasks'

export type { ContentPolicy, SpanInput, TraceInput } from './ingest/contract'
export { parseTrace } from './ingest/contract'
export type { LlmIntake, SubmitOptions, TraceSource } from './ingest/intake'
export type { LlmTasks } from './tasks'

const CONFIG = ['llm_tracing', 'ingest'] as const

export interface LlmDeps
  extends Pick<
    Core,
    'db' | 'log' | 'metrics' | 'now' | 'guard' | 'clientIp' | 'ingestLimiter' | 'draining' | 'load'
  > {
  config: Pick<Config, (typeof CONFIG)[number]>
  writer: TaskRunner<LlmTasks>
  /** The errors feature's submit: error spans become error events (llm_tracing.errors_as_issues). */
  submitErrors?: Submit
}

export interface LlmRunning extends Started {
  routes: AnyElysia
  intake: LlmIntake
}

export const llm: Feature<LlmDeps, LlmRunning> = {
  name: 'llm',
  config: CONFIG,
  migrations: [{ file: '202612020500_llm_tracing.sql', sql: m202612020500 }],
  tasks: llmTasks,
  projectData: llmProjectData,

  start(_d) {
    const intake: LlmIntake = {
      submit: () => Promise.reject(new Error('the LLM intake is not built yet')),
    }
    return { routes: new Elysia({ name: 'llm' }), intake }
  },
}
