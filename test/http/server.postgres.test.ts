/**
 * `buildRuntime` with database.url set (src/server.ts): until every feature declares
 * `postgres` it refuses, naming them, after migrating; once they all do, it serves from
 * PostgreSQL (that case runs as soon as the last feature is converted). On PostgreSQL,
 * Core.db is a stand-in that refuses every use with the fix in its message.
 */
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { SQL } from 'bun'
import { testConfig } from '../../src/config/load'
import { featuresNotOn } from '../../src/core/feature'
import { FEATURES, MIGRATIONS } from '../../src/features'
import { StartupError } from '../../src/ops/problems'
import { buildRuntime } from '../../src/server'
import { noSqliteOnPostgres } from '../../src/storage/open'
import { event, signed, TEST_SECRET, tempDir } from '../helpers'
import { privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()
const notYet = featuresNotOn('postgres', FEATURES)

const config = (url: string) =>
  testConfig({
    database: { path: join(tempDir(), 'bloop.db'), url },
    auth: { hmac_secret: TEST_SECRET },
    log: { level: 'error' },
  })

describe('serve on PostgreSQL', () => {
  test.if(notYet.length > 0)(
    'refuses with one line naming the features not converted yet, after migrating',
    async () => {
      const url = await pg().createDatabase()
      const err = await buildRuntime(config(url)).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(StartupError)
      expect((err as Error).message).toBe(
        `database.url: the PostgreSQL database is reachable and migrated, but these features do not run on PostgreSQL yet: ${notYet.join(', ')}; unset database.url (BLOOP__DATABASE__URL) to serve from SQLite, \`bloop db copy --to <url>\` copies the data across`,
      )
      expect((err as Error).message).not.toContain('\n')
      const sql = new SQL(url, { max: 1 })
      const [applied] = (await sql.unsafe('SELECT count(*)::int AS n FROM _migrations')) as { n: number }[]
      await sql.close()
      expect(applied?.n).toBe(MIGRATIONS.length)
    },
  )

  test.if(notYet.length === 0)(
    'serves: health on PostgreSQL, an event acknowledged and stored there',
    async () => {
      const rt = await buildRuntime(config(await pg().createDatabase()))
      try {
        const health = await rt.handle(new Request('http://localhost/health'))
        expect(health.status).toBe(200)
        expect(((await health.json()) as { backend: string }).backend).toBe('postgres')
        const r = await rt.handle(signed('/v1/ingest/batch', { events: [event({ request_id: 'pg-1' })] }))
        expect(r.status).toBe(200)
        expect(
          await rt.core.backend.get("SELECT count(*) AS n FROM raw_events WHERE request_id = 'pg-1'"),
        ).toEqual({
          n: 1,
        })
      } finally {
        await rt.close()
      }
    },
  )

  test("Core.db's stand-in refuses every use, naming the fix", () => {
    const db = noSqliteOnPostgres()
    expect(() => db.query('SELECT 1')).toThrow(
      'expected no use of Core.db on PostgreSQL, got db.query: this code still runs on SQLite\'s connection; move it to the storage seam (core.backend, docs/ARCHITECTURE.md "Converting a store")',
    )
    expect(() => db.run('SELECT 1')).toThrow('got db.run')
    // Awaiting or inspecting it is not a use.
    expect((db as unknown as { then?: unknown }).then).toBeUndefined()
  })
})
