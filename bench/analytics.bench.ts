/**
 * Analytics benchmark: 1 million events in 10,000 issues over 30 days.
 *
 * 1. Loads the events through the writer (analytics off), then times the first start of
 *    the DuckDB copy (a rebuild from SQLite's hourly counts).
 * 2. Times every endpoint uncached (cache_ttl_secs = 0) over 720 and 72 hours.
 * 3. Reports the DuckDB file size beside the SQLite one.
 * 4. Runs the compiled executable on that database with analytics on and off and reads
 *    its RSS (idle, and after one request to each endpoint).
 * 5. Measures batch-ingest throughput of the compiled executable with the feed on
 *    (default interval, and after every commit) and off.
 *
 * `npm run bench -- analytics`; BENCH_EVENTS and BENCH_INGEST_EVENTS scale it down,
 * BENCH_PARTS=queries,memory,ingest picks parts, and BENCH_DIR keeps the loaded database
 * in that directory for the next run (it is loaded once, then reused).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { duckdbPathOf } from '../src/analytics/service'
import { testConfig } from '../src/config/load'
import { sign } from '../src/errors/ingest/hmac'
import { createLogger } from '../src/ops/log'
import { buildRuntime } from '../src/server'
import { SqliteBackend } from '../src/storage/sqlite'
import { createToken } from '../src/tokens/store'
import { DAYS, ISSUES, loadAnalyticsEvents } from './analytics.seed'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const INGEST_EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000)
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef'
const ROOT = join(import.meta.dir, '..')
const keep = process.env.BENCH_DIR
const dir = keep ?? join(tmpdir(), `bloop-bench-analytics-${process.pid}`)
const parts = (process.env.BENCH_PARTS ?? 'queries,memory,ingest').split(',')
mkdirSync(dir, { recursive: true })
const dbPath = join(dir, 'bloop.db')
const NOW = Date.UTC(2026, 5, 30, 23, 30)
const silent = createLogger('error', () => {})

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function load() {
  const ms = await loadAnalyticsEvents({ dbPath, secret: SECRET, events: EVENTS, now: NOW, log: silent })
  console.log(`loaded ${EVENTS} events in ${ISSUES} issues over ${DAYS} days: ${(ms / 1000).toFixed(1)} s`)
}

async function queries() {
  const config = testConfig({
    database: { path: dbPath },
    auth: { hmac_secret: SECRET },
    analytics: { cache_ttl_secs: 0 },
  })
  // Always measure a first start: no copy yet, so it is rebuilt from SQLite.
  for (const suffix of ['', '.wal']) rmSync(duckdbPathOf(dbPath) + suffix, { force: true })
  const started = performance.now()
  const rt = await buildRuntime(config, { log: silent, now: () => NOW })
  await rt.features.analytics.analytics.ready
  const ready = performance.now() - started
  if (rt.features.analytics.analytics.state !== 'ready')
    throw new Error(`analytics is ${rt.features.analytics.analytics.state}`)
  console.log(`first start of the copy (rebuild from SQLite hourly counts): ${(ready / 1000).toFixed(1)} s`)
  const token = (
    await createToken(rt.core.backend, {
      projectId: 'default',
      name: 'bench',
      scopes: ['errors:read'],
    })
  ).token
  const rows = await rt.features.analytics.analytics.copy?.query<{ n: number }>(
    'SELECT count(*) AS n FROM hourly',
  )
  console.log(`copy: ${rows?.[0]?.n} hourly rows`)
  console.log('\nendpoint (uncached)            hours  median ms  max ms  rows')
  for (const hours of [720, 72]) {
    for (const endpoint of ['spikes', 'movers', 'correlations', 'releases', 'environments']) {
      const times: number[] = []
      let n = 0
      for (let i = 0; i < 5; i++) {
        const t = performance.now()
        const res = await rt.handle(
          new Request(`http://localhost/v1/analytics/${endpoint}?hours=${hours}&limit=100`, {
            headers: { authorization: `Bearer ${token}` },
          }),
        )
        const body = (await res.json()) as Record<string, unknown[]>
        times.push(performance.now() - t)
        if (res.status !== 200) throw new Error(`${endpoint}: ${res.status} ${JSON.stringify(body)}`)
        n = Object.values(body).find(Array.isArray)?.length ?? 0
      }
      console.log(
        `${endpoint.padEnd(30)} ${String(hours).padStart(5)}  ${median(times).toFixed(1).padStart(9)}  ${Math.max(
          ...times,
        )
          .toFixed(1)
          .padStart(6)}  ${n}`,
      )
    }
  }
  await rt.close()
  const duck = statSync(duckdbPathOf(dbPath)).size
  const sqlite = statSync(dbPath).size + (statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0)
  console.log(`\ndisk: DuckDB copy ${mb(duck)}, SQLite database ${mb(sqlite)}`)
}

async function buildBinary(): Promise<string> {
  const out = join(dir, 'bloop')
  const p = Bun.spawn([process.execPath, 'build.ts', `--outfile=${out}`], {
    cwd: ROOT,
    stdout: 'ignore',
    stderr: 'inherit',
  })
  if ((await p.exited) !== 0) throw new Error('build failed')
  return out
}

interface Server {
  proc: ReturnType<typeof Bun.spawn>
  url: string
}

async function startServer(bin: string, db: string, extra: Record<string, string>): Promise<Server> {
  const proc = Bun.spawn([bin, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      BLOOP__AUTH__HMAC_SECRET: SECRET,
      BLOOP__DATABASE__PATH: db,
      BLOOP__SERVER__HOST: '127.0.0.1',
      BLOOP__SERVER__PORT: '0',
      BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
      BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
      BLOOP__LOG__LEVEL: 'info',
      ...extra,
    },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  let text = ''
  const deadline = performance.now() + 120_000
  let port: number | null = null
  let ready = extra.BLOOP__ANALYTICS__ENABLED === 'false'
  while ((port === null || !ready) && performance.now() < deadline) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
    const m = /"msg":"listening".*?"port":(\d+)/.exec(text)
    if (m) port = Number(m[1])
    if (text.includes('"analytics ready"')) ready = true
  }
  if (port === null || !ready) throw new Error(`server did not start:\n${text}`)
  void (async () => {
    for (;;) if ((await reader.read()).done) break
  })()
  return { proc, url: `http://127.0.0.1:${port}` }
}

function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024
  return `RSS ${mb(kb('VmRSS'))} (anonymous ${mb(kb('RssAnon'))}, file-backed ${mb(kb('RssFile'))})`
}

async function rss(bin: string) {
  const token = await createTokenOnDisk()
  // A first start writes DuckDB's native files into the data directory; measure later starts.
  const warm = await startServer(bin, dbPath, {})
  warm.proc.kill('SIGTERM')
  await warm.proc.exited
  console.log('\nmemory of the compiled executable on this database')
  for (const enabled of [false, true]) {
    const s = await startServer(bin, dbPath, { BLOOP__ANALYTICS__ENABLED: String(enabled) })
    await Bun.sleep(500)
    const idle = memoryOf(s.proc.pid)
    for (const endpoint of ['spikes', 'movers', 'correlations', 'releases', 'environments']) {
      await fetch(`${s.url}/v1/analytics/${endpoint}?hours=720`, {
        headers: { authorization: `Bearer ${token}` },
      })
    }
    const after = memoryOf(s.proc.pid)
    console.log(`  analytics ${enabled ? 'on ' : 'off'}: idle ${idle}`)
    console.log(`                 after one request per endpoint (720 h) ${after}`)
    s.proc.kill('SIGTERM')
    await s.proc.exited
  }
}

async function createTokenOnDisk(): Promise<string> {
  const { openDatabase } = require('../src/storage/db') as typeof import('../src/storage/db')
  const db = openDatabase(dbPath)
  try {
    return (
      await createToken(new SqliteBackend(db), { projectId: 'default', name: 'rss', scopes: ['errors:read'] })
    ).token
  } finally {
    db.close()
  }
}

/** Events per second through POST /v1/ingest/batch (100 events a request, 8 clients). */
async function ingest(bin: string, label: string, extra: Record<string, string>) {
  const db = join(dir, `ingest-${label.replace(/\W+/g, '-')}.db`)
  const s = await startServer(bin, db, extra)
  const bodies = Array.from({ length: 64 }, (_, b) => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      source: 'api',
      environment: ['production', 'staging'][i % 2],
      release: '1.0.0',
      error_type: `Error${(b * 100 + i) % 300}`,
      message: `failure ${(b * 7 + i) % 300}`,
      route_or_procedure: `/r/${i % 20}`,
    }))
    const body = JSON.stringify({ events })
    return { body, sig: sign(SECRET, body) }
  })
  let sent = 0
  const started = performance.now()
  const client = async () => {
    while (sent < INGEST_EVENTS) {
      sent += 100
      const { body, sig } = bodies[(sent / 100) % bodies.length] as { body: string; sig: string }
      const r = await fetch(`${s.url}/v1/ingest/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sig },
        body,
      })
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}`)
      await r.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: 8 }, client))
  const secs = (performance.now() - started) / 1000
  s.proc.kill('SIGTERM')
  await s.proc.exited
  for (const suffix of ['', '-wal', '-shm', '.analytics.duckdb', '.analytics.duckdb.wal']) {
    rmSync(db + suffix, { force: true })
  }
  return sent / secs
}

