/**
 * Migration ids, order and the refusals (storage/migrate.ts): new migrations are named by
 * a UTC stamp so two branches cannot pick the same id, the released ones keep ids 1-8 and
 * are never edited (their text is pinned here, and a changed applied one stops startup),
 * and a database migrated by a newer bloop is refused before anything is applied.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { FEATURES, MIGRATIONS } from '../../src/features'
import { type Db, openDatabase } from '../../src/storage/db'
import {
  type Migration,
  type MigrationSource,
  migrate,
  planMigrations,
  RELEASED,
  STORAGE_MIGRATIONS,
  sha256,
} from '../../src/storage/migrate'
import { tempDir } from '../helpers'

const SRC = join(import.meta.dir, '../../src')

/** sha256 of each released file, as released: editing one must be a deliberate, failing change. */
const RELEASED_PARTS: Record<string, string> = {
  'storage/001_meta.sql': 'd74b7ce7eba2b2fc5f5f9fb101b3442d8e76dec3f853d47b0e0492c493b09464',
  'projects/001_projects.sql': 'caf9dd4495898d78be30b0433c1e6d50ff326dff51b471a7f263531d5c032382',
  'tokens/001_api_tokens.sql': '5b309e89a9559c3959e0c3d40848d1b9063c9b8851c5129826640707893bc226',
  'errors/001_events.sql': 'a40906cd9389bb182e0daf4fd51653ffd461ad321a3b395a75e8244926ae2110',
  'auth/002_accounts.sql': '77032f1d3e5790b370fc94416e236c24f467a9b895205fe5e7846934a8b1badc',
  'alerts/003_alerts.sql': 'a7a7f696a21d8b65fa626646f0c3eca7cbdb9745b0ca9c0afbc878b77b490d0e',
  'retention/004_retention.sql': '7a0fdabed59d83189a0d405ca9f576eeb53ffddb2312538f33c1793a8ddfab42',
  'sourcemaps/004_sourcemaps.sql': '410b772b4d25cbe71b577b3e5329f1db008191507b75b0a6dbd45e0966c701d9',
  'sentry/005_sentry.sql': 'f772ed7addae20b5265dd58cecac542c83ad21da963886197f1803a254d038ea',
  'errors/006_sample_slots.sql': '5dd53ca2956bb0d69aa2c8145b67bc125c7935bde3c9e6bedd2b07b6a1fe6b48',
  'alerts/007_delivery_issue_title.sql': 'ef67f573be59e53ae21c6e6f2098bbd5ea60c3229e2fa7f5d5ecb4575d4cd628',
  'auth/008_invite_role.sql': 'a10847ea8ac1efd8b7e77379e250f5974e927d3445e8acfc0ca2339b6d39d0be',
}

let dirs: string[] = []
let dbs: Db[] = []
afterEach(() => {
  for (const db of dbs) db.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
  dbs = []
})

function freshDb(): Db {
  const dir = tempDir()
  dirs.push(dir)
  const db = openDatabase(join(dir, 'bloop.db'))
  dbs.push(db)
  return db
}

/** The newest migration this binary knows (features add theirs after the eight released ones). */
const LATEST = (MIGRATIONS.at(-1) as Migration).id

const SOURCES: MigrationSource[] = [
  STORAGE_MIGRATIONS,
  ...FEATURES.map((f) => ({ owner: f.name, files: f.migrations })),
]
const withFile = (owner: string, file: string, sql: string): MigrationSource[] =>
  SOURCES.map((s) => (s.owner === owner ? { owner, files: [...s.files, { file, sql }] } : s))

