/**
 * The commit path in isolation (no HTTP): what one event costs the writer, and the two
 * design choices measured on it (docs/ARCHITECTURE.md, "Group commit"):
 *   - where WAL checkpoints run: inside the committing connection (SQLite's default
 *     autocheckpoint) or on the checkpointer thread (the writer keeps a 64 MB limit);
 *   - how a batch crosses to the writer thread: structured clone or JSON text;
 *   - what the fold of tags and users (src/errors/fold.ts) adds to the writer's work per
 *     event when it runs every FOLD_LIMIT events, as it does under load (its time is
 *     counted with the commits': the same thread does both).
 *
 *   npm run bench -- commit
 *   COMMIT_BENCH_TREES=/path/to/worktree,... bun bench/commit.bench.ts
 *
 * With COMMIT_BENCH_TREES, the commit code of each listed tree (and of this one) runs in
 * this process against its own fresh database, batch by batch in turn, the order rotating,
 * so a busy neighbour on a shared machine slows every tree alike; a tree with a fold
 * (src/errors/fold.ts) folds every FOLD_LIMIT events and its fold's time is counted (this
 * tree runs twice: its commit alone, what an acknowledgement waits for, and with the fold). Both
 * the wall time and this thread's CPU time are given per event (the CPU time is what other
 * processes on the machine disturb least).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commitEvents } from '../src/errors/commit'
import type { NormalizedEvent } from '../src/errors/event'
import { FOLD_LIMIT, foldEvents } from '../src/errors/fold'
import { validateEvent } from '../src/errors/ingest/validate'
import { MIGRATIONS } from '../src/features'
import { WRITER_CHECKPOINT_PAGES } from '../src/storage/checkpointer'
import { openDatabase } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'
import { SqliteBackend } from '../src/storage/sqlite'
import { projectOnSqlite } from '../test/helpers'
import { benchEvent, fmt } from './lib'

const N = 100_000
const CAPS = { max_stack_bytes: 8192, max_metadata_bytes: 4096, max_message_bytes: 2048 }

function events(issues: number): NormalizedEvent[] {
  return Array.from({ length: N }, (_, i) => {
    const v = validateEvent(benchEvent(i, issues), 'default', CAPS, Date.now())
    if (!v.ok) throw new Error(`expected a valid bench event, got ${v.error}`)
    return v.event
  })
}

async function commitRun(issues: number, checkpoints: 'in the writer' | 'on their own thread', fold = false) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'bloop-commit-')), 'b.db'))
  migrate(db, MIGRATIONS)
  projectOnSqlite(db, {
    id: 'default',
    name: 'Default',
    slug: 'default',
    apiKey: 'bench-secret-0123456789abcdef0123456789',
  })
  if (checkpoints === 'on their own thread') {
    // What the writer runs with. The checkpointer's work is not timed: it is another
    // thread, and on two cores it runs beside the writer.
    db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  }
  const all = events(issues)
  // As the writer thread runs them: seam tasks, each in one transaction of a SqliteBackend.
  const b = new SqliteBackend(db)
  const started = performance.now()
  for (let i = 0; i < N; i += 500) {
    await b.transaction((tx) => commitEvents(tx, all.slice(i, i + 500), 5))
    if (fold && (i + 500) % FOLD_LIMIT === 0)
      await b.transaction((tx) => foldEvents(tx, { limit: FOLD_LIMIT }))
  }
  if (fold) while ((await b.transaction((tx) => foldEvents(tx, { limit: FOLD_LIMIT }))).more) {}
  const us = ((performance.now() - started) * 1000) / N
  db.close()
  console.log(
    `commit${fold ? ' + fold' : ''}, ${fmt(issues)} issues, batches of 500, checkpoints ${checkpoints}: ${fmt(us, 1)} us/event (${fmt(1e6 / us)} events/s)`,
  )
}

interface Tree {
  label: string
  db: { run(sql: string): unknown; close(): void }
  commit: (events: NormalizedEvent[], sampleSize: number) => Promise<unknown>
  fold: ((a: { limit: number }) => Promise<{ more: boolean }>) | null
  wallMs: number
  cpuMs: number
}

type Run = (on: unknown, a: unknown, b?: unknown) => unknown

/**
 * One tree's commit code on a fresh database, imported from its own src/: called as the
 * writer thread calls it there, on the connection (a SQLite task) or in one transaction of
 * that tree's SqliteBackend (a seam task, storage/tasks.ts `isSeamTask`).
 */
