/**
 * Dashboard: what its pages cost the server and the browser.
 * - The issue list with per-issue sparklines (`trend_hours`) against the same list
 *   without them, and against the old way (one /trend request per row), on 10,000
 *   issues with 24 hours of events.
 * - Live updates: the cost of one committed batch for 256 open streams.
 * - The bundle: cold Bun.build time and bytes, raw and gzipped, of the dashboard group.
 * Run: `npm run bench -- dashboard`.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createSession } from '../src/auth/sessions'
import { testConfig } from '../src/config/load'
import { StreamHub } from '../src/dashboard/stream'
import type { CommitResult } from '../src/errors/commit'
import { sign } from '../src/errors/ingest/hmac'
import { createLogger } from '../src/ops/log'
import { buildRuntime } from '../src/server'
import { bundleAssets, ENTRIES } from '../src/web/assets'
import { userOnSqlite } from '../test/helpers'
import { fmt, percentile, SECRET, tempDir } from './lib'

const ISSUES = 10_000
const HOURS = 24
const PER_HOUR = 5_000
const HOUR = 3_600_000

const dir = tempDir()
let clock = Date.now() - HOURS * HOUR
const rt = await buildRuntime(
  testConfig({
    database: { path: join(dir, 'bloop.db') },
    auth: { hmac_secret: SECRET },
    rate_limit: { per_second: 1_000_000, burst_size: 1_000_000 },
    analytics: { enabled: false },
  }),
  { log: createLogger('error'), now: () => clock },
)
const db = rt.core.db

// 24 hours x 5,000 events over 10,000 issues, each hour committed in batches of 100.
const seedStart = performance.now()
let n = 0
for (let h = 0; h < HOURS; h++) {
  clock = Date.now() - (HOURS - h) * HOUR
  for (let b = 0; b < PER_HOUR / 100; b++) {
    const events = Array.from({ length: 100 }, () => {
      const i = (n++ * 7919) % ISSUES
      return {
        timestamp: clock,
        source: 'api',
        environment: i % 3 ? 'production' : 'staging',
        release: `1.${h >> 3}.0`,
        error_type: 'TypeError',
        message: `failure ${i}`,
        fingerprint: `issue-${i}`,
      }
    })
    const body = JSON.stringify({ events })
    const res = await rt.handle(
      new Request('http://localhost/v1/ingest/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sign(SECRET, body) },
        body,
      }),
    )
    if (res.status !== 200) throw new Error(`seed: HTTP ${res.status}`)
  }
}
clock = Date.now()
console.log(
  `seeded ${fmt(n)} events in ${fmt(ISSUES)} issues over ${HOURS} h in ${fmt((performance.now() - seedStart) / 1000, 1)} s`,
)

const user = userOnSqlite(db, { username: 'bench', role: 'admin' }, Date.now())
const cookie = `bloop_session=${await createSession(rt.core.backend, user.id, Date.now(), 3600)}`
const get = async (path: string) => {
  const res = await rt.handle(new Request(`http://localhost${path}`, { headers: { cookie } }))
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`)
  return res.json() as Promise<{ items: { fingerprint: string }[] }>
}

async function measure(label: string, run: () => Promise<unknown>, runs = 300) {
  for (let i = 0; i < 20; i++) await run()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await run()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  console.log(`| ${label} | ${runs} | ${fmt(percentile(times, 50), 2)} | ${fmt(percentile(times, 99), 2)} |`)
}

console.log('\n| one page of 50 issues (session) | runs | p50 ms | p99 ms |')
console.log('|---|---|---|---|')
const LIST = '/v1/errors?status=unresolved&limit=50'
await measure('GET /v1/errors', () => get(LIST))
await measure('GET /v1/errors&trend_hours=24', () => get(`${LIST}&trend_hours=24`))
await measure('GET /v1/errors&trend_hours=168', () => get(`${LIST}&trend_hours=168`))
const page = await get(LIST)
await measure(
  'list + 50 x GET /v1/errors/:fp/trend?hours=24',
  async () => {
    await get(LIST)
    for (const i of page.items) await get(`/v1/errors/${i.fingerprint}/trend?hours=24`)
  },
  50,
)
await rt.close()
rmSync(dir, { recursive: true, force: true })

// Live updates: 256 open streams (the cap), a batch touching 100 issues of 3 projects;
// once with every commit sent (no throttle), once as configured (one event a second).
async function fanOut(minIntervalMs: number): Promise<number> {
  const hub = new StreamHub({ maxStreams: 256, maxPerUser: 256, minIntervalMs, heartbeatMs: 60_000 })
  // Each stream is read to its end, as a browser would.
  const readers = Array.from({ length: 256 }, async (_, i) => {
    const reader = hub.open(`u${i}`, [`p${i % 4}`]).getReader()
    while (!(await reader.read()).done) {}
  })
  const COMMITS = 2_000
  const t0 = performance.now()
  for (let i = 0; i < COMMITS; i++) hub.onCommit(result)
  const perCommit = (performance.now() - t0) / COMMITS
  hub.close()
  await Promise.all(readers)
  return perCommit * 1000
}
const result: CommitResult = {
  inserted: new Array(100).fill(1),
  issues: Array.from({ length: 100 }, (_, i) => ({
    project_id: `p${i % 3}`,
    fingerprint: `f${i}`,
    is_new: i === 0,
    regressed: false,
    status: 'unresolved',
    error_type: 'E',
    message: 'm',
    source: 'api',
    route_or_procedure: null,
    total_count: 1,
    first_seen: 0,
    last_seen: 0,
    breakdown: [{ environment: 'production', source: 'api', release: '1', route: null, count: 1 }],
  })),
  first_raw_id: 1,
  last_raw_id: 100,
  duration_ms: 1,
}
console.log('\n| live updates: a batch of 100 issues, 256 open streams (192 hear it) | µs per commit |')
console.log('|---|---|')
console.log(`| every commit sent to every stream | ${fmt(await fanOut(0))} |`)
console.log(`| as configured: summed, one event per stream per second | ${fmt(await fanOut(1000))} |`)

// The bundle.
const b0 = performance.now()
const assets = await bundleAssets()
console.log(
  `\ncold bundle of every page (${Object.keys(ENTRIES).join(', ')}): ${Math.round(performance.now() - b0)} ms`,
)
console.log('\n| asset | bytes | gzip bytes |')
console.log('|---|---|---|')
for (const [url, f] of Object.entries(assets.files)) {
  if (!url.startsWith('/assets/dashboard/')) continue
  const bytes = Buffer.from(f.base64, 'base64')
  console.log(
    `| ${url.replace(/-[a-z0-9]+\./, '-<hash>.')} | ${bytes.byteLength} | ${Bun.gzipSync(bytes).byteLength} |`,
  )
}