describe('migration ids and order', () => {
  test('the released migrations keep ids 1-8 and their recorded names, their parts in feature order', () => {
    const released = MIGRATIONS.filter((m) => m.id <= RELEASED.length)
    expect(released.map((m) => [m.id, m.name])).toEqual(RELEASED.map((name, i) => [i + 1, name]))
    expect(MIGRATIONS[0]?.parts.map((p) => p.path)).toEqual([
      'storage/001_meta.sql',
      'projects/001_projects.sql',
      'tokens/001_api_tokens.sql',
      'errors/001_events.sql',
    ])
    expect(MIGRATIONS[3]?.parts.map((p) => p.path)).toEqual([
      'retention/004_retention.sql',
      'sourcemaps/004_sourcemaps.sql',
    ])
  })

  test('no released file was edited: each has the sha256 it was released with', () => {
    const released = MIGRATIONS.filter((m) => m.id <= RELEASED.length)
    const parts = Object.fromEntries(released.flatMap((m) => m.parts.map((p) => [p.path, p.checksum])))
    expect(parts).toEqual(RELEASED_PARTS)
  })

  test('every .sql file in a migrations folder is declared by its feature, with the same text', async () => {
    const owners = ['storage', ...FEATURES.map((f) => f.name)]
    for (const owner of owners) {
      const dir = join(SRC, owner, 'migrations')
      let onDisk: string[] = []
      try {
        onDisk = readdirSync(dir).filter((f) => f.endsWith('.sql') && !f.endsWith('.pg.sql'))
      } catch {}
      const declared = SOURCES.find((s) => s.owner === owner)?.files ?? []
      expect({ owner, files: declared.map((f) => f.file).sort() }).toEqual({ owner, files: onDisk.sort() })
      for (const f of declared) expect(f.sql).toBe(await Bun.file(join(dir, f.file)).text())
    }
  })

  test('every migration has its PostgreSQL twin <name>.pg.sql beside it, declared with the same text', async () => {
    const owners = ['storage', ...FEATURES.map((f) => f.name)]
    for (const owner of owners) {
      const dir = join(SRC, owner, 'migrations')
      let twins: string[] = []
      try {
        twins = readdirSync(dir).filter((f) => f.endsWith('.pg.sql'))
      } catch {}
      const declared = SOURCES.find((s) => s.owner === owner)?.files ?? []
      expect({ owner, twins: declared.map((f) => f.file.replace(/\.sql$/, '.pg.sql')).sort() }).toEqual({
        owner,
        twins: twins.sort(),
      })
      for (const f of declared) {
        expect({ file: f.file, pg: f.pg }).toEqual({
          file: f.file,
          pg: await Bun.file(join(dir, f.file.replace(/\.sql$/, '.pg.sql'))).text(),
        })
      }
    }
    expect(MIGRATIONS.filter((m) => m.pg === null).map((m) => m.name)).toEqual([])
  })

  test('a new migration is named by its UTC minute and sorts after the released ones', () => {
    // A stamp later than any real migration's, so that it is the last one planned.
    const plan = planMigrations(
      withFile('alerts', '209912312359_rule_notes.sql', 'ALTER TABLE alert_rules ADD COLUMN notes TEXT;'),
    )
    expect(plan.at(-1)).toMatchObject({
      id: 209912312359,
      name: 'alerts/209912312359_rule_notes',
      parts: [
        {
          path: 'alerts/209912312359_rule_notes.sql',
          checksum: sha256('ALTER TABLE alert_rules ADD COLUMN notes TEXT;'),
        },
      ],
    })
  })

  test('two migrations with the same stamp are refused, even in two features', () => {
    const both = withFile('alerts', '202612021530_a.sql', 'SELECT 1;').map((s) =>
      s.owner === 'sentry'
        ? { ...s, files: [...s.files, { file: '202612021530_b.sql', sql: 'SELECT 2;' }] }
        : s,
    )
    expect(() => planMigrations(both)).toThrow(
      'expected one migration per id, got sentry/202612021530_b.sql and alerts/202612021530_a.sql',
    )
  })

  test('a new numbered migration is refused: after 008 every migration is stamped', () => {
    expect(() => planMigrations(withFile('alerts', '009_more.sql', 'SELECT 1;'))).toThrow(
      'expected a new migration named <UTC yyyymmddhhmm>_<what>.sql, got alerts/009_more.sql',
    )
  })

  test('a stamp that names no real minute is refused', () => {
    expect(() => planMigrations(withFile('alerts', '202613021530_x.sql', 'SELECT 1;'))).toThrow(
      'expected a UTC yyyymmddhhmm stamp in alerts/202613021530_x.sql, got 202613021530',
    )
  })
})

describe('migrating a database', () => {
  test('a new database gets every migration, each recorded with its checksum', () => {
    const db = freshDb()
    const r = migrate(db, MIGRATIONS)
    expect(r).toEqual({ applied: MIGRATIONS.map((m) => m.name), current: LATEST })
    const rows = db.query('SELECT id, name, checksum FROM _migrations ORDER BY id').all()
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ id: m.id, name: m.name, checksum: m.checksum })))
    expect(migrate(db, MIGRATIONS)).toEqual({ applied: [], current: LATEST })
  })

  test('a migration changed after it was applied stops startup, naming the file', () => {
    const db = freshDb()
    migrate(db, MIGRATIONS)
    const edited = planMigrations(
      SOURCES.map((s) =>
        s.owner === 'alerts'
          ? {
              owner: 'alerts',
              files: s.files.map((f) =>
                f.file.startsWith('007') ? { ...f, sql: `${f.sql}\n-- tidied` } : f,
              ),
            }
          : s,
      ),
    )
    expect(() => migrate(db, edited)).toThrow(
      'migration alerts/007_delivery_issue_title.sql was changed after it was applied; restore it and add a new migration instead',
    )
  })

  test('a database migrated by a newer bloop is refused before anything is applied', () => {
    const db = freshDb()
    const older: Migration[] = MIGRATIONS.slice(0, 7)
    migrate(db, MIGRATIONS)
    db.run(
      "INSERT INTO _migrations (id, name, applied_at, checksum) VALUES (202701010000, 'llm/202701010000_traces', 0, 'x')",
    )
    expect(() => migrate(db, MIGRATIONS)).toThrow(
      `the database was migrated by a newer bloop (schema 202701010000, this binary knows ${LATEST}); upgrade bloop`,
    )
    const fresh = freshDb()
    migrate(fresh, older)
    fresh.run("INSERT INTO _migrations (id, name, applied_at) VALUES (9, '009_future', 0)")
    expect(() => migrate(fresh, MIGRATIONS)).toThrow(
      `the database was migrated by a newer bloop (schema 9, this binary knows ${LATEST})`,
    )
    // 008 was pending but not applied: a newer database is not touched.
    expect(
      fresh.query("SELECT count(*) AS n FROM pragma_table_info('invites') WHERE name = 'role'").get(),
    ).toEqual({ n: 0 })
  })

  test('rows recorded by a bloop that stored no checksums get them, and are held to them from then on', () => {
    const db = freshDb()
    migrate(db, MIGRATIONS)
    db.run('UPDATE _migrations SET checksum = NULL')
    expect(migrate(db, MIGRATIONS).applied).toEqual([])
    const rows = db.query('SELECT id, checksum FROM _migrations ORDER BY id').all()
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ id: m.id, checksum: m.checksum })))
  })
})
