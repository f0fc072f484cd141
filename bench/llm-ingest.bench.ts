/**
 * LLM trace ingest (docs/benchmarks.md, "LLM trace ingest"). Server pinned to core 0, load
 * generator (its own process) to core 1. Traces of 3 spans, no content, usage without a
 * cost (the server prices every span), rows counted in the database:
 *   1. batch trace ingest, 50 traces per request, closed loop: traces/s committed
 *   2. single-trace ingest, closed loop: the maximum, then open loop at half of it: p99 ack
 *   3. error batch ingest alone, then the same while traces flow at half their maximum
 *
 *   npm run bench -- llm-ingest        (BENCH_SECONDS=5 for a quick run)
 */
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { cores, cpuSeconds, fmt, hasTaskset, REPO, runLoad, SECRET, startPinned, tempDir } from './lib'

const SUSTAIN = Number(process.env.BENCH_SECONDS ?? 20)
const SHORT = Math.min(10, SUSTAIN)
const report = (line: string) => console.log(line)

const env = (dir: string) => ({
  BLOOP__SERVER__PORT: '0',
  BLOOP__SERVER__HOST: '127.0.0.1',
  BLOOP__DATABASE__PATH: join(dir, 'bloop.db'),
  BLOOP__AUTH__HMAC_SECRET: SECRET,
  BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
  BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
  BLOOP__LOG__LEVEL: 'info',
  BLOOP__ANALYTICS__ENABLED: 'false',
})
const start = (dir: string) =>
  startPinned([process.execPath, join(REPO, 'src/main.ts'), 'serve'], env(dir), 0)
const count = (dir: string, table: string) => {
  const db = new Database(join(dir, 'bloop.db'), { readonly: true })
  const n = (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  db.close()
  return n
}

console.log(
  `machine: ${cores} cores, Bun ${Bun.version}, pinning ${hasTaskset && cores >= 2 ? 'server->core 0, load->core 1' : 'unavailable'}`,
)

// 1. Batch trace ingest.
{
  const dir = tempDir()
  const server = await start(dir)
  const r = await runLoad(
    {
      url: `http://127.0.0.1:${server.port}`,
      path: '/v1/traces/batch',
      kind: 'traces',
      'per-request': 50,
      seconds: SUSTAIN,
      connections: 8,
    },
    1,
  )
  await server.stop()
  const traces = count(dir, 'llm_traces')
  const spans = count(dir, 'llm_spans')
  report(
    `batch trace ingest (50 traces x 3 spans/request, 8 connections, ${SUSTAIN} s): ${fmt(traces / r.seconds)} traces/s ` +
      `committed (${fmt(spans / r.seconds)} spans/s; ${fmt(traces)} traces in the database; ${fmt(r.rps)} req/s, ` +
      `p99 ${fmt(r.p99, 1)} ms, errors ${JSON.stringify(r.errors)})`,
  )
}

// 2. Single-trace maximum, then p99 acknowledgement at half of it.
let singleMax = 0
{
  const dir = tempDir()
  const server = await start(dir)
  const max = await runLoad(
    {
      url: `http://127.0.0.1:${server.port}`,
      path: '/v1/traces',
      kind: 'traces',
      seconds: SHORT,
      connections: 50,
    },
    1,
  )
  singleMax = max.rps
  const half = Math.floor(max.rps / 2)
  // What a trace costs the server at half load (every thread, the writer's included), and
  // how many traces share a transaction: figures the machine's other load moves less
  // than it moves latencies.
  const cpuBefore = cpuSeconds(server.proc.pid)
  const commitsBefore = await llmCommits(server.port)
  const r = await runLoad(
    {
      url: `http://127.0.0.1:${server.port}`,
      path: '/v1/traces',
      kind: 'traces',
      seconds: SHORT,
      connections: 50,
      rate: half,
    },
    1,
  )
  const cpu = cpuSeconds(server.proc.pid) - cpuBefore
  const commits = (await llmCommits(server.port)) - commitsBefore
  await server.stop()
  report(
    `single-trace ingest (50 connections): ${fmt(max.rps)} traces/s; at half load (${fmt(half)}/s, open loop): ` +
      `p50 ${fmt(r.p50, 2)} ms, p90 ${fmt(r.p90, 2)} ms, p99 ${fmt(r.p99, 2)} ms (errors ${JSON.stringify(r.errors)}); ` +
      `server CPU ${fmt((cpu * 1e6) / r.requests)} µs/trace, ${fmt(r.requests / Math.max(1, commits), 1)} traces/commit`,
  )
}

// 3. Error ingest alone, then beside traces at half their single-trace maximum.
{
  const dir = tempDir()
  const server = await start(dir)
  const url = `http://127.0.0.1:${server.port}`
  const errorsLoad = {
    url,
    path: '/v1/ingest/batch',
    'per-request': 50,
    seconds: SHORT,
    connections: 8,
    issues: 1000,
  }
  const before = count(dir, 'raw_events')
  const solo = await runLoad(errorsLoad, 1)
  const soloRate = (count(dir, 'raw_events') - before) / solo.seconds
  const mid = count(dir, 'raw_events')
  const traceRate = Math.floor(singleMax / 2)
  const tracesBefore = count(dir, 'llm_traces')
  const [mixed, traces] = await Promise.all([
    runLoad(errorsLoad, 1),
    runLoad({ url, path: '/v1/traces', kind: 'traces', seconds: SHORT, connections: 50, rate: traceRate }, 1),
  ])
  const mixedRate = (count(dir, 'raw_events') - mid) / mixed.seconds
  const tracesCommitted = count(dir, 'llm_traces') - tracesBefore
  await server.stop()
  report(
    `error batch ingest alone: ${fmt(soloRate)} events/s; with traces at ${fmt(traceRate)}/s beside it: ` +
      `${fmt(mixedRate)} events/s (${fmt((100 * mixedRate) / soloRate, 1)}% of alone; ${fmt(tracesCommitted / traces.seconds)} traces/s ` +
      `committed meanwhile, trace p99 ${fmt(traces.p99, 1)} ms)`,
  )
}

/** Transactions of the LLM queue so far (bloop_llm_commit_duration_seconds_count). */
async function llmCommits(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return Number(/^bloop_llm_commit_duration_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0)
}
