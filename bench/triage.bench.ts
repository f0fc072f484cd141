/**
 * Triage at scale (docs/decisions.md, "Users affected", "Tags", "Search"):
 *
 *   npm run bench -- triage            (TRIAGE_BENCH_PARTS=cost,ingest,list: some parts)
 *
 * 1. cost: what keeping the users-affected sketches costs the writer. The same 100,000
 *    events in 10,000 issues (TRIAGE_COST_ISSUES for another number; batches of 500, the worst case: about one event per issue
 *    per transaction, so every event pays the per-issue work; 20,000 users, so nearly
 *    every event brings a user new to its issue, hour and release) are committed through
 *    `commitEvents` into two fresh databases, batch by batch in turn: without user ids
 *    (no sketch read or written, no `issue_users` pair), and with them. Each database is folded
 *    (src/errors/fold.ts) every FOLD_LIMIT events, as the server does under load, and the
 *    folds' time counts with its commits' (the same thread does both). The writer's own rate is
 *    the strict measure: batch ingest over HTTP spends more per event on the same core, so
 *    the share of its throughput is smaller still.
 * 2. ingest: batch ingest over HTTP, as bench/ingest.bench.ts measures it (server pinned
 *    to core 0, the load generator to core 1; 1,000 issues, 50 events a request, 16
 *    connections, 15 s), with user ids (20,000 users) and without, alternately, twice,
 *    each on a fresh database: the share of the throughput the users figures cost.
 * 3. list: one million events in 10,000 issues (Zipf over issues, 20,000 users, 6 tags
 *    each) committed through `commitEvents`, then the real server (`bun src/main.ts
 *    serve`, pinned to core 0) answers `GET /v1/errors` with a search and a tag filter to
 *    one client pinned to core 1, sequentially: p50 and p99 per query, beside the plain
 *    list in the same run.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { commitEvents } from '../src/errors/commit'
import type { NormalizedEvent } from '../src/errors/event'
import { FOLD_LIMIT, foldEvents } from '../src/errors/fold'
import { MIGRATIONS } from '../src/features'
import { WRITER_CHECKPOINT_PAGES } from '../src/storage/checkpointer'
import { type Db, openDatabase } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'
import { SqliteBackend } from '../src/storage/sqlite'
import { createToken } from '../src/tokens/store'
import { projectOnSqlite, taskOnSqlite } from '../test/helpers'
import { cpuSeconds, fmt, percentile, pin, REPO, runLoad, SECRET, startPinned, tempDir } from './lib'
import { ISSUES, type TriageSeed, triageEvents, USERS } from './triage.seed'

const parts = (process.env.TRIAGE_BENCH_PARTS ?? 'cost,ingest,list').split(',')
const LIST_EVENTS = Number(process.env.TRIAGE_BENCH_EVENTS ?? 1_000_000)
const COST_EVENTS = 100_000
const BATCH = 500
const NOW = Date.now()
/** Issues of the cost part: 10,000 (the worst case) unless TRIAGE_COST_ISSUES says otherwise. */
const COST_ISSUES = Number(process.env.TRIAGE_COST_ISSUES ?? ISSUES)
const ROUNDS = Number(process.env.TRIAGE_ROUNDS ?? 2)
const generate = (n: number, opts: Omit<TriageSeed, 'now'>) => triageEvents(n, { ...opts, now: NOW })

/** This thread's CPU time so far, in ms. */
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

function freshDb(path: string): Db {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true })
  const db = openDatabase(path)
  migrate(db, MIGRATIONS)
  projectOnSqlite(db, { id: 'default', name: 'Default', slug: 'default', apiKey: SECRET })
  // What the writer runs with: checkpoints on the checkpointer thread (not timed here).
  db.run(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  return db
}

/** The writer's seam tasks on `db`, each in one transaction, as the writer thread runs them. */
const commit = (db: Db, events: NormalizedEvent[]) => taskOnSqlite(db, (tx) => commitEvents(tx, events, 5))
const fold = (db: Db) => taskOnSqlite(db, (tx) => foldEvents(tx, { limit: FOLD_LIMIT }))

async function commitAll(db: Db, events: NormalizedEvent[]): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < events.length; i += BATCH) {
    await commit(db, events.slice(i, i + BATCH))
    if ((i + BATCH) % FOLD_LIMIT === 0) await fold(db)
  }
  while ((await fold(db)).more) {}
  return (events.length / (performance.now() - started)) * 1000
}

