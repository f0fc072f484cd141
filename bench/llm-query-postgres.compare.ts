/**
 * The LLM reads on SQLite and on PostgreSQL with the same data: the database of
 * bench/llm-query.bench.ts (LLM_BENCH_DB, kept with that variable) copied into a private
 * PostgreSQL server (test/pg.helpers.ts) the way `bloop db copy` does, then each read called
 * on one backend and the other in turn, N (default 21) pairs, after checking both answer the
 * same. PostgreSQL's own CPU is not in these client-side times' process but is on the same
 * machine.
 *
 *   LLM_BENCH_DB=/tmp/llm-bench.db npm run bench -- llm-query      (makes and keeps the database)
 *   LLM_BENCH_DB=/tmp/llm-bench.db bun bench/llm-query-postgres.compare.ts
 */
import { Database } from 'bun:sqlite'
import { COPY_PLAN } from '../src/cli/dbcopy'
import { MIGRATIONS } from '../src/features'
import { traceDetail } from '../src/llm/query/detail'
import { toolsOnPostgres } from '../src/llm/query/postgres'
import { listPrompts } from '../src/llm/query/prompts'
import { latency, overview } from '../src/llm/query/rollups'
import { listSessions } from '../src/llm/query/sessions'
import { tools } from '../src/llm/query/tools'
import { listTraces } from '../src/llm/query/traces'
import { windowOf } from '../src/llm/query/window'
import type { Queryable } from '../src/storage/backend'
import { copyDatabase } from '../src/storage/copy'
import { openDatabase } from '../src/storage/db'
import { migratePostgres } from '../src/storage/migrate'
import { SqliteBackend } from '../src/storage/sqlite'
import { pgBenchBackend, startPg } from '../test/pg.helpers'

const path = process.env.LLM_BENCH_DB
if (!path) throw new Error('expected LLM_BENCH_DB: the database bench/llm-query.bench.ts kept')
const { now } = JSON.parse(await Bun.file(`${path}.bench.json`).text()) as { now: number }
const sqlite = new SqliteBackend(openDatabase(path))
const pg = await startPg()
const postgres = await pgBenchBackend(pg, 4)
try {
  await migratePostgres(postgres, MIGRATIONS)
  const t0 = performance.now()
  const src = new Database(path, { readonly: true })
  await copyDatabase(src, postgres, COPY_PLAN, { batchRows: 5000 })
  src.close()
  await postgres.exec('ANALYZE')
  console.log(`copied into PostgreSQL in ${((performance.now() - t0) / 1000).toFixed(1)} s (then ANALYZE)`)
  const w = windowOf(720, now)
  const one = (await sqlite.get<{ p: string }>('SELECT project_id AS p FROM llm_traces LIMIT 1')) as {
    p: string
  }
  const ids = [one.p]
  const big = (
    (await sqlite.get<{ id: string }>('SELECT id FROM llm_traces ORDER BY span_count DESC LIMIT 1')) as {
      id: string
    }
  ).id
  const page = { sort: 'newest' as const, limit: 50, offset: 0 }
  const CASES: [string, (b: Queryable, kind: 'sqlite' | 'postgres') => Promise<unknown>][] = [
    ['overview', (b) => overview(b, ids, w)],
    ['latency', (b) => latency(b, ids, w, {})],
    ['trace list (newest)', (b) => listTraces(b, ids, w, page)],
    ['trace list (most_expensive)', (b) => listTraces(b, ids, w, { ...page, sort: 'most_expensive' })],
    ['trace list (status=error)', (b) => listTraces(b, ids, w, { ...page, status: 'error' })],
    ['trace list (model=gpt-4o)', (b) => listTraces(b, ids, w, { ...page, model: 'gpt-4o' })],
    ['search (common: rate limit)', (b) => listTraces(b, ids, w, { ...page, search: 'rate limit' })],
    ['trace detail (largest)', (b) => traceDetail(b, ids, big)],
    ['sessions', (b) => listSessions(b, ids, w, { limit: 50, offset: 0 })],
    ['prompts', (b) => listPrompts(b, ids, w, 50)],
    ['tools', (b, kind) => (kind === 'sqlite' ? tools(b, ids, w, 50) : toolsOnPostgres(b, ids, w, 50))],
  ]
  const N = Number(process.env.N ?? 21)
  const p50 = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] as number
  console.log(`${'read'.padEnd(30)} ${'SQLite p50'.padStart(11)} ${'PostgreSQL p50'.padStart(15)}`)
  for (const [name, read] of CASES) {
    const a = JSON.stringify(await read(sqlite, 'sqlite'))
    const b = JSON.stringify(await read(postgres, 'postgres'))
    if (a !== b)
      throw new Error(`expected the same answer from both backends, got different ones for ${name}`)
    const ts: number[] = []
    const tp: number[] = []
    for (let i = 0; i < N; i++) {
      let t = performance.now()
      await read(sqlite, 'sqlite')
      ts.push(performance.now() - t)
      t = performance.now()
      await read(postgres, 'postgres')
      tp.push(performance.now() - t)
    }
    console.log(
      `${name.padEnd(30)} ${p50(ts).toFixed(1).padStart(8)} ms ${p50(tp).toFixed(1).padStart(12)} ms`,
    )
  }
} finally {
  await postgres.close()
  await sqlite.close()
  await pg.stop()
}
