/**
 * LLM trace ingest (docs/benchmarks.md, "LLM trace ingest"). Traces of 3 spans, no content,
 * usage without a cost (the server prices every span), rows counted in the database.
 *
 * Pinning: the server (HTTP thread and writer thread) on BENCH_SERVER_CORES (default core
 * 0), every load generator (its own process) on BENCH_LOAD_CORES (default core 1). The
 * product's target is a 2-core VPS; a 2-core bench machine cannot give the server both
 * cores and still run the load elsewhere, so by default the server has one core, half the
 * target's. BENCH_SERVER_CORES=0,1 BENCH_LOAD_CORES=0,1 gives it both, shared with the load.
 *
 * Phases, per tree:
 *   1. batch trace ingest, 50 traces per request, 8 connections, closed loop: traces/s committed;
 *      then batches at a fixed 1,000 traces/s: CPU per trace of the main and other threads
 *   2. single-trace ingest, 50 connections, closed loop: the maximum
 *   3. single traces at a FIXED rate R, open loop: acknowledgement p50/p90/p99, CPU per
 *      trace of the server's main thread and of its other threads (writer, GC), per thread
 *      from /proc, and traces per transaction
 *   4. error batch ingest (50 events, 8 connections, closed loop) alone, then beside single
 *      traces at the same fixed R: events/s committed in both, and the core share the
 *      traces took, which bounds the second figure (see docs/benchmarks.md)
 *   5. the issue's own reading of "half that load": batches of 50 at a fixed B traces/s,
 *      open loop, acknowledgement p50/p90/p99; then error batch ingest alone and beside
 *      those batches, as in 4
 * R is half of this tree's single-trace maximum from the first round, B half of its batch
 * rate from the first round; every tree and round then offers the same R and B, so the
 * latency and side-by-side figures compare like with like.
 *
 * A/B: BENCH_BASELINE=<another checkout with node_modules> runs the same phases against it,
 * alternated with this tree BENCH_ROUNDS times (default 1), so both see the same machine.
 *
 *   npm run bench -- llm-ingest        (BENCH_SECONDS=5 for a quick run)
 */
import { Database } from 'bun:sqlite'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { benchServerEnv, cores, fmt, hasTaskset, REPO, type Started, tempDir } from './lib'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
const SERVER_CORES = process.env.BENCH_SERVER_CORES ?? '0'
const LOAD_CORES = process.env.BENCH_LOAD_CORES ?? '1'
/** Traces/s of the fixed-rate batch phase (in requests of 50). */
const BATCH_RATE = 1000
const trees = [
  { name: 'this tree', repo: REPO },
  ...(process.env.BENCH_BASELINE ? [{ name: 'baseline', repo: process.env.BENCH_BASELINE }] : []),
]
const pinned = (list: string) => (hasTaskset && cores >= 2 ? ['taskset', '-c', list] : [])

const env = (dir: string) => benchServerEnv(dir)

async function start(repo: string, dir: string): Promise<Started> {
  const proc = Bun.spawn([...pinned(SERVER_CORES), process.execPath, join(repo, 'src/main.ts'), 'serve'], {
    cwd: repo,
    env: { ...process.env, ...env(dir) },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buf = ''
  let port = 0
  while (port === 0) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`the server of ${repo} exited before listening`)
    buf += decoder.decode(value)
    for (const line of buf.split('\n'))
      if (line.includes('"port"') && line.includes('listening')) port = JSON.parse(line).port
  }
  ;(async () => {
    for (;;) if ((await reader.read()).done) break
  })()
  return {
    proc,
    port,
    stop: () => {
      proc.kill('SIGTERM')
      return proc.exited
    },
  }
}

interface Load {
  requests: number
  seconds: number
  rps: number
  p50: number
  p90: number
  p99: number
  errors: Record<string, number>
}

