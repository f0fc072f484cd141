/**
 * The writer's task protocol, and the tasks storage itself contributes.
 *
 * A task is a write of event data with JSON-safe arguments and a JSON-safe result; the
 * writer runs tasks one at a time, in arrival order. Each feature that writes event data
 * declares its tasks in its own `tasks.ts` as a table `{ 'feature.name': fn }`, and the
 * registry at the composition root (src/writer.tasks.ts) spreads those tables into the one
 * the writer serves. The table's type is the protocol: the main side's
 * `writer.run('errors.commit', args)` is checked against the task's parameter and resolves
 * with its (awaited) return type, and a feature's code sees only its own tasks
 * (`TaskRunner<T>`).
 *
 * Two kinds of task share one table while the stores move onto the storage seam
 * (docs/ARCHITECTURE.md, "Converting a writer task"):
 * - a SQLite task `(db, args) => result`, synchronous on the writer thread's bun:sqlite
 *   connection, opening its own transaction if it needs one;
 * - a seam task, `seamTask(async (tx, args) => result)`, written against the storage seam
 *   (backend.ts). The writer runs it inside one transaction of its own (the group commit)
 *   and commits when it resolves: on SQLite in the writer thread, through a SqliteBackend
 *   over the thread's connection; on PostgreSQL through SeamWriter (writer.backend.ts) on
 *   the main thread. Only seam tasks run on PostgreSQL.
 */
import type { Queryable } from './backend'
import type { Db } from './db'

/** One kind of write on the writer thread's bun:sqlite connection. `never` accepts every argument type. */
export type Task<A = never, R = unknown> = (db: Db, args: A) => R

const SEAM: unique symbol = Symbol.for('bloop.writer.seamTask') as never

/** One kind of write over the storage seam: runs inside the transaction the writer opened for it. */
export type SeamTask<A = never, R = unknown> = ((tx: Queryable, args: A) => Promise<R>) & {
  readonly [SEAM]: true
}

/** Marks `fn` as a seam task, so either writer runs it in a transaction of the seam. */
export function seamTask<A, R>(fn: (tx: Queryable, args: A) => Promise<R>): SeamTask<A, R> {
  return Object.assign(fn, { [SEAM]: true as const })
}

export function isSeamTask(t: unknown): t is SeamTask<unknown, unknown> {
  return typeof t === 'function' && (t as { [SEAM]?: unknown })[SEAM] === true
}

export type TaskTable = Record<string, Task | SeamTask>
export type TaskArgs<T extends TaskTable, K extends keyof T> = Parameters<T[K]>[1]
export type TaskResult<T extends TaskTable, K extends keyof T> = Awaited<ReturnType<T[K]>>

/** What a feature holds to run its tasks: the writer, seen through that feature's table. */
export interface TaskRunner<T extends TaskTable> {
  run<K extends keyof T & string>(name: K, args: TaskArgs<T, K>): Promise<TaskResult<T, K>>
}

/** A writer as the server holds it: either backend's, the same to every caller. */
export interface WriterHandle<T extends TaskTable> extends TaskRunner<T> {
  /** Resolves once the writer can take tasks (the thread has opened its connection). */
  whenReady(): Promise<void>
  /** Runs what is queued, refuses what comes later, and releases the writer's resources. */
  close(): Promise<void>
}

/** Free pages in the SQLite file: what `storage.vacuum` returns to the file system. */
async function freePages(tx: Queryable): Promise<number> {
  return (await tx.get<{ freelist_count: number }>('PRAGMA freelist_count'))?.freelist_count ?? 0
}

/**
 * Returns up to `pages` free pages to the file system, one short write transaction.
 * SQLite: PRAGMA incremental_vacuum (the database was created with auto_vacuum =
 * INCREMENTAL, db.ts). PostgreSQL: nothing to do here. Its autovacuum makes deleted rows'
 * space reusable without a lock, VACUUM cannot run inside the transaction a task is, and
 * retention there drops whole receive-day partitions, whose files go at once. Reports how
 * many pages were freed and how many free pages remain (0 and 0 on PostgreSQL, which ends
 * the sweeper's vacuum phase at once).
 */
export async function vacuumStep(
  tx: Queryable,
  a: { pages: number },
): Promise<{ freed: number; remaining: number }> {
  if (tx.kind !== 'sqlite') return { freed: 0, remaining: 0 }
  const before = await freePages(tx)
  if (before === 0) return { freed: 0, remaining: 0 }
  await tx.run(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(a.pages))})`)
  const after = await freePages(tx)
  return { freed: before - after, remaining: after }
}

export const storageTasks = {
  /**
   * Proves the writer can write: it opens its transaction (SQLite's BEGIN IMMEDIATE takes
   * the write lock; PostgreSQL's a pooled connection that answers) and commits nothing (health).
   */
  'storage.ping': seamTask(async (tx, _args: Record<string, never>): Promise<{ ok: true }> => {
    await tx.get('SELECT 1 AS ok')
    return { ok: true }
  }),
  /** Returns free pages to the file system after retention deletes (see vacuumStep). */
  'storage.vacuum': seamTask(vacuumStep),
} satisfies TaskTable

export type StorageTasks = typeof storageTasks
