/**
 * The released migrations 001-008 were split into per-feature files. For that to be
 * allowed, a database made by the new files must have exactly the schema a database made
 * by the released ones has, and an existing database must migrate without losing a row.
 *
 * The released texts are kept frozen in test/fixtures/migrations-main/ (as they were at
 * the commit before the split), applied the way that bloop applied them.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { MIGRATIONS } from '../../src/features'
import { createLogger } from '../../src/ops/log'
import { buildRuntime } from '../../src/server'
import { type Db, openDatabase } from '../../src/storage/db'
import { migrate } from '../../src/storage/migrate'
import { TEST_SECRET, tempDir } from '../helpers'

const FIXTURES = join(import.meta.dir, '../fixtures/migrations-main')
/** Migrations 1-8 were released as numbered files; later ones are named by their UTC minute. */
const RELEASED_COUNT = 8
const dir = tempDir('bloop-schema-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** What bloop did before the split (storage/migrate.ts at that commit), with the released files. */
async function migrateAsReleased(db: Db): Promise<void> {
  db.run(
    'CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  )
  for (const file of readdirSync(FIXTURES).sort()) {
    const sql = await Bun.file(join(FIXTURES, file)).text()
    db.transaction(() => {
      db.run(sql)
      db.run('INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)', [
        Number(file.slice(0, 3)),
        file.slice(0, -4),
        0,
      ])
    }).immediate()
  }
}

const open = (name: string) => openDatabase(join(dir, name))

/** Every table, index and trigger as SQLite stores it (its CREATE text as written). */
function schemaOf(db: Db, without: string[] = []) {
  return db
    .query<{ type: string; name: string; tbl_name: string; sql: string | null }, []>(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .all()
    .filter((r) => !without.includes(r.tbl_name))
}

/** A table's rows in a stable order (some tables have no rowid). */
const rowsOf = (db: Db, table: string) =>
  db
    .query<Record<string, unknown>, []>(`SELECT * FROM ${table}`)
    .all()
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

const tablesOf = (db: Db) =>
  db
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((r) => r.name)

describe('the split migrations', () => {
  test('a new database has exactly the schema of one made by the released migrations and then migrated', async () => {
    // The split files of the eight released migrations alone give the released schema byte
    // for byte (but for the checksum column of the record)...
    const split = open('split.db')
    migrate(
      split,
      MIGRATIONS.filter((m) => m.id <= RELEASED_COUNT),
    )
    const released = open('released.db')
    await migrateAsReleased(released)
    const releasedOnly = schemaOf(released)
    expect(schemaOf(split, ['_migrations'])).toEqual(releasedOnly.filter((r) => r.tbl_name !== '_migrations'))
    split.close()
    // ...and with the migrations added since, a new database and a released one migrated
    // to now have the same schema.
    const fresh = open('fresh.db')
    migrate(fresh, MIGRATIONS)
    migrate(released, MIGRATIONS)
    expect(schemaOf(fresh)).toEqual(schemaOf(released))
    expect(schemaOf(fresh).length).toBeGreaterThan(40)
    expect(fresh.query('SELECT id, name FROM _migrations ORDER BY id').all()).toEqual(
      released.query('SELECT id, name FROM _migrations ORDER BY id').all(),
    )
    expect(fresh.query('PRAGMA auto_vacuum').get()).toEqual(released.query('PRAGMA auto_vacuum').get())
    fresh.close()
    released.close()
  })

  test('a database made by the released migrations, with rows in every table, opens and keeps every row', async () => {
    const path = join(dir, 'existing.db')
    const db = openDatabase(path)
    await migrateAsReleased(db)
    fillEveryTable(db)
    const tables = tablesOf(db).filter((t) => t !== '_migrations')
    const before = Object.fromEntries(tables.map((t) => [t, rowsOf(db, t)]))
    db.close()
    for (const t of tables)
      expect({ table: t, rows: (before[t] as unknown[]).length > 0 }).toEqual({ table: t, rows: true })

    const config = testConfig({
      database: { path },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
    })
    const rt = await buildRuntime(config, { log: createLogger('error') })
    const answered = await rt.handle(
      new Request('http://localhost/v1/errors', { headers: { authorization: `Bearer ${TOKEN}` } }),
    )
    const list = (await answered.json()) as { total: number; items: { fingerprint: string }[] }
    await rt.close()
    expect(answered.status).toBe(200)
    expect(list.total).toBe(1)
    expect(list.items[0]?.fingerprint).toBe('fp-1')

    // Every released table is still there with every row (later migrations add tables, and
    // may rebuild one, as the alerts feature's LLM rule types rebuild alert_rules, or add
    // columns, as triage adds to issues: the released columns keep their values).
    const after = openDatabase(path)
    expect(tablesOf(after).filter((t) => tables.includes(t))).toEqual(tables)
    for (const t of tables) {
      const released = Object.keys((before[t] as Record<string, unknown>[])[0] ?? {})
      const rows = (rowsOf(after, t) as Record<string, unknown>[]).map((r) =>
        Object.fromEntries(released.map((c) => [c, r[c]])),
      )
      expect({ table: t, rows }).toEqual({ table: t, rows: before[t] ?? [] })
    }
    after.close()
  })
})

/** A token the fixture stores (as its hash), so the migrated server can be asked a question. */
const TOKEN = `bloop_tk_${'s'.repeat(43)}`

function fillEveryTable(db: Db): void {
  const tokenHash = new Bun.CryptoHasher('sha256').update(TOKEN).digest('hex')
  const secretHash = new Bun.CryptoHasher('sha256').update(TEST_SECRET).digest('hex')
  // As a server with this secret and the default ring size left them: its start changes nothing.
  db.run(`INSERT INTO meta (key, value) VALUES ('default_key_secret_hash', '${secretHash}'),
          ('sample_reservoir_size', '5')`)
  db.run(
    `INSERT INTO projects (numeric_id, id, name, slug, api_key, api_key_hash, created_at, created_by, sentry_public_key)
     VALUES (1, 'default', 'Default', 'default', '${TEST_SECRET}', '${secretHash}', 1, NULL, '0123456789abcdef0123456789abcdef'),
            (2, 'p2', 'Web', 'web', 'k2', 'h2', 2, 'u1', 'fedcba9876543210fedcba9876543210')`,
  )
  // Used "in the future", so reading with it does not update last_used_at.
  db.run(`INSERT INTO api_tokens (id, name, token_hash, token_prefix, project_id, scopes, created_by, created_at,
            last_used_at) VALUES ('t1', 'ci', '${tokenHash}', 'bloop_tk_sss', 'default', '["errors:read"]', NULL, 3,
            4102444800000)`)
  db.run(`INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
            error_type, message, stack, metadata, event_id, level)
          VALUES ('default', 'fp-1', 10, 4102444800000, 'api', 'production', '1.0.0', 'TypeError', 'x is undefined',
            'at f (a.js:1:2)', '{"a":1}', 'e1', 'error')`)
  db.run(`INSERT INTO issues (project_id, fingerprint, error_type, message, source, status, total_count, first_seen,
            last_seen, last_release, last_environment)
          VALUES ('default', 'fp-1', 'TypeError', 'x is undefined', 'api', 'resolved', 7, 100, 4102444800000, '1.0.0', 'production')`)
  db.run(
    `INSERT INTO error_aggregates VALUES ('default', 'fp-1', '1.0.0', 'production', 7, 100, 4102444800000)`,
  )
  db.run(
    `INSERT INTO event_counts_hourly VALUES ('default', 'fp-1', 4102444800000, 'production', 'api', '1.0.0', 7)`,
  )
  db.run(`INSERT INTO samples (project_id, fingerprint, raw_event_id, timestamp, captured_at, source, environment,
            release, error_type, message, slot) VALUES ('default', 'fp-1', 1, 10, 4102444800000, 'api', 'production',
            '1.0.0', 'TypeError', 'x is undefined', 1)`)
  db.run(`INSERT INTO status_changes (project_id, fingerprint, old_status, new_status, changed_by, changed_at)
          VALUES ('default', 'fp-1', 'unresolved', 'resolved', 'alice', 200)`)
  db.run(`INSERT INTO users VALUES ('u1', 'alice', 'admin', 5)`)
  db.run(
    `INSERT INTO webauthn_credentials (id, user_id, public_key, name, created_at) VALUES ('c1', 'u1', x'0102', 'laptop', 6)`,
  )
  db.run(`INSERT INTO sessions VALUES ('s-hash', 'u1', 7, 4102444800000)`)
  db.run(`INSERT INTO invites (id, token_hash, created_by, created_at, expires_at, role)
          VALUES ('i1', 'i-hash', 'u1', 8, 4102444800000, 'admin')`)
  db.run(`INSERT INTO alert_rules (id, project_id, name, rule_type, config, created_at, updated_at)
          VALUES (1, 'default', 'new', 'new_issue', '{"type":"new_issue"}', 9, 9)`)
  db.run(`INSERT INTO alert_channels (rule_id, channel_type, config, created_at)
          VALUES (1, 'webhook', '{"type":"webhook","url":"https://example.com/h"}', 10)`)
  db.run(`INSERT INTO alert_cooldowns VALUES (1, 'fp-1', 11)`)
  db.run(`INSERT INTO alert_deliveries (rule_id, alert_id, kind, reason, fingerprint, channel_type, target, outcome,
            attempts, fired_at, finished_at, issue_title)
          VALUES (1, 'a1', 'alert', 'new_issue', 'fp-1', 'webhook', 'https://example.com/h', 'delivered', 1, 12, 13,
            'TypeError: x is undefined')`)
  // Saved by an admin, so the start does not re-seed it from the config.
  db.run(`INSERT INTO retention_settings VALUES (1, 30, 90, 'alice', 14)`)
  db.run(`INSERT INTO project_retention VALUES ('p2', 7, 'alice', 15)`)
  db.run(`INSERT INTO sourcemaps (project_id, release, filename, size_bytes, stored_bytes, sha256, data, uploaded_at)
          VALUES ('default', '1.0.0', 'app.js.map', 10, 5, 'abc', x'1f8b', 16)`)
}
