/**
 * The errors feature's ingest queue and the one function every ingest endpoint calls:
 * `submit(events, endpoint)` queues validated events and resolves once they are committed.
 * The queue is a BatchQueue (contract in storage/queue.ts) whose batches are the writer
 * task `errors.commit`; the capacity is `ingest.channel_capacity` events and a batch at
 * most `pipeline.flush_batch_size` events. The Sentry endpoint reaches it through
 * `submit` too (exported from index.ts), never through the bloop routes.
 */
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { AppError } from '../http/errors'
import { BatchQueue } from '../storage/queue'
import type { TaskRunner } from '../storage/tasks'
import type { CommitResult } from './commit'
import type { NormalizedEvent } from './event'
import type { ErrorsTasks } from './tasks'

export interface Ack {
  /** Events stored (a duplicate Sentry event_id is not stored twice). */
  stored: number
  /** Per event of the request: 1 when stored. */
  inserted: number[]
}

export type EventQueue = BatchQueue<NormalizedEvent, CommitResult, Ack>

/** Which endpoint submitted: the `endpoint` label of bloop_events_accepted_total (`llm`: error spans of LLM traces). */
export type Endpoint = 'ingest' | 'batch' | 'sentry' | 'llm'

export type Submit = (events: NormalizedEvent[], endpoint: Endpoint) => Promise<Ack>

export interface IntakeDeps extends Pick<Core, 'log' | 'metrics' | 'load' | 'draining'> {
  config: Pick<Config, 'ingest' | 'pipeline'>
  writer: TaskRunner<ErrorsTasks>
}

export function eventQueue(d: IntakeDeps): EventQueue {
  const { metrics } = d
  const sampleSize = d.config.pipeline.sample_reservoir_size
  return new BatchQueue({
    name: 'errors',
    capacity: d.config.ingest.channel_capacity,
    batchSize: d.config.pipeline.flush_batch_size,
    commit: (events) => d.writer.run('errors.commit', { events, sampleSize }),
    ack: (result, from, count) => {
      const inserted = result.inserted.slice(from, from + count)
      let stored = 0
      for (const x of inserted) stored += x
      return { stored, inserted }
    },
    empty: () => ({ stored: 0, inserted: [] }),
    load: d.load,
    log: d.log,
    onCommitted: (n, result) => {
      metrics.commitBatch.observe(n)
      metrics.commitSeconds.observe(result.duration_ms / 1000)
    },
    onAck: (ms) => metrics.ackSeconds.observe(ms / 1000),
  })
}

/** Queues events and waits for their commit; 429 when the queue is full, 503 if storage fails. */
export function submitter(d: Pick<IntakeDeps, 'metrics' | 'draining'>, queue: EventQueue): Submit {
  const { metrics } = d
  return async (events, endpoint) => {
    if (d.draining.value) {
      throw new AppError('unavailable', 'server is shutting down; retry shortly', { retryAfterSecs: 5 })
    }
    const pending = queue.submit(events)
    if (pending === 'full') {
      metrics.dropped.inc({ reason: 'queue_full' }, events.length)
      throw new AppError('queue_full', 'ingest queue is full; retry after the delay in Retry-After', {
        retryAfterSecs: 1,
      })
    }
    try {
      const ack = await pending
      metrics.accepted.inc({ endpoint }, ack.stored)
      if (ack.stored < events.length) metrics.duplicates.inc({}, events.length - ack.stored)
      return ack
    } catch (err) {
      metrics.dropped.inc({ reason: 'storage_error' }, events.length)
      throw new AppError('storage_unavailable', `events were not stored: ${(err as Error).message}`, {
        retryAfterSecs: 5,
        cause: err,
      })
    }
  }
}
