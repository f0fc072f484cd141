/**
 * Retention under load: one million expired raw events are pruned while ingest runs at
 * half its measured capacity. Reports the prune rate and the ingest latency (p50, p99,
 * max) before and during the pass.
 *
 *   npm run bench -- prune                      (PRUNE_BENCH_EVENTS=200000 for a quick run)
 *
 * 1. A database is seeded with N raw events received 30 days ago (default retention: 7).
 * 2. The server runs as its own process (`bun src/main.ts serve`), the load generator
 *    (bench/prune.load.ts, which records every request's due time so latencies can be cut
 *    to the pass's window) as another; with taskset and two or more cores they are pinned to
 *    different cores, so the server, its writer thread included, has one core: the small
 *    VPS bloop is made for.
 * 3. Capacity: the generator sends as fast as 64 concurrent senders can for 10 s.
 * 4. The same pass on an idle server (no load), for the full-speed rate; then a fresh seed.
 * 5. The server is restarted with `prune_interval_secs = 30`; the generator sends at half
 *    the capacity (open loop) for 30 s before the scheduled pass, during it and 15 s after
 *    it; the pass's start and end come from the server's log, latencies (from each
 *    request's due time) from the generator. PRUNE_BENCH_KEEP=1 keeps the data directory
 *    with the server log, every request and the WAL size every 0.5 s.
 */
import { readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { MIGRATIONS } from '../src/features'
import { openDatabase } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'
import { percentile, pin, REPO as ROOT, SECRET, tempDir } from './lib'

const EVENTS = Number(process.env.PRUNE_BENCH_EVENTS ?? 1_000_000)
const BASELINE_SECS = 30
const AFTER_SECS = 15
const DAY = 86_400_000

const dir = tempDir('bloop-prune-bench-')
const dbPath = join(dir, 'bloop.db')
const pinned = pin(0).length > 0
const onCore = (core: number, cmd: string[]) => [...pin(core), ...cmd]

function seed(): { seconds: number; bytes: number } {
  const t0 = performance.now()
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}.analytics.duckdb`])
    rmSync(f, { force: true })
  const db = openDatabase(dbPath)
  migrate(db, MIGRATIONS)
  const frames = Array.from(
    { length: 10 },
    (_, i) => `    at f${i} (https://cdn.example.com/app.js:1:${i * 97})`,
  )
  const stack = `TypeError: x is undefined\n${frames.join('\n')}`
  const receivedFrom = Date.now() - 30 * DAY
  const insert = db.prepare(
    `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
       error_type, message, route_or_procedure, stack)
     WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
     SELECT 'default', printf('%016x', i % 500), ?3 + i, ?3 + i, 'web', 'production', '2.4.0', 'TypeError',
            'Cannot read properties of undefined (reading ''item' || (i % 1000) || ''')', '/checkout', ?4
     FROM n`,
  )
  const chunk = 100_000
  for (let from = 0; from < EVENTS; from += chunk) {
    const to = Math.min(EVENTS, from + chunk) - 1
    db.transaction(() => insert.run(from, to, receivedFrom, stack)).immediate()
  }
  db.run('PRAGMA wal_checkpoint(TRUNCATE)')
  db.close()
  return { seconds: (performance.now() - t0) / 1000, bytes: statSync(dbPath).size }
}

interface Server {
  proc: ReturnType<typeof Bun.spawn>
  url: string
  lines: Record<string, unknown>[]
  waitFor(msg: string, timeoutMs: number): Promise<Record<string, unknown>>
}

