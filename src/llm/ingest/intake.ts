/**
 * The LLM intake: the one road into LLM storage, for the SDK routes (ingest/routes.ts),
 * the proxy and the OTLP import. `submit` applies the project's content policy, prices
 * each span, queues the traces and resolves once they are committed.
 *
 * - Content policy: the project's row in `llm_settings`, else `llm_tracing.default_content_storage`;
 *   with the project's overrides, read through the settings store's ingest cache, which every
 *   settings or override write empties, so a change is effective from the next request
 *   (settings/store.ts). A request (a header, the proxy) may only tighten it:
 *   `none` < `metadata_only` < `full`.
 * - Cost (write/price.ts): a client-sent cost wins; otherwise project override, global
 *   override, the price table; otherwise unknown (null). Each span records `cost_source`
 *   and `price_version`.
 * - Queue: a BatchQueue (contract in storage/queue.ts) of `llm.commit` tasks, capacity
 *   `llm_tracing.channel_capacity` traces, at most `flush_batch_size` traces per
 *   transaction, gathered for up to `commit_delay_ms` under load (storage/queue.ts; a
 *   one-trace transaction costs several times a trace in a batch). Full: AppError 429
 *   with Retry-After, counted as dropped; nothing is dropped silently. A failed commit: 503.
 */
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import type { Submit } from '../../errors'
import { AppError } from '../../http/errors'
import { BatchQueue } from '../../storage/queue'
import type { TaskRunner } from '../../storage/tasks'
import type { CommitItem, CommitResult, TraceSource, TraceUpdate } from '../model'
import { ingestSettings } from '../settings/store'
import type { LlmTasks } from '../tasks'
import type { ContentPolicy, TraceInput } from './contract'
import { errorEventOf } from './issues'
import type { LlmMetrics } from './metrics'
import { prepareSpan, prepareTrace } from './prepare'

export type { TraceSource } from '../model'

export interface SubmitOptions {
  source: TraceSource
  /** A request's own policy (a header): applies only where it is stricter than the project's. */
  policy?: ContentPolicy
}

export interface LlmIntake {
  /**
   * Resolves once the traces are committed (acknowledged = durable). Rejects with an
   * AppError 429 (Retry-After) when the queue cannot take them; never drops silently.
   */
  submit(projectId: string, traces: TraceInput[], o: SubmitOptions): Promise<{ accepted: number }>
  /** The project's policy as ingest applies it (row, else the config default); from the cache when fresh. */
  policyOf(projectId: string): Promise<ContentPolicy>
}

const RANK: Record<ContentPolicy, number> = { none: 0, metadata_only: 1, full: 2 }

/** The stricter of two policies: a request may tighten the project's policy, never loosen it. */
export function tighter(a: ContentPolicy, b: ContentPolicy | undefined): ContentPolicy {
  if (b === undefined) return a
  return RANK[b] < RANK[a] ? b : a
}

export interface IntakeDeps extends Pick<Core, 'backend' | 'log' | 'load' | 'draining' | 'now'> {
  config: Pick<Config, 'llm_tracing'>
  writer: TaskRunner<LlmTasks>
  metrics: LlmMetrics
  /** The errors feature's submit, when error spans become issues. */
  submitErrors?: Submit
  newId?: () => string
}

export type LlmQueue = BatchQueue<CommitItem, CommitResult, CommitResult>

/** What the routes need beyond `submit`: updates, and the queue for /metrics and shutdown. */
export interface RunningIntake extends LlmIntake {
  /** Queues an update of an existing trace; resolves true once committed, false when the trace is unknown. */
  update(projectId: string, traceId: string, update: UpdateInput, o: SubmitOptions): Promise<boolean>
  queue: LlmQueue
}

/** PUT /v1/traces/:id: the fields an update may change. */
export interface UpdateInput {
  status?: TraceInput['status']
  output?: string
  ended_at?: number
  spans: TraceInput['spans']
}

