/**
 * `bloop db copy --to postgres://...` on a real server's database: a server process is
 * filled through its real ingest (signed events and batches, the real @sentry/node SDK,
 * LLM trace batches) and its CLI and API (a second project, a token, an alert rule, a
 * source map, an invite), stopped, and copied into a private PostgreSQL server. Every
 * table's row count and a sample of rows (first and last by key, every column) are
 * compared; the LLM search index is rebuilt and finds what SQLite's did. A copy killed
 * half-way continues when run again; a non-empty database and a running server are refused.
 */
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { openPostgres } from '../../src/storage/open'
import type { PostgresBackend } from '../../src/storage/postgres'
import { BUN, bloop, MAIN } from '../cli.process'
import { TEST_SECRET, tempDir } from '../helpers'
import { type PgCluster, postgresShape, sqliteShape, startPg } from '../pg.helpers'
import { spawnServer } from '../process'

const SENTRY_APP = join(import.meta.dir, '..', 'fixtures', 'sentry-node-app.mjs')

let pg: PgCluster
let dir: string
const dbPath = () => join(dir, 'bloop.db')
const env = () => ({ BLOOP__DATABASE__PATH: dbPath(), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET })

const postSigned = (url: string, path: string, body: unknown) => {
  const text = JSON.stringify(body)
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, text) },
    body: text,
  })
}

const errorEvent = (i: number) => ({
  timestamp: 1_767_225_600_000 + i,
  source: i % 2 ? 'api' : 'ios',
  environment: i % 3 ? 'production' : 'staging',
  release: `1.${i % 4}.0`,
  error_type: `Error${i % 7}`,
  message: `order ${i} failed with code ${i % 5}`,
  route_or_procedure: `/orders/${i % 3}`,
  stack: `Error${i % 7}: order failed\n    at handler (app.js:${i % 9}:3)`,
  metadata: { attempt: i % 3, region: 'eu' },
})

const traceOf = (i: number) => ({
  id: `trace-${i}`,
  name: `chat ${i % 4}`,
  session_id: `s-${i % 5}`,
  input: `question number ${i} about invoices`,
  output: `answer ${i}`,
  started_at: Date.now() - 60_000 + i,
  spans: [
    {
      id: 'g',
      model: i % 2 ? 'gpt-4o' : 'claude-sonnet-4',
      input_tokens: 100 + i,
      output_tokens: 20,
      latency_ms: 300 + i,
    },
    {
      id: 't',
      span_type: 'tool',
      name: 'lookup_invoice',
      latency_ms: 15,
      ...(i % 10 === 0 ? { status: 'error', error_message: `tool timeout ${i}` } : {}),
    },
  ],
})

async function run(args: string[]) {
  return bloop(args, { cwd: dir, env: env() })
}

