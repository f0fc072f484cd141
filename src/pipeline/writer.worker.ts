/**
 * Entry point of the writer thread: the only connection that writes event data. It runs
 * one task at a time, in arrival order; a failed task is retried once after a short pause
 * (a busy database or a transient I/O error) before its error is reported back.
 */
import { WRITER_CHECKPOINT_PAGES } from '../storage/checkpointer'
import { type Db, openDatabase } from '../storage/db'
import { TASKS, type TaskKind } from './tasks'

declare const self: Worker

interface InitMessage {
  type: 'init'
  dbPath: string
  busyTimeoutMs: number
}
interface TaskMessage {
  type: 'task'
  id: number
  kind: TaskKind
  /** JSON text of the task's arguments. */
  args: string
}
interface CloseMessage {
  type: 'close'
  id: number
}

let db: Db | null = null

const run = (kind: TaskKind, args: unknown) =>
  (TASKS[kind] as (db: Db, a: unknown) => unknown)(db as Db, args)

self.onmessage = (ev: MessageEvent<InitMessage | TaskMessage | CloseMessage>) => {
  const msg = ev.data
  if (msg.type === 'init') {
    try {
      db = openDatabase(msg.dbPath, { busyTimeoutMs: msg.busyTimeoutMs })
      // Checkpoints run on their own thread (storage/checkpointer.ts); this is only the safety limit.
      db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
      postMessage({ type: 'ready' })
    } catch (err) {
      postMessage({ type: 'fatal', error: String((err as Error).message) })
    }
    return
  }
  if (msg.type === 'close') {
    try {
      db?.run('PRAGMA wal_checkpoint(PASSIVE)')
      db?.close()
    } finally {
      db = null
      postMessage({ type: 'result', id: msg.id, ok: true, result: null })
    }
    return
  }
  let lastError: unknown
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const result = run(msg.kind, JSON.parse(msg.args))
      postMessage({
        type: 'result',
        id: msg.id,
        ok: true,
        result: result === undefined ? undefined : JSON.stringify(result),
      })
      return
    } catch (err) {
      lastError = err
      if (attempt === 0) Bun.sleepSync(100)
    }
  }
  postMessage({
    type: 'result',
    id: msg.id,
    ok: false,
    error: String((lastError as Error)?.message ?? lastError),
  })
}
