/**
 * A private PostgreSQL cluster for one test file: `startPg()` runs initdb into a temporary
 * directory and starts the server on a free loopback port (and a unix socket in that
 * directory); `stop()` stops it and removes the directory. Each test takes a fresh
 * database from it (`createDatabase()`), so tests never see each other's rows.
 *
 * The binaries are Debian's (`apt-get install postgresql`, which `.ci/run` does): found
 * through BLOOP_TEST_PG_BIN, `pg_config --bindir`, /usr/lib/postgresql/<newest>/bin or
 * PATH. PostgreSQL refuses to run as root, so under root (CI containers, this machine)
 * the cluster belongs to the `postgres` user the Debian package creates, and initdb and
 * pg_ctl run through `runuser`.
 */

import { afterAll, beforeAll } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'
import { MIGRATIONS } from '../src/features'
import type { Backend } from '../src/storage/backend'
import { openDatabase } from '../src/storage/db'
import { migrate, migratePostgres } from '../src/storage/migrate'
import { openPostgres } from '../src/storage/open'
import { PostgresBackend } from '../src/storage/postgres'
import { SqliteBackend } from '../src/storage/sqlite'

export interface PgCluster {
  /** postgres://bloop@127.0.0.1:<port>/postgres: the maintenance database. */
  url: string
  port: number
  /** The server's data directory (its postmaster.pid names the postmaster: the benchmarks count its CPU). */
  data: string
  /** A new empty database; its URL. */
  createDatabase(name?: string): Promise<string>
  /** Runs SQL as the superuser on the maintenance database. */
  admin(sql: string): Promise<unknown[]>
  /** Stops the server as a crash would (`immediate`) or a shutdown (`fast`), keeping its data. */
  halt(mode: 'immediate' | 'fast'): void
  /** Starts a halted server again on the same port. */
  resume(): void
  stop(): Promise<void>
}

const SUPERUSER = 'bloop'

function binDir(): string {
  const fromEnv = process.env.BLOOP_TEST_PG_BIN
  if (fromEnv) return fromEnv
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (pgConfig.status === 0 && existsSync(join(pgConfig.stdout.trim(), 'initdb')))
    return pgConfig.stdout.trim()
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(debian, versions[0], 'bin')
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' })
  if (which.status === 0) return join(which.stdout.trim(), '..')
  throw new Error(
    'expected PostgreSQL binaries (initdb, pg_ctl): install them with `apt-get install postgresql` (.ci/run does) or set BLOOP_TEST_PG_BIN',
  )
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

const isRoot = process.getuid?.() === 0

function run(bin: string, args: string[]): void {
  const cmd = isRoot ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args]
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', cwd: tmpdir() })
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`)
}

let counter = 0

export async function startPg(): Promise<PgCluster> {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), 'bloop-pg-'))
  const owner = { uid: -1, gid: -1 }
  if (isRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    if (pw.status !== 0) throw new Error('running as root needs the postgres user of the Debian package')
    owner.uid = Number(pw.stdout.trim())
    owner.gid = Number(gid.stdout.trim())
    chownSync(dir, owner.uid, owner.gid)
  }
  const data = join(dir, 'data')
  run(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    SUPERUSER,
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ])
  // The helper's own superuser is trusted on loopback; every other user signs in with a
  // password, as on a real server (the wrong-password test needs it).
  const hba = join(data, 'pg_hba.conf')
  writeFileSync(
    hba,
    [
      'local all all trust',
      `host all ${SUPERUSER} 127.0.0.1/32 trust`,
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  )
  if (isRoot) chownSync(hba, owner.uid, owner.gid)
  // fsync stays on: the reliability tests rely on what a commit promises.
  let port = 0
  let opts = ''
  const startServer = () =>
    run(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'])
  // Another process may take the free port before the server binds it: try another one.
  for (let attempt = 1; ; attempt++) {
    port = freePort()
    opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`
    try {
      startServer()
      break
    } catch (err) {
      if (attempt === 3) throw err
    }
  }
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`
  const adminSql = new SQL(url, { max: 1 })
  let stopped = false
  const stopNow = () => {
    if (stopped) return
    stopped = true
    try {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {}
    rmSync(dir, { recursive: true, force: true })
  }
  // A test process that dies without its afterAll still takes its server with it.
  process.once('exit', stopNow)
  return {
    url,
    port,
    data,
    async createDatabase(name = `t${process.pid}_${++counter}`) {
      await adminSql.unsafe(`CREATE DATABASE ${name}`)
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`
    },
    admin: (sql) => adminSql.unsafe(sql) as Promise<unknown[]>,
    halt: (mode) => run(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', 'stop']),
    resume: startServer,
    async stop() {
      await adminSql.close({ timeout: 0 })
      process.off('exit', stopNow)
      stopNow()
    },
  }
}

