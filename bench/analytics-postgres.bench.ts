/**
 * The analytics endpoints on PostgreSQL beside DuckDB's copy, on the same data, in the
 * same run: the data of bench/analytics.bench.ts (N events in 10,000 issues, Zipf s = 1,
 * uniform over 30 days, 3 environments, 4 sources, a release every 3 days) loaded through
 * the writer into SQLite, the DuckDB copy built from it (its first start), then the SQLite
 * file copied into a private PostgreSQL (test/pg.helpers.ts) by `bloop db copy`'s code and
 * ANALYZEd (what autovacuum does to a fresh table soon after). Every endpoint is timed
 * uncached (cache_ttl_secs = 0) through its real route over 720 and 72 hours, limit=100,
 * DuckDB and PostgreSQL alternating, 5 runs each.
 *
 * PostgreSQL's postmaster (and so every backend it forks) is pinned to core 0 and this
 * process (the routes and DuckDB, 1 thread) should run on core 1:
 *
 *   taskset -c 1 bun bench/analytics-postgres.bench.ts   (npm run bench -- analytics-postgres)
 *
 * BENCH_EVENTS scales it (default 1,000,000).
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { analytics } from '../src/analytics'
import { createApp } from '../src/app'
import { COPY_PLAN } from '../src/cli/dbcopy'
import { testConfig } from '../src/config/load'
import { MIGRATIONS } from '../src/features'
import { createLogger } from '../src/ops/log'
import { buildRuntime } from '../src/server'
import { copyDatabase } from '../src/storage/copy'
import { openDatabase } from '../src/storage/db'
import { migratePostgres } from '../src/storage/migrate'
import { createToken } from '../src/tokens/store'
import { pgBenchBackend, startPg } from '../test/pg.helpers'
import { DAYS, ISSUES, loadAnalyticsEvents } from './analytics.seed'
import { fmt, hasTaskset, SECRET, tempDir } from './lib'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const NOW = Date.UTC(2026, 5, 30, 23, 30)
const ENDPOINTS = ['spikes', 'movers', 'correlations', 'releases', 'environments'] as const
const silent = createLogger('error', () => {})
const dir = tempDir('bloop-bench-pganalytics-')
const dbPath = join(dir, 'bloop.db')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** The events of bench/analytics.bench.ts (bench/analytics.seed.ts), through the real queue and writer. */
async function load() {
  const ms = await loadAnalyticsEvents({ dbPath, secret: SECRET, events: EVENTS, now: NOW, log: silent })
  console.log(
    `loaded ${fmt(EVENTS)} events in ${fmt(ISSUES)} issues over ${DAYS} days: ${fmt(ms / 1000, 1)} s`,
  )
}

const pg = await startPg()
// Ctrl-C or a kill still stops the private PostgreSQL server and removes its files.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void pg.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true })
      process.exit(130)
    })
  })
try {
  // Pin the postmaster: the backends it forks from now on inherit its core.
  const dataDir = ((await pg.admin('SHOW data_directory')) as { data_directory: string }[])[0]?.data_directory
  const postmaster = readFileSync(join(dataDir as string, 'postmaster.pid'), 'utf8').split('\n')[0] as string
  if (hasTaskset) Bun.spawnSync(['taskset', '-a', '-p', '-c', '0', postmaster])
  const version = ((await pg.admin('SHOW server_version')) as { server_version: string }[])[0]?.server_version
  console.log(`PostgreSQL ${version}, postmaster pinned to core 0: ${hasTaskset ? 'yes' : 'no (no taskset)'}`)

  await load()
  const backend = await pgBenchBackend(pg)
  await migratePostgres(backend, MIGRATIONS)
  const src = openDatabase(dbPath)
  const c0 = performance.now()
  const copied = await copyDatabase(src, backend, COPY_PLAN, { batchRows: 5000 })
  src.close()
  console.log(`db copy: ${fmt(copied.rows)} rows in ${fmt((performance.now() - c0) / 1000, 1)} s`)
  const a0 = performance.now()
  await backend.exec('ANALYZE')
  console.log(`ANALYZE: ${fmt(performance.now() - a0)} ms`)

  const config = testConfig({
    database: { path: dbPath },
    auth: { hmac_secret: SECRET },
    analytics: { cache_ttl_secs: 0 },
  })
  const rt = await buildRuntime(config, { log: silent, now: () => NOW })
  const r0 = performance.now()
  await rt.features.analytics.analytics.ready
  if (rt.features.analytics.analytics.state !== 'ready')
    throw new Error(`analytics is ${rt.features.analytics.analytics.state}`)
  console.log(`DuckDB copy built (first start): ${fmt((performance.now() - r0) / 1000, 1)} s`)
  const onPg = await analytics.start({ ...rt.core, backend, onErrorsCommit: () => {} })
  const pgApp = createApp(rt.core.log, [onPg.routes])
  const token = (
    await createToken(rt.core.backend, {
      projectId: 'default',
      name: 'bench',
      scopes: ['errors:read'],
    })
  ).token
  const hourly = await backend.get<{ n: number }>('SELECT count(*) AS n FROM event_counts_hourly')
  console.log(`hourly rows: ${fmt(hourly?.n ?? 0)} (PostgreSQL's event_counts_hourly, the copy's hourly)`)

  const time = async (handle: (r: Request) => Promise<Response> | Response, path: string) => {
    const t = performance.now()
    const res = await handle(
      new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}` } }),
    )
    const body = (await res.json()) as Record<string, unknown>
    const ms = performance.now() - t
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`)
    return { ms, rows: (Object.values(body).find(Array.isArray) as unknown[] | undefined)?.length ?? 0 }
  }
  console.log('\nendpoint (uncached)   hours   DuckDB median / max ms   PostgreSQL median / max ms   rows')
  for (const hours of [720, 72]) {
    for (const endpoint of ENDPOINTS) {
      const path = `/v1/analytics/${endpoint}?hours=${hours}&limit=100`
      const duck: number[] = []
      const onPostgres: number[] = []
      let rows = [0, 0]
      for (let i = 0; i < 5; i++) {
        const d = await time((r) => rt.handle(r), path)
        const p = await time((r) => pgApp.handle(r), path)
        duck.push(d.ms)
        onPostgres.push(p.ms)
        rows = [d.rows, p.rows]
      }
      if (rows[0] !== rows[1]) throw new Error(`${path}: DuckDB gave ${rows[0]} rows, PostgreSQL ${rows[1]}`)
      const cell = (xs: number[]) => `${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`
      console.log(
        `${endpoint.padEnd(20)} ${String(hours).padStart(6)}   ${cell(duck).padStart(22)}   ${cell(onPostgres).padStart(26)}   ${rows[0]}`,
      )
    }
  }
  await onPg.stop?.()
  await rt.close()
  await backend.close()
} finally {
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
}
