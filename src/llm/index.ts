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
import { LlmAlertFeed, type LlmAlertHook } from './alerts'
import { experimentsRoutes } from './experiments/routes'
import { exportRoutes } from './export/routes'
import { createIntake, type LlmIntake } from './ingest/intake'
import { llmMetrics } from './ingest/metrics'
import { traceRoutes } from './ingest/routes'
import m202612020500pg from './migrations/202612020500_llm_tracing.pg.sql' with { type: 'text' }
import m202612020500 from './migrations/202612020500_llm_tracing.sql' with { type: 'text' }
import m202612020600pg from './migrations/202612020600_llm_experiments.pg.sql' with { type: 'text' }
import m202612020600 from './migrations/202612020600_llm_experiments.sql' with { type: 'text' }
import m202612020610pg from './migrations/202612020610_llm_query_indexes.pg.sql' with { type: 'text' }
import m202612020610 from './migrations/202612020610_llm_query_indexes.sql' with { type: 'text' }
import m202612030100pg from './migrations/202612030100_llm_span_received_at.pg.sql' with { type: 'text' }
import m202612030100 from './migrations/202612030100_llm_span_received_at.sql' with { type: 'text' }
import { otlpRoutes } from './otlp/routes'
import { proxyRoutes } from './proxy/routes'
import { llmQueryRoutes } from './query/routes'
import { settingsRoutes } from './settings/routes'
import { syncRetentionFromConfig } from './settings/store'
import { type LlmTasks, llmProjectData, llmTasks } from './tasks'

export type { ContentPolicy, SpanInput, TraceInput } from './ingest/contract'
export { parseTrace } from './ingest/contract'
export type { LlmIntake, SubmitOptions, TraceSource } from './ingest/intake'
export type { LlmTasks } from './tasks'

const CONFIG = ['llm_tracing', 'ingest', 'llm_otlp'] as const

export interface LlmDeps
  extends Pick<
    Core,
    | 'backend'
    | 'log'
    | 'metrics'
    | 'now'
    | 'guard'
    | 'clientIp'
    | 'ingestLimiter'
    | 'draining'
    | 'load'
    | 'idleTimeout'
  > {
  config: Pick<Config, (typeof CONFIG)[number]>
  writer: TaskRunner<LlmTasks>
  /** The errors feature's submit: error spans become error events (llm_tracing.errors_as_issues). */
  submitErrors?: Submit
  /** The alerts feature: LLM rules are evaluated after each commit. */
  alerting?: LlmAlertHook
  /** Id generator for traces sent without one; tests pass their own. */
  newId?: () => string
}

/** After each committed batch: how many traces (new or re-sent, and updates) per project. */
export type LlmCommitListener = (traces: ReadonlyMap<string, number>) => void

export interface LlmRunning extends Started {
  routes: AnyElysia
  intake: LlmIntake
  /** Listens to the LLM queue's commits (the dashboard's live updates). */
  onCommit: (listener: LlmCommitListener) => void
}

export const llm: Feature<LlmDeps, LlmRunning> = {
  name: 'llm',
  config: CONFIG,
  backends: ['sqlite', 'postgres'],
  migrations: [
    { file: '202612020500_llm_tracing.sql', sql: m202612020500, pg: m202612020500pg },
    { file: '202612020600_llm_experiments.sql', sql: m202612020600, pg: m202612020600pg },
    { file: '202612020610_llm_query_indexes.sql', sql: m202612020610, pg: m202612020610pg },
    { file: '202612030100_llm_span_received_at.sql', sql: m202612030100, pg: m202612030100pg },
  ],
  tasks: llmTasks,
  projectData: llmProjectData,
  retention: [{ name: 'llm_traces', task: 'llm.pruneTraces' }],

  async start(d) {
    await syncRetentionFromConfig(d.backend, d.config.llm_tracing.retention_days)
    const metrics = llmMetrics(d.metrics.registry)
    const running = createIntake({ ...d, metrics })
    const registry = d.metrics.registry
    registry.gauge('bloop_llm_queue_depth', 'Traces waiting for the writer.', () => running.queue.depth)
    registry.gauge(
      'bloop_llm_queue_capacity',
      'Maximum traces waiting for the writer.',
      () => running.queue.capacity,
    )
    const intake: LlmIntake = { submit: running.submit, policyOf: running.policyOf }
    const feed = d.alerting ? new LlmAlertFeed(d.alerting, d.backend, d.now, d.log) : null
    if (feed)
      running.queue.onCommit((_result, items) => feed.committed(new Set(items.map((i) => i.project_id))))
    // With llm_tracing.enabled = false no LLM route exists (404); stored data stays.
    const routes = d.config.llm_tracing.enabled
      ? new Elysia({ name: 'llm' })
          .use(traceRoutes({ ...d, intake: running, metrics }))
          .use(
            llmQueryRoutes({ ...d, errorIssues: d.config.llm_tracing.errors_as_issues && !!d.submitErrors }),
          )
          .use(settingsRoutes(d))
          .use(proxyRoutes({ ...d, intake }))
          .use(otlpRoutes({ ...d, intake }))
          .use(exportRoutes(d))
          .use(experimentsRoutes(d))
      : new Elysia({ name: 'llm' })
    const onCommit = (listener: LlmCommitListener) =>
      running.queue.onCommit((_result, items) => {
        const traces = new Map<string, number>()
        for (const i of items) traces.set(i.project_id, (traces.get(i.project_id) ?? 0) + 1)
        listener(traces)
      })
    return { routes, intake, onCommit, stop: () => feed?.run() }
  },
}
