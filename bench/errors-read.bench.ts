/**
 * The errors feature's reads on the storage seam, on SQLite and on PostgreSQL, beside the
 * synchronous bun:sqlite code they replaced, on the same data in the same run:
 *
 *   taskset -c 1 bun bench/errors-read.bench.ts      (npm run bench -- errors-read)
 *
 * N events (ERRORS_READ_EVENTS, default 1,000,000) in 10,000 issues of the triage bench
 * (bench/triage.seed.ts: Zipf over issues, 20,000 users, tags) are committed through
 * `commitEvents` into SQLite, then copied into a private PostgreSQL (test/pg.helpers.ts)
 * by `bloop db copy`'s code and ANALYZEd. Each query is what a `GET /v1/errors` page reads
 * (the list, its merge members, its releases and environments), or an issue's detail
 * (group, aggregates, history, samples, triage fields), run in process, the three
 * implementations taking turns, ROUNDS times each: p50 and p99.
 *
 * The baseline is the code before the conversion, at a fixed commit, checked out beside
 * this tree (ERRORS_READ_BASE, default /tmp/pgerr-base: `git worktree add --detach
 * /tmp/pgerr-base 5bfe8df`). PostgreSQL's postmaster (and so each backend it forks) is
 * pinned to core 0, this process to core 1; PostgreSQL's own CPU is in its latencies.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { COPY_PLAN } from '../src/cli/dbcopy'
import { commitEvents } from '../src/errors/commit'
import * as queries from '../src/errors/queries'
import { parseSearch } from '../src/errors/search'
import { searchConditions } from '../src/errors/search.sql'
import * as read from '../src/errors/triage.read'
import { MIGRATIONS } from '../src/features'
import { ensureDefaultProject } from '../src/projects/store'
import type { Queryable } from '../src/storage/backend'
import { copyDatabase } from '../src/storage/copy'
import { type Db, openDatabase } from '../src/storage/db'
import { migrate, migratePostgres } from '../src/storage/migrate'
import { SqliteBackend } from '../src/storage/sqlite'
import { taskOnSqlite } from '../test/helpers'
import { pgBenchBackend, startPg } from '../test/pg.helpers'
import { fmt, hasTaskset, percentile, SECRET, tempDir } from './lib'
import { ISSUES, triageEvents } from './triage.seed'

const EVENTS = Number(process.env.ERRORS_READ_EVENTS ?? 1_000_000)
const ROUNDS = Number(process.env.ERRORS_READ_ROUNDS ?? 200)
const BASE = process.env.ERRORS_READ_BASE ?? '/tmp/pgerr-base'
const NOW = Date.now()
if (!existsSync(join(BASE, 'src', 'errors', 'queries.ts')))
  throw new Error(`expected the baseline tree at ${BASE}: git worktree add --detach ${BASE} 5bfe8df`)

// The code before the conversion: synchronous, over bun:sqlite.
type OldFilters = Parameters<typeof queries.listIssues>[1]
interface OldQueries {
  listIssues(db: Db, f: OldFilters): { items: queries.IssueRow[]; total: number }
  seenInAll(db: Db, issues: { project_id: string; fingerprint: string }[]): unknown
  aggregatesOf(db: Db, projectId: string, fingerprint: string): unknown
}
interface OldRead {
  groupOf(db: Db, projectId: string, target: string): string[]
  membersOfPage(db: Db, rows: { project_id: string; fingerprint: string }[]): unknown
  groupAggregates(db: Db, projectId: string, group: string[]): queries.AggregateRow[]
  groupHistory(db: Db, projectId: string, group: string[]): queries.HistoryRow[]
  groupSamples(db: Db, projectId: string, group: string[]): unknown
  triageOf(db: Db, dir: unknown, issue: queries.IssueRow, group: string[], a: unknown, h: unknown): unknown
}
const oldQueries = (await import(join(BASE, 'src', 'errors', 'queries.ts'))) as OldQueries
const oldRead = (await import(join(BASE, 'src', 'errors', 'triage.read.ts'))) as OldRead
const oldSearch = (await import(join(BASE, 'src', 'errors', 'search.sql.ts'))) as {
  searchConditions: typeof searchConditions
}

const SEARCHES: [string, string, 'last_seen' | 'users_count'][] = [
  ['plain list', '', 'last_seen'],
  ['a tag half the issues carry', 'browser:"Firefox 133.0"', 'last_seen'],
  ['search and a tag', 'is:unresolved timeout browser:"Safari 18.1"', 'last_seen'],
  ['two tags, a release, text', 'release:1.3.1 tenant:t17 plan:team module', 'last_seen'],
  ['text and a tag by users', 'timeout tenant:t8', 'users_count'],
]

function filtersOf(query: string, sort: 'last_seen' | 'users_count', old: boolean): OldFilters {
  const f: OldFilters = { projectIds: ['default'], sort, limit: 50, offset: 0 }
  if (query === '') return f
  const parsed = parseSearch(query)
  if (!parsed.ok) throw new Error(`expected a valid query, got ${query}`)
  const { status, release, text, tags, user } = parsed.filter
  if (status) f.status = status
  if (release) f.release = release
  f.search = (old ? oldSearch.searchConditions : searchConditions)({ text, tags, user }, ['default'])
  return f
}

const dir = tempDir('bloop-bench-errors-read-')
const pg = await startPg()
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void pg.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true })
      process.exit(130)
    })
  })
try {
  const dataDir = ((await pg.admin('SHOW data_directory')) as { data_directory: string }[])[0]?.data_directory
  const postmaster = readFileSync(join(dataDir as string, 'postmaster.pid'), 'utf8').split('\n')[0] as string
  if (hasTaskset) Bun.spawnSync(['taskset', '-a', '-p', '-c', '0', postmaster])
  const version = ((await pg.admin('SHOW server_version')) as { server_version: string }[])[0]?.server_version
  console.log(`PostgreSQL ${version}, postmaster pinned to core 0: ${hasTaskset ? 'yes' : 'no (no taskset)'}`)

  const dbPath = join(dir, 'bloop.db')
  const db = openDatabase(dbPath)
  migrate(db, MIGRATIONS)
  await ensureDefaultProject(new SqliteBackend(db), SECRET)
  const s0 = performance.now()
  for (let from = 0; from < EVENTS; from += 100_000) {
    const chunk = triageEvents(Math.min(100_000, EVENTS - from), {
      zipf: true,
      users: true,
      hours: 20,
      now: NOW,
    })
    for (let i = 0; i < chunk.length; i += 500)
      await taskOnSqlite(db, (tx) => commitEvents(tx, chunk.slice(i, i + 500), 5))
  }
  console.log(
    `seeded ${fmt(EVENTS)} events in ${fmt(ISSUES)} issues: ${fmt((performance.now() - s0) / 1000, 1)} s`,
  )
  // A merge group on the loudest issue, so the detail reads combine members.
  db.run(
    `INSERT INTO issue_merges (project_id, fingerprint, target, old_status, merged_by, merged_at)
     VALUES ('default', 'fp000001', 'fp000000', 'unresolved', 'bench', ${NOW}), ('default', 'fp000002', 'fp000000', 'unresolved', 'bench', ${NOW})`,
  )
  db.run(`UPDATE issues SET merged_into = 'fp000000' WHERE fingerprint IN ('fp000001', 'fp000002')`)
  db.run('PRAGMA wal_checkpoint(TRUNCATE)')

  const pgb = await pgBenchBackend(pg)
  await migratePostgres(pgb, MIGRATIONS)
  const c0 = performance.now()
  const copied = await copyDatabase(db, pgb, COPY_PLAN, { batchRows: 5000 })
  await pgb.exec('ANALYZE')
  console.log(`db copy and ANALYZE: ${fmt(copied.rows)} rows in ${fmt((performance.now() - c0) / 1000, 1)} s`)
  const lite = new SqliteBackend(db)

  const directory: read.Directory = {
    user: async () => null,
    users: async () => [],
    projectSlug: async () => 'default',
    origin: 'http://localhost',
  }

  /** What GET /v1/errors reads for one page, through the seam. */
  const pageNew = async (b: Queryable, f: OldFilters) => {
    const { items, total } = await queries.listIssues(b, f)
    const members = await read.membersOfPage(b, items)
    await queries.seenInAll(b, [...items, ...[...members.values()].flat()])
    return `${total}:${items.map((i) => i.fingerprint).join(',')}`
  }
  const pageOld = (f: OldFilters) => {
    const { items, total } = oldQueries.listIssues(db, f)
    const members = oldRead.membersOfPage(db, items) as Map<
      string,
      { project_id: string; fingerprint: string }[]
    >
    oldQueries.seenInAll(db, [...items, ...[...members.values()].flat()])
    return `${total}:${items.map((i) => i.fingerprint).join(',')}`
  }
  const [top] = (await queries.findIssues(lite, ['default'], 'fp000000')) as queries.IssueRow[]
  const detailNew = async (b: Queryable) => {
    const group = await read.groupOf(b, 'default', 'fp000000')
    const [aggregates, history] = await Promise.all([
      read.groupAggregates(b, 'default', group),
      read.groupHistory(b, 'default', group),
      read.groupSamples(b, 'default', group),
    ])
    await read.triageOf(b, directory, top as queries.IssueRow, group, aggregates, history)
    return `${group.join(',')}:${aggregates.length}:${history.length}`
  }
  const detailOld = () => {
    const group = oldRead.groupOf(db, 'default', 'fp000000')
    const aggregates = oldRead.groupAggregates(db, 'default', group)
    const history = oldRead.groupHistory(db, 'default', group)
    oldRead.groupSamples(db, 'default', group)
    oldRead.triageOf(
      db,
      { projectSlug: () => 'default', origin: 'http://localhost' },
      top as queries.IssueRow,
      group,
      aggregates,
      history,
    )
    return `${group.join(',')}:${aggregates.length}:${history.length}`
  }

  const cases: { label: string; run: Record<string, () => Promise<string> | string> }[] = [
    ...SEARCHES.map(([label, query, sort]) => ({
      label: `${label}${query ? ` (${query})` : ''}`,
      run: {
        before: () => pageOld(filtersOf(query, sort, true)),
        'seam, SQLite': () => pageNew(lite, filtersOf(query, sort, false)),
        'seam, PostgreSQL': () => pageNew(pgb, filtersOf(query, sort, false)),
      },
    })),
    {
      label: 'issue detail (a group of 3)',
      run: {
        before: detailOld,
        'seam, SQLite': () => detailNew(lite),
        'seam, PostgreSQL': () => detailNew(pgb),
      },
    },
  ]
  console.log(
    `| query | ${Object.keys(cases[0]?.run ?? {})
      .map((k) => `${k} p50 / p99`)
      .join(' | ')} |`,
  )
  for (const c of cases) {
    const names = Object.keys(c.run)
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
    // Warm, and the same answer from each (the page's total and fingerprints, in order).
    const answers = new Set<string>()
    for (const n of names) answers.add((await c.run[n]?.()) as string)
    if (answers.size !== 1) throw new Error(`${c.label}: the answers differ: ${[...answers].join(' / ')}`)
    console.error(`  ${c.label}: ${[...answers][0]?.slice(0, 60)}`)
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(r + k) % names.length] as string
        const t0 = performance.now()
        await c.run[n]?.()
        times[n]?.push(performance.now() - t0)
      }
    }
    const cell = (n: string) => {
      const xs = (times[n] as number[]).sort((a, b) => a - b)
      return `${fmt(percentile(xs, 50), 2)} / ${fmt(percentile(xs, 99), 2)} ms`
    }
    console.log(`| ${c.label} | ${names.map(cell).join(' | ')} |`)
  }
  db.close()
  await pgb.close()
} finally {
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
}
