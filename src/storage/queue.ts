/**
 * The ingest queue: the contract between request handlers and the writer. Generic over
 * what it holds (the errors feature's queue holds events: src/errors/intake.ts); every
 * feature with its own ingest makes its own, with the same contract.
 *
 * - Capacity: `capacity` items waiting to be written (for events, `ingest.channel_capacity`;
 *   items in the transaction being committed do not count). A request is admitted whole
 *   or not at all.
 * - When full: `submit` returns `'full'` at once and the handler answers 429 with
 *   Retry-After. Nothing is dropped silently and nothing waits unboundedly in memory.
 * - Flush trigger: group commit. Whenever the writer is free of this queue's batch and
 *   items are waiting, it takes whole requests, up to `batchSize` items (for events,
 *   `pipeline.flush_batch_size`; a larger single request goes alone), and commits them in
 *   one transaction. An idle server therefore commits a lone item immediately, and under
 *   load transactions grow to amortise the fsync cost.
 * - Commit delay (`delayMs`, off by default): a queue whose transactions are costly next to
 *   their items (the LLM queue: a one-trace transaction rewrites ~45 pages of indexes, a
 *   trace in a batch of 50 ~2.5) may let a batch wait, as PostgreSQL's commit_delay does,
 *   but only under load: when this queue's previous commit ended less than `delayMs` ago,
 *   a batch smaller than `batchSize` goes to the writer once its oldest request has waited
 *   `delayMs` (at once when it fills). A request arriving at a queue that has been quiet
 *   for longer is committed at once, so an idle server still acknowledges immediately.
 * - Delivery guarantee: the promise returned by `submit` resolves only after the
 *   transaction holding the request's items has committed (WAL, synchronous=NORMAL: it
 *   survives kill -9). If the commit fails, it rejects and the handler answers 503, so an
 *   acknowledged item is never lost and a failed one is never acknowledged.
 * - Single writer: the writer thread (writer.loop.ts) is the only connection that writes
 *   event data; this queue is the only path to it for its items.
 * - Fairness: a queue keeps at most one batch at the writer, and the writer runs tasks in
 *   arrival order. So when several queues (or the retention sweeper) share the writer, a
 *   request of one queue waits for at most one batch of each other source before its own
 *   batch runs: a burst of large batches on one queue cannot starve another's
 *   acknowledgements (test/http/writer.fairness.test.ts). Every commit is reported to the
 *   `WriterLoad` all queues share, which is what the retention sweeper yields to.
 * - Shutdown: `drain()` waits until the queue is empty and the last commit is done; the
 *   server stops accepting requests before calling it.
 * - After each commit, listeners registered with `onCommit` receive a summary (alert
 *   evaluation, the analytics feed). They run after the acknowledgements and never delay them.
 */
import type { Logger } from '../ops/log'
import type { WriterLoad } from './load'

interface Job<T, A> {
  items: T[]
  enqueuedAt: number
  resolve: (ack: A) => void
  reject: (err: Error) => void
}

export type CommitListener<T, R> = (result: R, items: T[]) => void | Promise<void>

export interface BatchQueueOptions<T, R, A> {
  /** Names the queue in logs and in the writer load. */
  name: string
  capacity: number
  batchSize: number
  /** Commit delay under load, ms (see the header); 0 or absent: none. */
  delayMs?: number
  /** Writes one batch in one transaction (a writer task); rejects if it did not commit. */
  commit(items: T[]): Promise<R>
  /** The answer to the request whose items are `count` items from `from` in the batch. */
  ack(result: R, from: number, count: number): A
  /** The answer to an empty request, which is never sent to the writer. */
  empty: () => A
  load: WriterLoad
  log: Logger
  /** Figures for /metrics: items and result of each commit, time from submit to ack. */
  onCommitted?(items: number, result: R): void
  onAck?(ms: number): void
}

export class BatchQueue<T, R, A = R> {
  private jobs: Job<T, A>[] = []
  private queued = 0
  private busy = false
  private idleWaiters: (() => void)[] = []
  private listeners: CommitListener<T, R>[] = []
  private lastCommitted = Number.NEGATIVE_INFINITY
  private wake: (() => void) | null = null

  constructor(private readonly o: BatchQueueOptions<T, R, A>) {
    o.load.register(this)
  }

  get name(): string {
    return this.o.name
  }
  get depth(): number {
    return this.queued
  }
  get capacity(): number {
    return this.o.capacity
  }
  get idle(): boolean {
    return !this.busy && this.jobs.length === 0
  }

  onCommit(listener: CommitListener<T, R>): void {
    this.listeners.push(listener)
  }

  submit(items: T[]): Promise<A> | 'full' {
    if (items.length === 0) return Promise.resolve(this.o.empty())
    if (this.queued + items.length > this.o.capacity) return 'full'
    const p = new Promise<A>((resolve, reject) => {
      this.jobs.push({ items, enqueuedAt: performance.now(), resolve, reject })
    })
    this.queued += items.length
    if (!this.busy) queueMicrotask(() => this.pump())
    else if (this.wake && this.queued >= this.o.batchSize) this.wake()
    return p
  }

  private async pump(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      // One batch at the writer at a time: the next is taken only once this one committed.
      while (this.jobs.length > 0) {
        // Only a queue with a commit delay, under load, waits here: an await otherwise would
        // hand the batch to the writer a few microtasks later than the request's submit.
        const waiting = this.gather()
        if (waiting) await waiting
        const batch: Job<T, A>[] = []
        let n = 0
        while (this.jobs.length > 0) {
          const next = this.jobs[0] as Job<T, A>
          if (batch.length > 0 && n + next.items.length > this.o.batchSize) break
          batch.push(next)
          n += next.items.length
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

  /** The commit delay: waits while the queue is under load and the batch could grow. */
  private gather(): Promise<void> | null {
    const delay = this.o.delayMs ?? 0
    if (delay <= 0 || this.queued >= this.o.batchSize) return null
    const now = performance.now()
    if (now - this.lastCommitted >= delay) return null
    const wait = (this.jobs[0] as Job<T, A>).enqueuedAt + delay - now
    if (wait <= 0) return null
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve()
      }, wait)
      this.wake = () => {
        clearTimeout(timer)
        this.wake = null
        resolve()
      }
    })
  }

  private async commit(batch: Job<T, A>[], n: number): Promise<void> {
    const items = batch.length === 1 ? (batch[0] as Job<T, A>).items : batch.flatMap((j) => j.items)
    let result: R
    try {
      result = await this.o.commit(items)
    } catch (err) {
      this.o.log.error('commit failed; requests answered 503', {
        queue: this.o.name,
        items: n,
        error: (err as Error).message,
      })
      for (const j of batch) j.reject(err as Error)
      return
    } finally {
      this.lastCommitted = performance.now()
    }
    this.o.onCommitted?.(n, result)
    const now = performance.now()
    let at = 0
    for (const j of batch) {
      const ack = this.o.ack(result, at, j.items.length)
      at += j.items.length
      this.o.onAck?.(now - j.enqueuedAt)
      j.resolve(ack)
    }
    this.o.load.committed()
    for (const l of this.listeners) {
      try {
        const r = l(result, items)
        if (r instanceof Promise) r.catch((err) => this.o.log.error('commit listener failed', { error: err }))
      } catch (err) {
        this.o.log.error('commit listener failed', { error: err as Error })
      }
    }
  }

  /** Resolves when nothing is queued and no commit is in flight. */
  drain(): Promise<void> {
    if (this.idle) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }
}
