/**
 * The LLM read API at a million traces: overview, usage, models and latency (target
 * < 50 ms), the trace list (p99 < 25 ms), search (< 200 ms) and a 100-span trace detail
 * (< 10 ms), all at hours=720, through the real HTTP handlers of an in-process server
 * (auth, parameter checks, SQL, JSON) with a bearer token. There is no result cache to
 * defeat: every request runs its SQL. The first request of each route is reported apart
 * (`first`), the rest as p50/p99 over the iterations.
 *
 *   npm run bench -- llm-query
 *   LLM_BENCH_TRACES=100000 npm run bench -- llm-query      (a quick run)
 *   LLM_BENCH_DB=/tmp/llm-bench.db npm run bench -- llm-query   (keep and reuse the database)
 *
 * The database comes from bench/llm-query.seed.ts (1M traces / 3M spans over 30 days).
 * Baselines of the same run: GET /health through the same in-process handler (what any
 * request costs), and an exact `count(*)` of the window's traces in SQL alone (what the
 * list would pay per page if its total were counted rather than read from the rollup).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../src/config/load'
import { createLogger } from '../src/ops/log'
import { buildRuntime } from '../src/server'
import { createToken } from '../src/tokens/store'
import { percentile, SECRET, tempDir } from './lib'
import { COMMON_PHRASE, DETAIL_TRACE, PROJECT, RARE_WORD, seed } from './llm-query.seed'

const N = Number(process.env.LLM_BENCH_TRACES ?? 1_000_000)
const ITER = Number(process.env.LLM_BENCH_ITER ?? 100)
const keep = process.env.LLM_BENCH_DB
const dir = keep ? null : tempDir('bloop-llm-query-')
const dbPath = keep ?? join(dir as string, 'bloop.db')
const metaPath = `${dbPath}.bench.json`

let now: number
const meta = existsSync(metaPath)
  ? (JSON.parse(readFileSync(metaPath, 'utf8')) as { n: number; now: number })
  : null
if (meta && meta.n === N && existsSync(dbPath)) {
  now = meta.now
  console.log(`reusing ${dbPath} (${N} traces, generated for now=${now})`)
} else {
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, metaPath]) rmSync(f, { force: true })
  now = Date.now()
  console.log(`generating ${N} traces / ${3 * N} spans over 30 days into ${dbPath}`)
  const s = seed(dbPath, N, now)
  writeFileSync(metaPath, JSON.stringify({ n: N, now }))
  console.log(`generated ${s.traces} traces, ${s.spans} spans in ${s.seconds.toFixed(1)} s`)
}

const config = testConfig({
  database: { path: dbPath },
  auth: { hmac_secret: SECRET },
  log: { level: 'error' },
})
// The clock stays at the generation time, so hours=720 covers the whole 30 days.
const rt = await buildRuntime(config, { log: createLogger('error'), now: () => now })
const token = (
  await createToken(rt.core.backend, { projectId: PROJECT, name: 'bench', scopes: ['llm:read'] }, now)
).token
const headers = { authorization: `Bearer ${token}` }

const CASES: [string, string, number][] = [
  // Baseline of the same run: the in-process handler with no LLM work (auth-free health).
  ['baseline: GET /health', '/health', 0],
  ['overview', '/v1/llm/overview?hours=720', 50],
  ['usage', '/v1/llm/usage?hours=720', 50],
  ['models', '/v1/llm/models?hours=720', 50],
  ['latency', '/v1/llm/latency?hours=720', 50],
  ['trace list (newest)', '/v1/llm/traces?hours=720', 25],
  ['trace list (oldest)', '/v1/llm/traces?hours=720&sort=oldest', 25],
  ['trace list (most_expensive)', '/v1/llm/traces?hours=720&sort=most_expensive', 25],
  ['trace list (slowest)', '/v1/llm/traces?hours=720&sort=slowest', 25],
  ['trace list (page 100)', '/v1/llm/traces?hours=720&offset=5000', 25],
  ['trace list (status=error)', '/v1/llm/traces?hours=720&status=error', 25],
  ['trace list (has_error=true)', '/v1/llm/traces?hours=720&has_error=true', 25],
  ['trace list (model=gpt-4o)', '/v1/llm/traces?hours=720&model=gpt-4o', 25],
  ['trace list (session_id)', '/v1/llm/traces?hours=720&session_id=sess-4242', 25],
  ['trace list (user_id)', '/v1/llm/traces?hours=720&user_id=user-77', 25],
  ['trace list (prompt)', '/v1/llm/traces?hours=720&prompt_name=prompt-4&prompt_version=v4', 25],
  ['trace list (min_cost_micros)', '/v1/llm/traces?hours=720&min_cost_micros=60000', 25],
  ['trace list (min_latency_ms)', '/v1/llm/traces?hours=720&min_latency_ms=8000', 25],
  [`search (rare: ${RARE_WORD})`, `/v1/llm/search?hours=720&search=${RARE_WORD}`, 200],
  [
    `search (common: ${COMMON_PHRASE})`,
    `/v1/llm/search?hours=720&search=${encodeURIComponent(COMMON_PHRASE)}`,
    200,
  ],
  ['trace detail (100 spans)', `/v1/llm/traces/${DETAIL_TRACE}`, 10],
  ['sessions', '/v1/llm/sessions?hours=720', 0],
  ['prompts', '/v1/llm/prompts?hours=720', 0],
  ['tools', '/v1/llm/tools?hours=720', 0],
  ['budget', '/v1/llm/budget', 0],
]

async function timed(path: string): Promise<number> {
  const t0 = performance.now()
  const res = await rt.handle(new Request(`http://localhost${path}`, { headers }))
  const body = await res.text()
  const ms = performance.now() - t0
  if (res.status !== 200)
    throw new Error(`expected 200 from ${path}, got ${res.status}: ${body.slice(0, 200)}`)
  return ms
}

console.log(
  `\n${'route'.padEnd(34)} ${'first'.padStart(8)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}  target`,
)
const rows: string[] = []
for (const [name, path, target] of CASES) {
  const first = await timed(path)
  const iters = target === 0 && !name.startsWith('baseline') ? Math.min(ITER, 10) : ITER
  const times: number[] = []
  for (let i = 0; i < iters; i++) times.push(await timed(path))
  times.sort((a, b) => a - b)
  const p50 = percentile(times, 50)
  const p99 = percentile(times, 99)
  const verdict = target === 0 ? '' : p99 < target ? `< ${target} ms ok` : `< ${target} ms MISSED`
  const line = `${name.padEnd(34)} ${first.toFixed(1).padStart(8)} ${p50.toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)}  ${verdict}`
  console.log(line)
  rows.push(line)
}
const db = rt.core.db
const since = now - 720 * 3_600_000
const counts: number[] = []
for (let i = 0; i < 10; i++) {
  const t0 = performance.now()
  db.query('SELECT count(*) FROM llm_traces WHERE project_id = ? AND started_at >= ?').get(PROJECT, since)
  counts.push(performance.now() - t0)
}
counts.sort((a, b) => a - b)
console.log(
  `baseline: exact count(*) of the window's traces in SQL: p50 ${percentile(counts, 50).toFixed(1)} ms`,
)
const pages = db.query<{ page_count: number }, []>('PRAGMA page_count').get()?.page_count ?? 0
const pageSize = db.query<{ page_size: number }, []>('PRAGMA page_size').get()?.page_size ?? 0
console.log(`database: ${((pages * pageSize) / 1e6).toFixed(0)} MB`)
const sample = await (
  await rt.handle(new Request('http://localhost/v1/llm/overview?hours=720', { headers }))
).json()
console.log(`\noverview at 720 h: ${JSON.stringify(sample)}`)
await rt.close()
if (dir) rmSync(dir, { recursive: true, force: true })