export function createIntake(d: IntakeDeps): RunningIntake {
  const cfg = d.config.llm_tracing
  const newId = d.newId ?? (() => crypto.randomUUID())
  const m = d.metrics
  const queue: LlmQueue = new BatchQueue({
    name: 'llm',
    capacity: cfg.channel_capacity,
    batchSize: cfg.flush_batch_size,
    delayMs: cfg.commit_delay_ms,
    commit: (items) => d.writer.run('llm.commit', { items }),
    // Every request waits for its own slice; the whole result also carries the batch's new errors.
    ack: (result, from, count) => ({ ...result, stored: result.stored.slice(from, from + count) }),
    empty: () => ({ stored: [], spans: 0, new_errors: [], unknown_models: 0, duration_ms: 0 }),
    load: d.load,
    log: d.log,
    onCommitted: (_n, result) => {
      m.commitSeconds.observe(result.duration_ms / 1000)
      if (result.unknown_models > 0) m.unknownModelSpans.inc({}, result.unknown_models)
    },
    onAck: (ms) => m.ackSeconds.observe(ms / 1000),
  })
  // New error spans are reported once per batch (not per request), after the answers.
  if (cfg.errors_as_issues && d.submitErrors) {
    const submitErrors = d.submitErrors
    queue.onCommit(async (result) => {
      if (result.new_errors.length === 0) return
      const now = d.now()
      const events = result.new_errors.map((e) => errorEventOf(e, now))
      try {
        const ack = await submitErrors(events, 'llm')
        m.errorEvents.inc({ outcome: 'stored' }, ack.stored)
        if (ack.stored < events.length)
          m.errorEvents.inc({ outcome: 'duplicate' }, events.length - ack.stored)
      } catch (err) {
        // The traces are stored; only their issue events are missing. Counted and logged, not retried.
        m.errorEvents.inc({ outcome: 'failed' }, events.length)
        d.log.warn('error spans were not submitted as error events', {
          events: events.length,
          error: (err as Error).message,
        })
      }
    })
  }

  const policyOf = async (projectId: string): Promise<ContentPolicy> =>
    (await ingestSettings(d.backend, projectId, d.now())).content_policy ?? cfg.default_content_storage

  const enqueue = async (items: CommitItem[], spans: number, source: TraceSource): Promise<CommitResult> => {
    if (d.draining.value) {
      throw new AppError('unavailable', 'server is shutting down; retry shortly', { retryAfterSecs: 5 })
    }
    const pending = queue.submit(items)
    if (pending === 'full') {
      m.dropped.inc({ reason: 'queue_full' }, items.length)
      m.spansDropped.inc({ reason: 'queue_full' }, spans)
      throw new AppError('queue_full', 'trace queue is full; retry after the delay in Retry-After', {
        retryAfterSecs: 1,
      })
    }
    try {
      const result = await pending
      let stored = 0
      for (const x of result.stored) stored += x
      m.tracesAccepted.inc({ source }, stored)
      m.spansAccepted.inc({ source }, spans)
      return result
    } catch (err) {
      m.dropped.inc({ reason: 'storage_error' }, items.length)
      m.spansDropped.inc({ reason: 'storage_error' }, spans)
      throw new AppError('storage_unavailable', `traces were not stored: ${(err as Error).message}`, {
        retryAfterSecs: 5,
        cause: err,
      })
    }
  }

  const context = async (projectId: string, o: SubmitOptions) => {
    const now = d.now()
    const stored = await ingestSettings(d.backend, projectId, now)
    return {
      projectId,
      source: o.source,
      policy: tighter(stored.content_policy ?? cfg.default_content_storage, o.policy),
      overrides: stored.overrides,
      now,
      newId,
    }
  }

  return {
    queue,
    policyOf,
    async submit(projectId, traces, o) {
      if (traces.length === 0) return { accepted: 0 }
      const c = await context(projectId, o)
      const items = traces.map((t) => prepareTrace(t, c))
      const spans = items.reduce((n, t) => n + t.spans.length, 0)
      const result = await enqueue(items, spans, o.source)
      return { accepted: result.stored.reduce((a, b) => a + b, 0) }
    },
    async update(projectId, traceId, u, o) {
      const c = await context(projectId, o)
      const item: TraceUpdate = {
        kind: 'update',
        project_id: projectId,
        id: traceId,
        status: u.status ?? null,
        // The update's output obeys the policy like any other content.
        output: c.policy === 'full' ? (u.output ?? null) : null,
        ended_at: u.ended_at ?? null,
        spans: u.spans.map((s, i) => prepareSpan(s, i, c, c.now)),
        received_at: c.now,
      }
      const result = await enqueue([item], item.spans.length, o.source)
      return result.stored[0] === 1
    },
  }
}