beforeAll(async () => {
  pg = await startPg()
  dir = tempDir('bloop-dbcopy-')
  // Content stored in full, so the search index holds prompts and answers too.
  const server = await spawnServer({ dir, env: { BLOOP__LLM_TRACING__DEFAULT_CONTENT_STORAGE: 'full' } })
  try {
    // Errors: single events and batches.
    for (let i = 0; i < 5; i++)
      expect((await postSigned(server.url, '/v1/ingest', errorEvent(i))).status).toBe(200)
    for (let b = 0; b < 4; b++) {
      const events = Array.from({ length: 100 }, (_, k) => errorEvent(10 + b * 100 + k))
      expect((await postSigned(server.url, '/v1/ingest/batch', { events })).status).toBe(200)
    }
    // The real @sentry/node SDK, by the default project's DSN.
    const db = new Database(dbPath(), { readonly: true })
    const p = db
      .query<{ k: string; n: number }, []>(
        "SELECT sentry_public_key AS k, numeric_id AS n FROM projects WHERE id = 'default'",
      )
      .get()
    db.close()
    const dsn = `http://${p?.k}@127.0.0.1:${server.port}/${p?.n}`
    const child = Bun.spawn(['node', SENTRY_APP], {
      env: { ...process.env, SENTRY_DSN: dsn, NODE_OPTIONS: '' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    expect(await child.exited).toBe(0)
    // LLM traces in batches.
    for (let b = 0; b < 3; b++) {
      const traces = Array.from({ length: 20 }, (_, k) => traceOf(b * 20 + k))
      expect((await postSigned(server.url, '/v1/traces/batch', { traces })).status).toBe(200)
    }
    // Administrative rows through the CLI and the API.
    expect((await run(['project', 'create', '--name', 'Shop', '--slug', 'shop'])).code).toBe(0)
    const tok = await run([
      'token',
      'create',
      '--project',
      'default',
      '--scopes',
      'alerts:write,sourcemaps:write',
      '--name',
      'ci',
    ])
    expect(tok.code).toBe(0)
    const token = tok.stdout.trim().split('\n').at(-1) as string
    const rule = await fetch(`${server.url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'spike',
        project_id: 'default',
        config: { type: 'threshold', threshold: 10, window_secs: 60 },
      }),
    })
    expect(rule.status).toBe(201)
    const maps = join(dir, 'maps')
    mkdirSync(maps)
    writeFileSync(
      join(maps, 'app.js.map'),
      JSON.stringify({ version: 3, file: 'app.js', sources: ['app.ts'], names: [], mappings: 'AAAA;AACA' }),
    )
    const up = await run([
      'sourcemaps',
      'upload',
      '--project',
      'default',
      '--release',
      '1.0.0',
      '--url',
      server.url,
      '--token',
      token,
      maps,
    ])
    expect(up.code).toBe(0)
    expect((await run(['user', 'invite'])).code).toBe(0)

    // A copy beside the running server is refused: its writes would be half copied.
    const beside = await run(['db', 'copy', '--to', await pg.createDatabase()])
    expect(beside.code).toBe(78)
    expect(beside.stderr).toContain('another bloop server')
  } finally {
    server.proc.kill('SIGTERM')
    await server.exited
  }
}, 120_000)

afterAll(async () => {
  await pg?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const counts = (db: Database, tables: string[]) =>
  Object.fromEntries(
    tables.map((t) => [t, (db.query(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]),
  )

async function pgCounts(b: PostgresBackend, tables: string[]) {
  const out: Record<string, number> = {}
  for (const t of tables) out[t] = (await b.get<{ n: number }>(`SELECT count(*) AS n FROM "${t}"`))?.n ?? -1
  return out
}

/** Blobs as byte arrays, so both sides compare by value. */
const plain = (row: Record<string, unknown> | null) =>
  row && Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]))

describe('bloop db copy --to postgres://', () => {
  let url: string
  let dst: PostgresBackend
  let copied: { code: number; stdout: string; stderr: string }

  beforeAll(async () => {
    url = await pg.createDatabase()
    copied = await run(['db', 'copy', '--to', url, '--batch-rows', '50'])
    dst = await openPostgres({
      url,
      pool_size: 2,
      statement_timeout_ms: 0,
      connect_timeout_secs: 5,
      tls: 'disable',
      tls_ca_file: '',
    })
  }, 60_000)
  afterAll(() => dst?.close())

  test('copies every table with its row count, and says so', async () => {
    expect({ code: copied.code, stderr: copied.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining("every table's row count matches"),
    })
    expect(copied.stderr).toMatch(/copy: \[#{30}\] 100% [\d,]+ of [\d,]+ rows/)
    const src = new Database(dbPath(), { readonly: true })
    const shape = sqliteShape(src)
    const tables = Object.keys(shape)
      .filter((t) => t !== '_migrations')
      .sort()
    const want = counts(src, tables)
    src.close()
    // Every kind of row was there to copy.
    for (const t of [
      'raw_events',
      'issues',
      'samples',
      'llm_traces',
      'llm_spans',
      'llm_usage_hourly',
      'llm_search',
      'api_tokens',
      'alert_rules',
      'sourcemaps',
      'invites',
      'projects',
    ])
      expect({ t, n: (want[t] ?? 0) > 0 }).toEqual({ t, n: true })
    expect(await pgCounts(dst, tables)).toEqual(want)
    // stdout lists each table and its rows.
    const listed = Object.fromEntries(
      copied.stdout
        .trim()
        .split('\n')
        .map((l) => [l.split('\t')[0], Number(l.split('\t')[1])]),
    )
    expect(listed).toEqual(want)
    // The progress table is gone once verified.
    expect(await dst.get("SELECT to_regclass('_copy_progress') AS r")).toEqual({ r: null })
  })

  test('rows are the same, column by column, first and last of every table by key', async () => {
    const src = new Database(dbPath(), { readonly: true })
    const shape = sqliteShape(src)
    let compared = 0
    let expected = 0
    for (const [table, s] of Object.entries(shape)) {
      if (table === '_migrations' || table === 'llm_search') continue
      const key = s.pk.length > 0 ? s.pk : ['rowid']
      expected +=
        2 * Math.min(2, (src.query(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n)
      const cols = Object.keys(s.columns)
      const order = key.map((k) => `"${k}"`).join(', ')
      const ends = [
        ...src
          .query(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY ${order} LIMIT 2`)
          .all(),
        ...src
          .query(
            `SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY ${key.map((k) => `"${k}" DESC`).join(', ')} LIMIT 2`,
          )
          .all(),
      ] as Record<string, unknown>[]
      for (const row of ends) {
        const where = key.map((k) => `"${k}" = ?`).join(' AND ')
        const other = await dst.get(
          `SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}" WHERE ${where}`,
          key.map((k) => row[k] as never),
        )
        expect({ table, row: plain(other) }).toEqual({ table, row: plain(row) })
        compared++
      }
    }
    src.close()
    expect(compared).toBe(expected)
    expect(compared).toBeGreaterThan(40)
  })

  test('new rows after the copy get ids past the copied ones', async () => {
    const max = (await dst.get<{ m: number }>('SELECT max(numeric_id) AS m FROM projects'))?.m as number
    const row = await dst.get<{ numeric_id: number; sentry_public_key: string }>(
      "INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES ('new', 'New', 'new', 'k', 'h', 1) RETURNING numeric_id, sentry_public_key",
    )
    expect(row?.numeric_id).toBe(max + 1)
    expect(row?.sentry_public_key).toMatch(/^[0-9a-f]{32}$/)
    await dst.run("DELETE FROM projects WHERE id = 'new'")
  })

  test('the LLM search index is rebuilt from traces and spans and finds what SQLite found', async () => {
    const src = new Database(dbPath(), { readonly: true })
    const sqliteHits = (q: string) =>
      (
        src
          .query(
            'SELECT t.id FROM llm_traces t WHERE t.seq IN (SELECT rowid FROM llm_search WHERE llm_search MATCH ?) ORDER BY t.id',
          )
          .all(`"${q}"`) as { id: string }[]
      ).map((r) => r.id)
    const pgHits = async (q: string) =>
      (
        await dst.all<{ id: string }>(
          `SELECT t.id FROM llm_traces t JOIN llm_search s ON s.rowid = t.seq
         WHERE coalesce(s.name, '') || ' ' || coalesce(s.span_names, '') || ' ' || coalesce(s.errors, '') || ' ' || coalesce(s.content, '') LIKE ?
         ORDER BY t.id`,
          [`%${q}%`],
        )
      ).map((r) => r.id)
    for (const q of [
      'tool timeout',
      'chat 3',
      'number 17 about',
      'claude-sonnet',
      'lookup_invoice',
      'trace-42',
    ]) {
      const want = sqliteHits(q.trim())
      expect({ q, n: want.length > 0 }).toEqual({ q, n: true })
      expect({ q, hits: await pgHits(q) }).toEqual({ q, hits: want })
    }
    src.close()
  })

  test('a second copy into the filled database is refused, naming a table with rows', async () => {
    const again = await run(['db', 'copy', '--to', url])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('the PostgreSQL database already holds bloop data (table')
  })

  test('the PostgreSQL schema equals the SQLite one after the copy (same tables)', async () => {
    const client = new Bun.SQL(url, { max: 1 })
    const shape = await postgresShape(client)
    await client.close()
    const src = new Database(dbPath(), { readonly: true })
    expect(Object.keys(shape).sort()).toEqual(Object.keys(sqliteShape(src)).sort())
    src.close()
  })
})