async function startServer(pruneIntervalSecs: number): Promise<Server> {
  const proc = Bun.spawn(onCore(0, [process.execPath, join(ROOT, 'src', 'main.ts'), 'serve']), {
    cwd: dir,
    env: {
      ...process.env,
      BLOOP__SERVER__HOST: '127.0.0.1',
      BLOOP__SERVER__PORT: '0',
      BLOOP__DATABASE__PATH: dbPath,
      BLOOP__AUTH__HMAC_SECRET: SECRET,
      BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
      BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
      BLOOP__RETENTION__PRUNE_INTERVAL_SECS: String(pruneIntervalSecs),
      ...(process.env.PRUNE_BENCH_BATCH
        ? { BLOOP__RETENTION__PRUNE_BATCH_SIZE: process.env.PRUNE_BENCH_BATCH }
        : {}),
      BLOOP__LOG__LEVEL: 'info',
    },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const lines: Record<string, unknown>[] = []
  const waiters: { msg: string; resolve: (l: Record<string, unknown>) => void }[] = []
  ;(async () => {
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true })
      let nl = buf.indexOf('\n')
      while (nl >= 0) {
        const text = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        nl = buf.indexOf('\n')
        try {
          const line = JSON.parse(text) as Record<string, unknown>
          lines.push(line)
          for (const w of waiters.filter((x) => x.msg === line.msg)) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve(line)
          }
        } catch {
          // not a log line
        }
      }
    }
  })()
  const waitFor = (msg: string, timeoutMs: number) => {
    const seen = lines.find((l) => l.msg === msg)
    if (seen) return Promise.resolve(seen)
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not log "${msg}" within ${timeoutMs} ms`)),
        timeoutMs,
      )
      waiters.push({
        msg,
        resolve: (line) => {
          clearTimeout(timer)
          resolve(line)
        },
      })
    })
  }
  const listening = await waitFor('listening', 60_000)
  // Analytics (when built in) first copies the existing events; measure after that.
  await waitFor('analytics ready', 120_000).catch(() => null)
  return { proc, url: `http://127.0.0.1:${listening.port}`, lines, waitFor }
}

async function stopServer(s: Server): Promise<void> {
  s.proc.kill('SIGTERM')
  await s.proc.exited
}

function loadgen(mode: 'max' | 'rate', url: string, amount: number, seconds: number, out: string) {
  return Bun.spawn(
    onCore(1, [
      process.execPath,
      join(ROOT, 'bench', 'prune.load.ts'),
      mode,
      url,
      SECRET,
      String(amount),
      String(seconds),
      out,
    ]),
    { stdout: 'pipe', stderr: 'inherit' },
  )
}

interface Sample {
  due: number
  latency: number
  status: number
}
const readSamples = (file: string): Sample[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [due, latency, status] = l.split(',').map(Number)
      return { due: due as number, latency: latency as number, status: status as number }
    })

function describe(samples: Sample[]) {
  const ms = samples.map((s) => s.latency).sort((a, b) => a - b)
  return {
    requests: samples.length,
    non_200: samples.filter((s) => s.status !== 200).length,
    p50_ms: percentile(ms, 50),
    p99_ms: percentile(ms, 99),
    max_ms: ms[ms.length - 1] ?? Number.NaN,
  }
}

