/**
 * The rollups are exact: after any sequence of inserts, re-sends, updates and retention
 * passes, llm_usage_hourly and llm_trace_hourly equal a recomputation from the stored
 * spans and traces (sums, counts and latency sketches byte for byte). Runs the writer's
 * own tasks on a migrated SQLite file, each in a transaction of a SqliteBackend over it as
 * the writer thread does, with a seeded generator so a failure replays.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { MIGRATIONS } from '../../src/features'
import type { CommitItem, SpanRecord, TraceRecord } from '../../src/llm/model'
import { commitItems } from '../../src/llm/write/commit'
import { pruneTracesBatch, type TraceCursor } from '../../src/llm/write/prune'
import { addValue, type Buckets, encode } from '../../src/llm/write/sketch'
import { openDatabase } from '../../src/storage/db'
import { migrate } from '../../src/storage/migrate'
import { SqliteBackend } from '../../src/storage/sqlite'
import { tempDir } from '../helpers'

const dir = tempDir('bloop-llm-prop-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  const maybe = <T>(v: T): T | null => (next() < 0.3 ? null : v)
  return { next, int, pick, maybe }
}

const DAY = 86_400_000
const NOW = Date.UTC(2026, 11, 2, 12)
const H = 3_600_000

function randomSpan(r: ReturnType<typeof rng>, id: string): SpanRecord {
  const input = r.maybe(r.int(5000))
  const cost = r.maybe(r.int(10_000))
  return {
    id,
    parent_span_id: null,
    span_type: r.pick(['generation', 'tool', null] as const),
    name: r.maybe('call'),
    model: r.pick(['gpt-4o', 'claude-x', null] as const),
    provider: r.pick(['openai', 'anthropic', null] as const),
    status: r.pick(['ok', 'error', 'running', null] as const),
    error_message: r.maybe('boom'),
    input: null,
    output: null,
    metadata: null,
    started_at: r.maybe(NOW - r.int(3) * H - r.int(H)),
    ended_at: null,
    latency_ms: r.maybe(r.int(20_000)),
    time_to_first_token_ms: r.maybe(r.int(3000)),
    input_tokens: input,
    output_tokens: r.maybe(r.int(2000)),
    cache_read_tokens: input === null ? null : r.maybe(r.int(input + 1)),
    cache_write_tokens: null,
    reasoning_tokens: null,
    cost_micros: cost,
    cost_source: cost === null ? 'unknown' : 'client',
    price_version: null,
  }
}

function randomItem(r: ReturnType<typeof rng>): CommitItem {
  const id = `t${r.int(8)}`
  const project_id = r.pick(['default', 'other'])
  const spanIds = ['a', 'b', 'c', 'd', 'e']
  const spans = Array.from({ length: r.int(4) }, () => r.pick(spanIds))
  const unique = [...new Set(spans)].map((s) => randomSpan(r, s))
  const received_at = NOW - r.int(40) * DAY
  if (r.next() < 0.25) {
    return {
      kind: 'update',
      project_id,
      id,
      status: r.pick(['completed', 'error', null] as const),
      output: null,
      ended_at: r.maybe(NOW + r.int(H)),
      spans: unique,
      received_at,
    }
  }
  const t: TraceRecord = {
    kind: 'trace',
    project_id,
    id,
    source: 'sdk',
    session_id: null,
    user_id: null,
    name: r.maybe('n'),
    status: r.pick(['running', 'completed', 'error', null] as const),
    input: null,
    output: null,
    metadata: null,
    tags: null,
    prompt_name: null,
    prompt_version: null,
    started_at: r.maybe(NOW - r.int(3) * H),
    ended_at: r.maybe(NOW + r.int(H)),
    spans: unique,
    received_at,
  }
  return t
}

type Db = ReturnType<typeof openDatabase>

function expectedUsage(db: Db) {
  const rows = db
    .query(
      `SELECT project_id, (started_at / 3600000) * 3600000 AS hour, coalesce(model, '') AS model,
              coalesce(provider, '') AS provider, count(*) AS span_count, sum(status = 'error') AS error_count,
              coalesce(sum(input_tokens), 0) AS input_tokens, count(input_tokens) AS input_tokens_known,
              coalesce(sum(output_tokens), 0) AS output_tokens, count(output_tokens) AS output_tokens_known,
              coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens, count(cache_read_tokens) AS cache_read_tokens_known,
              coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens, count(cache_write_tokens) AS cache_write_tokens_known,
              coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens, count(reasoning_tokens) AS reasoning_tokens_known,
              coalesce(sum(cost_micros), 0) AS cost_micros, sum(cost_micros IS NULL) AS cost_unknown_count,
              coalesce(sum(latency_ms), 0) AS latency_sum_ms, count(latency_ms) AS latency_count,
              coalesce(sum(time_to_first_token_ms), 0) AS ttft_sum_ms, count(time_to_first_token_ms) AS ttft_count,
              json_group_array(latency_ms) AS latencies, json_group_array(time_to_first_token_ms) AS ttfts
       FROM llm_spans GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    )
    .all() as Record<string, unknown>[]
  return rows.map(({ latencies, ttfts, ...rest }) => ({
    ...rest,
    latency_sketch: sketchOf(JSON.parse(latencies as string)),
    ttft_sketch: sketchOf(JSON.parse(ttfts as string)),
  }))
}

function sketchOf(values: (number | null)[]): Uint8Array | null {
  const b: Buckets = new Map()
  for (const v of values) if (v !== null) addValue(b, v)
  return encode(b)
}

function expectedTraces(db: Db) {
  const rows = db
    .query(
      `SELECT project_id, (started_at / 3600000) * 3600000 AS hour, count(*) AS trace_count,
              sum(status = 'error' OR error_count > 0) AS error_trace_count, sum(span_count) AS span_count,
              coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
              coalesce(sum(total_tokens), 0) AS total_tokens, coalesce(sum(cost_micros), 0) AS cost_micros,
              sum(cost_micros IS NULL) AS cost_unknown_count, coalesce(sum(duration_ms), 0) AS duration_sum_ms,
              count(duration_ms) AS duration_count, json_group_array(duration_ms) AS durations
       FROM llm_traces GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all() as Record<string, unknown>[]
  return rows.map(({ durations, ...rest }) => ({
    ...rest,
    duration_sketch: sketchOf(JSON.parse(durations as string)),
  }))
}

const actual = (db: Db, table: string, order: string) =>
  db.query(`SELECT * FROM ${table} ORDER BY ${order}`).all() as Record<string, unknown>[]

async function prune(db: Db, b: SqliteBackend, r: ReturnType<typeof rng>) {
  db.query('UPDATE llm_retention SET retention_days = ? WHERE id = 1').run(1 + r.int(40))
  if (r.next() < 0.5)
    db.query(
      `INSERT INTO llm_settings (project_id, retention_days, updated_at) VALUES ('other', ?, 0)
       ON CONFLICT (project_id) DO UPDATE SET retention_days = excluded.retention_days`,
    ).run(1 + r.int(40))
  const cutoffs = { raw_default: 0, raw_by_project: {}, raw_scan_until: 0, hourly_last_bucket: 0, now: NOW }
  let after: TraceCursor | null = null
  do after = (await b.transaction((tx) => pruneTracesBatch(tx, { cutoffs, after, limit: 40 }))).next
  while (after !== null)
}

describe('rollups', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`equal a recomputation from the stored spans and traces (seed ${seed})`, async () => {
      const db = openDatabase(join(dir, `p${seed}.db`))
      migrate(db, MIGRATIONS)
      const b = new SqliteBackend(db)
      db.run(
        "INSERT INTO projects (id, numeric_id, name, slug, api_key, api_key_hash, created_at) VALUES ('other', 99, 'o', 'o', 'k', 'kh', 0)",
      )
      db.run('INSERT INTO llm_retention (id, retention_days) VALUES (1, 30)')
      const r = rng(seed)
      for (let step = 0; step < 150; step++) {
        if (r.next() < 0.08) await prune(db, b, r)
        else {
          const items = Array.from({ length: 1 + r.int(4) }, () => randomItem(r))
          await b.transaction((tx) => commitItems(tx, items))
        }
        if (step % 10 === 9 || step === 149) {
          expect(actual(db, 'llm_usage_hourly', 'project_id, hour, model, provider')).toEqual(
            expectedUsage(db),
          )
          expect(actual(db, 'llm_trace_hourly', 'project_id, hour')).toEqual(expectedTraces(db))
        }
      }
      // The walk reached every kind of step.
      expect((db.query('SELECT count(*) AS n FROM llm_spans').get() as { n: number }).n).toBeGreaterThan(0)
      const spanTotals = db
        .query(
          `SELECT t.id, t.span_count, (SELECT count(*) FROM llm_spans s WHERE s.project_id = t.project_id AND s.trace_id = t.id) AS n
           FROM llm_traces t`,
        )
        .all() as { span_count: number; n: number }[]
      for (const t of spanTotals) expect(t.span_count).toBe(t.n)
      db.close()
    })
  }
})
