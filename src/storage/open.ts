/**
 * Opening the configured database as an operator sees it: `openStorage` is `openDatabase`
 * with its failures explained (a data directory that cannot be created or written, a file
 * that is not a database, a full disk) as one-line StartupErrors naming the path and the
 * fix. `requireExistingDatabase` is what every command but `serve` and `migrate` checks
 * first, so that running the CLI in the wrong directory does not quietly create an empty
 * database (and a new secret) there.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fsProblem, runningAs, StartupError, whyNotWritable, writableDirFix } from '../ops/problems'
import { type Db, openDatabase } from './db'

/** SQLite result codes an operator can act on, with what to say about them. */
function sqliteProblem(code: string, path: string): string | null {
  const dir = dirname(path)
  switch (code) {
    case 'SQLITE_CANTOPEN':
      return `cannot open the database ${path}: ${whyNotWritable(dir) ?? 'SQLite could not open or create it'}; ${writableDirFix(dir)}`
    case 'SQLITE_READONLY':
      return `the database ${path} is read-only for ${runningAs()}: make the file and ${dir} writable by that user`
    case 'SQLITE_NOTADB':
      return `${path} is not a SQLite database: point database.path at bloop's database, or move the file away to start a new one`
    case 'SQLITE_CORRUPT':
      return `the database ${path} is damaged (${code}): stop bloop and restore the last backup (see "Backup and restore" in the README)`
    case 'SQLITE_FULL':
      return `cannot write the database ${path}: the disk is full; free space on the file system of ${dir}`
    case 'SQLITE_IOERR':
      return `cannot read or write the database ${path}: input/output error; check the disk and the file system of ${dir}`
    default:
      return null
  }
}

/** `openDatabase`, with an operator's failures turned into StartupErrors. */
export function openStorage(path: string): Db {
  const file = resolve(path)
  try {
    return openDatabase(file)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    // Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DIRECTORY) share their primary's advice.
    const primary = typeof code === 'string' ? code.match(/^SQLITE_[A-Z]+/)?.[0] : undefined
    const sqlite = primary ? sqliteProblem(primary, file) : null
    if (sqlite) throw new StartupError(sqlite)
    // The database file is created before SQLite opens it: with the directory in place, a
    // refusal is about the file, otherwise about making the directory.
    const dir = dirname(file)
    const problem = existsSync(dir)
      ? fsProblem(err, 'cannot open the database', file, writableDirFix(dir))
      : fsProblem(err, 'cannot create the data directory', dir, writableDirFix(dir))
    throw problem ?? err
  }
}

/** For commands that must find the server's database, never create one. */
export function requireExistingDatabase(path: string): void {
  const file = resolve(path)
  if (existsSync(file)) return
  throw new StartupError(
    `no database at ${file}; run from the server's directory or pass --config (database.path picks the file)`,
  )
}