async function throughput(bin: string) {
  console.log(`\nbatch ingest, ${INGEST_EVENTS} events, 100 per request, 8 clients (events/s)`)
  const runs: Record<string, number[]> = { off: [], on: [], every: [] }
  for (let round = 0; round < 3; round++) {
    runs.off?.push(await ingest(bin, 'off', { BLOOP__ANALYTICS__ENABLED: 'false' }))
    runs.on?.push(await ingest(bin, 'on', { BLOOP__ANALYTICS__ENABLED: 'true' }))
    runs.every?.push(await ingest(bin, 'every', { BLOOP__ANALYTICS__SYNC_INTERVAL_MS: '0' }))
  }
  const off = median(runs.off as number[])
  for (const [k, label] of [
    ['off', 'analytics off'],
    ['on', 'analytics on (sync_interval_ms = 1000)'],
    ['every', 'analytics on (sync_interval_ms = 0)'],
  ] as const) {
    const m = median(runs[k] as number[])
    const cost = k === 'off' ? '' : `  cost ${(((off - m) / off) * 100).toFixed(1)}%`
    console.log(
      `  ${label.padEnd(40)} median ${Math.round(m)}  (runs ${runs[k]?.map(Math.round).join(', ')})${cost}`,
    )
  }
}

try {
  if (!existsSync(dbPath)) await load()
  if (parts.includes('queries')) await queries()
  const bin = parts.includes('memory') || parts.includes('ingest') ? await buildBinary() : ''
  if (parts.includes('memory')) await rss(bin)
  if (parts.includes('ingest')) await throughput(bin)
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true })
}
