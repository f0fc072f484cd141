/**
 * The writer's task protocol, and the tasks storage itself contributes.
 *
 * A task is a function of the writer's connection and JSON-safe arguments that returns a
 * JSON-safe result; it runs on the writer thread, one at a time. Each feature that writes
 * event data declares its tasks in its own `tasks.ts` as a table `{ 'feature.name': fn }`,
 * and the registry at the composition root (src/writer.tasks.ts) spreads those tables into
 * the one the writer thread serves. The table's type is the protocol: the main side's
 * `writer.run('errors.commit', args)` is checked against the task's parameter and resolves
 * with its return type, and a feature's code sees only its own tasks (`TaskRunner<T>`).
 */
import type { Db } from './db'

/** One kind of write on the writer thread. `never` accepts every argument type. */
export type Task<A = never, R = unknown> = (db: Db, args: A) => R
export type TaskTable = Record<string, Task>
export type TaskArgs<T extends TaskTable, K extends keyof T> = Parameters<T[K]>[1]
export type TaskResult<T extends TaskTable, K extends keyof T> = ReturnType<T[K]>

/** What a feature holds to run its tasks: the writer, seen through that feature's table. */
export interface TaskRunner<T extends TaskTable> {
  run<K extends keyof T & string>(name: K, args: TaskArgs<T, K>): Promise<TaskResult<T, K>>
}

/**
 * Returns up to `pages` free pages to the file system (PRAGMA incremental_vacuum), one
 * short write transaction; the database was created with auto_vacuum = INCREMENTAL
 * (db.ts). Reports how many pages were freed and how many free pages remain.
 */
export function vacuumStep(db: Db, a: { pages: number }): { freed: number; remaining: number } {
  const free = () => (db.query('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count
  const before = free()
  if (before === 0) return { freed: 0, remaining: 0 }
  db.run(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(a.pages))})`)
  const after = free()
  return { freed: before - after, remaining: after }
}

export const storageTasks = {
  /** Proves the writer can take the write lock: BEGIN IMMEDIATE then ROLLBACK (health). */
  'storage.ping': (db: Db, _args: Record<string, never>): { ok: true } => {
    db.run('BEGIN IMMEDIATE')
    db.run('ROLLBACK')
    return { ok: true }
  },
  /** PRAGMA incremental_vacuum of up to `pages` free pages (after retention deletes). */
  'storage.vacuum': (db: Db, a: { pages: number }) => vacuumStep(db, a),
} satisfies TaskTable

export type StorageTasks = typeof storageTasks
