/**
 * The cluster primitives' costs (docs/benchmarks.md, "Several nodes"): NOTIFY latency
 * between two node processes (test/fixtures/nodes/node.ts) on a private PostgreSQL beside
 * the in-process bus SQLite uses (the same-run baseline), the lease claim's round trip
 * beside the in-memory lease, and how long a job takes to move to another node after
 * kill -9 of its holder (interval BENCH_INTERVAL ms).
 *
 *   taskset -c 1 bun bench/nodes.bench.ts   (npm run bench -- nodes)
 */
import { join } from 'node:path'
import { MIGRATIONS } from '../src/features'
import { LocalBus } from '../src/storage/bus'
import { LocalLeases, leasesFor } from '../src/storage/lease'
import { migratePostgres } from '../src/storage/migrate'
import { pgBenchBackend, startPg } from '../test/pg.helpers'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000)
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 200)
const KILLS = Number(process.env.BENCH_KILLS ?? 6)
const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 2000)
const FIXTURE = join(import.meta.dir, '../test/fixtures/nodes/node.ts')

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(3)} ms, p99 ${pct(xs, 99).toFixed(3)} ms`
const wallMs = () => performance.timeOrigin + performance.now()

interface Line {
  type: string
  holder?: string
  payload?: { body: unknown; sentAt: number }
  at?: number
}

function node(url: string) {
  const lines: Line[] = []
  const proc = Bun.spawn([process.execPath, FIXTURE, url, String(INTERVAL)], {
    stdin: 'pipe',
    stdout: 'pipe',
  })
  const n = { proc, lines, holder: '' }
  void (async () => {
    let buf = ''
    for await (const chunk of proc.stdout) {
      buf += new TextDecoder().decode(chunk)
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const l = JSON.parse(buf.slice(0, nl)) as Line
        if (l.type === 'ready') n.holder = l.holder as string
        lines.push(l)
        buf = buf.slice(nl + 1)
      }
    }
  })()
  return n
}

async function until(ok: () => boolean | Promise<boolean>) {
  while (!(await ok())) await Bun.sleep(5)
}

const pg = await startPg()
const db = await pgBenchBackend(pg, 2)
await migratePostgres(db, MIGRATIONS)
await db.exec('CREATE TABLE fixture_runs (slot BIGINT NOT NULL, holder TEXT NOT NULL, at BIGINT NOT NULL)')
const url = db.options.url
const nodes = [node(url), node(url)]
await until(() => nodes.every((n) => n.holder !== ''))

// NOTIFY between processes: A publishes, B (and A itself) receive.
const [a, b] = nodes as [ReturnType<typeof node>, ReturnType<typeof node>]
const got = (n: ReturnType<typeof node>) => n.lines.filter((l) => l.type === 'got')
for (let i = 0; i < MESSAGES; i++) {
  a.proc.stdin.write(`${JSON.stringify({ pub: { seq: i } })}\n`)
  a.proc.stdin.flush()
  await Bun.sleep(2)
}
await until(() => got(b).length >= MESSAGES && got(a).length >= MESSAGES)
const lat = (n: ReturnType<typeof node>) =>
  got(n).map((l) => (l.at as number) - (l.payload?.sentAt as number))
console.log(`NOTIFY A -> B (another process), ${MESSAGES} messages: ${fmt(lat(b))}`)
console.log(`NOTIFY A -> A (the sender's own subscription): ${fmt(lat(a))}`)

// The baseline: the in-process bus, publish to delivery.
const local = new LocalBus({ error: () => {} })
const localLat: number[] = []
let sentAt = 0
await local.subscribe('bench', () => void localLat.push(wallMs() - sentAt))
for (let i = 0; i < MESSAGES; i++) {
  sentAt = wallMs()
  await local.publish('bench', { seq: i })
  await Bun.sleep(0)
}
console.log(`LocalBus (SQLite's, in process), ${MESSAGES} messages: ${fmt(localLat)}`)

// A claim's round trip (what every node pays once per interval per job) beside memory.
const rows = leasesFor(db, 'bench')
const mem = new LocalLeases('bench')
const claimPg: number[] = []
const claimMem: number[] = []
for (let i = 0; i < CLAIMS; i++) {
  let t = performance.now()
  await rows.claim(`bench${i % 4}`, 60_000, 1000)
  claimPg.push(performance.now() - t)
  t = performance.now()
  await mem.claim(`bench${i % 4}`, 60_000, 1000)
  claimMem.push(performance.now() - t)
}
console.log(`lease claim on PostgreSQL, ${CLAIMS} claims: ${fmt(claimPg)}; in memory: ${fmt(claimMem)}`)

// Takeover after kill -9 of the node that ran the latest interval.
const dbNow = async () =>
  (
    await db.get<{ now: number }>(
      'SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT) AS now',
    )
  )?.now as number
const takeovers: number[] = []
for (let k = 0; k < KILLS; k++) {
  await Bun.sleep(INTERVAL * 3)
  const last = await db.get<{ holder: string }>('SELECT holder FROM fixture_runs ORDER BY slot DESC LIMIT 1')
  const victim = nodes.find((n) => n.holder === last?.holder)
  if (!victim) throw new Error(`expected the holder ${last?.holder} among the nodes`)
  victim.proc.kill('SIGKILL')
  await victim.proc.exited
  const killedAt = await dbNow()
  nodes.splice(nodes.indexOf(victim), 1, node(url))
  let next: { at: number } | null = null
  await until(async () => {
    next = await db.get<{ at: number }>(
      'SELECT at FROM fixture_runs WHERE at > ? AND holder <> ? ORDER BY at LIMIT 1',
      [killedAt, victim.holder],
    )
    return next !== null
  })
  takeovers.push((next as unknown as { at: number }).at - killedAt)
  await until(() => nodes.every((n) => n.holder !== ''))
}
const dup = await db.get<{ n: number; d: number }>(
  'SELECT count(*) AS n, count(DISTINCT slot) AS d FROM fixture_runs',
)
console.log(
  `takeover after kill -9 (interval ${INTERVAL} ms), ms from the kill to the next run elsewhere: ${takeovers.join(', ')} (max ${Math.max(...takeovers)}); runs ${dup?.n}, distinct intervals ${dup?.d}`,
)

for (const n of nodes) n.proc.kill('SIGKILL')
await Promise.all(nodes.map((n) => n.proc.exited))
await db.close()
await pg.stop()
