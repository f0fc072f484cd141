/**
 * Core ingest benchmarks (method: docs/decisions.md, "Benchmarks"). Server pinned to core 0, load generator (its own
 * process) to core 1. Each bloop figure sits beside a bare baseline from the same run:
 *   HTTP ceiling    a Bun handler that only checks the HMAC and parses the JSON
 *   storage ceiling a bare bun:sqlite batched insert of the same rows, same pragmas
 * Then: batch ingest (50 events/request, 30 s, rows counted in the database), single-event
 * ingest, p99 time to acknowledgement at 50 connections below saturation, RSS idle and at
 * peak, and GET /v1/errors p99 with 1 million raw events in 10,000 issues.
 *
 *   npm run bench -- ingest            (BENCH_SECONDS=5 for a quick run;
 *                                       BENCH_ANALYTICS=false to run without the DuckDB feed;
 *                                       BENCH_ONLY=4,5 to run some sections;
 *                                       BENCH_USERS=20000 to send user ids in the batch
 *                                       section, the cost of users affected;
 *                                       BENCH_SERVER_REPO=<worktree> to serve from another
 *                                       tree, a baseline under the same load generator)
 */
import { Database } from 'bun:sqlite'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { commitEvents } from '../src/errors/commit'
import type { NormalizedEvent } from '../src/errors/event'
import { computeFingerprint } from '../src/errors/fingerprint'
import { MIGRATIONS } from '../src/features'
import { openDatabase } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'
import { SqliteBackend } from '../src/storage/sqlite'
import { createToken } from '../src/tokens/store'
import { projectOnSqlite, taskOnSqlite } from '../test/helpers'
import { benchEvent, cores, fmt, hasTaskset, REPO, rssMb, runLoad, SECRET, startPinned, tempDir } from './lib'

const SUSTAIN = Number(process.env.BENCH_SECONDS ?? 30)
const ANALYTICS = process.env.BENCH_ANALYTICS ?? 'true'
const ONLY = process.env.BENCH_ONLY?.split(',').map(Number)
const runs = (section: number) => !ONLY || ONLY.includes(section)
const SHORT = Math.min(10, SUSTAIN)
const USERS = Number(process.env.BENCH_USERS ?? 0)
const SERVER_REPO = process.env.BENCH_SERVER_REPO ?? REPO
const results: string[] = []
const report = (line: string) => {
  results.push(line)
  console.log(line)
}

function bloopEnv(dir: string, extra: Record<string, string> = {}) {
  return {
    BLOOP__SERVER__PORT: '0',
    BLOOP__SERVER__HOST: '127.0.0.1',
    BLOOP__DATABASE__PATH: join(dir, 'bloop.db'),
    BLOOP__AUTH__HMAC_SECRET: SECRET,
    BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
    BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
    BLOOP__LOG__LEVEL: 'info',
    BLOOP__ANALYTICS__ENABLED: ANALYTICS,
    ...extra,
  }
}
const startBloop = (dir: string, extra: Record<string, string> = {}) =>
  // In its own tree, which holds the config.toml that tree's schema reads.
  startPinned(
    [process.execPath, join(SERVER_REPO, 'src/main.ts'), 'serve'],
    bloopEnv(dir, extra),
    0,
    SERVER_REPO,
  )

/** CPU time (user + system, every thread) a process has used so far, in ms (Linux's /proc). */
const cpuMsOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime, fields 14 and 15 of the line, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const rows = (dir: string) => {
  const db = new Database(join(dir, 'bloop.db'), { readonly: true })
  const n = (db.query('SELECT count(*) AS n FROM raw_events').get() as { n: number }).n
  db.close()
  return n
}

console.log(
  `machine: ${cores} cores, Bun ${Bun.version}, pinning ${hasTaskset && cores >= 2 ? 'server->core 0, load->core 1' : 'unavailable'}, analytics ${ANALYTICS}`,
)

