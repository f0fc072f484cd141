/**
 * Main-thread handle on the writer thread. `run(kind, args)` sends one task and resolves
 * with its result once the transaction has committed. If the thread dies, every pending
 * task is rejected (so no request is acknowledged for data that was not committed) and a
 * new thread is started.
 */
import type { Logger } from '../ops/log'
import type { TaskKind, TaskMap } from './tasks'

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

// In the compiled executable every module is bundled into the entry file at the root of
// the embedded file system, so the worker is addressed relative to src/ (main.ts's folder).
const WORKER_URL = import.meta.url.includes('$bunfs')
  ? './pipeline/writer.worker.ts'
  : new URL('./writer.worker.ts', import.meta.url).href

export class WriterError extends Error {
  override name = 'WriterError'
}

export class Writer {
  private worker!: Worker
  private ready!: Promise<void>
  private nextId = 1
  private pending = new Map<number, Pending>()
  private closed = false
  inFlight = 0

  constructor(
    private readonly dbPath: string,
    private readonly log: Logger,
    private readonly busyTimeoutMs = 5000,
  ) {
    this.start()
  }

  private start(): void {
    const worker = new Worker(WORKER_URL)
    this.worker = worker
    let isReady = false
    let markReady: () => void
    let markFailed: (e: Error) => void
    this.ready = new Promise<void>((res, rej) => {
      markReady = res
      markFailed = rej
    })
    this.ready.catch(() => {})
    worker.onmessage = (ev: MessageEvent) => {
      const m = ev.data
      if (m.type === 'ready') {
        isReady = true
        return markReady()
      }
      if (m.type === 'fatal')
        return markFailed(new WriterError(`writer could not open the database: ${m.error}`))
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      this.inFlight--
      if (m.ok) p.resolve(m.result === undefined ? null : JSON.parse(m.result))
      else p.reject(new WriterError(m.error))
    }
    worker.onerror = (ev) => {
      this.log.error('writer thread crashed', { error: ev.message })
      this.failAll(new WriterError(`writer thread crashed: ${ev.message}`))
      // A thread that never became ready would crash again: report it instead of looping.
      if (!isReady) return markFailed(new WriterError(`writer thread failed to start: ${ev.message}`))
      if (!this.closed) {
        worker.terminate()
        this.start()
      }
    }
    worker.postMessage({ type: 'init', dbPath: this.dbPath, busyTimeoutMs: this.busyTimeoutMs })
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.inFlight -= this.pending.size
    this.pending.clear()
  }

  async whenReady(): Promise<void> {
    await this.ready
  }

  run<K extends TaskKind>(kind: K, args: TaskMap[K]['args']): Promise<TaskMap[K]['result']> {
    if (this.closed) return Promise.reject(new WriterError('writer is closed'))
    const id = this.nextId++
    this.inFlight++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      // Arguments and results cross as JSON text: a flat string copies several times faster
      // than the structured clone of hundreds of event objects (`npm run bench -- commit`).
      this.worker.postMessage({ type: 'task', id, kind, args: JSON.stringify(args) })
    })
  }

  /** Waits for queued tasks, checkpoints and closes the connection, then ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return
    const id = this.nextId++
    const done = new Promise<void>((resolve) => {
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() })
      this.inFlight++
    })
    this.worker.postMessage({ type: 'close', id })
    this.closed = true
    await done
    this.worker.terminate()
  }
}
