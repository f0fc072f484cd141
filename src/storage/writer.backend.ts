/**
 * The writer over the storage seam: the same `TaskRunner` contract as the writer thread
 * (writer.ts), for seam tasks (tasks.ts, `seamTask`). This is how event-data writes run
 * on PostgreSQL, where the database, not a thread, does the blocking: tasks run on the
 * calling thread, one at a time, in arrival order (so every BatchQueue keeps the fairness
 * queue.ts describes), each in one transaction of the backend (the group commit), and a
 * task's promise resolves only once that transaction has committed. It serves the same
 * registry as the writer thread; a SQLite task in it is refused when it is run.
 *
 * A task that fails on a transient condition (PostgreSQL's serialization failure or
 * deadlock, a lost connection, SQLite's busy lock) is run once more after a short pause,
 * as the writer thread does; a second failure rejects, and the queue above answers 503.
 * A commit whose answer was lost with its connection is never run again: it may have
 * committed (postgres.ts, CommitUnknownError), and the caller is told it failed, which
 * at worst makes a client send again what was stored.
 *
 * While the database is unreachable (every connection refused or lost), the writer backs
 * off: after a task failed for that reason, tasks are refused at once, without a round
 * trip, until the pause has passed (`backoff.firstMs`, doubling up to `backoff.maxMs`);
 * then the next task tries again and, if the server is back, the pause is forgotten.
 * Bun.sql opens new connections on demand, so nothing else reconnects. `unavailable()`
 * says whether the writer is in such a pause (health).
 *
 * Arguments and results go through JSON, as they do to the writer thread, so a task sees
 * the same values on both writers.
 */
import type { Backend } from './backend'
import { isSeamTask, type TaskArgs, type TaskResult, type TaskTable, type WriterHandle } from './tasks'
import { WriterError } from './writer'

const TRANSIENT_STATES = new Set(['40001', '40P01', '57P01', '08000', '08003', '08006'])
const TRANSIENT_CODES = new Set([
  'ERR_POSTGRES_CONNECTION_CLOSED',
  'ERR_POSTGRES_CONNECTION_FAILED',
  'SQLITE_BUSY',
])

/** SQLSTATEs and client codes of a database that cannot be reached, or is going away or starting. */
const UNREACHABLE_STATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006'])
const UNREACHABLE_CODES = new Set([
  'ERR_POSTGRES_CONNECTION_CLOSED',
  'ERR_POSTGRES_CONNECTION_FAILED',
  'ERR_POSTGRES_CONNECTION_REFUSED',
  'ERR_POSTGRES_CONNECTION_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'COMMIT_OUTCOME_UNKNOWN',
])

const codeOf = (err: unknown) => String((err as { code?: unknown })?.code ?? '')
const stateOf = (err: unknown) => String((err as { errno?: unknown })?.errno ?? '')

/** Whether running the task again may succeed (the first attempt changed nothing: it rolled back). */
export function isTransient(err: unknown): boolean {
  return TRANSIENT_STATES.has(stateOf(err)) || TRANSIENT_CODES.has(codeOf(err))
}

/** Whether the failure says the database cannot be reached (rather than that the task is wrong). */
export function isUnreachable(err: unknown): boolean {
  return UNREACHABLE_STATES.has(stateOf(err)) || UNREACHABLE_CODES.has(codeOf(err))
}

export interface SeamWriterOptions {
  /** The pause before a failed task's one retry, ms. */
  retryPauseMs?: number
  /** While the database is unreachable: the first pause and the longest, ms. */
  backoff?: { firstMs: number; maxMs: number }
  now?: () => number
}

export class SeamWriter<T extends TaskTable> implements WriterHandle<T> {
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false
  private readonly retryPauseMs: number
  private readonly backoff: { firstMs: number; maxMs: number }
  private readonly now: () => number
  /** The current pause while unreachable (0: reachable) and when it ends. */
  private pauseMs = 0
  private pausedUntil = 0
  inFlight = 0

  constructor(
    private readonly backend: Backend,
    private readonly tasks: T,
    o: SeamWriterOptions | number = {},
  ) {
    const opts = typeof o === 'number' ? { retryPauseMs: o } : o
    this.retryPauseMs = opts.retryPauseMs ?? 100
    this.backoff = opts.backoff ?? { firstMs: 500, maxMs: 10_000 }
    this.now = opts.now ?? Date.now
  }

  async whenReady(): Promise<void> {}

  /** Ms until the writer tries the database again, or 0 when it is not pausing. */
  unavailable(): number {
    return Math.max(0, this.pausedUntil - this.now())
  }

  run<K extends keyof T & string>(name: K, args: TaskArgs<T, K>): Promise<TaskResult<T, K>> {
    if (this.closed) return Promise.reject(new WriterError('writer is closed'))
    const task = this.tasks[name]
    if (!task) return Promise.reject(new WriterError(`expected a registered writer task, got ${name}`))
    if (!isSeamTask(task))
      return Promise.reject(
        new WriterError(
          `expected a seam task, got the SQLite task ${name}: it runs on the writer thread only (docs/ARCHITECTURE.md, "Converting a writer task")`,
        ),
      )
    const input = JSON.parse(JSON.stringify(args ?? null)) as unknown
    this.inFlight++
    const attempt = () => this.backend.transaction((tx) => task(tx, input))
    const done = this.tail.then(async (): Promise<unknown> => {
      try {
        const wait = this.unavailable()
        if (wait > 0)
          throw Object.assign(
            new Error(`the database is unreachable; the writer tries again in ${Math.ceil(wait / 1000)} s`),
            { code: 'STORAGE_UNREACHABLE' },
          )
        let result: unknown
        try {
          try {
            result = await attempt()
          } catch (err) {
            if (!isTransient(err)) throw err
            await Bun.sleep(this.retryPauseMs)
            result = await attempt()
          }
        } catch (err) {
          if (isUnreachable(err)) this.pause()
          throw err
        }
        this.pauseMs = 0
        this.pausedUntil = 0
        return result === undefined ? null : JSON.parse(JSON.stringify(result))
      } catch (err) {
        const code = codeOf(err)
        throw new WriterError(String((err as Error)?.message ?? err), {
          cause: err,
          ...(code !== '' ? { code } : {}),
        })
      } finally {
        this.inFlight--
      }
    })
    // The next task waits for this one, whether it committed or not.
    this.tail = done.catch(() => {})
    return done as Promise<TaskResult<T, K>>
  }

  private pause(): void {
    this.pauseMs = Math.min(this.backoff.maxMs, this.pauseMs === 0 ? this.backoff.firstMs : this.pauseMs * 2)
    this.pausedUntil = this.now() + this.pauseMs
  }

  /** Waits for the tasks already queued; later ones are refused. */
  async close(): Promise<void> {
    this.closed = true
    await this.tail
  }
}
