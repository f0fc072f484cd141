/**
 * Main-thread handle on the writer thread. `run(name, args)` sends one task of the table
 * `T` (see tasks.ts) and resolves with its result once its transaction has committed. If
 * the thread dies, every pending task is rejected (so no request is acknowledged for data
 * that was not committed) and a new thread is started.
 *
 * The handle knows no feature: the composition root gives it the URL of the worker entry
 * (src/writer.worker.ts, which serves the registry of every feature's tasks) and the
 * table's type.
 */
import type { Logger } from '../ops/log'
import type { TaskArgs, TaskResult, TaskRunner, TaskTable } from './tasks'
import type { FailedTask, FromWriter, ToWriter } from './writer.protocol'

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

export class WriterError extends Error {
  override name = 'WriterError'
  /** SQLite's code (SQLITE_BUSY, ...) when the task failed in SQLite. */
  readonly code: string | undefined

  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options)
    this.code = options?.code
  }
}

/** The error a failed task reports, as the cause of the WriterError the caller sees. */
function taskFailure(f: FailedTask): WriterError {
  const cause = Object.assign(new Error(f.message), { name: f.name, code: f.code })
  return new WriterError(f.message, { cause, code: f.code })
}

export interface WriterOptions {
  /** Where the worker entry is (a file URL, or a path in the executable's embedded files). */
  workerUrl: string
  dbPath: string
  log: Logger
  /** How long the writer waits for a lock held by another process. */
  busyTimeoutMs?: number
}

export class Writer<T extends TaskTable> implements TaskRunner<T> {
  private worker!: Worker
  private ready!: Promise<void>
  private nextId = 1
  private pending = new Map<number, Pending>()
  private closed = false
  inFlight = 0

  constructor(private readonly o: WriterOptions) {
    this.start()
  }

  private start(): void {
    const worker = new Worker(this.o.workerUrl)
    this.worker = worker
    let isReady = false
    let markReady: () => void
    let markFailed: (e: Error) => void
    this.ready = new Promise<void>((res, rej) => {
      markReady = res
      markFailed = rej
    })
    this.ready.catch(() => {})
    worker.onmessage = (ev: MessageEvent<FromWriter>) => {
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
      else p.reject(taskFailure(m.error))
    }
    worker.onerror = (ev) => {
      this.o.log.error('writer thread crashed', { error: ev.message })
      const cause = ev.error ?? ev.message
      this.failAll(new WriterError(`writer thread crashed: ${ev.message}`, { cause }))
      // A thread that never became ready would crash again: report it instead of looping.
      if (!isReady)
        return markFailed(new WriterError(`writer thread failed to start: ${ev.message}`, { cause }))
      if (!this.closed) {
        worker.terminate()
        this.start()
      }
    }
    this.post({ type: 'init', dbPath: this.o.dbPath, busyTimeoutMs: this.o.busyTimeoutMs ?? 5000 })
  }

  private post(m: ToWriter): void {
    this.worker.postMessage(m)
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.inFlight -= this.pending.size
    this.pending.clear()
  }

  async whenReady(): Promise<void> {
    await this.ready
  }

  run<K extends keyof T & string>(name: K, args: TaskArgs<T, K>): Promise<TaskResult<T, K>> {
    if (this.closed) return Promise.reject(new WriterError('writer is closed'))
    const id = this.nextId++
    this.inFlight++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.post({ type: 'task', id, name, args: JSON.stringify(args) })
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
    this.post({ type: 'close', id })
    this.closed = true
    await done
    this.worker.terminate()
  }
}