// 1. HTTP ceiling.
if (runs(1)) {
  const base = await startPinned([process.execPath, join(REPO, 'bench/baseline-http.ts')], {}, 0)
  const r = await runLoad({ url: `http://127.0.0.1:${base.port}`, seconds: SHORT, connections: 50 }, 1)
  await base.stop()
  report(`HTTP ceiling (HMAC + JSON.parse only): ${fmt(r.rps)} req/s, p99 ${fmt(r.p99, 2)} ms`)
  process.env.HTTP_CEILING = String(r.rps)
}

// 2. Storage ceiling: the same rows, same pragmas, batches of 500, raw insert only.
if (runs(2)) {
  const dir = tempDir()
  const db = openDatabase(join(dir, 'bloop.db'))
  migrate(db, MIGRATIONS)
  const insert = db.prepare(
    `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
      route_or_procedure, error_type, message, stack, request_id, metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  )
  const n = 300_000
  const events = Array.from({ length: n }, (_, i) => benchEvent(i, 1000))
  const t = performance.now()
  for (let i = 0; i < n; i += 500) {
    db.transaction(() => {
      for (const e of events.slice(i, i + 500)) {
        insert.run(
          'default',
          'fp',
          e.timestamp,
          e.timestamp,
          e.source as string,
          e.environment,
          e.release,
          e.route_or_procedure,
          e.error_type,
          e.message,
          e.stack,
          e.request_id,
          JSON.stringify(e.metadata),
        )
      }
    }).immediate()
  }
  const s = (performance.now() - t) / 1000
  db.close()
  report(`storage ceiling (bare bun:sqlite, batches of 500): ${fmt(n / s)} rows/s`)
}

// 3. Batch ingest, 50 events per request, sustained; committed rows counted in the database.
if (runs(3)) {
  const dir = tempDir()
  const server = await startBloop(dir)
  await Bun.sleep(500)
  const idle = rssMb(server.proc.pid)
  const before = rows(dir)
  const cpuBefore = cpuMsOf(server.proc.pid)
  const r = await runLoad(
    {
      url: `http://127.0.0.1:${server.port}`,
      path: '/v1/ingest/batch',
      'per-request': 50,
      seconds: SUSTAIN,
      connections: 16,
      issues: 1000,
      users: USERS,
    },
    1,
  )
  const committed = rows(dir) - before
  const mem = rssMb(server.proc.pid)
  // The server's CPU per stored event (every thread), after the fold of tags and users that
  // follows the last commits within a second: on a machine shared with other jobs it moves
  // far less than the rate does.
  await Bun.sleep(2000)
  const cpuUs = ((cpuMsOf(server.proc.pid) - cpuBefore) * 1000) / committed
  await server.stop()
  report(
    `batch ingest (50/request, 16 connections, ${SUSTAIN} s, ${fmt(USERS)} users): ${fmt(committed / r.seconds)} events/s committed ` +
      `(${fmt(committed)} rows; ${fmt(r.rps)} req/s, p99 ${fmt(r.p99, 1)} ms, errors ${JSON.stringify(r.errors)}; ` +
      `server CPU ${fmt(cpuUs, 1)} us/event)`,
  )
  report(
    `RSS: idle ${fmt(idle.rss, 1)} MB (${fmt(idle.anon, 1)} MB private), peak under batch load ${fmt(mem.peak, 1)} MB ` +
      `(now ${fmt(mem.rss, 1)} MB, ${fmt(mem.anon, 1)} MB private)`,
  )
}

// 4. Single-event ingest at 50 connections, closed loop (max throughput).
let singleMax = Number(process.env.BENCH_SINGLE_MAX ?? 0)
if (runs(4)) {
  const dir = tempDir()
  const server = await startBloop(dir)
  const r = await runLoad(
    { url: `http://127.0.0.1:${server.port}`, seconds: SHORT, connections: 50, issues: 1000 },
    1,
  )
  const committed = rows(dir)
  const mem = rssMb(server.proc.pid)
  await server.stop()
  singleMax = r.rps
  const ceiling = Number(process.env.HTTP_CEILING)
  report(
    `single-event ingest (50 connections): ${fmt(r.rps)} req/s = ${fmt((100 * r.rps) / ceiling)}% of the HTTP ceiling ` +
      `(${fmt(committed)} rows; p99 ${fmt(r.p99, 1)} ms; peak RSS ${fmt(mem.peak, 1)} MB)`,
  )
}

