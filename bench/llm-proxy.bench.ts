/**
 * The LLM proxy's own cost: the same calls sent straight to a fake upstream and through
 * bloop, in the same run, so the difference is what the proxy adds. bloop is pinned to
 * core 0, the load generator (bench/llm-proxy.load.ts) and the fake upstream
 * (bench/llm-proxy.upstream.ts, 50 ms before every answer) to core 1. Every proxied call
 * is traced: parsed, recorded and committed like in production.
 *
 *   npm run bench -- llm-proxy          (BENCH_SECONDS=10 by default per phase)
 *
 * BENCH_ANALYTICS=false runs bloop without DuckDB; BENCH_INCLUDE_USAGE=1 makes the stream
 * clients ask for usage themselves (the proxy then forwards chunk by chunk).
 *
 * Phases: non-streaming at 500 requests/s (open loop), 200 concurrent streams (closed
 * loop, bloop's RSS sampled while they run), and the highest sustained rate (closed loop,
 * 256 connections). Record the printed table in docs/benchmarks.md.
 */
import { join } from 'node:path'
import { fmt, REPO, rssMb, SECRET, startPinned, tempDir } from './lib'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
/** BENCH_PHASES=rate,streams,max (all by default) runs only the phases named. */
const phases = new Set((process.env.BENCH_PHASES ?? 'rate,streams,max').split(','))
// 50 ms before every answer; a streamed answer's 10 events 100 ms apart (about 1 s, a short
// completion), so 200 concurrent streams are about 190 new streams a second.
const upstream = await startPinned(
  [process.execPath, join(REPO, 'bench/llm-proxy.upstream.ts'), '--delay=50', '--gap=100'],
  {},
  1,
)
const dir = tempDir('bloop-bench-proxy-')
const bloop = await startPinned(
  [
    process.execPath,
    ...(process.env.PROF ? ['--cpu-prof-md', '--cpu-prof-dir=/tmp/prof'] : []),
    join(REPO, 'src/main.ts'),
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
)
const direct = `http://127.0.0.1:${upstream.port}/v1/chat/completions`
const proxied = `http://127.0.0.1:${bloop.port}/v1/proxy/openai/chat/completions`

interface Stats {
  p50: number
  p99: number
  max: number
}
interface Load {
  requests: number
  ok: number
  errors: Record<string, number>
  rps: number
  total: Stats
  first_byte: Stats
  overhead: Stats
}

async function load(args: Record<string, string | number | boolean>): Promise<Load> {
  const argv = Object.entries(args).map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`))
  const proc = Bun.spawn(
    ['taskset', '-c', '1', process.execPath, join(REPO, 'bench/llm-proxy.load.ts'), ...argv],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const out = await new Response(proc.stdout).text()
  if ((await proc.exited) !== 0) throw new Error(`load generator failed: ${out}`)
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

const rows: string[][] = []
const row = (phase: string, target: string, r: Load, extra = '') => {
  rows.push([
    phase,
    target,
    fmt(r.rps, 0),
    fmt(r.total.p50, 2),
    fmt(r.total.p99, 2),
    fmt(r.first_byte.p50, 2),
    r.overhead.max > 0 ? `${fmt(r.overhead.p50, 3)} / ${fmt(r.overhead.p99, 3)}` : '',
    `${r.ok}/${r.requests}${Object.keys(r.errors).length ? ` ${JSON.stringify(r.errors)}` : ''}`,
    extra,
  ])
  return r
}

try {
  const idle = rssMb(bloop.proc.pid)
  // Warm-up: JIT, connection pools, the first commits.
  await load({ url: proxied, key: SECRET, seconds: 2, connections: 16 })

  const added: string[] = []
  const diff = (name: string, d: Load, p: Load) =>
    added.push(`${name}: ${fmt(p.total.p50 - d.total.p50, 2)} / ${fmt(p.total.p99 - d.total.p99, 2)}`)

  if (phases.has('rate')) {
    const rate = { rate: 500, seconds, connections: 1000 }
    const d = row('500 req/s', 'direct', await load({ url: direct, ...rate }))
    diff('500 req/s', d, row('500 req/s', 'proxied', await load({ url: proxied, key: SECRET, ...rate })))
  }
  if (phases.has('streams')) {
    // BENCH_INCLUDE_USAGE=1: the clients ask for usage themselves (chunk-by-chunk forwarding).
    const streams = {
      stream: true,
      seconds,
      connections: 200,
      ...(process.env.BENCH_INCLUDE_USAGE ? { 'include-usage': true } : {}),
    }
    const d = row('200 streams', 'direct', await load({ url: direct, ...streams }))
    let peak = 0
    let anonPeak = 0
    const sampler = setInterval(() => {
      const m = rssMb(bloop.proc.pid)
      peak = Math.max(peak, m.rss)
      anonPeak = Math.max(anonPeak, m.anon)
    }, 100)
    const p = await load({ url: proxied, key: SECRET, ...streams })
    clearInterval(sampler)
    // RSS counts the mapped executable and DuckDB's library too; RssAnon is the private
    // memory (heaps, page caches, stream buffers) the streams can grow.
    const note = `RSS peak ${fmt(peak, 0)} MB (${fmt(idle.rss, 0)} MB idle); private ${fmt(anonPeak, 0)} MB (${fmt(idle.anon, 0)} MB idle)`
    diff('200 streams (to last byte)', d, row('200 streams', 'proxied', p, note))
  }
  if (phases.has('max')) {
    const max = { seconds, connections: 256 }
    row('max rate', 'direct', await load({ url: direct, ...max }))
    row('max rate', 'proxied', await load({ url: proxied, key: SECRET, ...max }))
  }

  console.log(`\nadded latency, p50 / p99 (ms), proxied minus direct: ${added.join('; ')}`)
  console.log(
    '\n| phase | target | answers/s | total p50 ms | total p99 ms | first byte p50 ms | X-Bloop-Overhead-Ms p50 / p99 | ok | note |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  console.log(`\nrecorded spans: ${await spans()}; traces not recorded: ${await notRecorded()}`)
} finally {
  await bloop.stop()
  await upstream.stop()
}

/** bloop_proxy_traces_dropped_total summed over reasons, from /metrics. */
async function notRecorded(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${bloop.port}/metrics`)).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith('bloop_proxy_traces_dropped_total'))
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
}

async function spans(): Promise<number> {
  const { Database } = await import('bun:sqlite')
  const db = new Database(join(dir, 'bloop.db'), { readonly: true })
  const n = (db.query('SELECT count(*) AS n FROM llm_spans').get() as { n: number }).n
  db.close()
  return n
}
