/**
 * Error ingest served from PostgreSQL beside the same server on SQLite, same machine, same
 * run, same load generator (docs/benchmarks.md, "Ingest on PostgreSQL"): batch ingest (50
 * events a request, 16 connections) and single-event ingest (50 connections), committed
 * rows counted in the database afterwards. bloop and the PostgreSQL server (a private one
 * from Debian's binaries, test/pg.helpers.ts, its postmaster and so every backend it forks
 * pinned with it) share core 0, the load generator has core 1; the CPU time of bloop and
 * of every PostgreSQL process is counted per committed event, so PostgreSQL's own work is
 * in the figure.
 *
 *   npm run bench -- ingest-postgres      (BENCH_SECONDS=5 for a quick run)
 */
import { Database } from 'bun:sqlite'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SQL } from 'bun'
import { startPg } from '../test/pg.helpers'
import {
  benchServerEnv,
  cores,
  cpuSeconds,
  fmt,
  hasTaskset,
  REPO,
  runLoad,
  startPinned,
  tempDir,
} from './lib'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20)

/** Every process of the PostgreSQL server of `dataDir` (the postmaster and its children), by /proc. */
function pgPids(dataDir: string): number[] {
  const pids: number[] = []
  const pm = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (Number(d) === pm || ppid === pm) pids.push(Number(d))
    } catch {}
  }
  return pids
}

const pgCpu = (dataDir: string) => pgPids(dataDir).reduce((s, p) => s + cpuSeconds(p), 0)

const pg = await startPg()
const dataDir = pg.data
if (hasTaskset && cores >= 2) {
  // The postmaster and the processes it already runs; backends it forks later inherit it.
  for (const pid of pgPids(dataDir)) Bun.spawnSync(['taskset', '-p', '-c', '0', String(pid)])
}

console.log(
  `machine: ${cores} cores, Bun ${Bun.version}, PostgreSQL on port ${pg.port}; bloop and PostgreSQL on core 0, load on core 1; ${SECONDS} s a run`,
)

type Kind = 'sqlite' | 'postgres'

async function run(
  kind: Kind,
  path: '/v1/ingest/batch' | '/v1/ingest',
  perRequest: number,
  connections: number,
) {
  const dir = tempDir()
  const url = kind === 'postgres' ? await pg.createDatabase() : ''
  const server = await startPinned(
    [process.execPath, join(REPO, 'src/main.ts'), 'serve'],
    benchServerEnv(dir, url ? { BLOOP__DATABASE__URL: url, BLOOP__DATABASE__POOL_SIZE: '4' } : {}),
    0,
    REPO,
  )
  const count = async () => {
    if (url) {
      const sql = new SQL(url, { max: 1 })
      const [r] = (await sql.unsafe('SELECT count(*)::int AS n FROM raw_events')) as { n: number }[]
      await sql.close()
      return r?.n ?? 0
    }
    const db = new Database(join(dir, 'bloop.db'), { readonly: true })
    const n = (db.query('SELECT count(*) AS n FROM raw_events').get() as { n: number }).n
    db.close()
    return n
  }
  await Bun.sleep(500)
  const before = await count()
  const bloopBefore = cpuSeconds(server.proc.pid)
  const pgBefore = pgCpu(dataDir)
  const r = await runLoad(
    {
      url: `http://127.0.0.1:${server.port}`,
      path,
      ...(perRequest > 1 ? { 'per-request': perRequest } : {}),
      seconds: SECONDS,
      connections,
      issues: 1000,
    },
    1,
  )
  // The fold of tags and users follows the last commits within a second: counted too.
  await Bun.sleep(2000)
  const committed = (await count()) - before
  const bloopUs = ((cpuSeconds(server.proc.pid) - bloopBefore) * 1e6) / committed
  const pgUs = ((pgCpu(dataDir) - pgBefore) * 1e6) / committed
  await server.stop()
  console.log(
    `${kind.padEnd(8)} ${path === '/v1/ingest' ? 'single' : `batch ${perRequest}`}, ${connections} connections: ` +
      `${fmt(committed / r.seconds)} events/s committed (${fmt(committed)} rows; ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 1)} ms, ` +
      `p99 ${fmt(r.p99, 1)} ms, errors ${JSON.stringify(r.errors)}); CPU per event: bloop ${fmt(bloopUs, 1)} us, ` +
      `PostgreSQL ${kind === 'postgres' ? `${fmt(pgUs, 1)} us` : '-'}`,
  )
}

try {
  for (const kind of ['sqlite', 'postgres'] as const) await run(kind, '/v1/ingest/batch', 50, 16)
  for (const kind of ['sqlite', 'postgres'] as const) await run(kind, '/v1/ingest', 1, 50)
} finally {
  await pg.stop()
}