/** A table as both schemas are compared: columns, primary key and indexes, normalised. */
export interface TableShape {
  columns: Record<string, { type: 'int' | 'text' | 'real' | 'blob'; notnull: boolean }>
  pk: string[]
  /** By name; a UNIQUE constraint's index, whose name each database makes up, as `unique(a,b)`. */
  indexes: Record<string, { unique: boolean; partial: boolean; columns: string[] }>
}

export type SchemaShape = Record<string, TableShape>

const sqliteClass = (t: string): TableShape['columns'][string]['type'] => {
  const u = t.toUpperCase()
  if (u.includes('INT')) return 'int'
  if (u.includes('REAL') || u.includes('FLOA') || u.includes('DOUB')) return 'real'
  if (u.includes('BLOB')) return 'blob'
  return 'text'
}

const pgClass = (t: string): TableShape['columns'][string]['type'] => {
  if (/int/.test(t)) return 'int'
  if (/double|real|numeric/.test(t)) return 'real'
  if (t === 'bytea') return 'blob'
  return 'text'
}

/** The shape of every table of a SQLite database (fts5 shadow tables left out). */
export function sqliteShape(db: import('bun:sqlite').Database): SchemaShape {
  const tables = db
    .query<{ name: string; type: string }, []>(
      "SELECT name, type FROM pragma_table_list WHERE schema = 'main'",
    )
    .all()
    .filter((t) => (t.type === 'table' || t.type === 'virtual') && !t.name.startsWith('sqlite_'))
  const out: SchemaShape = {}
  for (const { name } of tables) {
    const cols = db
      .query<{ name: string; type: string; notnull: number; pk: number }, []>(`PRAGMA table_info("${name}")`)
      .all()
    const pk = cols
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name)
    const shape: TableShape = { columns: {}, pk, indexes: {} }
    for (const c of cols)
      shape.columns[c.name] = { type: sqliteClass(c.type), notnull: c.notnull === 1 || c.pk > 0 }
    const idx = db
      .query<{ name: string; unique: number; origin: string; partial: number }, []>(
        `PRAGMA index_list("${name}")`,
      )
      .all()
    for (const i of idx) {
      if (i.origin === 'pk') continue
      const keys = db
        .query<{ name: string | null; desc: number; key: number }, []>(`PRAGMA index_xinfo("${i.name}")`)
        .all()
        .filter((k) => k.key === 1)
        .map((k) => `${k.name ?? '<expr>'}${k.desc ? ' desc' : ''}`)
      const key = i.origin === 'u' ? `unique(${keys.join(',')})` : i.name
      shape.indexes[key] = { unique: i.unique === 1, partial: i.partial === 1, columns: keys }
    }
    out[name] = shape
  }
  return out
}

/** The same shape from a PostgreSQL database (partitions are their parent). */
export async function postgresShape(sql: SQL): Promise<SchemaShape> {
  const tables = (await sql.unsafe(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
  )) as { oid: number; name: string }[]
  const out: SchemaShape = {}
  for (const t of tables) {
    const cols = (await sql.unsafe(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull, attnum::int AS num
       FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [t.oid],
    )) as { name: string; type: string; notnull: boolean; num: number }[]
    const byNum = new Map(cols.map((c) => [c.num, c.name]))
    const pkRow = (await sql.unsafe(
      "SELECT array_to_string(conkey, ',') AS k FROM pg_constraint WHERE conrelid = $1 AND contype = 'p'",
      [t.oid],
    )) as { k: string }[]
    const pk = pkRow[0] ? pkRow[0].k.split(',').map((n) => byNum.get(Number(n)) as string) : []
    const shape: TableShape = { columns: {}, pk, indexes: {} }
    for (const c of cols) shape.columns[c.name] = { type: pgClass(c.type), notnull: c.notnull }
    const idx = (await sql.unsafe(
      `SELECT ic.relname AS name, i.indisunique AS unique, i.indisprimary AS primary, i.indpred IS NOT NULL AS partial,
              array_to_string(i.indkey, ',') AS keys, array_to_string(i.indoption, ',') AS options,
              i.indnkeyatts::int AS nkeys,
              EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u') AS constraint
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1`,
      [t.oid],
    )) as {
      name: string
      unique: boolean
      primary: boolean
      partial: boolean
      keys: string
      options: string
      nkeys: number
      constraint: boolean
    }[]
    for (const i of idx) {
      if (i.primary) continue
      const options = i.options.split(',').map(Number)
      const keys = i.keys
        .split(' ')
        .join(',')
        .split(',')
        .slice(0, i.nkeys)
        .map(
          (n, k) => `${n === '0' ? '<expr>' : byNum.get(Number(n))}${(options[k] ?? 0) & 1 ? ' desc' : ''}`,
        )
      const key = i.constraint ? `unique(${keys.join(',')})` : i.name
      shape.indexes[key] = { unique: i.unique, partial: i.partial, columns: keys }
    }
    out[t.name] = shape
  }
  return out
}

