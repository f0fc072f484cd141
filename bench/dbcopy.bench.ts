/**
 * `bloop db copy` throughput: a SQLite database of N raw events (1,000 issues, with their
 * aggregates, hourly counts and samples, committed by the real commit path) copied into
 * a private PostgreSQL server on this machine (test/pg.helpers.ts) by the same code the
 * command runs (storage/copy.ts with the CLI's plan). The copy time is the downtime of a
 * move (README, "Moving to PostgreSQL"). PostgreSQL shares the two cores with the copy.
 *
 *   npm run bench -- dbcopy   (BENCH_EVENTS=200000, BENCH_BATCH=5000 rows per transaction: the CLI's default)
 */
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COPY_PLAN } from '../src/cli/dbcopy'
import { commitEvents } from '../src/errors/commit'
import type { NormalizedEvent } from '../src/errors/event'
import { validateEvent } from '../src/errors/ingest/validate'
import { MIGRATIONS } from '../src/features'
import { copyDatabase } from '../src/storage/copy'
import { openDatabase } from '../src/storage/db'
import { migrate, migratePostgres } from '../src/storage/migrate'
import { projectOnSqlite, taskOnSqlite } from '../test/helpers'
import { pgBenchBackend, startPg } from '../test/pg.helpers'
import { benchEvent, fmt } from './lib'

const N = Number(process.env.BENCH_EVENTS ?? 200_000)
const CAPS = { max_stack_bytes: 8192, max_metadata_bytes: 4096, max_message_bytes: 2048 }

const path = join(mkdtempSync(join(tmpdir(), 'bloop-dbcopy-')), 'bloop.db')
const db = openDatabase(path)
migrate(db, MIGRATIONS)
projectOnSqlite(db, {
  id: 'default',
  name: 'Default',
  slug: 'default',
  apiKey: 'bench-secret-0123456789abcdef0123456789',
})
const now = Date.now()
for (let i = 0; i < N; i += 500) {
  const batch: NormalizedEvent[] = []
  for (let k = i; k < Math.min(N, i + 500); k++) {
    const v = validateEvent(benchEvent(k, 1000), 'default', CAPS, now - (N - k) * 10)
    if (!v.ok) throw new Error(`expected a valid bench event, got ${v.error}`)
    batch.push(v.event)
  }
  await taskOnSqlite(db, (tx) => commitEvents(tx, batch, 5))
}
db.run('PRAGMA wal_checkpoint(TRUNCATE)')
const bytes = statSync(path).size

const pg = await startPg()
const dst = await pgBenchBackend(pg)
await migratePostgres(dst, MIGRATIONS)
const t0 = performance.now()
const report = await copyDatabase(db, dst, COPY_PLAN, { batchRows: Number(process.env.BENCH_BATCH ?? 5000) })
const ms = performance.now() - t0
await dst.close()
await pg.stop()
db.close()

const raw = report.tables.find((t) => t.table === 'raw_events')?.rows ?? 0
console.log(
  `db copy of ${fmt(N)} events (${fmt(bytes / 1_048_576, 1)} MB SQLite file, ${fmt(report.rows)} rows in ${report.tables.length} tables): ` +
    `${fmt(ms / 1000, 1)} s, ${fmt((report.rows * 1000) / ms)} rows/s, ${fmt(bytes / 1_048_576 / (ms / 1000), 1)} MB/s; raw events ${fmt(raw)}`,
)
