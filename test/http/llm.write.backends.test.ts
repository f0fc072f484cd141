/**
 * The LLM writer tasks as seam tasks on both backends, through SeamWriter (what PostgreSQL
 * runs; the writer thread runs the same functions in a SqliteBackend, which the HTTP tests
 * cover): `llm.commit` stores a new trace with its spans, rollups, unknown models and search
 * row; a re-send updates in place (spans matched by id, fields not sent kept, new spans
 * added under the trace's first receive time) without counting anything twice; a PUT-style
 * update changes an existing trace and skips an unknown one; an error span is returned as
 * new once only; the same trace twice in one batch lands on one row. `llm.pruneTraces` walks
 * the traces batch by batch with its cursor and takes each expired one out of every table
 * and rollup, leaving a project with a longer window alone. Two writers on one database
 * (two nodes on one PostgreSQL) committing the same new trace at once land on one row: the
 * tasks' lock row orders them. Every stored value is asserted.
 * Last, the same seeded random batches (re-sends, updates, one trace several times in a
 * batch, two projects) through both backends leave the same rows in every table: SQLite's
 * rollups are proven equal to a recomputation by test/unit/llm.rollups.property.test.ts.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { CommitItem, SpanRecord, TraceRecord } from '../../src/llm/model'
import { SEARCH } from '../../src/llm/query/traces'
import { llmTasks } from '../../src/llm/tasks'
import type { TraceCursor } from '../../src/llm/write/prune'
import { addValue, type Buckets, encode } from '../../src/llm/write/sketch'
import type { PruneStep } from '../../src/retention'
import type { Backend, Row } from '../../src/storage/backend'
import { SeamWriter } from '../../src/storage/writer.backend'
import { rng as seeded } from '../analytics.reference'
import { BACKENDS, freshBackend, privatePgPerFile, warmPool } from '../pg.helpers'

const pg = privatePgPerFile()

const HOUR = 3_600_000
const DAY = 24 * HOUR
// Within the receive-day partitions PostgreSQL's migration makes (yesterday to 7 days ahead).
const T0 = Math.floor(Date.now() / HOUR) * HOUR
const R1 = T0 + 10
const R2 = T0 + 20
const R3 = T0 + 30

const span = (id: string, o: Partial<SpanRecord> = {}): SpanRecord => ({
  id,
  parent_span_id: null,
  span_type: null,
  name: null,
  model: null,
  provider: null,
  status: null,
  error_message: null,
  input: null,
  output: null,
  metadata: null,
  started_at: null,
  ended_at: null,
  latency_ms: null,
  time_to_first_token_ms: null,
  input_tokens: null,
  output_tokens: null,
  cache_read_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  cost_micros: null,
  cost_source: 'unknown',
  price_version: null,
  ...o,
})

const trace = (id: string, spans: SpanRecord[], o: Partial<TraceRecord> = {}): TraceRecord => ({
  kind: 'trace',
  project_id: 'p1',
  id,
  source: 'sdk',
  session_id: null,
  user_id: null,
  name: null,
  status: null,
  input: null,
  output: null,
  metadata: null,
  tags: null,
  prompt_name: null,
  prompt_version: null,
  started_at: null,
  ended_at: null,
  spans,
  received_at: R1,
  ...o,
})

const spanA = span('a', {
  span_type: 'generation',
  name: 'chat',
  model: 'gpt-4o',
  provider: 'openai',
  status: 'ok',
  input: 'hello there',
  output: 'general kenobi',
  started_at: T0 + 100,
  ended_at: T0 + 1100,
  latency_ms: 1000,
  time_to_first_token_ms: 200,
  input_tokens: 10,
  output_tokens: 5,
  cost_micros: 300,
  cost_source: 'table',
  price_version: 'v1',
})
const spanB = span('b', {
  span_type: 'tool',
  name: 'lookup',
  status: 'error',
  error_message: 'tool exploded',
  started_at: T0 + 1200,
  ended_at: T0 + 1500,
  latency_ms: 300,
})
const spanC = span('c', {
  span_type: 'generation',
  name: 'chat2',
  model: 'mystery-1',
  provider: 'acme',
  status: 'ok',
  started_at: T0 + 1600,
  ended_at: T0 + 2000,
  latency_ms: 400,
  input_tokens: 7,
})
const spanD = span('d', {
  span_type: 'generation',
  name: 'chat3',
  model: 'gpt-4o',
  provider: 'openai',
  status: 'ok',
  started_at: T0 + 2100,
  ended_at: T0 + 2600,
  latency_ms: 500,
  input_tokens: 3,
  output_tokens: 2,
  cost_micros: 50,
  cost_source: 'table',
  price_version: 'v1',
})
const first = trace('tr-1', [spanA, spanB, spanC], {
  name: 'support-bot',
  input: 'question one',
  output: 'first answer',
})

const sketch = (...values: number[]) => {
  const b: Buckets = new Map()
  for (const v of values) addValue(b, v)
  const e = encode(b)
  return e === null ? null : [...e]
}

/** Rows with blobs as plain arrays, so both backends' byte types compare. */
const plain = (rows: Row[]) =>
  rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v])),
  )