const dir = tempDir('bloop-triage-bench-')
try {
  // 20,000 users: nearly every event is a user new to its issue, hour and release (the
  // worst case); 300 users: the same users come back, as on most apps, and a user already
  // counted writes nothing.
  for (const userPool of parts.includes('cost') ? [USERS, 300] : []) {
    console.log(`cost with a pool of ${fmt(userPool)} users, ${fmt(COST_ISSUES)} issues:`)
    const withUsers = generate(COST_EVENTS, {
      zipf: false,
      users: true,
      hours: 24,
      userPool,
      issues: COST_ISSUES,
    })
    const without = withUsers.map((e) => ({ ...e, user_id_hash: null }))
    // Two databases fed batch by batch in turn (the order rotating), so a busy
    // neighbour on a shared machine slows both alike.
    const runs = {
      'without user ids': { events: without, db: freshDb(join(dir, 'a.db')), ms: 0, cpu: 0 },
      'with user ids': { events: withUsers, db: freshDb(join(dir, 'b.db')), ms: 0, cpu: 0 },
    }
    const order = Object.values(runs)
    for (let i = 0, turn = 0; i < COST_EVENTS; i += BATCH, turn++) {
      for (let j = 0; j < order.length; j++) {
        const r = order[(turn + j) % order.length] as (typeof order)[number]
        const batch = r.events.slice(i, i + BATCH)
        const t0 = performance.now()
        const c0 = cpuMs()
        await commit(r.db, batch)
        if ((i + BATCH) % FOLD_LIMIT === 0 || i + BATCH >= COST_EVENTS) await fold(r.db)
        r.cpu += cpuMs() - c0
        r.ms += performance.now() - t0
      }
    }
    const rate = (r: (typeof order)[number]) => (COST_EVENTS / r.ms) * 1000
    const base = rate(runs['without user ids'])
    const baseCpu = runs['without user ids'].cpu
    for (const [label, r] of Object.entries(runs)) {
      r.db.close()
      const share = ((base - rate(r)) / base) * 100
      // CPU time moves less than wall time on a machine shared with other jobs.
      const cpuShare = (1 - baseCpu / r.cpu) * 100
      console.log(
        `${label}: ${fmt(rate(r))} events/s (${fmt((r.ms / COST_EVENTS) * 1000, 1)} us/event wall, ` +
          `${fmt((r.cpu / COST_EVENTS) * 1000, 1)} us/event CPU), cost ${fmt(share, 1)}% (by CPU ${fmt(cpuShare, 1)}%)`,
      )
    }
  }

  if (parts.includes('ingest')) {
    // Batch ingest as bench/ingest.bench.ts runs it (1,000 issues, 50 events a request, 16
    // connections), each run on a fresh database and server, with and without user ids,
    // alternately, TRIAGE_ROUNDS times (2): the events/s the server stores, and the server's
    // CPU per stored event (every thread, from /proc), which other jobs on the machine move less.
    const rates: Record<string, number[]> = { 'without user ids': [], 'with user ids': [] }
    const cpus: Record<string, number[]> = { 'without user ids': [], 'with user ids': [] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const label of Object.keys(rates)) {
        const dbPath = join(dir, 'ingest.db')
        freshDb(dbPath).close()
        const server = await startPinned(
          [process.execPath, join(REPO, 'src', 'main.ts'), 'serve'],
          {
            BLOOP__SERVER__HOST: '127.0.0.1',
            BLOOP__SERVER__PORT: '0',
            BLOOP__DATABASE__PATH: dbPath,
            BLOOP__AUTH__HMAC_SECRET: SECRET,
            BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
            BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
            BLOOP__ANALYTICS__ENABLED: 'false',
          },
          0,
          dir,
        )
        const load = await runLoad(
          {
            url: `http://127.0.0.1:${server.port}`,
            path: '/v1/ingest/batch',
            seconds: 15,
            connections: 16,
            'per-request': 50,
            issues: 1000,
            users: label === 'with user ids' ? USERS : 0,
          },
          1,
        )
        // The fold runs up to a second after the last commit: let it finish before reading the CPU.
        await Bun.sleep(2000)
        const cpuUs = (cpuSeconds(server.proc.pid) * 1e6) / (load.ok * 50)
        await server.stop()
        const rate = (load.ok * 50) / load.seconds
        rates[label]?.push(rate)
        cpus[label]?.push(cpuUs)
        console.log(
          `  round ${round + 1}, ${label}: ${fmt(rate)} events/s (p99 ${fmt(load.p99, 1)} ms), server CPU ${fmt(cpuUs, 1)} us/event`,
        )
      }
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y)
      const m = s.length >> 1
      return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
    }
    const a = median(rates['without user ids'] as number[])
    const b = median(rates['with user ids'] as number[])
    const ca = median(cpus['without user ids'] as number[])
    const cb = median(cpus['with user ids'] as number[])
    console.log(
      `batch ingest (medians of ${ROUNDS}): ${fmt(a)} events/s without user ids, ${fmt(b)} with: users affected cost ${fmt(((a - b) / a) * 100, 1)}% of the rate; server CPU ${fmt(ca, 1)} and ${fmt(cb, 1)} us/event: ${fmt((1 - ca / cb) * 100, 1)}% of it`,
    )
  }

  if (parts.includes('list')) {
    const dbPath = join(dir, 'list.db')
    const db = freshDb(dbPath)
    console.log(`seeding ${fmt(LIST_EVENTS)} events in ${fmt(ISSUES)} issues ...`)
    const seedStarted = performance.now()
    for (let from = 0; from < LIST_EVENTS; from += 100_000) {
      const chunk = generate(Math.min(100_000, LIST_EVENTS - from), { zipf: true, users: true, hours: 72 })
      await commitAll(db, chunk)
    }
    const seconds = (performance.now() - seedStarted) / 1000
    const counts = db
      .query(
        `SELECT (SELECT count(*) FROM raw_events) AS events, (SELECT count(*) FROM issues) AS issues,
                (SELECT count(*) FROM issue_tags) AS tag_rows, (SELECT count(*) FROM issue_user_sketches) AS sketch_rows,
                (SELECT coalesce(sum(length(sketch)), 0) FROM issue_user_sketches) AS sketch_bytes`,
      )
      .get() as Record<string, number>
    console.log(
      `  ${seconds.toFixed(0)} s (${fmt(LIST_EVENTS / seconds)} events/s); ${JSON.stringify(counts)}`,
    )
    const token = (
      await createToken(new SqliteBackend(db), {
        projectId: 'default',
        name: 'bench',
        scopes: ['errors:read'],
      })
    ).token
    db.run('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()

    // The measuring client runs on core 1, the server on core 0.
    // (every thread of this process: `-a`).
    if (pin(1).length > 0) Bun.spawnSync(['taskset', '-a', '-p', '-c', '1', String(process.pid)])
    const server = Bun.spawn([...pin(0), process.execPath, join(REPO, 'src', 'main.ts'), 'serve'], {
      cwd: dir,
      env: {
        ...process.env,
        BLOOP__SERVER__HOST: '127.0.0.1',
        BLOOP__SERVER__PORT: '0',
        BLOOP__DATABASE__PATH: dbPath,
        BLOOP__AUTH__HMAC_SECRET: SECRET,
        BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
        BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
        BLOOP__ANALYTICS__ENABLED: 'false',
        BLOOP__LOG__LEVEL: 'info',
      },
      stdout: 'pipe',
      stderr: 'inherit',
    })
    let url = ''
    const reader = (server.stdout as ReadableStream<Uint8Array>).getReader()
    let buffered = ''
    while (!url) {
      const { value, done } = await reader.read()
      if (done) throw new Error('server exited before listening')
      buffered += new TextDecoder().decode(value)
      const line = buffered.split('\n').find((l) => l.includes('"listening"'))
      const port = line ? /"port":(\d+)/.exec(line)?.[1] : undefined
      if (port) url = `http://127.0.0.1:${port}`
    }
    void (async () => {
      while (!(await reader.read()).done) {}
    })()
    const headers = { authorization: `Bearer ${token}` }
    const QUERIES = [
      ['plain list (baseline)', ''],
      ['tag filter', `query=${encodeURIComponent('browser:"Firefox 133.0"')}`],
      ['search + tag filter', `query=${encodeURIComponent('is:unresolved timeout browser:"Safari 18.1"')}`],
      [
        'search + 2 tags + release',
        `query=${encodeURIComponent('release:1.3.1 tenant:t17 plan:team module')}`,
      ],
      ['search + tag, sorted by users', `query=${encodeURIComponent('timeout tenant:t8')}&sort=users_count`],
    ] as const
    for (const [, q] of QUERIES)
      for (let i = 0; i < 20; i++) await (await fetch(`${url}/v1/errors?${q}`, { headers })).text()
    for (const [label, q] of QUERIES) {
      const ms: number[] = []
      let total = 0
      for (let i = 0; i < 500; i++) {
        const t0 = performance.now()
        const res = await fetch(`${url}/v1/errors?${q}&limit=50`, { headers })
        const body = (await res.json()) as { total: number }
        ms.push(performance.now() - t0)
        if (res.status !== 200) throw new Error(`${q}: ${res.status}`)
        total = body.total
      }
      ms.sort((a, b) => a - b)
      console.log(
        `${label}: ${fmt(total)} matching issues, p50 ${fmt(percentile(ms, 50), 2)} ms, p99 ${fmt(percentile(ms, 99), 2)} ms`,
      )
    }
    server.kill('SIGTERM')
    await server.exited
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
