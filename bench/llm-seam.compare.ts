/**
 * The LLM reads on the storage seam against the same reads before it, in one process on
 * one database, calls interleaved (old, new, old, new ...) so the machine's load falls on
 * both alike: what moving the reads onto the asynchronous seam costs on SQLite. The old
 * functions come from a checkout of an earlier commit (their bun:sqlite calls), the new
 * ones from this tree (through SqliteBackend). Every pair's answers are compared first.
 *
 *   git worktree add --detach /tmp/llm-base <commit before the seam>
 *   ln -s "$PWD/node_modules" /tmp/llm-base/node_modules
 *   LLM_BENCH_DB=/tmp/llm-bench.db npm run bench -- llm-query      (makes and keeps the database)
 *   LLM_BENCH_DB=/tmp/llm-bench.db BASE=/tmp/llm-base taskset -c 1 bun bench/llm-seam.compare.ts
 *
 * N (default 41) pairs per read; the p50 of each side is printed.
 */
import { join } from 'node:path'
import * as newD from '../src/llm/query/detail'
import * as newP from '../src/llm/query/prompts'
import * as newS from '../src/llm/query/sessions'
import * as newT from '../src/llm/query/tools'
import * as newL from '../src/llm/query/traces'
import { windowOf } from '../src/llm/query/window'
import { openDatabase } from '../src/storage/db'
import { SqliteBackend } from '../src/storage/sqlite'

const base = process.env.BASE
const path = process.env.LLM_BENCH_DB
if (!base || !path) throw new Error('expected BASE (the earlier checkout) and LLM_BENCH_DB (the database)')
const old = async (file: string) => await import(join(base, 'src/llm/query', file))
const [oldD, oldP, oldS, oldT, oldL] = await Promise.all(
  ['detail.ts', 'prompts.ts', 'sessions.ts', 'tools.ts', 'traces.ts'].map(old),
)
const { now } = JSON.parse(await Bun.file(`${path}.bench.json`).text()) as { now: number }
const db = openDatabase(path)
const b = new SqliteBackend(db)
const w = windowOf(720, now)
const one = <T>(sql: string) => db.query(sql).get() as T
const ids = [one<{ p: string }>('SELECT project_id AS p FROM llm_traces LIMIT 1').p]
const big = one<{ id: string }>('SELECT id FROM llm_traces ORDER BY span_count DESC LIMIT 1').id
const page = { sort: 'newest' as const, limit: 50, offset: 0 }

const CASES: [string, () => unknown, () => Promise<unknown>][] = [
  ['prompts', () => oldP.listPrompts(db, ids, w, 50), () => newP.listPrompts(b, ids, w, 50)],
  ['sessions', () => oldS.listSessions(db, ids, w, page), () => newS.listSessions(b, ids, w, page)],
  ['tools', () => oldT.tools(db, ids, w, 50), () => newT.tools(b, ids, w, 50)],
  [
    'search "rate limit"',
    () => oldL.listTraces(db, ids, w, { ...page, search: 'rate limit' }),
    () => newL.listTraces(b, ids, w, { ...page, search: 'rate limit' }),
  ],
  [
    'list most_expensive',
    () => oldL.listTraces(db, ids, w, { ...page, sort: 'most_expensive' }),
    () => newL.listTraces(b, ids, w, { ...page, sort: 'most_expensive' }),
  ],
  [
    'list model=gpt-4o',
    () => oldL.listTraces(db, ids, w, { ...page, model: 'gpt-4o' }),
    () => newL.listTraces(b, ids, w, { ...page, model: 'gpt-4o' }),
  ],
  ['trace detail', () => oldD.traceDetail(db, ids, big), () => newD.traceDetail(b, ids, big)],
]

const N = Number(process.env.N ?? 41)
const p50 = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] as number
for (const [name, before, after] of CASES) {
  if (JSON.stringify(before()) !== JSON.stringify(await after()))
    throw new Error(`expected the same answer from both, got different ones for ${name}`)
  const t0: number[] = []
  const t1: number[] = []
  for (let i = 0; i < N; i++) {
    let t = performance.now()
    before()
    t0.push(performance.now() - t)
    t = performance.now()
    await after()
    t1.push(performance.now() - t)
  }
  console.log(
    `${name.padEnd(22)} before p50 ${p50(t0).toFixed(1).padStart(7)} ms   seam p50 ${p50(t1).toFixed(1).padStart(7)} ms`,
  )
}
db.close()