try {
  console.log(`seeding ${EVENTS.toLocaleString('en')} raw events received 30 days ago ...`)
  const seeded = seed()
  console.log(`  ${seeded.seconds.toFixed(1)} s, database ${(seeded.bytes / 1e6).toFixed(0)} MB`)

  console.log('measuring ingest capacity (64 concurrent senders, 10 s) ...')
  const first = await startServer(3600)
  const capGen = loadgen('max', first.url, 64, 10, join(dir, 'capacity.csv'))
  const capacity = JSON.parse((await new Response(capGen.stdout).text()).trim()) as { ok_per_sec: number }
  await capGen.exited
  await stopServer(first)
  const rate = Math.floor(capacity.ok_per_sec / 2)
  console.log(
    `  capacity ${capacity.ok_per_sec.toFixed(0)} events/s; load during the prune: ${rate} events/s`,
  )

  // The same pass on an idle server: full speed, no rests (what the throttle costs).
  console.log('pruning on an idle server ...')
  const idleServer = await startServer(10)
  const idle = await idleServer.waitFor('retention pass finished', 3_600_000)
  await stopServer(idleServer)
  const idlePhases = idle.phases_ms as { raw_events: number; vacuum: number }
  const idleRate = Math.round((idle.raw_events_deleted as number) / (idlePhases.raw_events / 1000))
  console.log(`  ${idleRate} rows/s, pass ${((idle.duration_ms as number) / 1000).toFixed(1)} s`)
  console.log('seeding again ...')
  seed()

  // 30 s of the same load before the pass and 15 s after it are the control: this machine
  // may be shared, and a stall seen in all three windows is not the pass's doing.
  const loadBefore = loadavg()[0] as number
  console.log(`pruning under load (pass scheduled ${BASELINE_SECS} s after start) ...`)
  const server = await startServer(BASELINE_SECS)
  const genOut = join(dir, 'load.csv')
  const gen = loadgen('rate', server.url, rate, 3600, genOut)
  const wal: string[] = []
  const sampler = setInterval(() => {
    const size = statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0
    wal.push(`${Date.now()},${size}`)
  }, 500)
  const started = await server.waitFor('retention pass started', 120_000)
  const finished = await server.waitFor('retention pass finished', 3_600_000)
  await Bun.sleep(AFTER_SECS * 1000)
  clearInterval(sampler)
  gen.kill('SIGTERM')
  const genSummary = (await new Response(gen.stdout).text()).trim()
  await gen.exited
  await stopServer(server)
  if (process.env.PRUNE_BENCH_KEEP) {
    await Bun.write(join(dir, 'server.log'), server.lines.map((l) => JSON.stringify(l)).join('\n'))
    await Bun.write(join(dir, 'wal.csv'), wal.join('\n'))
  }

  const passStart = Date.parse(started.ts as string)
  const passEnd = Date.parse(finished.ts as string)
  const samples = readSamples(genOut)
  const genStart = samples.reduce((m, s) => Math.min(m, s.due), Number.POSITIVE_INFINITY)
  const window = (from: number, to: number) => samples.filter((s) => s.due >= from && s.due < to)
  const before = describe(window(genStart + 2000, passStart))
  const during = describe(window(passStart, passEnd))
  const after = describe(window(passEnd, passEnd + AFTER_SECS * 1000 - 1000))
  const slowSeconds = (from: number, to: number) => {
    let slow = 0
    let all = 0
    for (let t = from; t + 1000 <= to; t += 1000) {
      all++
      if (describe(window(t, t + 1000)).p99_ms > 100) slow++
    }
    return `${slow}/${all}`
  }
  const phases = finished.phases_ms as { raw_events: number; hourly_counts: number; vacuum: number }
  const deleted = finished.raw_events_deleted as number
  const result = {
    events: EVENTS,
    raw_events_deleted: deleted,
    pass_seconds: (finished.duration_ms as number) / 1000,
    phases_ms: phases,
    prune_rate_per_sec: Math.round(deleted / (phases.raw_events / 1000)),
    idle_server: {
      prune_rate_per_sec: idleRate,
      pass_seconds: (idle.duration_ms as number) / 1000,
      phases_ms: idlePhases,
    },
    pages_freed: finished.pages_freed,
    capacity_per_sec: Math.round(capacity.ok_per_sec),
    load_per_sec: rate,
    ingest_before: before,
    ingest_during: during,
    ingest_after: after,
    seconds_with_p99_over_100ms: {
      before: slowSeconds(genStart + 2000, passStart),
      during: slowSeconds(passStart, passEnd),
      after: slowSeconds(passEnd, passEnd + AFTER_SECS * 1000 - 1000),
    },
    wal_max_mb: Math.round(wal.reduce((m, l) => Math.max(m, Number(l.split(',')[1])), 0) / 1e5) / 10,
    pinned,
    // Other processes on the machine: the 1-minute load average before and after the run.
    load_average: [Math.round(loadBefore * 100) / 100, Math.round((loadavg()[0] as number) * 100) / 100],
    database_after_mb: Math.round(statSync(dbPath).size / 1e6),
    generator: JSON.parse(genSummary),
  }
  console.log(JSON.stringify(result, null, 2))
  console.log(
    `\nmachine: ${cpus()[0]?.model} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, ` +
      `Linux ${process.platform === 'linux' ? readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : process.platform}, ` +
      `Bun ${Bun.version}`,
  )
  console.log(
    `| ${EVENTS.toLocaleString('en')} | ${result.prune_rate_per_sec.toLocaleString('en')} rows/s ` +
      `(${(phases.raw_events / 1000).toFixed(1)} s) | ${result.pass_seconds.toFixed(1)} s | ${rate}/s ` +
      `| ${before.p50_ms} / ${before.p99_ms} ms | ${during.p50_ms} / ${during.p99_ms} / ${during.max_ms} ms ` +
      `| ${after.p50_ms} / ${after.p99_ms} ms | ${during.non_200} |`,
  )
} finally {
  if (process.env.PRUNE_BENCH_KEEP) console.log(`kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
