/**
 * Entry point of the checkpointer thread. The writer commits with automatic checkpoints
 * turned down (`wal_autocheckpoint` raised to a safety limit), and this thread copies
 * committed WAL frames into the database file with `PRAGMA wal_checkpoint(PASSIVE)` a few
 * times a second. PASSIVE never takes the write lock, so the writer keeps committing while
 * the database file is written and synced here. `npm run bench -- commit` measures the
 * writer's cost per event with checkpoints inside its commits and here (docs/benchmarks.md).
 */
import { type Db, openDatabase } from './db'

declare const self: Worker

interface Init {
  type: 'init'
  dbPath: string
  intervalMs: number
}

let db: Db | null = null
let timer: Timer | null = null

self.onmessage = (ev: MessageEvent<Init | { type: 'close' }>) => {
  const msg = ev.data
  if (msg.type === 'init') {
    db = openDatabase(msg.dbPath)
    timer = setInterval(() => {
      try {
        db?.run('PRAGMA wal_checkpoint(PASSIVE)')
      } catch (err) {
        postMessage({ type: 'error', error: String((err as Error).message) })
      }
    }, msg.intervalMs)
    postMessage({ type: 'ready' })
    return
  }
  if (timer) clearInterval(timer)
  try {
    db?.run('PRAGMA wal_checkpoint(PASSIVE)')
    db?.close()
  } finally {
    db = null
    postMessage({ type: 'closed' })
  }
}