const TRACE_COLS = `project_id, id, name, status, source, input, output, started_at, ended_at, duration_ms, span_count,
  error_count, input_tokens, output_tokens, cache_read_tokens, total_tokens, cost_micros, models, providers, created_at,
  updated_at`
const traces = async (b: Backend) => b.all(`SELECT ${TRACE_COLS} FROM llm_traces ORDER BY project_id, id`)

const spans = async (b: Backend, traceId: string) =>
  b.all(
    `SELECT received_at, id, span_type, name, model, provider, status, error_message, input, output, started_at,
            ended_at, latency_ms, time_to_first_token_ms, input_tokens, output_tokens, total_tokens, cost_micros,
            cost_source, price_version
     FROM llm_spans WHERE trace_id = ? ORDER BY seq`,
    [traceId],
  )

const USAGE_ZERO = {
  span_count: 0,
  error_count: 0,
  input_tokens: 0,
  input_tokens_known: 0,
  output_tokens: 0,
  output_tokens_known: 0,
  cache_read_tokens: 0,
  cache_read_tokens_known: 0,
  cache_write_tokens: 0,
  cache_write_tokens_known: 0,
  reasoning_tokens: 0,
  reasoning_tokens_known: 0,
  cost_micros: 0,
  cost_unknown_count: 0,
  latency_sum_ms: 0,
  latency_count: 0,
  ttft_sum_ms: 0,
  ttft_count: 0,
  latency_sketch: null as number[] | null,
  ttft_sketch: null as number[] | null,
}
const usageRow = (model: string, provider: string, o: Partial<typeof USAGE_ZERO>, project = 'p1') => ({
  project_id: project,
  hour: T0,
  model,
  provider,
  ...USAGE_ZERO,
  ...o,
})
const usage = async (b: Backend) =>
  plain(await b.all('SELECT * FROM llm_usage_hourly ORDER BY project_id, hour, model, provider'))
const traceHourly = async (b: Backend) =>
  plain(await b.all('SELECT * FROM llm_trace_hourly ORDER BY project_id, hour'))

/** Trace ids whose search row holds `text`, as the trace list's search asks (the backend's own match). */
const found = async (b: Backend, text: string) => {
  const m = b.dialect.textMatch(SEARCH, text)
  return (
    await b.all<{ id: string }>(
      `SELECT t.id FROM llm_traces t WHERE t.seq IN (SELECT rowid FROM llm_search WHERE ${m.sql}) ORDER BY t.id`,
      m.params,
    )
  ).map((r) => r.id)
}