// 5. p99 time to acknowledgement below saturation: open loop at 50% and 70% of the maximum.
for (const share of runs(5) ? [0.5, 0.7] : []) {
  const dir = tempDir()
  const server = await startBloop(dir)
  const rate = Math.floor(singleMax * share)
  const r = await runLoad(
    { url: `http://127.0.0.1:${server.port}`, seconds: SHORT, connections: 50, rate, issues: 1000 },
    1,
  )
  await server.stop()
  report(
    `ack latency at ${fmt(rate)} req/s (${share * 100}% of max), 50 connections: p50 ${fmt(r.p50, 2)} ms, ` +
      `p90 ${fmt(r.p90, 2)} ms, p99 ${fmt(r.p99, 2)} ms`,
  )
}

// 6. GET /v1/errors with 1,000,000 raw events in 10,000 issues over 30 days.
if (runs(6)) {
  const dir = tempDir()
  const db = openDatabase(join(dir, 'bloop.db'))
  migrate(db, MIGRATIONS)
  projectOnSqlite(db, { id: 'default', name: 'Default', slug: 'default', apiKey: SECRET })
  const total = 1_000_000
  const issues = 10_000
  const now = Date.now()
  const t = performance.now()
  for (let i = 0; i < total; i += 5000) {
    const batch: NormalizedEvent[] = []
    for (let j = i; j < i + 5000; j++) {
      const e = benchEvent(j, issues)
      const received = now - 30 * 86_400_000 + Math.floor((j / total) * 30 * 86_400_000)
      batch.push({
        project_id: 'default',
        fingerprint: computeFingerprint({ ...e, source: e.source as string }),
        timestamp: received,
        received_at: received,
        source: e.source as string,
        environment: e.environment,
        release: e.release,
        app_version: null,
        build_number: null,
        route_or_procedure: e.route_or_procedure,
        screen: null,
        error_type: e.error_type,
        message: e.message,
        stack: e.stack,
        http_status: null,
        request_id: e.request_id,
        user_id_hash: null,
        device_id_hash: null,
        metadata: JSON.stringify(e.metadata),
        event_id: null,
        level: null,
      })
    }
    await taskOnSqlite(db, (tx) => commitEvents(tx, batch, 5))
  }
  const seeded = (performance.now() - t) / 1000
  const { token } = await createToken(new SqliteBackend(db), {
    projectId: 'default',
    name: 'bench',
    scopes: ['errors:read'],
  })
  const issueCount = (db.query('SELECT count(*) AS n FROM issues').get() as { n: number }).n
  db.close()
  report(
    `seeded ${fmt(total)} events in ${fmt(issueCount)} issues in ${fmt(seeded, 1)} s (${fmt(total / seeded)} events/s through the commit path, in-process)`,
  )
  const server = await startBloop(dir)
  // Let the analytics copy catch up with the seeded million events first: its one-off
  // catch-up would otherwise compete with the queries for the one core.
  for (let i = 0; ANALYTICS === 'true' && i < 600; i++) {
    const res = await fetch(`http://127.0.0.1:${server.port}/v1/analytics/status`, {
      headers: { authorization: `Bearer ${token}` },
    })
    if (((await res.json()) as { caught_up?: boolean }).caught_up) break
    await Bun.sleep(500)
  }
  for (const [label, path] of [
    ['default list', '/v1/errors'],
    ['sorted by count', '/v1/errors?sort=total_count'],
    ['filtered by release', '/v1/errors?release=1.3.0'],
    ['page 20', '/v1/errors?offset=1000'],
  ] as const) {
    for (const connections of [1, 4]) {
      const r = await runLoad(
        {
          url: `http://127.0.0.1:${server.port}`,
          path,
          method: 'GET',
          token,
          seconds: Math.min(5, SHORT),
          connections,
        },
        1,
      )
      report(
        `GET ${path} (${label}; ${connections} client${connections > 1 ? 's' : ''}): ${fmt(r.rps)} req/s, ` +
          `p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`,
      )
    }
  }
  await server.stop()
}

console.log('\nsummary:')
for (const line of results) console.log(`  ${line}`)
