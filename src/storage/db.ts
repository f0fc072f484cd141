/**
 * The only importer of bun:sqlite. Opens a connection with the pragmas every connection
 * needs (foreign keys and busy timeout are per connection, so they are set on each one).
 *
 * Two connections exist in a running server: the writer thread's (event data, retention)
 * and the main thread's (reads, plus small administrative writes such as projects and
 * tokens). WAL lets the main thread read while the writer commits.
 */
import { Database } from 'bun:sqlite'
import { existsSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { makePrivateDir, makePrivateFile, PRIVATE_FILE_MODE } from './private'

export type Db = Database
export type { SQLQueryBindings, Statement } from 'bun:sqlite'

export interface OpenOptions {
  /** Milliseconds a connection waits for the write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number
}

export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const isNew = path !== ':memory:' && !existsSync(path)
  if (isNew) {
    makePrivateDir(dirname(path))
    // Created empty (an empty file is an empty database) and private before SQLite opens
    // it: the -wal and -shm files SQLite makes next take the database file's mode. An
    // existing database keeps the modes its operator gave it.
    writeFileSync(path, '', { flag: 'a', mode: PRIVATE_FILE_MODE })
    makePrivateFile(path)
  }
  const db = new Database(path, { create: true, strict: true })
  // First, so that even the next pragma waits for a connection that is still closing (a
  // restart in the same process) instead of failing at once with SQLITE_BUSY.
  db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`)
  // Must precede the first table: retention frees pages with `PRAGMA incremental_vacuum`
  // instead of a blocking full VACUUM. A no-op on an existing database.
  db.run('PRAGMA auto_vacuum = INCREMENTAL')
  db.run('PRAGMA journal_mode = WAL')
  // NORMAL in WAL mode: a commit survives a process crash (kill -9); only an OS crash or
  // power loss can lose the last transactions. That is the durability acknowledged to clients.
  db.run('PRAGMA synchronous = NORMAL')
  db.run('PRAGMA foreign_keys = ON')
  db.run('PRAGMA temp_store = MEMORY')
  db.run('PRAGMA cache_size = -16000')
  if (isNew) for (const suffix of ['-wal', '-shm']) makePrivateFile(path + suffix)
  return db
}

/**
 * A read-only connection to an existing database (a long consistent read beside the
 * server's connections, e.g. the analytics rebuild). Sets no persistent pragmas, so it
 * never needs the write lock; waits up to `busyTimeoutMs` for a lock like the others.
 */
export function openReadOnly(path: string, busyTimeoutMs = 5000): Db {
  const db = new Database(path, { readonly: true, strict: true })
  db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
  return db
}

/**
 * `?, ?, ?` for `n` bound values, for `IN (...)` lists and column lists: the values
 * themselves are always bound, never spliced into the SQL.
 */
export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ')