for (const kind of BACKENDS) {
  describe(`LLM writer tasks on ${kind}`, () => {
    let b: Backend
    let w: SeamWriter<typeof llmTasks>
    const commit = (items: CommitItem[]) => w.run('llm.commit', { items })
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      w = new SeamWriter(b, llmTasks, 10)
    })

    test('a new trace: its row, spans, rollups, unknown model, search row, and its error span as new', async () => {
      const r = await commit([first])
      expect({ ...r, duration_ms: 0 }).toEqual({
        stored: [1],
        spans: 3,
        new_errors: [
          {
            project_id: 'p1',
            trace_id: 'tr-1',
            span_id: 'b',
            model: null,
            provider: null,
            name: 'lookup',
            error_message: 'tool exploded',
            started_at: T0 + 1200,
          },
        ],
        unknown_models: 1,
        duration_ms: 0,
      })
      expect(r.duration_ms).toBeGreaterThan(0)
      expect(await traces(b)).toEqual([
        {
          project_id: 'p1',
          id: 'tr-1',
          name: 'support-bot',
          status: 'error',
          source: 'sdk',
          input: 'question one',
          output: 'first answer',
          started_at: T0 + 100,
          ended_at: T0 + 2000,
          duration_ms: 1900,
          span_count: 3,
          error_count: 1,
          input_tokens: 17,
          output_tokens: 5,
          cache_read_tokens: null,
          total_tokens: 22,
          cost_micros: 300,
          models: ' gpt-4o mystery-1 ',
          providers: ' acme openai ',
          created_at: R1,
          updated_at: R1,
        },
      ])
      expect(await spans(b, 'tr-1')).toEqual([
        {
          received_at: R1,
          id: 'a',
          span_type: 'generation',
          name: 'chat',
          model: 'gpt-4o',
          provider: 'openai',
          status: 'ok',
          error_message: null,
          input: 'hello there',
          output: 'general kenobi',
          started_at: T0 + 100,
          ended_at: T0 + 1100,
          latency_ms: 1000,
          time_to_first_token_ms: 200,
          input_tokens: 10,
          output_tokens: 5,
          total_tokens: 15,
          cost_micros: 300,
          cost_source: 'table',
          price_version: 'v1',
        },
        {
          received_at: R1,
          id: 'b',
          span_type: 'tool',
          name: 'lookup',
          model: null,
          provider: null,
          status: 'error',
          error_message: 'tool exploded',
          input: null,
          output: null,
          started_at: T0 + 1200,
          ended_at: T0 + 1500,
          latency_ms: 300,
          time_to_first_token_ms: null,
          input_tokens: null,
          output_tokens: null,
          total_tokens: null,
          cost_micros: null,
          cost_source: 'unknown',
          price_version: null,
        },
        {
          received_at: R1,
          id: 'c',
          span_type: 'generation',
          name: 'chat2',
          model: 'mystery-1',
          provider: 'acme',
          status: 'ok',
          error_message: null,
          input: null,
          output: null,
          started_at: T0 + 1600,
          ended_at: T0 + 2000,
          latency_ms: 400,
          time_to_first_token_ms: null,
          input_tokens: 7,
          output_tokens: null,
          total_tokens: null,
          cost_micros: null,
          cost_source: 'unknown',
          price_version: null,
        },
      ])
      expect(await usage(b)).toEqual([
        usageRow('', '', {
          span_count: 1,
          error_count: 1,
          cost_unknown_count: 1,
          latency_sum_ms: 300,
          latency_count: 1,
          latency_sketch: sketch(300),
        }),
        usageRow('gpt-4o', 'openai', {
          span_count: 1,
          input_tokens: 10,
          input_tokens_known: 1,
          output_tokens: 5,
          output_tokens_known: 1,
          cost_micros: 300,
          latency_sum_ms: 1000,
          latency_count: 1,
          ttft_sum_ms: 200,
          ttft_count: 1,
          latency_sketch: sketch(1000),
          ttft_sketch: sketch(200),
        }),
        usageRow('mystery-1', 'acme', {
          span_count: 1,
          input_tokens: 7,
          input_tokens_known: 1,
          cost_unknown_count: 1,
          latency_sum_ms: 400,
          latency_count: 1,
          latency_sketch: sketch(400),
        }),
      ])
      expect(await traceHourly(b)).toEqual([
        {
          project_id: 'p1',
          hour: T0,
          trace_count: 1,
          error_trace_count: 1,
          span_count: 3,
          input_tokens: 17,
          output_tokens: 5,
          total_tokens: 22,
          cost_micros: 300,
          cost_unknown_count: 0,
          duration_sum_ms: 1900,
          duration_count: 1,
          duration_sketch: sketch(1900),
        },
      ])
      expect(await b.all('SELECT * FROM llm_unknown_models')).toEqual([
        {
          project_id: 'p1',
          model: 'mystery-1',
          provider: 'acme',
          span_count: 1,
          first_seen: R1,
          last_seen: R1,
        },
      ])
      for (const text of ['support-bot', 'tool exploded', 'general kenobi', 'first answer', 'mystery-1 acme'])
        expect({ text, ids: await found(b, text) }).toEqual({ text, ids: ['tr-1'] })
      // The writers' lock row is gone with the commit.
      expect(await b.all("SELECT key FROM meta WHERE key LIKE 'lock:%'")).toEqual([])
    })

    test('a re-send updates in place: spans by id, fields not sent kept, nothing counted twice, no error twice', async () => {
      const r = await commit([
        trace(
          'tr-1',
          [
            // Sent again with more output and a new cost, its input left out.
            { ...spanA, input: null, output_tokens: 8, cost_micros: 400 },
            spanB,
            spanD,
          ],
          { status: 'completed', output: 'second answer', received_at: R2 },
        ),
      ])
      expect({ ...r, duration_ms: 0 }).toEqual({
        stored: [1],
        spans: 3,
        new_errors: [],
        unknown_models: 0,
        duration_ms: 0,
      })
      expect(await traces(b)).toEqual([
        {
          project_id: 'p1',
          id: 'tr-1',
          name: 'support-bot',
          status: 'completed',
          source: 'sdk',
          input: 'question one',
          output: 'second answer',
          started_at: T0 + 100,
          // The stored end stays: the payload sent none.
          ended_at: T0 + 2000,
          duration_ms: 1900,
          span_count: 4,
          error_count: 1,
          input_tokens: 20,
          output_tokens: 10,
          cache_read_tokens: null,
          total_tokens: 30,
          cost_micros: 450,
          models: ' gpt-4o mystery-1 ',
          providers: ' acme openai ',
          created_at: R1,
          updated_at: R2,
        },
      ])
      const stored = await spans(b, 'tr-1')
      expect(
        stored.map((s) => [s.id, s.received_at, s.input, s.output_tokens, s.total_tokens, s.cost_micros]),
      ).toEqual([
        ['a', R1, 'hello there', 8, 18, 400],
        ['b', R1, null, null, null, null],
        ['c', R1, null, null, null, null],
        // New under the trace's first receive time, not this request's.
        ['d', R1, null, 2, 5, 50],
      ])
      expect(await usage(b)).toEqual([
        usageRow('', '', {
          span_count: 1,
          error_count: 1,
          cost_unknown_count: 1,
          latency_sum_ms: 300,
          latency_count: 1,
          latency_sketch: sketch(300),
        }),
        usageRow('gpt-4o', 'openai', {
          span_count: 2,
          input_tokens: 13,
          input_tokens_known: 2,
          output_tokens: 10,
          output_tokens_known: 2,
          cost_micros: 450,
          latency_sum_ms: 1500,
          latency_count: 2,
          ttft_sum_ms: 200,
          ttft_count: 1,
          latency_sketch: sketch(1000, 500),
          ttft_sketch: sketch(200),
        }),
        usageRow('mystery-1', 'acme', {
          span_count: 1,
          input_tokens: 7,
          input_tokens_known: 1,
          cost_unknown_count: 1,
          latency_sum_ms: 400,
          latency_count: 1,
          latency_sketch: sketch(400),
        }),
      ])
      expect(await traceHourly(b)).toEqual([
        {
          project_id: 'p1',
          hour: T0,
          trace_count: 1,
          error_trace_count: 1,
          span_count: 4,
          input_tokens: 20,
          output_tokens: 10,
          total_tokens: 30,
          cost_micros: 450,
          cost_unknown_count: 0,
          duration_sum_ms: 1900,
          duration_count: 1,
          duration_sketch: sketch(1900),
        },
      ])
      expect(await b.all('SELECT span_count, last_seen FROM llm_unknown_models')).toEqual([
        { span_count: 1, last_seen: R1 },
      ])
      // One search row, rewritten: the old output is no longer found, the new one and the kept input are.
      expect(await found(b, 'first answer')).toEqual([])
      expect(await found(b, 'second answer')).toEqual(['tr-1'])
      expect(await found(b, 'hello there')).toEqual(['tr-1'])
      expect(await found(b, 'chat3')).toEqual(['tr-1'])
      expect((await b.get<{ n: number }>('SELECT count(*) AS n FROM llm_traces'))?.n).toBe(1)
    })

    test('a PUT-style update changes the stored trace; an error span is new once; an unknown trace is skipped', async () => {
      const update: CommitItem = {
        kind: 'update',
        project_id: 'p1',
        id: 'tr-1',
        status: 'error',
        output: null,
        ended_at: T0 + 3000,
        spans: [span('c', { status: 'error', error_message: 'mystery failed' })],
        received_at: R3,
      }
      const unknown: CommitItem = { ...update, id: 'nope' }
      const r = await commit([update, unknown])
      expect({ ...r, duration_ms: 0 }).toEqual({
        stored: [1, 0],
        spans: 1,
        new_errors: [
          {
            project_id: 'p1',
            trace_id: 'tr-1',
            span_id: 'c',
            model: 'mystery-1',
            provider: 'acme',
            name: 'chat2',
            error_message: 'mystery failed',
            started_at: T0 + 1600,
          },
        ],
        unknown_models: 0,
        duration_ms: 0,
      })
      // The same update again: stored again, but the span was an error already.
      const again = await commit([update])
      expect([again.stored, again.new_errors]).toEqual([[1], []])
      const [t] = await traces(b)
      expect(t).toMatchObject({
        status: 'error',
        output: 'second answer',
        ended_at: T0 + 3000,
        duration_ms: 2900,
        span_count: 4,
        error_count: 2,
        updated_at: R3,
      })
      const c = (await spans(b, 'tr-1')).find((s) => s.id === 'c')
      expect(c).toMatchObject({
        name: 'chat2',
        model: 'mystery-1',
        status: 'error',
        error_message: 'mystery failed',
        started_at: T0 + 1600,
        ended_at: T0 + 2000,
        latency_ms: 400,
        input_tokens: 7,
        received_at: R1,
      })
      const rows = await usage(b)
      expect(rows.find((u) => u.model === 'mystery-1')).toEqual(
        usageRow('mystery-1', 'acme', {
          span_count: 1,
          error_count: 1,
          input_tokens: 7,
          input_tokens_known: 1,
          cost_unknown_count: 1,
          latency_sum_ms: 400,
          latency_count: 1,
          latency_sketch: sketch(400),
        }),
      )
      expect((await traceHourly(b))[0]).toMatchObject({
        trace_count: 1,
        error_trace_count: 1,
        span_count: 4,
        duration_sum_ms: 2900,
        duration_count: 1,
        duration_sketch: sketch(2900),
      })
      expect(await found(b, 'mystery failed')).toEqual(['tr-1'])
      expect(await b.all("SELECT id FROM llm_traces WHERE id = 'nope'")).toEqual([])
    })

    test('the same trace twice in one batch lands on one row, its error span new once', async () => {
      const x = span('x', {
        model: 'gpt-4o',
        provider: 'openai',
        status: 'ok',
        started_at: T0 + 10,
        ended_at: T0 + 110,
        input_tokens: 1,
        output_tokens: 1,
        cost_micros: 10,
        cost_source: 'table',
      })
      const y = span('y', { model: 'gpt-4o', provider: 'openai', started_at: T0 + 120, latency_ms: 30 })
      const r = await commit([
        trace('tr-2', [x], { name: 'twice' }),
        trace('tr-2', [{ ...x, status: 'error', error_message: 'late failure' }, y], { received_at: R2 }),
        trace('tr-2', [{ ...x, status: 'error', error_message: 'late failure' }], { received_at: R3 }),
      ])
      expect([r.stored, r.spans, r.new_errors.map((e) => [e.trace_id, e.span_id, e.error_message])]).toEqual([
        [1, 1, 1],
        4,
        [['tr-2', 'x', 'late failure']],
      ])
      expect(
        await b.all(
          "SELECT span_count, error_count, status, created_at, updated_at FROM llm_traces WHERE id = 'tr-2'",
        ),
      ).toEqual([{ span_count: 2, error_count: 1, status: 'completed', created_at: R1, updated_at: R3 }])
      expect((await spans(b, 'tr-2')).map((s) => [s.id, s.received_at, s.status, s.latency_ms])).toEqual([
        ['x', R1, 'error', 100],
        ['y', R1, 'ok', 30],
      ])
      const gpt = (await usage(b)).find((u) => u.model === 'gpt-4o')
      // tr-1's a and d, and tr-2's x and y, each once.
      expect(gpt).toMatchObject({
        span_count: 4,
        error_count: 1,
        input_tokens: 14,
        input_tokens_known: 3,
        output_tokens: 11,
        output_tokens_known: 3,
        cost_micros: 460,
        cost_unknown_count: 1,
        latency_sum_ms: 1630,
        latency_count: 4,
        latency_sketch: sketch(1000, 500, 100, 30),
      })
      expect((await traceHourly(b))[0]).toMatchObject({ trace_count: 2, error_trace_count: 2, span_count: 6 })
      expect(await found(b, 'twice')).toEqual(['tr-2'])
      expect(await found(b, 'late failure')).toEqual(['tr-2'])
    })

    test('pruning walks the traces with its cursor and takes expired ones out of every table and rollup', async () => {
      await b.run(
        'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        ['p2', 'P2', 'p2', 'key-p2', 'hash-p2', T0],
      )
      await b.run('INSERT INTO llm_settings (project_id, retention_days, updated_at) VALUES (?, ?, ?)', [
        'p2',
        3650,
        T0,
      ])
      await b.run('INSERT INTO llm_retention (id, retention_days) VALUES (1, 1)')
      await commit([trace('tr-3', [{ ...spanD, id: 'k' }], { project_id: 'p2', name: 'kept-one' })])
      for (const table of ['llm_scores', 'llm_feedback'])
        await b.run(
          table === 'llm_scores'
            ? "INSERT INTO llm_scores (project_id, trace_id, name, value, created_at, updated_at) VALUES (?, ?, 'q', 1, ?, ?)"
            : 'INSERT INTO llm_feedback (project_id, trace_id, value, created_at, updated_at) VALUES (?, ?, 1, ?, ?)',
          ['p1', 'tr-1', T0, T0],
        )
      const seqs = await b.all<{ id: string; seq: number }>('SELECT id, seq FROM llm_traces ORDER BY seq')
      expect(seqs.map((s) => s.id)).toEqual(['tr-1', 'tr-2', 'tr-3'])
      const seq = (id: string) => seqs.find((s) => s.id === id)?.seq as number

      // Two days from now, a 1-day window expires every p1 trace; p2 keeps its 10 years.
      const cutoffs = { now: T0 + 2 * DAY } as never
      const steps: PruneStep<TraceCursor>[] = []
      let after: TraceCursor | null = null
      do {
        const step: PruneStep<TraceCursor> = await w.run('llm.pruneTraces', { cutoffs, after, limit: 20 })
        steps.push(step)
        after = step.next
      } while (after !== null)
      // limit 20 looks at one trace per call.
      expect(steps).toEqual([
        { deleted: 1, by_project: { p1: 1 }, next: { created_at: R1, seq: seq('tr-1') } },
        { deleted: 1, by_project: { p1: 1 }, next: { created_at: R1, seq: seq('tr-2') } },
        { deleted: 0, by_project: {}, next: { created_at: R1, seq: seq('tr-3') } },
        { deleted: 0, by_project: {}, next: null },
      ])
      expect(await b.all('SELECT project_id, id, span_count FROM llm_traces')).toEqual([
        { project_id: 'p2', id: 'tr-3', span_count: 1 },
      ])
      expect(await b.all('SELECT project_id, trace_id, id FROM llm_spans')).toEqual([
        { project_id: 'p2', trace_id: 'tr-3', id: 'k' },
      ])
      expect(await b.all('SELECT trace_id FROM llm_scores')).toEqual([])
      expect(await b.all('SELECT trace_id FROM llm_feedback')).toEqual([])
      expect(await usage(b)).toEqual([
        usageRow(
          'gpt-4o',
          'openai',
          {
            span_count: 1,
            input_tokens: 3,
            input_tokens_known: 1,
            output_tokens: 2,
            output_tokens_known: 1,
            cost_micros: 50,
            latency_sum_ms: 500,
            latency_count: 1,
            latency_sketch: sketch(500),
          },
          'p2',
        ),
      ])
      expect(await traceHourly(b)).toEqual([
        {
          project_id: 'p2',
          hour: T0,
          trace_count: 1,
          error_trace_count: 0,
          span_count: 1,
          input_tokens: 3,
          output_tokens: 2,
          total_tokens: 5,
          cost_micros: 50,
          cost_unknown_count: 0,
          duration_sum_ms: 500,
          duration_count: 1,
          duration_sketch: sketch(500),
        },
      ])
      expect(await found(b, 'support-bot')).toEqual([])
      expect(await found(b, 'twice')).toEqual([])
      expect(await found(b, 'kept-one')).toEqual(['tr-3'])
      // What no trace owns stays: the unknown-model list is pruned by nothing here.
      expect(await b.all('SELECT model FROM llm_unknown_models')).toEqual([{ model: 'mystery-1' }])
      expect(await b.all("SELECT key FROM meta WHERE key LIKE 'lock:%'")).toEqual([])
    })

    test('two writers committing the same new trace at once land on one row, counted once', async () => {
      await warmPool(b)
      const other = new SeamWriter(b, llmTasks, 10)
      const part = (id: string, received_at: number) =>
        trace(
          'race',
          [
            span(id, {
              model: 'gpt-4o',
              provider: 'openai',
              status: 'ok',
              started_at: T0 + 5,
              latency_ms: 10,
            }),
          ],
          { project_id: 'p3', received_at },
        )
      const [one, two] = await Promise.all([
        w.run('llm.commit', { items: [part('s1', R1)] }),
        other.run('llm.commit', { items: [part('s2', R2)] }),
      ])
      expect([one.stored, two.stored]).toEqual([[1], [1]])
      const [t] = await b.all<{ span_count: number; created_at: number }>(
        "SELECT span_count, created_at FROM llm_traces WHERE project_id = 'p3'",
      )
      expect(t?.span_count).toBe(2)
      expect((await spans(b, 'race')).map((x) => [x.id, x.received_at]).sort()).toEqual([
        ['s1', t?.created_at],
        ['s2', t?.created_at],
      ])
      expect(
        await b.all("SELECT trace_count, span_count FROM llm_trace_hourly WHERE project_id = 'p3'"),
      ).toEqual([{ trace_count: 1, span_count: 2 }])
      expect(
        await b.all("SELECT span_count, latency_count FROM llm_usage_hourly WHERE project_id = 'p3'"),
      ).toEqual([{ span_count: 2, latency_count: 2 }])
    })
  })
}