/** The load generator of this tree (the same one for every tree), on the load cores. */
async function load(args: Record<string, string | number>): Promise<Load> {
  const argv = Object.entries(args).map(([k, v]) => `--${k}=${v}`)
  const proc = Bun.spawn([...pinned(LOAD_CORES), process.execPath, join(REPO, 'bench/loadgen.ts'), ...argv], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const out = await new Response(proc.stdout).text()
  if ((await proc.exited) !== 0) throw new Error(`loadgen failed: ${out}`)
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

const count = (dir: string, table: string) => {
  const db = new Database(join(dir, 'bloop.db'), { readonly: true })
  const n = (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  db.close()
  return n
}

/** CPU seconds of the process's main thread and of all its other threads, from /proc. */
function threadCpu(pid: number): { main: number; other: number } {
  let main = 0
  let other = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended meanwhile
    }
    const f = (stat.split(') ')[1] ?? '').split(' ')
    const s = (Number(f[11]) + Number(f[12])) / 100
    if (Number(tid) === pid) main += s
    else other += s
  }
  return { main, other }
}

async function llmCommits(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return Number(/^bloop_llm_commit_duration_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0)
}

const url = (s: Started) => `http://127.0.0.1:${s.port}`
const traceLoad = (s: Started, extra: Record<string, number> = {}) => ({
  url: url(s),
  path: '/v1/traces',
  kind: 'traces',
  seconds: SECONDS,
  connections: 50,
  ...extra,
})

/** Batches of 50 traces, 8 connections: closed loop, or open loop at `tracesPerSecond`. */
const batchAt = (s: Started, tracesPerSecond?: number) => ({
  url: url(s),
  path: '/v1/traces/batch',
  kind: 'traces',
  'per-request': 50,
  seconds: SECONDS,
  connections: 8,
  ...(tracesPerSecond === undefined ? {} : { rate: tracesPerSecond / 50 }),
})

async function batchPhase(repo: string) {
  const dir = tempDir()
  const server = await start(repo, dir)
  const r = await load(batchAt(server))
  const traces_s = count(dir, 'llm_traces') / r.seconds
  const spans_s = count(dir, 'llm_spans') / r.seconds
  // CPU per trace at a fixed, moderate batch rate: what a trace costs the server's threads,
  // which the other jobs of a shared machine move much less than they move rates.
  const t0 = count(dir, 'llm_traces')
  const cpu0 = threadCpu(server.proc.pid)
  await load(batchAt(server, BATCH_RATE))
  const cpu1 = threadCpu(server.proc.pid)
  const committed = count(dir, 'llm_traces') - t0
  await server.stop()
  return {
    traces_s,
    spans_s,
    p99: r.p99,
    main_us: ((cpu1.main - cpu0.main) * 1e6) / committed,
    other_us: ((cpu1.other - cpu0.other) * 1e6) / committed,
  }
}

async function singlePhase(repo: string, fixedRate: number | null) {
  const dir = tempDir()
  const server = await start(repo, dir)
  const max = await load(traceLoad(server))
  const rate = fixedRate ?? Math.floor(max.rps / 2)
  const cpu0 = threadCpu(server.proc.pid)
  const commits0 = await llmCommits(server.port)
  const traces0 = count(dir, 'llm_traces')
  const r = await load(traceLoad(server, { rate }))
  const cpu1 = threadCpu(server.proc.pid)
  const commits = (await llmCommits(server.port)) - commits0
  const committed = count(dir, 'llm_traces') - traces0
  await server.stop()
  return {
    max: max.rps,
    rate,
    p50: r.p50,
    p90: r.p90,
    p99: r.p99,
    errors: r.errors,
    main_us: ((cpu1.main - cpu0.main) * 1e6) / committed,
    other_us: ((cpu1.other - cpu0.other) * 1e6) / committed,
    per_commit: committed / Math.max(1, commits),
  }
}

async function halfBatchPhase(repo: string, tracesPerSecond: number) {
  const dir = tempDir()
  const server = await start(repo, dir)
  const t0 = count(dir, 'llm_traces')
  const r = await load(batchAt(server, tracesPerSecond))
  const committed = count(dir, 'llm_traces') - t0
  await server.stop()
  return { traces_s: committed / r.seconds, p50: r.p50, p90: r.p90, p99: r.p99, errors: r.errors }
}

/** Error batch ingest alone, then beside the trace load `traces` makes for the same server. */
async function errorsPhase(repo: string, traces: (s: Started) => Record<string, string | number>) {
  const dir = tempDir()
  const server = await start(repo, dir)
  const errors = {
    url: url(server),
    path: '/v1/ingest/batch',
    'per-request': 50,
    seconds: SECONDS,
    connections: 8,
    issues: 1000,
  }
  const e0 = count(dir, 'raw_events')
  const solo = await load(errors)
  const e1 = count(dir, 'raw_events')
  const t0 = count(dir, 'llm_traces')
  const cpu0 = threadCpu(server.proc.pid)
  const [beside, traceRun] = await Promise.all([load(errors), load(traces(server))])
  const cpu1 = threadCpu(server.proc.pid)
  const e2 = count(dir, 'raw_events')
  const committed = count(dir, 'llm_traces') - t0
  await server.stop()
  const soloRate = (e1 - e0) / solo.seconds
  const besideRate = (e2 - e1) / beside.seconds
  return {
    solo: soloRate,
    beside: besideRate,
    ratio: besideRate / soloRate,
    traces_s: committed / traceRun.seconds,
    trace_p99: traceRun.p99,
    trace_errors: traceRun.errors,
    server_cpu_share: (cpu1.main + cpu1.other - cpu0.main - cpu0.other) / beside.seconds,
  }
}

/** One line for an errors phase: alone, then beside `traces` (phases 4 and 5). */
const besideLine = (
  name: string,
  round: number,
  traces: string,
  e: Awaited<ReturnType<typeof errorsPhase>>,
) =>
  `[${name}, round ${round}] error batch ingest alone ${fmt(e.solo)} events/s; beside ${traces}: ` +
  `${fmt(e.beside)} events/s = ${fmt(100 * e.ratio, 1)}% of alone (${fmt(e.traces_s)} traces/s committed, ` +
  `trace p99 ${fmt(e.trace_p99, 1)} ms, errors ${JSON.stringify(e.trace_errors)}); server CPU ` +
  `${fmt(100 * e.server_cpu_share)}% of one core meanwhile`

const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
console.log(
  `machine: ${cores} cores, Bun ${Bun.version}; server on cores ${SERVER_CORES}, load generators on cores ${LOAD_CORES}` +
    `${hasTaskset && cores >= 2 ? '' : ' (pinning unavailable)'}; ${SECONDS} s a phase, ${ROUNDS} round(s); load average ${loadAvg()}`,
)

let fixedRate: number | null = null
let halfBatch: number | null = null
for (let round = 1; round <= ROUNDS; round++) {
  for (const t of trees) {
    const at = new Date().toISOString().slice(11, 19)
    const b = await batchPhase(t.repo)
    console.log(
      `[${t.name}, round ${round}, ${at} UTC, load ${loadAvg()}] batch trace ingest (50 x 3 spans/request, 8 connections): ` +
        `${fmt(b.traces_s)} traces/s committed (${fmt(b.spans_s)} spans/s), request p99 ${fmt(b.p99, 1)} ms; ` +
        `at a fixed ${fmt(BATCH_RATE)} traces/s in batches: CPU per trace main thread ${fmt(b.main_us)} µs, other threads ${fmt(b.other_us)} µs`,
    )
    halfBatch ??= Math.round(b.traces_s / 2 / 50) * 50
    const s = await singlePhase(t.repo, fixedRate)
    fixedRate ??= s.rate
    console.log(
      `[${t.name}, round ${round}] single-trace max ${fmt(s.max)} traces/s; at a fixed ${fmt(s.rate)}/s (open loop): ` +
        `ack p50 ${fmt(s.p50, 2)} ms, p90 ${fmt(s.p90, 2)} ms, p99 ${fmt(s.p99, 2)} ms (errors ${JSON.stringify(s.errors)}); ` +
        `CPU per trace: main thread ${fmt(s.main_us)} µs, other threads ${fmt(s.other_us)} µs; ${fmt(s.per_commit, 1)} traces/commit`,
    )
    const single = fixedRate
    const e = await errorsPhase(t.repo, (server) => traceLoad(server, { rate: single }))
    console.log(besideLine(t.name, round, `single traces at a fixed ${fmt(single)}/s`, e))
    const hb = await halfBatchPhase(t.repo, halfBatch)
    console.log(
      `[${t.name}, round ${round}] batches at a fixed ${fmt(halfBatch)} traces/s (half the first batch rate, open loop): ` +
        `${fmt(hb.traces_s)} traces/s committed, ack p50 ${fmt(hb.p50, 2)} ms, p90 ${fmt(hb.p90, 2)} ms, ` +
        `p99 ${fmt(hb.p99, 2)} ms (errors ${JSON.stringify(hb.errors)})`,
    )
    const half = halfBatch
    const eb = await errorsPhase(t.repo, (server) => batchAt(server, half))
    console.log(besideLine(t.name, round, `batches at a fixed ${fmt(half)} traces/s`, eb))
  }
}
