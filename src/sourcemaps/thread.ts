/**
 * Main-thread handle on one source-map thread (maps.worker.ts), with a time budget.
 *
 * - Jobs run one at a time in arrival order; at most `maxWaiting` wait (then ThreadBusy),
 *   since each may hold a 5 MB upload.
 * - A job's budget starts when it is handed to the thread (not while it waits) and restarts
 *   whenever the thread begins parsing another stored map, so it bounds each parse.
 * - A job over budget is answered with ThreadTimeout; the thread, stuck inside
 *   source-map-js, is terminated (JavaScriptCore stops it mid-loop) and a new one serves the
 *   jobs behind it. A thread that crashes fails its job and is replaced the same way.
 * - The thread starts on first use: a server that never sees a map never pays for it. Its
 *   init message is built at each start, so a replacement knows what the last one learnt.
 */
import type { Logger } from '../ops/log'
import type { FromWorker, InitMessage, Job, JobResult, MapVersion, ToWorker } from './protocol'

// In the compiled executable every module is bundled into the entry file at the root of
// the embedded file system, so the worker is addressed relative to src/ (see src/writer.ts).
const WORKER_URL = import.meta.url.includes('$bunfs')
  ? './sourcemaps/maps.worker.ts'
  : new URL('./maps.worker.ts', import.meta.url).href

export class ThreadTimeout extends Error {
  override name = 'ThreadTimeout'
  constructor(
    readonly ms: number,
    /** The stored map being parsed when time ran out (read path only). */
    readonly map: MapVersion | null,
  ) {
    super(`source map parse exceeded ${ms / 1000} s`)
  }
}
export class ThreadBusy extends Error {
  override name = 'ThreadBusy'
}
/** The job's input is at fault (a broken or oversized map), not the thread. */
export class JobRejected extends Error {
  override name = 'JobRejected'
}

interface Pending {
  id: number
  job: Job
  transfer: Transferable[]
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  map: MapVersion | null
}

export interface ThreadOptions {
  /** For logs: which thread. */
  name: string
  init: () => InitMessage
  timeoutMs: number
  maxWaiting: number
  log: Logger
  /** Called before the replacement starts, so `init` can already account for the map at fault. */
  onTimeout?: (map: MapVersion | null) => void
}

export class MapThread {
  private worker: Worker | null = null
  private ready = false
  private waiting: Pending[] = []
  private current: Pending | null = null
  private timer: Timer | null = null
  private nextId = 1
  private closed = false

  constructor(private readonly o: ThreadOptions) {}

  run<K extends Job['type']>(
    job: Extract<Job, { type: K }>,
    transfer: Transferable[] = [],
  ): Promise<JobResult[K]> {
    if (this.closed) return Promise.reject(new Error('source map thread is closed'))
    if (this.waiting.length >= this.o.maxWaiting)
      return Promise.reject(new ThreadBusy(`${this.waiting.length} source map jobs are already waiting`))
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, job, transfer, resolve: resolve as never, reject, map: null })
      this.pump()
    })
  }

  /** A message that needs no answer; dropped when no thread runs (nothing to tell it then). */
  tell(msg: ToWorker): void {
    this.worker?.postMessage(msg)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const p of this.waiting.splice(0)) p.reject(new Error('source map thread is closed'))
    const worker = this.worker
    if (!worker) return
    if (this.current === null && this.ready) {
      const closed = new Promise<void>((resolve) => {
        worker.onmessage = (ev: MessageEvent<FromWorker>) => ev.data.type === 'closed' && resolve()
      })
      worker.postMessage({ type: 'close' } satisfies ToWorker)
      await Promise.race([closed, Bun.sleep(1000)])
    }
    this.stop()
    this.current?.reject(new Error('source map thread is closed'))
    this.current = null
  }

  private pump(): void {
    if (this.closed || this.current || this.waiting.length === 0) return
    if (!this.worker) {
      this.start()
      return
    }
    if (!this.ready) return
    const p = this.waiting.shift() as Pending
    this.current = p
    this.arm()
    this.worker.postMessage({ ...p.job, id: p.id } satisfies ToWorker, p.transfer)
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.expire(), this.o.timeoutMs)
  }

  private expire(): void {
    const p = this.current
    if (!p) return
    this.current = null
    this.stop()
    this.o.log.warn('source map thread exceeded its time budget: terminated and replaced', {
      thread: this.o.name,
      job: p.job.type,
      budget_ms: this.o.timeoutMs,
      ...(p.map === null ? {} : { sourcemap_id: p.map.id }),
    })
    this.o.onTimeout?.(p.map)
    p.reject(new ThreadTimeout(this.o.timeoutMs, p.map))
    this.pump()
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.worker?.terminate()
    this.worker = null
    this.ready = false
  }

  private start(): void {
    const worker = new Worker(WORKER_URL)
    this.worker = worker
    this.ready = false
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      if (worker !== this.worker) return
      const m = ev.data
      if (m.type === 'ready') {
        this.ready = true
        return this.pump()
      }
      if (m.type === 'log') return this.o.log[m.level](m.msg, { thread: this.o.name, ...m.fields })
      const p = this.current
      if (m.type === 'closed' || !p || m.id !== p.id) return
      if (m.type === 'parsing') {
        p.map = m.map
        return this.arm()
      }
      this.current = null
      if (this.timer) clearTimeout(this.timer)
      if (m.ok) p.resolve(m.result)
      else p.reject(m.invalid ? new JobRejected(m.error) : new Error(m.error))
      this.pump()
    }
    worker.onerror = (ev) => {
      if (worker !== this.worker) return
      const wasReady = this.ready
      this.o.log.error('source map thread crashed; starting another', {
        thread: this.o.name,
        error: ev.message,
      })
      const p = this.current
      this.current = null
      this.stop()
      p?.reject(new Error(`source map thread crashed: ${ev.message}`))
      // A thread that cannot even start would crash again: fail what waits instead of looping.
      if (!wasReady)
        for (const w of this.waiting.splice(0))
          w.reject(new Error(`source map thread failed to start: ${ev.message}`))
      this.pump()
    }
    worker.postMessage(this.o.init() satisfies ToWorker)
  }
}
