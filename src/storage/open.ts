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
import type { Backend } from './backend'
import { type Db, openDatabase } from './db'
import { PostgresBackend, redactUrl } from './postgres'
import { SqliteBackend } from './sqlite'

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

/** The database.* keys the PostgreSQL backend reads. */
export interface PostgresConfig {
  url: string
  pool_size: number
  statement_timeout_ms: number
  connect_timeout_secs: number
  tls: string
  tls_ca_file: string
}

/** Bun.sql's and the server's failures as what an operator should check. */
export function postgresProblem(
  err: unknown,
  c: Pick<PostgresConfig, 'url' | 'connect_timeout_secs' | 'tls'>,
): string {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown }
  const where = redactUrl(c.url)
  let host = 'the server'
  let user = ''
  let db = ''
  try {
    const u = new URL(c.url)
    host = `${u.hostname}:${u.port || '5432'}`
    user = decodeURIComponent(u.username)
    db = decodeURIComponent(u.pathname.slice(1))
  } catch {}
  const code = String(e?.code ?? '')
  const sqlstate = String(e?.errno ?? '')
  const fix = 'database.url (BLOOP__DATABASE__URL)'
  if (code === 'ERR_POSTGRES_CONNECTION_REFUSED' || code === 'ECONNREFUSED')
    return `cannot connect to PostgreSQL at ${host}: connection refused; check that PostgreSQL runs and listens on that address (listen_addresses, port) and that ${fix} names it (${where})`
  if (code === 'ERR_POSTGRES_CONNECTION_TIMEOUT')
    return `cannot connect to PostgreSQL at ${host}: no answer within ${c.connect_timeout_secs} s; check the host name, the network and firewalls between here and the server (${where})`
  if (
    code === 'ERR_POSTGRES_TLS_NOT_AVAILABLE' ||
    code === 'ERR_POSTGRES_TLS_UPGRADE_FAILED' ||
    /CERT|SSL|TLS/.test(code)
  )
    return `cannot open a TLS connection to PostgreSQL at ${host} (${code}); check database.tls (${c.tls}) and database.tls_ca_file against the server's ssl settings`
  if (sqlstate === '28P01' || sqlstate === '28000')
    return `PostgreSQL at ${host} refused user "${user}": ${String(e?.message ?? 'authentication failed')}; check the user and password in ${fix} and pg_hba.conf`
  if (sqlstate === '3D000')
    return `PostgreSQL at ${host} has no database "${db}"; create it (createdb -O ${user || '<user>'} ${db}) or fix ${fix}`
  if (sqlstate === '57P03')
    return `PostgreSQL at ${host} is starting up or shutting down; start bloop again once it accepts connections`
  if (code === 'ERR_POSTGRES_CONNECTION_CLOSED' || code === 'ERR_POSTGRES_CONNECTION_FAILED')
    return `PostgreSQL at ${host} closed the connection before bloop could sign in; check the server's log and that ${fix} points at PostgreSQL (${where})`
  return `cannot use PostgreSQL at ${host}: ${String(e?.message ?? err)}; check ${fix} (${where})`
}

/** Connects to PostgreSQL and proves it answers; a failure is a StartupError saying what to check. */
export async function openPostgres(c: PostgresConfig): Promise<PostgresBackend> {
  let backend: PostgresBackend
  try {
    backend = new PostgresBackend({
      url: c.url,
      max: c.pool_size,
      statementTimeoutMs: c.statement_timeout_ms,
      connectTimeoutSecs: c.connect_timeout_secs,
      tls: c.tls,
      tlsCaFile: c.tls_ca_file,
    })
  } catch (err) {
    throw new StartupError(postgresProblem(err, c))
  }
  try {
    await backend.ping()
  } catch (err) {
    await backend.close().catch(() => {})
    throw new StartupError(postgresProblem(err, c))
  }
  return backend
}

/** The configured backend: PostgreSQL when database.url is set, else SQLite at database.path. */
export async function openBackend(c: PostgresConfig & { path: string }): Promise<Backend> {
  if (c.url !== '') return openPostgres(c)
  return new SqliteBackend(openStorage(c.path))
}

/**
 * What stands for SQLite's connection (`Core.db`) when the server runs on PostgreSQL:
 * there is no SQLite database, and any use is a feature that was not converted to the
 * storage seam, which the startup gate and the Feature type already keep out. It fails
 * loudly, naming the fix, instead of quietly writing a stray SQLite file.
 */
export function noSqliteOnPostgres(): Db {
  return new Proxy({} as Db, {
    get(_target, prop) {
      // Promise resolution and inspection look for these; they are not uses.
      if (prop === 'then' || typeof prop === 'symbol') return undefined
      throw new Error(
        `expected no use of Core.db on PostgreSQL, got db.${String(prop)}: this code still runs on SQLite's connection; move it to the storage seam (core.backend, docs/ARCHITECTURE.md "Converting a store")`,
      )
    },
  })
}