async function treeAt(root: string, label: string): Promise<Tree> {
  const src = join(root, 'src')
  const commitFn = (await import(join(src, 'errors/commit.ts'))).commitEvents as Run
  const { MIGRATIONS: migrations } = await import(join(src, 'features.ts'))
  const { openDatabase: open } = await import(join(src, 'storage/db.ts'))
  const { migrate: run } = await import(join(src, 'storage/migrate.ts'))
  const { errorsTasks } = await import(join(src, 'errors/tasks.ts'))
  let isSeam = (_: unknown) => false
  try {
    isSeam = (await import(join(src, 'storage/tasks.ts'))).isSeamTask
  } catch {}
  let foldFn: Run | null = null
  try {
    foldFn = (await import(join(src, 'errors/fold.ts'))).foldEvents
  } catch {}
  const db = open(join(mkdtempSync(join(tmpdir(), 'bloop-commit-')), 'b.db'))
  run(db, migrations)
  projectOnSqlite(db, {
    id: 'default',
    name: 'Default',
    slug: 'default',
    apiKey: 'bench-secret-0123456789abcdef0123456789',
  })
  db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  const call: (fn: Run, a: unknown, b?: unknown) => Promise<unknown> = isSeam(errorsTasks['errors.commit'])
    ? await (async () => {
        const { SqliteBackend: Backend } = await import(join(src, 'storage/sqlite.ts'))
        const backend = new Backend(db)
        return (fn: Run, a: unknown, b?: unknown) =>
          backend.transaction((tx: unknown) => fn(tx, a, b) as Promise<unknown>)
      })()
    : async (fn: Run, a: unknown, b?: unknown) => fn(db, a, b)
  const fold = foldFn
  return {
    label,
    db,
    commit: (events, sampleSize) => call(commitFn, events, sampleSize),
    fold: fold ? async (a) => (await call(fold, a)) as { more: boolean } : null,
    wallMs: 0,
    cpuMs: 0,
  }
}

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

async function treesRun(issues: number, roots: string[]) {
  const here = join(import.meta.dir, '..')
  // This tree twice: the acknowledgement path alone, and with the fold that follows it.
  const trees = [{ ...(await treeAt(here, 'this tree')), fold: null }, await treeAt(here, 'this tree')]
  for (const r of roots) trees.push(await treeAt(r, r))
  const all = events(issues)
  for (let i = 0, turn = 0; i < N; i += 500, turn++) {
    for (let j = 0; j < trees.length; j++) {
      const t = trees[(turn + j) % trees.length] as Tree
      const w0 = performance.now()
      const c0 = cpuMs()
      await t.commit(all.slice(i, i + 500), 5)
      if (t.fold && ((i + 500) % FOLD_LIMIT === 0 || i + 500 >= N))
        while ((await t.fold({ limit: FOLD_LIMIT })).more) {}
      t.cpuMs += cpuMs() - c0
      t.wallMs += performance.now() - w0
    }
  }
  for (const t of trees) {
    t.db.close()
    console.log(
      `commit${t.fold ? ' + fold' : ''}, ${fmt(issues)} issues, ${t.label}: ${fmt((t.wallMs * 1000) / N, 1)} us/event wall, ${fmt((t.cpuMs * 1000) / N, 1)} us/event CPU`,
    )
  }
}

const TREES = process.env.COMMIT_BENCH_TREES?.split(',').filter((t) => t !== '')
if (TREES) {
  for (const issues of [1_000, 10_000]) await treesRun(issues, TREES)
  process.exit(0)
}

for (const issues of [1_000, 10_000]) {
  await commitRun(issues, 'in the writer')
  await commitRun(issues, 'on their own thread')
  await commitRun(issues, 'on their own thread', true)
}

// Hand-off to a worker and back, 500 events per message, as the writer receives them.
const batch = events(1000).slice(0, 500)
for (const mode of ['structured clone', 'JSON text'] as const) {
  const echo =
    mode === 'JSON text'
      ? 'onmessage = (e) => postMessage(JSON.parse(e.data).length)'
      : 'onmessage = (e) => postMessage(e.data.length)'
  const worker = new Worker(`data:text/javascript,${encodeURIComponent(echo)}`)
  const rounds = 400
  const started = performance.now()
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => {
      worker.onmessage = resolve
      worker.postMessage(mode === 'JSON text' ? JSON.stringify(batch) : batch)
    })
  }
  const us = ((performance.now() - started) * 1000) / (rounds * batch.length)
  worker.terminate()
  console.log(`hand-off to the writer thread by ${mode}: ${fmt(us, 2)} us/event`)
}
