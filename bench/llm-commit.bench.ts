/**
 * The `llm.commit` writer task alone, on SQLite, run as the writer thread runs it: a seam
 * task inside one SqliteBackend transaction over the thread's kind of connection, a SQLite
 * task called on the connection (it opens its own transaction). No HTTP, no JSON, no
 * thread hop: what the task itself costs per trace. Three kinds of batch, 200 items each:
 *   fresh    new traces of 3 spans (the SDK's one-shot submissions)
 *   resend   the same traces again, every span updated (running, then completed)
 *   parts    one new span for each of 200 stored traces (the proxy and OTLP, spans as they end)
 * Each tree runs in its own process pinned to core 1; with BENCH_BASELINE=<another checkout
 * with node_modules> that one too, alternated BENCH_ROUNDS times (default 3), so both see
 * the same machine. Figures are µs per item, the median over the batches of a round.
 *
 *   npm run bench -- llm-commit
 *   BENCH_BASELINE=/tmp/llm-base npm run bench -- llm-commit
 */
import { join } from 'node:path'
import { pin, REPO, tempDir } from './lib'

const BATCH = 200
const BATCHES = Number(process.env.BENCH_BATCHES ?? 30)

const root = process.argv[2]
if (root) {
  const { MIGRATIONS } = await import(join(root, 'src/features.ts'))
  const { openDatabase } = await import(join(root, 'src/storage/db.ts'))
  const { migrate } = await import(join(root, 'src/storage/migrate.ts'))
  const { SqliteBackend } = await import(join(root, 'src/storage/sqlite.ts'))
  const { isSeamTask } = await import(join(root, 'src/storage/tasks.ts'))
  const { llmTasks } = await import(join(root, 'src/llm/tasks.ts'))
  const db = openDatabase(join(tempDir('bloop-llm-commit-'), 'bloop.db'))
  migrate(db, MIGRATIONS)
  const backend = new SqliteBackend(db)
  const task = llmTasks['llm.commit']
  const run: (items: unknown[]) => Promise<unknown> = isSeamTask(task)
    ? (items) => backend.transaction((tx: unknown) => task(tx, { items }))
    : async (items) => task(db, { items })

  const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000
  const span = (id: string, start: number, status: string | null, tokens: number | null) => ({
    id,
    parent_span_id: null,
    span_type: 'generation',
    name: 'chat',
    model: 'gpt-4o',
    provider: 'openai',
    status,
    error_message: null,
    input: null,
    output: null,
    metadata: null,
    started_at: start,
    ended_at: status === null ? null : start + 800,
    latency_ms: status === null ? null : 800,
    time_to_first_token_ms: status === null ? null : 120,
    input_tokens: tokens,
    output_tokens: tokens === null ? null : Math.floor(tokens / 2),
    cache_read_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    cost_micros: tokens === null ? null : tokens * 3,
    cost_source: tokens === null ? 'unknown' : 'table',
    price_version: tokens === null ? null : 'bench',
  })
  const trace = (id: string, spans: unknown[], status: string | null, at: number) => ({
    kind: 'trace',
    project_id: 'default',
    id,
    source: 'sdk',
    session_id: null,
    user_id: null,
    name: 'bench',
    status,
    input: null,
    output: null,
    metadata: null,
    tags: null,
    prompt_name: null,
    prompt_version: null,
    started_at: null,
    ended_at: null,
    spans,
    received_at: at,
  })
  const ids = (b: number) => Array.from({ length: BATCH }, (_, i) => `tr-${b}-${i}`)
  const phases: Record<string, (b: number) => unknown[]> = {
    fresh: (b) =>
      ids(b).map((id, i) =>
        trace(
          id,
          [0, 1, 2].map((k) => span(`s${k}`, T0 + i + k * 1000, null, null)),
          'running',
          T0 + b,
        ),
      ),
    resend: (b) =>
      ids(b).map((id, i) =>
        trace(
          id,
          [0, 1, 2].map((k) => span(`s${k}`, T0 + i + k * 1000, 'ok', 100 + k)),
          'completed',
          T0 + b + 1,
        ),
      ),
    parts: (b) => ids(b).map((id, i) => trace(id, [span('s3', T0 + i + 3000, 'ok', 50)], null, T0 + b + 2)),
  }
  const out: string[] = []
  for (const [name, make] of Object.entries(phases)) {
    const perItem: number[] = []
    for (let b = 0; b < BATCHES; b++) {
      const items = make(b)
      const t0 = performance.now()
      await run(items)
      perItem.push(((performance.now() - t0) * 1000) / items.length)
    }
    // The first batches warm the JIT and the statement caches.
    const sorted = perItem.slice(3).sort((x, y) => x - y)
    out.push(`${name} ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)}`)
  }
  const n = (sql: string) => (db.query(sql).get() as { n: number }).n
  if (n('SELECT count(*) AS n FROM llm_spans') !== BATCHES * BATCH * 4)
    throw new Error('expected every span stored: the bench did not commit what it sent')
  console.log(`${out.join(', ')} µs/item (${isSeamTask(task) ? 'seam task' : 'SQLite task'})`)
  await backend.close()
} else {
  const trees = [
    { name: 'this tree', repo: REPO },
    ...(process.env.BENCH_BASELINE ? [{ name: 'baseline', repo: process.env.BENCH_BASELINE }] : []),
  ]
  for (let round = 1; round <= Number(process.env.BENCH_ROUNDS ?? 3); round++)
    for (const t of trees) {
      const proc = Bun.spawn([...pin(1), process.execPath, import.meta.path, t.repo], {
        stdout: 'pipe',
        stderr: 'inherit',
      })
      const out = (await new Response(proc.stdout).text()).trim()
      await proc.exited
      console.log(`[${t.name}, round ${round}] ${out}`)
    }
}
