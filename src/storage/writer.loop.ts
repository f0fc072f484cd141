/**
 * The writer thread's loop: the only connection that writes event data. It serves the
 * task table it is given (src/writer.worker.ts passes the registry of every feature's
 * tasks), one task at a time, in arrival order; a failed task is retried once after a
 * short pause (a busy database or a transient I/O error) before its error is reported.
 * Both kinds of task (tasks.ts) run here: a SQLite task on the thread's connection, a
 * seam task in one transaction of a SqliteBackend over that same connection, the next
 * message waiting until its transaction has ended.
 *
 * Arrival order is what makes the writer fair between queues: every BatchQueue keeps at
 * most one batch here at a time (see queue.ts), so a task that arrives waits for at most
 * the one task of each other source that is ahead of it, never for a backlog.
 */
import { WRITER_CHECKPOINT_PAGES } from './checkpointer'
import { type Db, openDatabase } from './db'
import { SqliteBackend } from './sqlite'
import { isSeamTask, type SeamTask, type Task, type TaskTable } from './tasks'
import type { FailedTask, FromWriter, ToWriter } from './writer.protocol'

declare const self: Worker

const send = (m: FromWriter) => postMessage(m)

/** The pause before a failed task's one retry. */
const RETRY_PAUSE_MS = 100

function failure(err: unknown): FailedTask {
  const e = err as { message?: unknown; name?: unknown; code?: unknown }
  return {
    message: String(e?.message ?? err),
    name: typeof e?.name === 'string' ? e.name : 'Error',
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  }
}

/** Starts serving `tasks` on this worker thread. */
export function serveWriter(tasks: TaskTable): void {
  let db: Db | null = null
  let backend: SqliteBackend | null = null
  // A seam task awaits; messages that arrive meanwhile wait here, so tasks still run one
  // at a time in arrival order. A SQLite task with nothing ahead of it runs at once, in
  // the same turn of the event loop as its message, as it always did.
  const backlog: ToWriter[] = []
  let busy = false

  const taskOf = (name: string) => {
    const task = tasks[name]
    if (!task) throw new Error(`expected a registered writer task, got ${name}`)
    return task
  }

  const ok = (id: number, result: unknown) =>
    send({
      type: 'result',
      id,
      ok: true,
      ...(result === undefined ? {} : { result: JSON.stringify(result) }),
    })

  /** A SQLite task: synchronous, retried once after a pause (a busy database, a transient I/O error). */
  const runSqlite = (id: number, task: Task<unknown>, args: unknown) => {
    let lastError: unknown
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return ok(id, task(db as Db, args))
      } catch (err) {
        lastError = err
        if (attempt === 0) Bun.sleepSync(RETRY_PAUSE_MS)
      }
    }
    send({ type: 'result', id, ok: false, error: failure(lastError) })
  }

  /** A seam task: in one transaction of the thread's SqliteBackend, retried once as a SQLite task is. */
  const runSeam = async (id: number, task: SeamTask<unknown>, args: unknown) => {
    const b = backend as SqliteBackend
    let lastError: unknown
    for (let attempt = 0; attempt < 2; attempt++) {
      let result: unknown
      try {
        result = await b.transaction((tx) => task(tx, args))
      } catch (err) {
        lastError = err
        if (attempt === 0) await Bun.sleep(RETRY_PAUSE_MS)
        continue
      }
      // Committed: never run again, whatever happens to its answer.
      try {
        return ok(id, result)
      } catch (err) {
        return send({ type: 'result', id, ok: false, error: failure(err) })
      }
    }
    send({ type: 'result', id, ok: false, error: failure(lastError) })
  }

  /** Handles one message; a promise when it must be awaited before the next one. */
  const handle = (msg: ToWriter): Promise<void> | undefined => {
    if (msg.type === 'init') {
      try {
        db = openDatabase(msg.dbPath, { busyTimeoutMs: msg.busyTimeoutMs })
        // Checkpoints run on their own thread (checkpointer.ts); this is only the safety limit.
        db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
        backend = new SqliteBackend(db)
        send({ type: 'ready' })
      } catch (err) {
        send({ type: 'fatal', error: String((err as Error).message) })
      }
      return
    }
    if (msg.type === 'close') {
      try {
        db?.run('PRAGMA wal_checkpoint(PASSIVE)')
        db?.close()
      } finally {
        db = null
        backend = null
        send({ type: 'result', id: msg.id, ok: true })
      }
      return
    }
    let task: Task | SeamTask
    let args: unknown
    try {
      task = taskOf(msg.name)
      args = JSON.parse(msg.args)
    } catch (err) {
      send({ type: 'result', id: msg.id, ok: false, error: failure(err) })
      return
    }
    if (isSeamTask(task)) return runSeam(msg.id, task, args)
    runSqlite(msg.id, task as Task<unknown>, args)
  }

  const drain = async () => {
    busy = true
    try {
      for (let msg = backlog.shift(); msg !== undefined; msg = backlog.shift()) await handle(msg)
    } finally {
      busy = false
    }
  }

  self.onmessage = (ev: MessageEvent<ToWriter>) => {
    if (busy) {
      backlog.push(ev.data)
      return
    }
    const pending = handle(ev.data)
    if (pending) {
      busy = true
      void pending.then(drain, drain)
    }
  }
}
