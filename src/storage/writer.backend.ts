/**
 * The writer over the storage seam: the same `TaskRunner` contract as the writer thread
 * (writer.ts), for tasks written against `Backend` instead of a bun:sqlite connection.
 * This is how event-data writes run on PostgreSQL, where the database, not a thread,
 * does the blocking: tasks run on the calling thread, one at a time, in arrival order
 * (so every BatchQueue keeps the fairness queue.ts describes), each in one transaction of
 * the backend (the group commit), and a task's promise resolves only once that
 * transaction has committed.
 *
 * A task that fails on a transient condition (PostgreSQL's serialization failure or
 * deadlock, a lost connection, SQLite's busy lock) is run once more after a short pause,
 * as the writer thread does; a second failure rejects, and the queue above answers 503.
 * Arguments and results go through JSON, as they do to the writer thread, so a task sees
 * the same values on both writers.
 */
import type { Backend, Queryable } from './backend'
import { WriterError } from './writer'

/** One kind of write over the seam: its transaction and JSON-safe arguments. */
export type SeamTask<A = never, R = unknown> = (tx: Queryable, args: A) => Promise<R>
export type SeamTaskTable = Record<string, SeamTask>
type Args<T extends SeamTaskTable, K extends keyof T> = Parameters<T[K]>[1]
type Result<T extends SeamTaskTable, K extends keyof T> = Awaited<ReturnType<T[K]>>

const TRANSIENT_STATES = new Set(['40001', '40P01', '57P01', '08000', '08003', '08006'])
const TRANSIENT_CODES = new Set([
  'ERR_POSTGRES_CONNECTION_CLOSED',
  'ERR_POSTGRES_CONNECTION_FAILED',
  'SQLITE_BUSY',
])

/** Whether running the task again may succeed (the first attempt changed nothing: it rolled back). */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown }
  return TRANSIENT_STATES.has(String(e?.errno ?? '')) || TRANSIENT_CODES.has(String(e?.code ?? ''))
}

export class SeamWriter<T extends SeamTaskTable> {
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false
  inFlight = 0

  constructor(
    private readonly backend: Backend,
    private readonly tasks: T,
    private readonly retryPauseMs = 100,
  ) {}

  run<K extends keyof T & string>(name: K, args: Args<T, K>): Promise<Result<T, K>> {
    if (this.closed) return Promise.reject(new WriterError('writer is closed'))
    const task = this.tasks[name] as SeamTask<unknown, unknown> | undefined
    if (!task) return Promise.reject(new WriterError(`expected a registered writer task, got ${name}`))
    const input = JSON.parse(JSON.stringify(args ?? null)) as unknown
    this.inFlight++
    const attempt = () => this.backend.transaction((tx) => task(tx, input))
    const done = this.tail.then(async (): Promise<unknown> => {
      try {
        let result: unknown
        try {
          result = await attempt()
        } catch (err) {
          if (!isTransient(err)) throw err
          await Bun.sleep(this.retryPauseMs)
          result = await attempt()
        }
        return result === undefined ? null : JSON.parse(JSON.stringify(result))
      } catch (err) {
        const code = (err as { code?: unknown }).code
        throw new WriterError(String((err as Error)?.message ?? err), {
          cause: err,
          ...(typeof code === 'string' ? { code } : {}),
        })
      } finally {
        this.inFlight--
      }
    })
    // The next task waits for this one, whether it committed or not.
    this.tail = done.catch(() => {})
    return done as Promise<Result<T, K>>
  }

  /** Waits for the tasks already queued; later ones are refused. */
  async close(): Promise<void> {
    this.closed = true
    await this.tail
  }
}
