/**
 * Schema migrations: plain SQL files in each feature's `migrations/` folder, embedded in
 * the executable as text, ordered globally by id, each applied in its own transaction and
 * recorded in `_migrations` with a checksum. Safe to run on every start and from
 * `bloop migrate`.
 *
 * Ids. A new migration is named `<UTC yyyymmddhhmm>_<what>.sql` (for example
 * `alerts/migrations/202612021530_delivery_issue_title.sql`); its id is that number, so two
 * branches that each add a migration cannot pick the same id by accident, and the global
 * order by time keeps cross-feature references working (a table exists before a later
 * migration of another feature refers to it). Two files with the same stamp are refused.
 * The eight migrations released before feature folders existed keep their ids 1-8 and
 * their recorded names: each may be split into per-feature files `NNN_<what>.sql`, and the
 * parts of one id run together, in feature order, as one migration (their split is proven
 * to produce exactly the released schema by test/http/migrations.schema.test.ts).
 *
 * Refusals (StartupError, before anything is applied):
 * - an applied id this binary does not know: the database was migrated by a newer bloop;
 * - an applied migration whose SQL changed since (its stored sha256 differs): released
 *   migrations are never edited; a change is a new migration.
 */
import { createHash } from 'node:crypto'
import { StartupError } from '../ops/problems'
import type { Backend } from './backend'
import type { Db } from './db'
import meta001pg from './migrations/001_meta.pg.sql' with { type: 'text' }
import meta001 from './migrations/001_meta.sql' with { type: 'text' }
import eventIdsPg from './migrations/202612021755_raw_event_ids.pg.sql' with { type: 'text' }
import eventIds from './migrations/202612021755_raw_event_ids.sql' with { type: 'text' }
import { SqliteBackend } from './sqlite'

/** One SQL file of a feature's `migrations/` folder. */
export interface MigrationFile {
  /** The file name, e.g. `202612021530_delivery_issue_title.sql` or `001_core.sql`. */
  file: string
  sql: string
  /**
   * The same migration for PostgreSQL: the text of its twin `<name>.pg.sql` beside it
   * (docs/ARCHITECTURE.md, "Storage backends"). Required for every file;
   * test/unit/migrations.test.ts checks each `.sql` has its twin, declared.
   */
  pg?: string
}

/** A feature's migrations, in the order its feature is listed. */
export interface MigrationSource {
  owner: string
  files: readonly MigrationFile[]
}

export interface Migration {
  id: number
  /** As recorded in `_migrations`: `001_core` for a released one, `alerts/202612021530_x` after. */
  name: string
  /** The files it runs, `owner/file`, and each file's sha256. */
  parts: { path: string; checksum: string }[]
  sql: string
  /** The parts' sha256 values, space separated: one file's is exactly the sha256 of its text. */
  checksum: string
  /** The PostgreSQL twins' text (null when a part has none) and their checksums, likewise. */
  pg: string | null
  pgChecksum: string
}

/** Storage's own schema: facts about the database no feature owns alone. */
export const STORAGE_MIGRATIONS: MigrationSource = {
  owner: 'storage',
  files: [
    { file: '001_meta.sql', sql: meta001, pg: meta001pg },
    // The Sentry event_id key table: on PostgreSQL it stands for the unique index the
    // partitioned raw_events cannot have, a fact of the partitioning storage sets up.
    { file: '202612021755_raw_event_ids.sql', sql: eventIds, pg: eventIdsPg },
  ],
}

/** Names of the migrations released as numbered files in storage/migrations/. Frozen. */
export const RELEASED = [
  '001_core',
  '002_accounts',
  '003_alerts',
  '004_retention_sourcemaps',
  '005_sentry',
  '006_sample_slots',
  '007_delivery_issue_title',
  '008_invite_role',
] as const

const STAMPED = /^(\d{12})_[a-z0-9_]+\.sql$/
const NUMBERED = /^(\d{3})_[a-z0-9_]+\.sql$/

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A UTC yyyymmddhhmm that names a real minute. */
function validStamp(stamp: string): boolean {
  const [y, mo, d, h, mi] = [0, 4, 6, 8, 10].map((i, k) => Number(stamp.slice(i, i + (k === 0 ? 4 : 2))))
  const t = new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi))
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === (mo as number) - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    (y as number) >= 2020
  )
}

