/**
 * What a seam task costs on the writer thread beside the same SQLite task (docs/benchmarks.md,
 * "Storage seam"): the writer thread's group commit of rows (an insert and a counter upsert
 * per row, in one transaction) and a one-statement task, each sent from the main thread and
 * awaited, as a BatchQueue does. The kinds alternate commit by commit in one process, so
 * the machine's load falls on each alike.
 *
 *   taskset -c 1 bun bench/writer.seam.bench.ts   (npm run bench -- writer.seam)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryLogger } from '../src/ops/log'
import { Writer } from '../src/storage/writer'
import { fmt } from './lib'
import type { benchTasks, Row } from './writer.seam.worker'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const COMMITS = Number(process.env.BENCH_COMMITS ?? 200)
const PER_COMMIT = Number(process.env.BENCH_ROWS ?? 200)
const PINGS = Number(process.env.BENCH_PINGS ?? 5000)

const dir = mkdtempSync(join(tmpdir(), 'bloop-bench-writer-'))
const w = new Writer<typeof benchTasks>({
  workerUrl: new URL('./writer.seam.worker.ts', import.meta.url).href,
  dbPath: join(dir, 'bench.db'),
  log: memoryLogger('error'),
})
await w.whenReady()
await w.run('bench.schema', {})
// BENCH_BASE_WORKER=<path of this worker in a checkout of another commit>: a second writer
// thread on that commit's loop, its SQLite tasks interleaved with these (the baseline).
const baseEntry = process.env.BENCH_BASE_WORKER
const baseWriter = baseEntry
  ? new Writer<typeof benchTasks>({
      workerUrl: Bun.pathToFileURL(baseEntry).href,
      dbPath: join(dir, 'base.db'),
      log: memoryLogger('error'),
    })
  : null
await baseWriter?.whenReady()
await baseWriter?.run('bench.schema', {})
const writerOf = (kind: string) => (kind.startsWith('base:') ? (baseWriter as Writer<typeof benchTasks>) : w)
const taskOf = <K extends string>(kind: K) => kind.replace('base:', '') as never

let seq = 0
const rows = (): Row[] =>
  Array.from({ length: PER_COMMIT }, () => {
    const i = seq++
    return ['default', `fp${i % 500}`, 1_767_225_600_000 + i, `order ${i} failed at checkout`]
  })

type Commit = 'bench.sqlite' | 'bench.seam' | 'bench.seamMany'
// BENCH_SQLITE_ONLY=1: only the SQLite tasks, so the same file measures a checkout whose
// writer loop has no seam tasks (the same-run baseline of docs/benchmarks.md).
const sqliteOnly = process.env.BENCH_SQLITE_ONLY === '1'
const commitKinds: (Commit | 'base:bench.sqlite')[] = [
  ...(baseWriter ? (['base:bench.sqlite'] as const) : []),
  ...(sqliteOnly ? (['bench.sqlite'] as const) : (['bench.sqlite', 'bench.seam', 'bench.seamMany'] as const)),
]
const pingKinds: ('bench.sqlitePing' | 'bench.seamPing' | 'base:bench.sqlitePing')[] = [
  ...(baseWriter ? (['base:bench.sqlitePing'] as const) : []),
  ...(sqliteOnly ? (['bench.sqlitePing'] as const) : (['bench.sqlitePing', 'bench.seamPing'] as const)),
]
const commitMs: Record<string, number[]> = Object.fromEntries(commitKinds.map((k) => [k, []]))
const pingMs: Record<string, number[]> = Object.fromEntries(pingKinds.map((k) => [k, []]))

// Interleaved commit by commit, so a swing in the machine's load falls on every kind alike.
for (let round = 0; round < ROUNDS; round++) {
  const spent: Record<string, number> = {}
  for (let c = 0; c < COMMITS; c++) {
    for (const kind of commitKinds) {
      const batch = rows()
      const t0 = performance.now()
      await writerOf(kind).run(taskOf(kind), { rows: batch } as never)
      spent[kind] = (spent[kind] ?? 0) + performance.now() - t0
    }
  }
  for (const kind of commitKinds) commitMs[kind]?.push(spent[kind] ?? 0)
  const pinged: Record<string, number> = {}
  for (let i = 0; i < PINGS; i++) {
    for (const kind of pingKinds) {
      const t0 = performance.now()
      await writerOf(kind).run(taskOf(kind), {} as never)
      pinged[kind] = (pinged[kind] ?? 0) + performance.now() - t0
    }
  }
  for (const kind of pingKinds) pingMs[kind]?.push(pinged[kind] ?? 0)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const base = median(commitMs['bench.sqlite'] as number[])
console.log(
  `writer thread, ${ROUNDS} rounds, median; a commit is ${PER_COMMIT} rows (insert + counter upsert each), ${COMMITS} commits a round`,
)
for (const kind of commitKinds) {
  const ms = median(commitMs[kind] as number[])
  console.log(
    `  ${kind.padEnd(22)} ${fmt(Math.round((COMMITS * PER_COMMIT * 1000) / ms))} rows/s  ${((ms * 1000) / COMMITS).toFixed(0)} us/commit  ${((100 * base) / ms).toFixed(0)}% of the SQLite task`,
  )
}
const pingBase = median(pingMs['bench.sqlitePing'] as number[])
for (const kind of pingKinds) {
  const ms = median(pingMs[kind] as number[])
  console.log(
    `  ${kind.padEnd(22)} ${fmt(Math.round((PINGS * 1000) / ms))} tasks/s  ${((ms * 1000) / PINGS).toFixed(1)} us/task  ${((100 * pingBase) / ms).toFixed(0)}% of the SQLite task`,
  )
}
await w.close()
await baseWriter?.close()
rmSync(dir, { recursive: true, force: true })
