/**
 * One server per data directory. Two servers on one database would each run a writer, a
 * retention sweeper and an analytics copy, and fight over the DuckDB file; the second
 * must be refused at start, naming the first.
 *
 * The lock is a tiny SQLite file, `bloop.lock`, in the data directory, in rollback-journal
 * mode: the server writes its pid into it, then opens a `BEGIN IMMEDIATE` transaction and
 * keeps it open for its whole life. That holds SQLite's RESERVED lock, an fcntl lock the
 * kernel drops when the process dies however it dies, so a `kill -9` leaves no stale lock
 * to clean up (a pid file would need liveness checks and could be fooled by pid reuse).
 * RESERVED still lets others read, so a second server reads who holds it for its message.
 *
 * Only `serve` takes the lock; the other CLI commands use the database beside a running
 * server, as SQLite's own locking allows. bun:sqlite is used directly here (not through
 * db.ts) because this file must not be in WAL mode: WAL readers and writers do not block
 * each other the way this lock needs.
 */
import { Database } from 'bun:sqlite'
import { chmodSync, existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { StartupError, whyNotWritable, writableDirFix } from '../ops/problems'

export const LOCK_FILE = 'bloop.lock'

export interface ServeLock {
  path: string
  /** Ends the transaction and closes the file; safe to call twice. */
  release(): void
}

interface Holder {
  pid: number
  started_at: number
  host: string
  cwd: string
}

const isBusy = (err: unknown) => String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY')

export function acquireServeLock(dataDir: string, now = Date.now()): ServeLock {
  const path = join(dataDir, LOCK_FILE)
  const isNew = !existsSync(path)
  let db: Database
  try {
    db = new Database(path, { create: true, strict: true })
    // Never wait: a held lock is an answer, not a passing contention.
    db.run('PRAGMA busy_timeout = 0')
    if (isNew) chmodSync(path, 0o600)
  } catch (err) {
    const why = whyNotWritable(dataDir) ?? (err as Error).message
    throw new StartupError(`cannot create the lock file ${path}: ${why}; ${writableDirFix(dataDir)}`, {
      cause: err,
    })
  }
  try {
    db.run('BEGIN IMMEDIATE')
    db.run(
      'CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, started_at INTEGER NOT NULL, host TEXT NOT NULL, cwd TEXT NOT NULL)',
    )
    db.query('INSERT OR REPLACE INTO holder (id, pid, started_at, host, cwd) VALUES (1, ?, ?, ?, ?)').run(
      process.pid,
      now,
      hostname(),
      process.cwd(),
    )
    db.run('COMMIT')
    // Committed so that a refused server can read it; now hold the write lock for good.
    db.run('BEGIN IMMEDIATE')
  } catch (err) {
    if (db.inTransaction) db.run('ROLLBACK')
    if (!isBusy(err)) {
      db.close()
      throw err
    }
    const holder = readHolder(db)
    db.close()
    throw refused(dataDir, holder)
  }
  let released = false
  return {
    path,
    release() {
      if (released) return
      released = true
      if (db.inTransaction) db.run('ROLLBACK')
      db.close()
    },
  }
}

function readHolder(db: Database): Holder | null {
  try {
    return db.query<Holder, []>('SELECT pid, started_at, host, cwd FROM holder WHERE id = 1').get()
  } catch {
    return null
  }
}

function refused(dataDir: string, h: Holder | null): StartupError {
  const who = h
    ? `pid ${h.pid} on ${h.host}, started ${new Date(h.started_at).toISOString()} in ${h.cwd}`
    : 'another process'
  return new StartupError(
    `another bloop server (${who}) is using the data directory ${dataDir}; ` +
      'stop it first, or give this one its own database.path (BLOOP__DATABASE__PATH)',
  )
}