/** Every feature's files as migrations in id order; a misnamed or duplicate file is a bug. */
export function planMigrations(sources: readonly MigrationSource[]): Migration[] {
  const byId = new Map<number, { name: string; parts: { path: string; sql: string; pg?: string }[] }>()
  for (const { owner, files } of sources) {
    for (const f of files) {
      const path = `${owner}/${f.file}`
      const stamped = STAMPED.exec(f.file)
      const numbered = NUMBERED.exec(f.file)
      if (stamped) {
        const id = Number(stamped[1])
        if (!validStamp(stamped[1] as string))
          throw new Error(`expected a UTC yyyymmddhhmm stamp in ${path}, got ${stamped[1]}`)
        const other = byId.get(id)
        if (other) throw new Error(`expected one migration per id, got ${path} and ${other.parts[0]?.path}`)
        byId.set(id, { name: `${owner}/${f.file.slice(0, -4)}`, parts: [{ path, sql: f.sql, pg: f.pg }] })
      } else if (numbered) {
        const id = Number(numbered[1])
        const name = RELEASED[id - 1]
        if (!name)
          throw new Error(`expected a new migration named <UTC yyyymmddhhmm>_<what>.sql, got ${path}`)
        const unit = byId.get(id) ?? { name, parts: [] }
        if (unit.parts.some((p) => p.path.startsWith(`${owner}/`)))
          throw new Error(`expected one part of migration ${name} per feature, got two in ${owner}`)
        unit.parts.push({ path, sql: f.sql, pg: f.pg })
        byId.set(id, unit)
      } else {
        throw new Error(`expected a migration file named <UTC yyyymmddhhmm>_<what>.sql, got ${path}`)
      }
    }
  }
  return [...byId.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, u]) => {
      const parts = u.parts.map((p) => ({ path: p.path, checksum: sha256(p.sql) }))
      const pg = u.parts.every((p) => p.pg !== undefined)
      return {
        id,
        name: u.name,
        parts,
        sql: u.parts.map((p) => p.sql).join('\n'),
        checksum: parts.map((p) => p.checksum).join(' '),
        pg: pg ? u.parts.map((p) => p.pg).join('\n') : null,
        pgChecksum: pg ? u.parts.map((p) => sha256(p.pg as string)).join(' ') : '',
      }
    })
}

export interface MigrateResult {
  applied: string[]
  current: number
}

/** The files of `m` whose text differs from what was applied (`stored`). */
function changedParts(m: Migration, stored: string): string[] {
  const was = stored.split(' ')
  if (was.length !== m.parts.length) return m.parts.map((p) => p.path)
  return m.parts.filter((p, i) => p.checksum !== was[i]).map((p) => p.path)
}

export function migrate(db: Db, migrations: readonly Migration[], now = Date.now()): MigrateResult {
  // The table as every bloop since the first has made it; the checksum column came later,
  // so older binaries can still read and write their rows.
  db.run(
    'CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  )
  const columns = db.query<{ name: string }, []>('PRAGMA table_info(_migrations)').all()
  if (!columns.some((c) => c.name === 'checksum')) db.run('ALTER TABLE _migrations ADD COLUMN checksum TEXT')
  const done = db
    .query<{ id: number; checksum: string | null }, []>('SELECT id, checksum FROM _migrations')
    .all()
  const known = new Map(migrations.map((m) => [m.id, m]))
  const latest = Math.max(0, ...migrations.map((m) => m.id))
  const unknown = done.filter((r) => !known.has(r.id))
  if (unknown.length > 0) {
    const newest = Math.max(...done.map((r) => r.id))
    throw new StartupError(
      `the database was migrated by a newer bloop (schema ${newest}, this binary knows ${latest}); upgrade bloop`,
    )
  }
  for (const r of done) {
    const m = known.get(r.id) as Migration
    if (r.checksum === null) {
      // Applied by a bloop that stored no checksums: from now on its text is held to this one.
      db.run('UPDATE _migrations SET checksum = ? WHERE id = ?', [m.checksum, m.id])
    } else if (r.checksum !== m.checksum) {
      const files = changedParts(m, r.checksum).join(', ')
      throw new StartupError(
        `migration ${files} was changed after it was applied; restore it and add a new migration instead`,
      )
    }
  }
  const applied: string[] = []
  const isDone = new Set(done.map((r) => r.id))
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (isDone.has(m.id)) continue
    db.transaction(() => {
      db.run(m.sql)
      db.run('INSERT INTO _migrations (id, name, applied_at, checksum) VALUES (?, ?, ?, ?)', [
        m.id,
        m.name,
        now,
        m.checksum,
      ])
    }).immediate()
    applied.push(m.name)
  }
  return { applied, current: latest }
}

