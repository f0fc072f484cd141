/**
 * The LLM proxy's own cost: the same calls sent straight to a fake upstream and through
 * bloop, in the same run, so the difference is what the proxy adds. bloop is pinned to
 * core 0 (every thread of it: the HTTP client, the writer); the load generator
 * (bench/llm-proxy.load.ts) and the fake upstream (bench/llm-proxy.upstream.ts, its own
 * process: 50 ms before every answer, a streamed answer's 10 events 100 ms apart) share
 * core 1. Every proxied call is traced: parsed, recorded and committed as in production.
 *
 *   npm run bench -- llm-proxy
 *   BENCH_BASE=/path/to/other/tree npm run bench -- llm-proxy    (a same-run baseline)
 *
 * Each scenario runs direct, then through each bloop, then direct again: the two direct
 * runs' difference is the noise floor of the machine (what "added" cannot be read below),
 * and "added" is a bloop run minus the mean of the two direct runs, per percentile.
 * Scenarios: 1, 50 and 200 concurrent streams (closed loop), non-streaming at 500
 * requests/s (open loop) and one at a time, and the highest rate (closed loop, 256
 * connections). BENCH_SCENARIOS=s1,s50,s200,rate,serial,max picks some; BENCH_SECONDS
 * sets a run's length (8 s; the single stream runs 3 times as long, to have samples);
 * BENCH_ANALYTICS=false runs bloop without DuckDB; BENCH_INCLUDE_USAGE=1 makes the stream
 * clients ask for usage themselves (the proxy then forwards chunk by chunk); BENCH_STAGGER=1000
 * starts the stream connections at random within 1 s, so they do not answer in step.
 *
 * Beside the latencies: bloop's CPU (main thread and the rest) and the time its threads
 * waited for core 0 while runnable (/proc/<pid>/task/<tid>/schedstat), core 1's use by
 * the load generator and the upstream (so a saturated load side shows), and bloop's RSS
 * and private memory (RssAnon) at their peak during the run.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpuSeconds, fmt, REPO, rssMb, SECRET, type Started, startPinned, tempDir } from './lib'

const seconds = Number(process.env.BENCH_SECONDS ?? 8)
const picked = new Set((process.env.BENCH_SCENARIOS ?? 's1,s50,s200,rate,serial,max').split(','))
const base = process.env.BENCH_BASE

const upstream = await startPinned(
  [process.execPath, join(REPO, 'bench/llm-proxy.upstream.ts'), '--delay=50', '--gap=100'],
  {},
  1,
)

interface Server {
  name: string
  url: string
  key?: string
  bloop?: Started
  dir?: string
}

async function startBloop(name: string, tree: string): Promise<Server> {
  const dir = tempDir('bloop-bench-proxy-')
  const bloop = await startPinned(
    [
      process.execPath,
      ...(process.env.PROF ? ['--cpu-prof-md', `--cpu-prof-dir=/tmp/prof-${name}`] : []),
      // BENCH_BUN_FLAGS="--smol": Bun's own flags for both servers (--smol: a smaller heap, collected more often).
      ...(process.env.BENCH_BUN_FLAGS ? process.env.BENCH_BUN_FLAGS.split(' ') : []),
      join(tree, 'src/main.ts'),
      'serve',
    ],
    {
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
      BLOOP__DATABASE__PATH: join(dir, 'bloop.db'),
      BLOOP__AUTH__HMAC_SECRET: SECRET,
      BLOOP__LOG__FORMAT: 'json',
      BLOOP__LOG__LEVEL: 'info',
      ...(process.env.BENCH_ANALYTICS === 'false' ? { BLOOP__ANALYTICS__ENABLED: 'false' } : {}),
      BLOOP__LLM_TRACING__PROXY__OPENAI_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`,
    },
    0,
    tree,
  )
  return {
    name,
    url: `http://127.0.0.1:${bloop.port}/v1/proxy/openai/chat/completions`,
    key: SECRET,
    bloop,
    dir,
  }
}

const direct: Server = { name: 'direct', url: `http://127.0.0.1:${upstream.port}/v1/chat/completions` }
const servers: Server[] = []
if (base) servers.push(await startBloop('base', base))
servers.push(await startBloop('this tree', REPO))

interface Stats {
  p50: number
  p99: number
  max: number
}
interface Load {
  requests: number
  ok: number
  errors: Record<string, number>
  seconds: number
  rps: number
  total: Stats
  first_byte: Stats
  first_token: Stats
  overhead: Stats
  cpu_seconds: number
}

/** One thread's CPU (utime + stime, s) and run-queue wait (s), from /proc. */
function threads(pid: number): Map<string, { name: string; cpu: number; wait: number }> {
  const out = new Map<string, { name: string; cpu: number; wait: number }>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const sched = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')
      out.set(tid, {
        name: tid === String(pid) ? 'main' : name,
        cpu: (Number(f[11]) + Number(f[12])) / 100,
        wait: Number(sched[1]) / 1e9,
      })
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

/** Busy and total jiffies of each core, from /proc/stat. */
function coreTicks(): { busy: number; total: number }[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d/.test(l))
    .map((l) => {
      const f = l.split(/\s+/).slice(1).map(Number)
      const idle = (f[3] ?? 0) + (f[4] ?? 0)
      const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
      return { busy: total - idle, total }
    })
}

