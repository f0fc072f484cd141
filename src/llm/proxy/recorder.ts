/**
 * Proxied calls on their way to the LLM intake, off the client's path. A call that has
 * ended is built into its trace (record.ts) and queued on the next turn of the event loop
 * (later.ts), with every other call that ended meanwhile: one `submit` per project per
 * turn, so the content policy and overrides are read and the queue is entered once for
 * the lot, not once per call. The client already has its answer; nothing here can delay
 * or change it.
 *
 * A trace that cannot be built (a broken invariant) or queued (the queue is full, storage
 * failed) is logged and counted in `bloop_proxy_traces_dropped_total`, never retried into
 * the client's answer. `submit` is all or nothing for a batch, so a refusal counts every
 * trace of it.
 */
import { AppError } from '../../http/errors'
import type { Logger } from '../../ops/log'
import type { LlmIntake } from '../ingest/intake'
import { later } from './later'
import type { ProxyMetrics } from './metrics'
import { buildTrace, type CallEnd, type CallFacts, type Limits } from './record'

export interface RecorderDeps {
  intake: LlmIntake
  metrics: ProxyMetrics
  log: Logger
  limits: Limits
}

/** At most this many traces per submit: a refusal (all or nothing) loses no more than these. */
const BATCH = 64

export type Recorder = (projectId: string, facts: CallFacts, end: CallEnd) => void

export function traceRecorder(d: RecorderDeps): Recorder {
  let pending = new Map<string, { facts: CallFacts; end: CallEnd }[]>()
  let scheduled = false

  const flush = () => {
    scheduled = false
    const batch = pending
    pending = new Map()
    for (const [projectId, calls] of batch)
      for (let at = 0; at < calls.length; at += BATCH) submit(projectId, calls.slice(at, at + BATCH))
  }

  const submit = (projectId: string, calls: { facts: CallFacts; end: CallEnd }[]) => {
    const traces: ReturnType<typeof buildTrace>[] = []
    const built: CallFacts[] = []
    for (const { facts, end } of calls) {
      try {
        traces.push(buildTrace(facts, end, d.limits))
        built.push(facts)
      } catch (err) {
        d.metrics.dropped.inc({ reason: 'invalid' })
        d.log.error('proxy trace could not be built', { trace_id: facts.traceId, error: err as Error })
      }
    }
    if (traces.length === 0) return
    d.intake.submit(projectId, traces, { source: 'proxy' }).then(
      () => {
        for (const [i, t] of traces.entries())
          d.metrics.recorded.inc({
            provider: (built[i] as CallFacts).provider,
            status: t.spans[0]?.status ?? 'ok',
          })
      },
      (err) => {
        const reason = err instanceof AppError ? err.code : 'error'
        d.metrics.dropped.inc({ reason }, traces.length)
        d.log.warn('proxy traces not recorded', {
          trace_ids: built.map((f) => f.traceId),
          reason,
          error: (err as Error).message,
        })
      },
    )
  }

  return (projectId, facts, end) => {
    const calls = pending.get(projectId)
    if (calls) calls.push({ facts, end })
    else pending.set(projectId, [{ facts, end }])
    if (!scheduled) {
      scheduled = true
      later(flush)
    }
  }
}