/** Seeded draws over the suite's one generator (test/analytics.reference.ts `rng`). */
function rng(seed: number) {
  const next = seeded(seed)
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  const maybe = <T>(v: T): T | null => (next() < 0.3 ? null : v)
  return { next, int, pick, maybe }
}

function randomItem(r: ReturnType<typeof rng>, step: number): CommitItem {
  const id = `t${r.int(6)}`
  const project_id = r.pick(['p1', 'p2'])
  const received_at = T0 + step
  const spans = [...new Set(Array.from({ length: r.int(4) }, () => r.pick(['a', 'b', 'c', 'd'])))].map(
    (sid) => {
      const cost = r.maybe(r.int(1000))
      return span(sid, {
        span_type: r.pick(['generation', 'tool', null] as const),
        name: r.maybe(`call ${sid}`),
        model: r.pick(['gpt-4o', 'mystery-1', null] as const),
        provider: r.pick(['openai', null] as const),
        status: r.pick(['ok', 'error', 'running', null] as const),
        error_message: r.maybe(`boom ${r.int(3)}`),
        output: r.maybe(`out ${r.int(5)}`),
        started_at: r.maybe(T0 + r.int(HOUR)),
        latency_ms: r.maybe(r.int(5000)),
        time_to_first_token_ms: r.maybe(r.int(500)),
        input_tokens: r.maybe(r.int(100)),
        output_tokens: r.maybe(r.int(100)),
        cost_micros: cost,
        cost_source: cost === null ? 'unknown' : 'table',
      })
    },
  )
  if (r.next() < 0.25)
    return {
      kind: 'update',
      project_id,
      id,
      status: r.pick(['completed', 'error', null] as const),
      output: r.maybe(`final ${r.int(5)}`),
      ended_at: r.maybe(T0 + HOUR + r.int(HOUR)),
      spans,
      received_at,
    }
  return trace(id, spans, {
    project_id,
    name: r.maybe(`trace ${id}`),
    status: r.pick(['running', 'completed', 'error', null] as const),
    input: r.maybe(`in ${r.int(5)}`),
    started_at: r.maybe(T0 + r.int(HOUR)),
    received_at,
  })
}