export const BACKENDS = ['sqlite', 'postgres'] as const

export interface FreshBackend {
  backend: Backend
  /** Another, independent connection to the same database (what another node or thread sees). */
  another(): Promise<Backend>
}

/**
 * A new empty database of `kind` through the storage seam: a SQLite file in a temporary
 * directory, or a database of `pg`. Every backend it opens is closed (and the directory
 * removed) by `closeBackends()`: call it in afterAll, before `pg.stop()`. Tests that run
 * the same cases on both backends loop over BACKENDS with it: parameterised, not copied.
 * `migrated`: with every feature's schema (the SQLite migrations or their PostgreSQL twins).
 */
export async function freshBackend(
  kind: (typeof BACKENDS)[number],
  pg: PgCluster,
  o: { migrated?: boolean } = {},
): Promise<FreshBackend> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bloop-backend-'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'bloop.db')
    const open = async () => track(new SqliteBackend(openDatabase(path)))
    const backend = await open()
    if (o.migrated) migrate(backend.db, MIGRATIONS)
    return { backend, another: open }
  }
  const url = await pg.createDatabase()
  const open = async () =>
    track(
      await openPostgres({
        url,
        pool_size: 3,
        statement_timeout_ms: 0,
        connect_timeout_secs: 5,
        tls: 'disable',
        tls_ca_file: '',
      }),
    )
  const backend = await open()
  if (o.migrated) await migratePostgres(backend, MIGRATIONS)
  return { backend, another: open }
}

const cleanups: (() => Promise<void>)[] = []
function track<B extends Backend>(b: B): B {
  cleanups.unshift(() => b.close().catch(() => {}))
  return b
}

export async function closeBackends(): Promise<void> {
  for (const c of cleanups.splice(0)) await c()
}

/**
 * A private PostgreSQL server for the test file that calls this at its top: started
 * before its tests, stopped after them once every backend `freshBackend` opened is closed.
 * Answers the running cluster (call it inside a test or hook).
 */
export function privatePgPerFile(): () => PgCluster {
  let pg: PgCluster | undefined
  beforeAll(async () => {
    pg = await startPg()
  })
  afterAll(async () => {
    await closeBackends()
    await pg?.stop()
  })
  return () => {
    if (!pg) throw new Error('expected the private PostgreSQL to be started (call this inside a test)')
    return pg
  }
}

/**
 * A backend on a new, empty database of `pg`, as the benchmarks and audits use it: `max`
 * pooled connections, no statement timeout, plain TCP on the loopback.
 */
export async function pgBenchBackend(pg: PgCluster, max = 4): Promise<PostgresBackend> {
  return new PostgresBackend({
    url: await pg.createDatabase(),
    max,
    statementTimeoutMs: 0,
    connectTimeoutSecs: 10,
    tls: 'disable',
    tlsCaFile: '',
  })
}

/**
 * Opens a backend's pooled connections (three transactions held open together), so that
 * a race test's two transactions start together instead of one finishing while the other
 * waits for a new connection.
 */
export async function warmPool(b: Backend): Promise<void> {
  let release!: () => void
  const held = new Promise<void>((r) => {
    release = r
  })
  let open = 0
  const all = [0, 1, 2].map(() =>
    b.transaction(async (tx) => {
      await tx.get('SELECT 1 AS one')
      if (++open === 3) release()
      await held
    }),
  )
  // SQLite runs its transactions one after another: nothing to hold open there.
  if (b.kind === 'sqlite') release()
  await Promise.all(all)
}
