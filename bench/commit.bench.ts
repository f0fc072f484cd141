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
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commitEvents } from '../src/errors/commit'
import type { NormalizedEvent } from '../src/errors/event'
import { FOLD_LIMIT, foldEvents } from '../src/errors/fold'
import { validateEvent } from '../src/errors/ingest/validate'
import { MIGRATIONS } from '../src/features'
import { ensureDefaultProject } from '../src/projects/store'
import { WRITER_CHECKPOINT_PAGES } from '../src/storage/checkpointer'
import { openDatabase } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'
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

function commitRun(issues: number, checkpoints: 'in the writer' | 'on their own thread', fold = false) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'bloop-commit-')), 'b.db'))
  migrate(db, MIGRATIONS)
  ensureDefaultProject(db, 'bench-secret-0123456789abcdef0123456789')
  if (checkpoints === 'on their own thread') {
    // What the writer runs with. The checkpointer's work is not timed: it is another
    // thread, and on two cores it runs beside the writer.
    db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  }
  const all = events(issues)
  const started = performance.now()
  for (let i = 0; i < N; i += 500) {
    commitEvents(db, all.slice(i, i + 500), 5)
    if (fold && (i + 500) % FOLD_LIMIT === 0) foldEvents(db, { limit: FOLD_LIMIT })
  }
  if (fold) while (foldEvents(db, { limit: FOLD_LIMIT }).more) {}
  const us = ((performance.now() - started) * 1000) / N
  db.close()
  console.log(
    `commit${fold ? ' + fold' : ''}, ${fmt(issues)} issues, batches of 500, checkpoints ${checkpoints}: ${fmt(us, 1)} us/event (${fmt(1e6 / us)} events/s)`,
  )
}

for (const issues of [1_000, 10_000]) {
  commitRun(issues, 'in the writer')
  commitRun(issues, 'on their own thread')
  commitRun(issues, 'on their own thread', true)
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