interface Run {
  load: Load
  /** Per second of the run: bloop's main thread CPU, the other threads' CPU, run-queue wait. */
  main?: number
  others?: number
  wait?: number
  /** bloop's CPU seconds (every thread) per answer. */
  cpuPerAnswer?: number
  /** Core 1 used by the load generator and the upstream, per second. */
  core1: number
  /** How busy each core was during the run, whoever used it. */
  busy: number[]
  rssPeak?: number
  anonPeak?: number
}

async function run(s: Server, args: Record<string, string | number | boolean>): Promise<Run> {
  const all: Record<string, string | number | boolean> = { url: s.url, ...args }
  if (s.key) all.key = s.key
  const argv = Object.entries(all).map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`))
  const pid = s.bloop?.proc.pid
  const before = pid ? threads(pid) : null
  const up0 = cpuSeconds(upstream.proc.pid)
  const ticks0 = coreTicks()
  let rssPeak = 0
  let anonPeak = 0
  const sampler = pid
    ? setInterval(() => {
        const m = rssMb(pid)
        rssPeak = Math.max(rssPeak, m.rss)
        anonPeak = Math.max(anonPeak, m.anon)
      }, 100)
    : null
  const proc = Bun.spawn(
    ['taskset', '-c', '1', process.execPath, join(REPO, 'bench/llm-proxy.load.ts'), ...argv],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const out = await new Response(proc.stdout).text()
  if (sampler) clearInterval(sampler)
  if ((await proc.exited) !== 0) throw new Error(`load generator failed: ${out}`)
  const load = JSON.parse(out.trim().split('\n').at(-1) as string) as Load
  const core1 = (load.cpu_seconds + cpuSeconds(upstream.proc.pid) - up0) / load.seconds
  const busy = coreTicks().map((t, i) => {
    const t0 = ticks0[i] ?? { busy: 0, total: 0 }
    return (t.busy - t0.busy) / Math.max(1, t.total - t0.total)
  })
  if (!pid || !before) return { load, core1, busy }
  let main = 0
  let others = 0
  let wait = 0
  const byName = new Map<string, { cpu: number; wait: number }>()
  for (const [tid, t] of threads(pid)) {
    const b = before.get(tid) ?? { cpu: 0, wait: 0 }
    const n = byName.get(t.name) ?? { cpu: 0, wait: 0 }
    n.cpu += t.cpu - b.cpu
    n.wait += t.wait - b.wait
    byName.set(t.name, n)
    if (t.name === 'main') main += t.cpu - b.cpu
    else others += t.cpu - b.cpu
    wait += t.wait - b.wait
  }
  const per = (x: number) => x / load.seconds
  // BENCH_THREADS=1: each thread's CPU and run-queue wait, per second of the run, on stderr.
  if (process.env.BENCH_THREADS)
    console.error(
      `${s.name} ${JSON.stringify(args)}: ${[...byName]
        .filter(([, t]) => t.cpu > 0 || t.wait > 0.001)
        .map(
          ([n, t]) =>
            `${n} ${fmt((t.cpu / load.seconds) * 100, 1)}% wait ${fmt((t.wait / load.seconds) * 1000, 0)} ms/s`,
        )
        .join('; ')}`,
    )
  return {
    load,
    main: per(main),
    others: per(others),
    wait: per(wait),
    cpuPerAnswer: (main + others) / Math.max(1, load.requests),
    core1,
    busy,
    rssPeak,
    anonPeak,
  }
}

interface Scenario {
  id: string
  name: string
  args: Record<string, string | number | boolean>
}
const usage: Record<string, string | boolean> = {
  ...(process.env.BENCH_INCLUDE_USAGE ? { 'include-usage': true } : {}),
  // BENCH_STAGGER=<ms>: stream connections start at random within that time, out of step.
  ...(process.env.BENCH_STAGGER ? { stagger: process.env.BENCH_STAGGER } : {}),
}
const all: Scenario[] = [
  { id: 's1', name: '1 stream', args: { stream: true, connections: 1, seconds: seconds * 3, ...usage } },
  { id: 's50', name: '50 streams', args: { stream: true, connections: 50, seconds, ...usage } },
  { id: 's200', name: '200 streams', args: { stream: true, connections: 200, seconds, ...usage } },
  { id: 'rate', name: 'non-streaming 500 req/s', args: { rate: 500, connections: 1000, seconds } },
  { id: 'serial', name: 'non-streaming, 1 at a time', args: { connections: 1, seconds } },
  { id: 'max', name: 'max rate, 256 connections', args: { connections: 256, seconds } },
]
const scenarios = all.filter((s) => picked.has(s.id))

const ms = (x: number) => fmt(x, 2)
const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x, 2)}`
const pct = (x: number | undefined) => (x === undefined ? '' : `${fmt(x * 100, 0)}%`)
const lines: string[] = []
const print = (line: string) => {
  lines.push(line)
  console.log(line)
}

try {
  // Idle as the server settles after start (migrations, DuckDB's load).
  await Bun.sleep(3000)
  const idle = servers.map((s) => `${s.name} ${fmtMem(rssMb(s.bloop?.proc.pid as number))}`)
  // Warm-up: JIT, connection pools, the first commits.
  for (const s of servers) await run(s, { connections: 16, seconds: 2 })
  await run(direct, { connections: 16, seconds: 2 })
  const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  print(`idle memory: ${idle.join('; ')}`)
  print('')
  print(
    '| scenario | target | answers/s | first token p50 / p99 ms | total p50 / p99 ms | added first token p50 / p99 | added total p50 / p99 | X-Bloop-Overhead-Ms p50 / p99 | bloop CPU per answer | bloop main / other threads CPU, run-queue wait | core 0 / core 1 busy (of which load side) | RSS / private peak MB | ok |',
  )
  print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const sc of scenarios) {
    const d1 = await run(direct, sc.args)
    const via: [Server, Run][] = []
    for (const s of servers) via.push([s, await run(s, sc.args)])
    const d2 = await run(direct, sc.args)
    const mean = (k: 'first_token' | 'total', p: 'p50' | 'p99') => (d1.load[k][p] + d2.load[k][p]) / 2
    const addedVs = (r: Run) =>
      [
        `${signed(r.load.first_token.p50 - mean('first_token', 'p50'))} / ${signed(r.load.first_token.p99 - mean('first_token', 'p99'))}`,
        `${signed(r.load.total.p50 - mean('total', 'p50'))} / ${signed(r.load.total.p99 - mean('total', 'p99'))}`,
      ] as const
    const row = (target: string, r: Run, added: readonly [string, string]) =>
      print(
        `| ${sc.name} | ${target} | ${fmt(r.load.rps, 0)} | ${ms(r.load.first_token.p50)} / ${ms(r.load.first_token.p99)} | ${ms(r.load.total.p50)} / ${ms(r.load.total.p99)} | ${added[0]} | ${added[1]} | ${r.load.overhead.max > 0 ? `${fmt(r.load.overhead.p50, 3)} / ${fmt(r.load.overhead.p99, 3)}` : ''} | ${r.cpuPerAnswer === undefined ? '' : `${fmt(r.cpuPerAnswer * 1e6, 0)} µs`} | ${r.main === undefined ? '' : `${pct(r.main)} / ${pct(r.others)}, ${fmt((r.wait ?? 0) * 1000, 0)} ms/s`} | ${pct(r.busy[0])} / ${pct(r.busy[1])} (${pct(r.core1)}) | ${r.rssPeak ? `${fmt(r.rssPeak, 0)} / ${fmt(r.anonPeak ?? 0, 0)}` : ''} | ${r.load.ok}/${r.load.requests}${Object.keys(r.load.errors).length ? ` ${JSON.stringify(r.load.errors)}` : ''} |`,
      )
    row('direct', d1, ['', ''])
    for (const [s, r] of via) row(s.name, r, addedVs(r))
    // The second direct run against the first: the noise floor.
    row('direct again', d2, [
      `${signed(d2.load.first_token.p50 - d1.load.first_token.p50)} / ${signed(d2.load.first_token.p99 - d1.load.first_token.p99)}`,
      `${signed(d2.load.total.p50 - d1.load.total.p50)} / ${signed(d2.load.total.p99 - d1.load.total.p99)}`,
    ])
  }
  const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  print('')
  print(`load average ${load0} at the start, ${load1} at the end`)
  for (const s of servers)
    print(`${s.name}: recorded spans ${spans(s)}; traces not recorded ${await notRecorded(s)}`)
} finally {
  for (const s of servers) await s.bloop?.stop()
  await upstream.stop()
}

function fmtMem(m: { rss: number; anon: number }): string {
  return `RSS ${fmt(m.rss, 0)} MB, private ${fmt(m.anon, 0)} MB`
}

/** bloop_proxy_traces_dropped_total summed over reasons, from /metrics. */
async function notRecorded(s: Server): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.bloop?.port}/metrics`)).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith('bloop_proxy_traces_dropped_total'))
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
}

function spans(s: Server): number {
  const { Database } = require('bun:sqlite') as typeof import('bun:sqlite')
  const db = new Database(join(s.dir as string, 'bloop.db'), { readonly: true })
  const n = (db.query('SELECT count(*) AS n FROM llm_spans').get() as { n: number }).n
  db.close()
  return n
}
