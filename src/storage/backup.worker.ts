/**
 * Entry point of the backup thread: `VACUUM INTO` blocks the thread that runs it for as
 * long as the copy takes, so it runs here while the main thread reports progress (the
 * growing size of the output file). See backup.ts for the contract.
 */
import { openReadOnly } from './db'

declare const self: Worker

export interface BackupJob {
  source: string
  target: string
}

self.onmessage = (ev: MessageEvent<BackupJob>) => {
  const { source, target } = ev.data
  try {
    // Read-only: the snapshot is one read transaction, so it never takes the write lock
    // and the server's writer keeps committing while the copy is made.
    const db = openReadOnly(source, 10_000)
    try {
      const pageSize = (db.query('PRAGMA page_size').get() as { page_size: number }).page_size
      const pages = (db.query('PRAGMA page_count').get() as { page_count: number }).page_count
      const free = (db.query('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count
      postMessage({ type: 'start', estimate: (pages - free) * pageSize })
      db.query('VACUUM INTO ?').run(target)
    } finally {
      db.close()
    }
    // Read back what was written before anyone relies on it.
    const copy = openReadOnly(target)
    try {
      const rows = copy.query('PRAGMA quick_check').all() as { quick_check: string }[]
      const check = rows.map((r) => r.quick_check).join('; ')
      const events = (copy.query('SELECT count(*) AS n FROM raw_events').get() as { n: number }).n
      postMessage({ type: 'done', check, events })
    } finally {
      copy.close()
    }
  } catch (err) {
    postMessage({ type: 'failed', error: (err as Error).message, code: (err as { code?: string }).code })
  }
}
