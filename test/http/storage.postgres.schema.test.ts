/**
 * Both backends' schemas after every migration: the same tables, columns (by type class:
 * integer, text, real, blob), primary keys and indexes, except the differences declared
 * below, each for a reason PostgreSQL imposes (docs/ARCHITECTURE.md, "Storage backends").
 * Also: the PostgreSQL migrations run once and refuse an edited twin, like SQLite's, and
 * the receive-time partitions are made ahead and dropped whole.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { SQL } from 'bun'
import { MIGRATIONS } from '../../src/features'
import { openDatabase } from '../../src/storage/db'
import { migrate, migratePostgres } from '../../src/storage/migrate'
import { PostgresBackend } from '../../src/storage/postgres'
import { tempDir } from '../helpers'
import { type PgCluster, postgresShape, type SchemaShape, sqliteShape, startPg } from '../pg.helpers'

let pg: PgCluster
const backends: PostgresBackend[] = []

const backendFor = (url: string) => {
  const b = new PostgresBackend({
    url,
    max: 2,
    statementTimeoutMs: 0,
    connectTimeoutSecs: 5,
    tls: 'disable',
    tlsCaFile: '',
  })
  backends.push(b)
  return b
}

beforeAll(async () => {
  pg = await startPg()
})
afterAll(async () => {
  for (const b of backends) await b.close()
  await pg.stop()
})

/** The SQLite schema with PostgreSQL's declared differences applied: what PostgreSQL must have. */
function expectedOnPostgres(sqlite: SchemaShape): SchemaShape {
  const want: SchemaShape = structuredClone(sqlite)
  const raw = want.raw_events as SchemaShape[string]
  // A partitioned table's primary key and unique indexes must contain the partition key.
  raw.pk = ['id', 'received_at']
  // (until 202612031200_event_ids drops it on both: raw_event_ids holds the dedupe)
  const eventIds = raw.indexes.raw_events_event_id
  if (eventIds) eventIds.unique = false
  const spans = want.llm_spans as SchemaShape[string]
  // The partition key (received_at, a column on both) must be in the keys.
  spans.pk = ['seq', 'received_at']
  const u = spans.indexes['unique(project_id,trace_id,id)'] as SchemaShape[string]['indexes'][string]
  delete spans.indexes['unique(project_id,trace_id,id)']
  spans.indexes['unique(project_id,trace_id,id,received_at)'] = {
    ...u,
    columns: [...u.columns, 'received_at'],
  }
  // fts5's hidden rowid is a real column on PostgreSQL, and its index is a trigram one.
  const search = want.llm_search as SchemaShape[string]
  search.columns = { rowid: { type: 'int', notnull: true }, ...search.columns }
  search.pk = ['rowid']
  search.indexes.llm_search_trgm = { unique: false, partial: false, columns: ['<expr>'] }
  return want
}

describe('PostgreSQL schema', () => {
  test('has the tables, columns, keys and indexes of SQLite after every migration, but for the declared differences', async () => {
    const dir = tempDir()
    const db = openDatabase(join(dir, 'bloop.db'))
    migrate(db, MIGRATIONS)
    const sqlite = sqliteShape(db)
    db.close()
    rmSync(dir, { recursive: true, force: true })

    const url = await pg.createDatabase()
    const b = backendFor(url)
    const r = await migratePostgres(b, MIGRATIONS)
    expect(r.applied).toEqual(MIGRATIONS.map((m) => m.name))
    const client = new SQL(url, { max: 1 })
    const shape = await postgresShape(client)
    await client.close()

    expect(Object.keys(shape).sort()).toEqual(Object.keys(sqlite).sort())
    expect(Object.keys(sqlite)).toContain('llm_spans')
    const want = expectedOnPostgres(sqlite)
    for (const table of Object.keys(want).sort())
      expect({ table, ...shape[table] }).toEqual({ table, ...want[table] })
  })

  test('migrations apply once, and an edited twin stops startup naming the file', async () => {
    const b = backendFor(await pg.createDatabase())
    await migratePostgres(b, MIGRATIONS)
    expect((await migratePostgres(b, MIGRATIONS)).applied).toEqual([])
    const edited = MIGRATIONS.map((m) => (m.id === 8 ? { ...m, pgChecksum: `${m.pgChecksum}x` } : m))
    await expect(migratePostgres(b, edited)).rejects.toThrow(
      'migration auth/008_invite_role.pg.sql was changed after it was applied; restore it and add a new migration instead',
    )
    const older = MIGRATIONS.filter((m) => m.id !== Math.max(...MIGRATIONS.map((x) => x.id)))
    await expect(migratePostgres(b, older)).rejects.toThrow('the database was migrated by a newer bloop')
  })

  test('two nodes migrating one database at once apply each migration once', async () => {
    const url = await pg.createDatabase()
    const [a, c] = [backendFor(url), backendFor(url)]
    const [ra, rc] = await Promise.all([migratePostgres(a, MIGRATIONS), migratePostgres(c, MIGRATIONS)])
    expect([...ra.applied, ...rc.applied].sort()).toEqual(MIGRATIONS.map((m) => m.name).sort())
    expect((await a.get<{ n: number }>('SELECT count(*) AS n FROM _migrations'))?.n).toBe(MIGRATIONS.length)
  })

  test('raw events and spans are partitioned by receive day: made ahead, filled, dropped whole', async () => {
    const b = backendFor(await pg.createDatabase())
    await migratePostgres(b, MIGRATIONS)
    const DAY = 86_400_000
    const today = Math.floor(Date.now() / DAY) * DAY
    const parts = async (t: string) =>
      (
        await b.all<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = ?::regclass ORDER BY 1`,
          [t],
        )
      ).map((r) => r.name)
    const dayName = (t: string, ms: number) =>
      `${t}_p${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')}`
    // The migration made yesterday through 7 days ahead, for both tables.
    for (const t of ['raw_events', 'llm_spans']) {
      expect(await parts(t)).toEqual(Array.from({ length: 9 }, (_, k) => dayName(t, today + (k - 1) * DAY)))
    }
    // Ahead again: only the missing days are made (2 tables x 3 more days).
    expect((await b.get<{ n: number }>('SELECT bloop_partitions_ahead(10) AS n'))?.n).toBe(6)
    expect((await b.get<{ n: number }>('SELECT bloop_partitions_ahead(10) AS n'))?.n).toBe(0)

    const insert = (at: number) =>
      b.run(
        `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release, error_type, message)
         VALUES ('p', 'f', ?, ?, 'api', 'prod', '1', 'E', 'm')`,
        [at, at],
      )
    await insert(today + 5)
    // Outside every partition: refused, until the days are covered (what db copy does for old data).
    const old = today - 30 * DAY
    await expect(insert(old)).rejects.toThrow(/no partition/)
    expect(
      (await b.get<{ n: number }>('SELECT bloop_partitions_cover(?, ?, ?) AS n', ['raw_events', old, old]))
        ?.n,
    ).toBe(1)
    await insert(old)
    expect((await b.get<{ n: number }>('SELECT count(*) AS n FROM raw_events'))?.n).toBe(2)
    // Retention: every partition whose whole day is before the cutoff goes, with its rows.
    const dropped = await b.get<{ n: number }>('SELECT bloop_partitions_drop_before(?, ?) AS n', [
      'raw_events',
      today,
    ])
    expect(dropped?.n).toBe(2) // the old day and yesterday
    expect(await b.all('SELECT received_at FROM raw_events')).toEqual([{ received_at: today + 5 }])
    expect((await parts('raw_events'))[0]).toBe(dayName('raw_events', today))
  })
})