describe('the same random batches on both backends', () => {
  test('leave the same traces, spans, rollups, unknown models and search rows', async () => {
    const stores = await Promise.all(
      BACKENDS.map(async (kind) => (await freshBackend(kind, pg(), { migrated: true })).backend),
    )
    const writers = stores.map((b) => new SeamWriter(b, llmTasks, 10))
    const r = rng(7)
    const batches = Array.from({ length: 60 }, (_, step) =>
      Array.from({ length: 1 + r.int(6) }, () => randomItem(r, step)),
    )
    const results = []
    for (const w of writers) {
      const out = []
      for (const items of batches) out.push({ ...(await w.run('llm.commit', { items })), duration_ms: 0 })
      results.push(out)
    }
    expect(results[1]).toEqual(results[0] as never)
    const dump = async (b: Backend) => ({
      traces: plain(
        await b.all(`SELECT ${TRACE_COLS}, metadata, tags FROM llm_traces ORDER BY project_id, id`),
      ),
      spans: plain(
        await b.all(
          `SELECT project_id, trace_id, received_at, id, span_type, name, model, provider, status, error_message,
                  input, output, started_at, ended_at, latency_ms, time_to_first_token_ms, input_tokens, output_tokens,
                  total_tokens, cost_micros, cost_source, price_version
           FROM llm_spans ORDER BY project_id, trace_id, id`,
        ),
      ),
      usage: await usage(b),
      hourly: await traceHourly(b),
      unknown: await b.all('SELECT * FROM llm_unknown_models ORDER BY project_id, model, provider'),
      search: await Promise.all(
        ['boom 1', 'out 3', 'final 2', 'in 4', 'trace t2', 'call a', 'gpt-4o openai'].map((text) =>
          found(b, text),
        ),
      ),
    })
    const [onSqlite, onPostgres] = await Promise.all(stores.map(dump))
    expect((onSqlite?.traces ?? []).length).toBeGreaterThan(6)
    expect((onSqlite?.spans ?? []).length).toBeGreaterThan(20)
    expect((onSqlite?.search ?? []).filter((ids) => ids.length > 0).length).toBeGreaterThan(4)
    expect(onPostgres).toEqual(onSqlite as never)
  })
})
