/**
 * Sentry envelope ingest next to bloop ingest: events per second committed (every answer
 * waits for its commit), with the load generator (bench/sentry.load.ts) in a separate
 * process and a fresh server and database per mode.
 *
 *   npm run bench -- sentry
 *
 * Per mode: a warm-up run, then the measured run. Record the printed table in
 * docs/benchmarks.md with the machine.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testConfig } from '../src/config/load'
import { createLogger } from '../src/ops/log'
import { sentryProjectOf } from '../src/sentry/store'
import { serve } from '../src/server'

const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef'
const MODES: { mode: string; requests: number; concurrency: number }[] = [
  { mode: 'envelope', requests: 20_000, concurrency: 32 },
  { mode: 'envelope-gzip', requests: 20_000, concurrency: 32 },
  { mode: 'ingest', requests: 20_000, concurrency: 32 },
  { mode: 'batch', requests: 2_000, concurrency: 8 },
]

async function runMode(m: (typeof MODES)[number]) {
  const dir = mkdtempSync(join(tmpdir(), 'bloop-bench-sentry-'))
  const served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: SECRET },
      log: { level: 'error' },
      rate_limit: { per_second: 1_000_000, burst_size: 1_000_000 },
    }),
    { log: createLogger('error') },
  )
  try {
    const db = served.runtime.core.db
    const key = (await sentryProjectOf(served.runtime.core.backend, 'default'))?.sentry_public_key as string
    const load = async (requests: number) => {
      const proc = Bun.spawn(
        [
          process.execPath,
          join(import.meta.dir, 'sentry.load.ts'),
          `http://127.0.0.1:${served.port}`,
          m.mode,
          String(requests),
          String(m.concurrency),
          key,
          SECRET,
        ],
        { stdout: 'pipe', stderr: 'inherit' },
      )
      const out = await new Response(proc.stdout).text()
      if ((await proc.exited) !== 0) throw new Error(`load generator failed for ${m.mode}`)
      return JSON.parse(out.trim().split('\n').at(-1) as string)
    }
    await load(Math.max(10, Math.floor(m.requests / 10)))
    const result = await load(m.requests)
    const stored = (db.query('SELECT count(*) AS n FROM raw_events').get() as { n: number }).n
    return { ...result, stored, rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024) }
  } finally {
    await served.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const rows = []
for (const m of MODES) rows.push(await runMode(m))
console.log(`bun ${Bun.version}, ${navigator.hardwareConcurrency} cores`)
console.log(
  '| mode | events | stored | requests | failed | events/s | requests/s | body bytes | p50 ms | p99 ms | server RSS MB |',
)
console.log('|---|---|---|---|---|---|---|---|---|---|---|')
for (const r of rows) {
  console.log(
    `| ${r.mode} | ${r.events} | ${r.stored} | ${r.requests} | ${r.failed} | ${r.events_per_s} | ${r.requests_per_s} | ${r.avg_body_bytes} | ${r.p50_ms} | ${r.p99_ms} | ${r.rss_mb} |`,
  )
}