/** The same checks as `migrate`, against what `_migrations` holds; throws the refusal. */
function checkApplied(
  done: readonly { id: number; checksum: string | null }[],
  migrations: readonly Migration[],
  checksumOf: (m: Migration) => string,
): void {
  const known = new Map(migrations.map((m) => [m.id, m]))
  const latest = Math.max(0, ...migrations.map((m) => m.id))
  if (done.some((r) => !known.has(r.id))) {
    const newest = Math.max(...done.map((r) => r.id))
    throw new StartupError(
      `the database was migrated by a newer bloop (schema ${newest}, this binary knows ${latest}); upgrade bloop`,
    )
  }
  for (const r of done) {
    const m = known.get(r.id) as Migration
    if (r.checksum !== null && r.checksum !== checksumOf(m))
      throw new StartupError(
        `migration ${m.parts.map((p) => p.path.replace(/\.sql$/, '.pg.sql')).join(', ')} was changed after it was applied; restore it and add a new migration instead`,
      )
  }
}

/** Any number: the advisory lock every bloop node takes while it migrates a PostgreSQL database. */
const MIGRATION_LOCK = 0x6b6c6f6f70

/**
 * `migrate` for PostgreSQL: the `.pg.sql` twins, in id order, each in its own transaction
 * under an advisory lock, so nodes starting together apply each migration once.
 */
export async function migratePostgres(
  b: Backend,
  migrations: readonly Migration[],
  now = Date.now(),
): Promise<MigrateResult> {
  const missing = migrations.filter((m) => m.pg === null)
  if (missing.length > 0)
    throw new Error(
      `expected a PostgreSQL twin (.pg.sql) of every migration, missing for ${missing.map((m) => m.name).join(', ')}`,
    )
  // IF NOT EXISTS is not safe against a concurrent CREATE: the lock is.
  await b.transaction(async (tx) => {
    await tx.get('SELECT pg_advisory_xact_lock(?) AS locked', [MIGRATION_LOCK])
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS _migrations (id BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT)',
    )
  })
  const read = (q: Pick<Backend, 'all'>) =>
    q.all<{ id: number; checksum: string | null }>('SELECT id, checksum FROM _migrations ORDER BY id')
  checkApplied(await read(b), migrations, (m) => m.pgChecksum)
  const applied: string[] = []
  for (const m of [...migrations].sort((x, y) => x.id - y.id)) {
    const did = await b.transaction(async (tx) => {
      await tx.get('SELECT pg_advisory_xact_lock(?) AS locked', [MIGRATION_LOCK])
      if (await tx.get('SELECT id FROM _migrations WHERE id = ?', [m.id])) return false
      await tx.exec(m.pg as string)
      await tx.run('INSERT INTO _migrations (id, name, applied_at, checksum) VALUES (?, ?, ?, ?)', [
        m.id,
        m.name,
        now,
        m.pgChecksum,
      ])
      return true
    })
    if (did) applied.push(m.name)
  }
  return { applied, current: Math.max(0, ...migrations.map((m) => m.id)) }
}

/**
 * Brings either backend's schema up to date, for code that holds a `Backend` from
 * `openBackend` (the CLI's commands): `migrate` on SQLite's connection, `migratePostgres`
 * on PostgreSQL.
 */
export async function migrateBackend(
  b: Backend,
  migrations: readonly Migration[],
  now = Date.now(),
): Promise<MigrateResult> {
  return b instanceof SqliteBackend ? migrate(b.db, migrations, now) : migratePostgres(b, migrations, now)
}
