/**
 * The ingest queue: the contract between request handlers and the writer.
 *
 * - Capacity: `ingest.channel_capacity` events waiting to be written (events in the
 *   transaction being committed do not count). A request is admitted whole or not at all.
 * - When full: `submit` returns `'full'` at once and the handler answers 429 with
 *   Retry-After. Nothing is dropped silently and nothing waits unboundedly in memory.
 * - Flush trigger: group commit. Whenever the writer is free and events are waiting, it
 *   takes whole requests, up to `pipeline.flush_batch_size` events (a larger single request
 *   goes alone), and commits them in one transaction. An idle server therefore commits a
 *   lone event immediately, and under load transactions grow to amortise the fsync cost.
 * - Delivery guarantee: the promise returned by `submit` resolves only after the
 *   transaction holding the request's events has committed (WAL, synchronous=NORMAL: it
 *   survives kill -9). If the commit fails, it rejects and the handler answers 503, so an
 *   acknowledged event is never lost and a failed one is never acknowledged.
 * - Single writer: the writer thread (writer.worker.ts) is the only connection that writes
 *   event data; this queue is the only path to it for events.
 * - Shutdown: `drain()` waits until the queue is empty and the last commit is done; the
 *   server stops accepting requests before calling it.
 * - After each commit, listeners registered with `onCommit` receive a summary (alert
 *   evaluation, the analytics feed). They run after the acknowledgements and never delay them.
 */
import type { NormalizedEvent } from '../ingest/event'
import type { Logger } from '../ops/log'
import type { CommitResult } from './commit'
import type { Writer } from './writer'

export interface Ack {
  /** Events stored (a duplicate Sentry event_id is not stored twice). */
  stored: number
  /** Per event of the request: 1 when stored. */
  inserted: number[]
}

interface Job {
  events: NormalizedEvent[]
  enqueuedAt: number
  resolve: (ack: Ack) => void
  reject: (err: Error) => void
}

export interface QueueStats {
  onCommit?: (events: number, ms: number) => void
  onAck?: (ms: number) => void
}

export type CommitListener = (result: CommitResult, events: NormalizedEvent[]) => void | Promise<void>

export class IngestQueue {
  private jobs: Job[] = []
  private queued = 0
  private busy = false
  private idleWaiters: (() => void)[] = []
  private listeners: CommitListener[] = []

  constructor(
    private readonly writer: Writer,
    private readonly opts: { capacity: number; flushBatchSize: number; sampleSize: number },
    private readonly log: Logger,
    private readonly stats: QueueStats = {},
  ) {}

  get depth(): number {
    return this.queued
  }
  get capacity(): number {
    return this.opts.capacity
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener)
  }

  submit(events: NormalizedEvent[]): Promise<Ack> | 'full' {
    if (events.length === 0) return Promise.resolve({ stored: 0, inserted: [] })
    if (this.queued + events.length > this.opts.capacity) return 'full'
    const p = new Promise<Ack>((resolve, reject) => {
      this.jobs.push({ events, enqueuedAt: performance.now(), resolve, reject })
    })
    this.queued += events.length
    if (!this.busy) queueMicrotask(() => this.pump())
    return p
  }

  private async pump(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      while (this.jobs.length > 0) {
        const batch: Job[] = []
        let n = 0
        while (this.jobs.length > 0) {
          const next = this.jobs[0] as Job
          if (batch.length > 0 && n + next.events.length > this.opts.flushBatchSize) break
          batch.push(next)
          n += next.events.length
          this.jobs.shift()
        }
        this.queued -= n
        await this.commit(batch, n)
      }
    } finally {
      this.busy = false
      for (const w of this.idleWaiters.splice(0)) w()
    }
  }

  private async commit(batch: Job[], n: number): Promise<void> {
    const events = batch.length === 1 ? (batch[0] as Job).events : batch.flatMap((j) => j.events)
    let result: CommitResult
    try {
      result = await this.writer.run('commit', { events, sampleSize: this.opts.sampleSize })
    } catch (err) {
      this.log.error('commit failed; requests answered 503', { events: n, error: (err as Error).message })
      for (const j of batch) j.reject(err as Error)
      return
    }
    this.stats.onCommit?.(n, result.duration_ms)
    const now = performance.now()
    let at = 0
    for (const j of batch) {
      const inserted = result.inserted.slice(at, at + j.events.length)
      at += j.events.length
      let stored = 0
      for (const x of inserted) stored += x
      this.stats.onAck?.(now - j.enqueuedAt)
      j.resolve({ stored, inserted })
    }
    for (const l of this.listeners) {
      try {
        const r = l(result, events)
        if (r instanceof Promise) r.catch((err) => this.log.error('commit listener failed', { error: err }))
      } catch (err) {
        this.log.error('commit listener failed', { error: err as Error })
      }
    }
  }

  /** Resolves when nothing is queued and no commit is in flight. */
  drain(): Promise<void> {
    if (!this.busy && this.jobs.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }
}