describe('a copy that is killed half-way', () => {
  test('continues where it stopped when run again, and ends with the same counts', async () => {
    const url = await pg.createDatabase()
    // One row per batch, so the copy is still running when it is killed.
    const proc = Bun.spawn([BUN, MAIN, 'db', 'copy', '--to', url, '--batch-rows', '1'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env() },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const probe = new Bun.SQL(url, { max: 1 })
    let copiedBeforeKill = 0
    for (let i = 0; i < 1000 && copiedBeforeKill < 200; i++) {
      await Bun.sleep(20)
      const r = (await probe.unsafe("SELECT to_regclass('_copy_progress') IS NOT NULL AS has")) as {
        has: boolean
      }[]
      if (r[0]?.has) {
        const s = (await probe.unsafe('SELECT coalesce(sum(rows), 0)::int AS n FROM _copy_progress')) as {
          n: number
        }[]
        copiedBeforeKill = s[0]?.n ?? 0
      }
    }
    proc.kill('SIGKILL')
    expect(await proc.exited).not.toBe(0)
    const left = (await probe.unsafe(
      'SELECT coalesce(sum(rows), 0)::int AS n, count(*) FILTER (WHERE done = 0)::int AS open FROM _copy_progress',
    )) as { n: number; open: number }[]
    expect(left[0]?.n).toBeGreaterThanOrEqual(200)
    await probe.close()

    const resumed = await run(['db', 'copy', '--to', url])
    expect({ code: resumed.code, err: resumed.stderr }).toEqual({
      code: 0,
      err: expect.stringContaining('(continued)'),
    })
    const src = new Database(dbPath(), { readonly: true })
    const tables = Object.keys(sqliteShape(src))
      .filter((t) => t !== '_migrations')
      .sort()
    const want = counts(src, tables)
    src.close()
    const dst = await openPostgres({
      url,
      pool_size: 1,
      statement_timeout_ms: 0,
      connect_timeout_secs: 5,
      tls: 'disable',
      tls_ca_file: '',
    })
    expect(await pgCounts(dst, tables)).toEqual(want)
    // Nothing was copied twice: the raw events' ids are each there once.
    expect(await dst.get('SELECT count(*) - count(DISTINCT id) AS dup FROM raw_events')).toEqual({ dup: 0 })
    await dst.close()
  }, 60_000)
})
