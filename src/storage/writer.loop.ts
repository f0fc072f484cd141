/**
 * The writer thread's loop: the only connection that writes event data. It serves the
 * task table it is given (src/writer.worker.ts passes the registry of every feature's
 * tasks), one task at a time, in arrival order; a failed task is retried once after a
 * short pause (a busy database or a transient I/O error) before its error is reported.
 *
 * Arrival order is what makes the writer fair between queues: every BatchQueue keeps at
 * most one batch here at a time (see queue.ts), so a task that arrives waits for at most
 * the one task of each other source that is ahead of it, never for a backlog.
 */
import { WRITER_CHECKPOINT_PAGES } from './checkpointer'
import { type Db, openDatabase } from './db'
import type { TaskTable } from './tasks'
import type { FailedTask, FromWriter, ToWriter } from './writer.protocol'

declare const self: Worker

const send = (m: FromWriter) => postMessage(m)

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

  const run = (name: string, args: unknown) => {
    const task = tasks[name] as ((db: Db, a: unknown) => unknown) | undefined
    if (!task) throw new Error(`expected a registered writer task, got ${name}`)
    return task(db as Db, args)
  }

  self.onmessage = (ev: MessageEvent<ToWriter>) => {
    const msg = ev.data
    if (msg.type === 'init') {
      try {
        db = openDatabase(msg.dbPath, { busyTimeoutMs: msg.busyTimeoutMs })
        // Checkpoints run on their own thread (checkpointer.ts); this is only the safety limit.
        db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
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
        send({ type: 'result', id: msg.id, ok: true })
      }
      return
    }
    let lastError: unknown
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const result = run(msg.name, JSON.parse(msg.args))
        send({
          type: 'result',
          id: msg.id,
          ok: true,
          ...(result === undefined ? {} : { result: JSON.stringify(result) }),
        })
        return
      } catch (err) {
        lastError = err
        if (attempt === 0) Bun.sleepSync(100)
      }
    }
    send({ type: 'result', id: msg.id, ok: false, error: failure(lastError) })
  }
}
