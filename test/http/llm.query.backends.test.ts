/**
 * The LLM read side on both storage backends with the same data: traces, scores, feedback,
 * budget, a price override and an experiment are stored through the real SQLite runtime
 * (its ingest and routes), then copied into PostgreSQL the way `bloop db copy` does; every
 * query function and every read route must then give the same answer from either, and the
 * answers must be the right ones (the fixture's values, test/llm.query.fixture.ts). The
 * experiments' writes run on each backend too.
 */
import { Database } from 'bun:sqlite'
import { beforeAll, describe, expect, test } from 'bun:test'
import { MAX_LLM_WINDOW_HOURS } from '../../src/alerts/model'
import { type App, createApp } from '../../src/app'
import { COPY_PLAN } from '../../src/cli/dbcopy'
import { LONGEST_WINDOW_HOURS, measuresOf } from '../../src/llm/alerts'
import { experimentsRoutes } from '../../src/llm/experiments/routes'
import { exportRoutes } from '../../src/llm/export/routes'
import { traceDetail } from '../../src/llm/query/detail'
import type { TraceSort } from '../../src/llm/query/model'
import { compareVersions, listPrompts, promptVersions } from '../../src/llm/query/prompts'
import { llmQueryRoutes } from '../../src/llm/query/routes'
import { listSessions, sessionDetail } from '../../src/llm/query/sessions'
import { listTraces, type TraceFilters, TUNING } from '../../src/llm/query/traces'
import { windowOf } from '../../src/llm/query/window'
import { createMetrics } from '../../src/ops/appmetrics'
import type { Backend } from '../../src/storage/backend'
import { copyDatabase } from '../../src/storage/copy'
import { BASE, projectOnSqlite, type TestRuntime } from '../helpers'
import { FOREIGN, TRACES } from '../llm.query.fixture'
import { HOUR, llmRuntime, NOW, store, type WireSpan, type WireTrace } from '../llm.query.helpers'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

let rt: TestRuntime
const on: Record<(typeof BACKENDS)[number], Backend> = {} as never
const apps: Record<(typeof BACKENDS)[number], App> = {} as never
let read = ''
let write = ''
/** The experiment's project: its traces stay out of the default project's lists. */
let labRead = ''
let labWrite = ''
let experimentId = ''

/** A trace of 100 spans: a root, then each span under the one 3 places before it, every tenth failed. */
const BIG: WireTrace = {
  id: 'tr-big',
  session_id: 's-3',
  user_id: 'u-3',
  name: 'crawl',
  started_at: NOW - 3 * HOUR,
  ended_at: NOW - 3 * HOUR + 9_000,
  spans: Array.from(
    { length: 100 },
    (_, i): WireSpan => ({
      id: `sp-${String(i).padStart(3, '0')}`,
      parent_span_id: i === 0 ? null : `sp-${String(Math.max(0, i - 3)).padStart(3, '0')}`,
      span_type: i % 4 === 0 ? 'generation' : 'tool',
      name: i % 4 === 0 ? 'think' : `fetch-${i % 3}`,
      ...(i % 4 === 0
        ? { model: 'gpt-4o', provider: 'openai', input_tokens: i, output_tokens: 1, cost: (i + 1) / 1e5 }
        : {}),
      latency_ms: 10 + i,
      status: i % 10 === 9 ? 'error' : 'ok',
      ...(i % 10 === 9 ? { error_message: `timeout ${i}` } : {}),
      metadata: { step: i },
      started_at: NOW - 3 * HOUR + i * 50,
    }),
  ),
}

/** The experiment's arms: version a and b of prompt `exp`, started after the experiment was. */
function armTraces(version: 'a' | 'b'): WireTrace[] {
  return Array.from({ length: 12 }, (_, i) => ({
    id: `tr-exp-${version}-${i}`,
    name: 'answer',
    status: i % 5 === 4 ? ('error' as const) : ('completed' as const),
    prompt_name: 'exp',
    prompt_version: version,
    started_at: NOW + 1_000 + i * 10,
    ended_at: NOW + 1_000 + i * 10 + (version === 'a' ? 300 : 200) + 7 * i,
    spans: [
      {
        id: 'g',
        span_type: 'generation' as const,
        model: 'gpt-4o',
        input_tokens: 10,
        output_tokens: 5,
        cost: (version === 'a' ? 0.002 : 0.0015) + i / 1e5,
        started_at: NOW + 1_000 + i * 10,
      },
    ],
  }))
}

const post = async (path: string, body: unknown, method = 'POST', app?: App, token = write) => {
  const req = new Request(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const res = app ? await app.handle(req) : await rt.handle(req)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

beforeAll(async () => {
  rt = await llmRuntime()
  projectOnSqlite(rt.core.db, { id: 'shop', name: 'Shop', slug: 'shop' }, NOW)
  projectOnSqlite(rt.core.db, { id: 'lab', name: 'Lab', slug: 'lab' }, NOW)
  read = rt.token(['llm:read'])
  write = rt.token(['llm:read', 'llm:write'])
  labRead = rt.token(['llm:read'], 'lab')
  labWrite = rt.token(['llm:read', 'llm:write'], 'lab')
  await store(rt, 'default', [...TRACES, BIG])
  // Prompts tied on their count, whose names order by bytes ('B' before 'b' before 'g').
  const tie = (id: string, prompt: string): WireTrace => ({
    id,
    name: 'tie',
    prompt_name: prompt,
    started_at: NOW - HOUR,
    spans: [{ id: 's', name: 'x', started_at: NOW - HOUR }],
  })
  await store(rt, 'shop', [FOREIGN, tie('tr-tie-1', 'b-tie'), tie('tr-tie-2', 'B-tie')])
  expect((await post('/v1/llm/traces/tr-chat-1/scores', { name: 'helpful', value: 0.75 })).status).toBe(200)
  expect((await post('/v1/llm/traces/tr-agent-2/scores', { name: 'helpful', value: 0.25 })).status).toBe(200)
  expect((await post('/v1/llm/traces/tr-chat-1/feedback', { value: 1, user_id: 'u-1' })).status).toBe(200)
  expect((await post('/v1/llm/traces/tr-agent-2/feedback', { value: -1, user_id: 'u-1' })).status).toBe(200)
  expect(
    (await post('/v1/llm/budget', { monthly_budget_micros: 5_000, budget_alert_rate: 0.5 }, 'PUT')).status,
  ).toBe(200)
  const override = {
    model_pattern: 'my-ft-*',
    match: 'glob',
    provider: null,
    input_per_mtok: 4,
    output_per_mtok: 16,
    cache_read_per_mtok: null,
    cache_write_per_mtok: null,
    reasoning_per_mtok: null,
    effective_from: NOW - 1000,
  }
  expect((await post('/v1/llm/pricing/overrides', override, 'PUT')).status).toBeLessThan(300)
  const lab = (path: string, body: unknown) => post(path, body, 'POST', undefined, labWrite)
  const created = await lab('/v1/llm/experiments', {
    name: 'exp-1',
    prompt_name: 'exp',
    planned_per_arm: 10,
    variants: [
      { name: 'control', version: 'a', prompt_template: 'A', traffic_percentage: 50 },
      { name: 'short', version: 'b', prompt_template: 'B', traffic_percentage: 50 },
    ],
  })
  expect(created.status).toBe(201)
  experimentId = created.body.id as string
  await store(rt, 'lab', [...armTraces('a'), ...armTraces('b')])
  for (const v of ['a', 'b'])
    for (let i = 0; i < 12; i++) {
      const id = `tr-exp-${v}-${i}`
      expect(
        (await lab(`/v1/llm/traces/${id}/scores`, { name: 'q', value: ((i * 7) % 10) / 10 })).status,
      ).toBe(200)
      if (i % 3 === 0)
        expect(
          (await lab(`/v1/llm/traces/${id}/feedback`, { value: v === 'a' || i === 0 ? 1 : -1 })).status,
        ).toBe(200)
    }

  // `bloop db copy`'s own steps into a migrated, empty PostgreSQL database.
  on.sqlite = rt.core.backend
  on.postgres = (await freshBackend('postgres', pg(), { migrated: true })).backend
  const src = new Database(rt.config.database.path, { readonly: true })
  try {
    await copyDatabase(src, on.postgres, COPY_PLAN, { batchRows: 500 })
  } finally {
    src.close()
  }
  for (const kind of BACKENDS) {
    // Each app its own registry: the export route registers its counter once per registry.
    const d = { ...rt.core, backend: on[kind], metrics: createMetrics() }
    apps[kind] = createApp(rt.core.log, [llmQueryRoutes(d), experimentsRoutes(d), exportRoutes(d)])
  }
}, 120_000)

/** The same call on both backends: the answers, after checking they are equal. */
async function both<T>(call: (b: Backend) => Promise<T>): Promise<T> {
  const [a, b] = [await call(on.sqlite), await call(on.postgres)]
  expect(b).toEqual(a)
  return a
}

const ids = (page: { traces: { id: string }[] }) => page.traces.map((t) => t.id)
const W48 = () => windowOf(48, NOW)
const base: { sort: TraceSort; limit: number; offset: number } = { sort: 'newest', limit: 50, offset: 0 }

describe('the trace list on both backends', () => {
  const FILTERS: [TraceFilters & Partial<typeof base>, string[]][] = [
    [{}, ['tr-running-4', 'tr-chat-1', 'tr-agent-2', 'tr-big', 'tr-old-3']],
    [{ sort: 'oldest' }, ['tr-old-3', 'tr-big', 'tr-agent-2', 'tr-chat-1', 'tr-running-4']],
    // Unknown cost (the running trace) and unfinished duration come last.
    [{ sort: 'most_expensive' }, ['tr-big', 'tr-agent-2', 'tr-chat-1', 'tr-old-3', 'tr-running-4']],
    [{ sort: 'slowest' }, ['tr-big', 'tr-agent-2', 'tr-chat-1', 'tr-old-3', 'tr-running-4']],
    [{ session_id: 's-1' }, ['tr-chat-1', 'tr-agent-2']],
    [{ user_id: 'u-2', sort: 'oldest' }, ['tr-old-3', 'tr-running-4']],
    [{ prompt_name: 'greet', prompt_version: 'v2' }, ['tr-agent-2']],
    // A trace with failed spans ends as an error.
    [{ status: 'error' }, ['tr-agent-2', 'tr-big']],
    [{ has_error: 'true' }, ['tr-agent-2', 'tr-big']],
    [{ has_error: 'false', sort: 'most_expensive' }, ['tr-chat-1', 'tr-old-3', 'tr-running-4']],
    [{ model: 'gpt-4o-mini' }, ['tr-old-3']],
    [{ model: 'gpt-4o', min_cost_micros: 100 }, ['tr-chat-1', 'tr-agent-2', 'tr-big']],
    [{ provider: 'anthropic' }, ['tr-agent-2']],
    [{ min_latency_ms: 1500, sort: 'slowest' }, ['tr-big', 'tr-agent-2', 'tr-chat-1']],
    [{ search: 'magic-word-ab12' }, ['tr-chat-1']],
    // Substrings, ASCII case ignored.
    [{ search: 'RATE LIMIT' }, ['tr-agent-2']],
    [{ search: 'ic-wor' }, ['tr-chat-1']],
    [{ search: 'timeout 49' }, ['tr-big']],
    [{ search: 'vector_search', session_id: 's-1' }, ['tr-chat-1', 'tr-agent-2']],
    // No wildcard: `_` and `%` are text.
    [{ search: 'vector%search' }, []],
    [{ search: 'gpt_4o' }, []],
    // A match never spans two indexed columns (the name ends "ab12", the span names begin "gpt-4o").
    [{ search: 'ab12 gpt-4o' }, []],
  ]
  for (const [f, want] of FILTERS) {
    test(`${JSON.stringify(f)} gives the same page, by index or by walk`, async () => {
      const q = { ...base, ...f }
      const page = await both((b) => listTraces(b, ['default'], W48(), q))
      expect(ids(page)).toEqual(want)
      expect([page.total, page.total_exact]).toEqual([want.length, true])
      await both((b) => listTraces(b, ['default'], W48(), q, { ...TUNING, driverRows: 0 }))
      expect(ids(await listTraces(on.postgres, ['default'], W48(), q, { ...TUNING, driverRows: 0 }))).toEqual(
        want,
      )
    })
  }

  test('pages by offset, with the total of the window from the rollup', async () => {
    const seen: string[] = []
    for (let offset = 0; offset < 6; offset += 2) {
      const page = await both((b) => listTraces(b, ['default'], W48(), { ...base, limit: 2, offset }))
      expect([page.total, page.total_exact]).toEqual([5, true])
      seen.push(...ids(page))
    }
    expect(seen).toEqual(['tr-running-4', 'tr-chat-1', 'tr-agent-2', 'tr-big', 'tr-old-3'])
  })

  test("a walking count stops at the cap; another project's trace of the same id is its own", async () => {
    const capped = await both((b) =>
      listTraces(b, ['default'], W48(), { ...base, model: 'gpt-4o' }, { driverRows: 0, totalCap: 1 }),
    )
    expect([capped.total, capped.total_exact]).toEqual([1, false])
    const page = await both((b) => listTraces(b, ['default', 'shop'], W48(), { ...base, search: 'secret' }))
    expect(page.traces.map((t) => [t.project_id, t.id, t.cost_micros])).toEqual([
      ['shop', 'tr-chat-1', 1_000_000],
    ])
  })

  test('a search shorter than a trigram or holding a NUL is a 400 on both', async () => {
    for (const kind of BACKENDS) {
      for (const q of ['ab', 'a%00bc']) {
        const res = await apps[kind].handle(
          new Request(`${BASE}/v1/llm/search?q=${q}`, { headers: { authorization: `Bearer ${read}` } }),
        )
        expect([kind, res.status, ((await res.json()) as { field: string }).field]).toEqual([
          kind,
          400,
          'search',
        ])
      }
    }
  })
})

describe('one trace, sessions and prompts on both backends', () => {
  test('the 100-span trace comes back whole, in start order, with its tree', async () => {
    const t = await both((b) => traceDetail(b, ['default'], 'tr-big', true))
    expect(t?.spans.length).toBe(100)
    expect(t?.spans.map((s) => s.id)).toEqual(BIG.spans.map((s) => s.id))
    expect(t?.spans[9]).toMatchObject({
      id: 'sp-009',
      status: 'error',
      error_message: 'timeout 9',
      metadata: { step: 9 },
    })
    expect(t?.spans[8]).toMatchObject({ model: 'gpt-4o', input_tokens: 8, output_tokens: 1, total_tokens: 9 })
    expect(t?.tree.map((n) => n.id)).toEqual(['sp-000'])
    // sp-000 holds sp-001..sp-003 (each the one 3 before, floored at 0); sp-003 holds sp-006.
    expect(t?.tree[0]?.children.map((n) => n.id)).toEqual(['sp-001', 'sp-002', 'sp-003'])
    expect(t?.tree[0]?.children[2]?.children.map((n) => n.id)).toEqual(['sp-006'])
    expect([t?.span_count, t?.error_count]).toEqual([100, 10])
    expect(await both((b) => traceDetail(b, ['default'], 'nope'))).toBeNull()
  })

  test('sessions by their latest trace, and one session whole', async () => {
    const list = await both((b) => listSessions(b, ['default'], windowOf(24, NOW), { limit: 50, offset: 0 }))
    expect(
      list.sessions.map((s) => [s.session_id, s.trace_count, s.error_trace_count, s.total_cost_micros]),
    ).toEqual([
      ['s-2', 1, 0, null],
      ['s-1', 2, 1, 8600],
      ['s-3', 1, 1, 12_250],
    ])
    const capped = await both((b) =>
      listSessions(b, ['default'], windowOf(24, NOW), { limit: 1, offset: 1 }, 1),
    )
    expect([capped.sessions.map((s) => s.session_id), capped.total, capped.total_exact]).toEqual([
      ['s-1'],
      1,
      false,
    ])
    const byUser = await both((b) =>
      listSessions(b, ['default'], windowOf(24, NOW), { user_id: 'u-1', limit: 50, offset: 0 }),
    )
    expect(byUser.sessions.map((s) => s.session_id)).toEqual(['s-1'])
    const one = await both((b) => sessionDetail(b, ['default', 'shop'], 's-1', { limit: 1, offset: 1 }))
    expect([one?.project_id, one?.trace_count, one?.traces.map((t) => t.id)]).toEqual([
      'default',
      2,
      ['tr-chat-1'],
    ])
    expect(await both((b) => sessionDetail(b, ['default'], 'none', { limit: 5, offset: 0 }))).toBeNull()
  })

  test('prompts, their versions and two versions compared', async () => {
    const prompts = await both((b) => listPrompts(b, ['default', 'lab'], windowOf(24, NOW), 10))
    expect(prompts.prompts.map((p) => [p.name, p.version_count, p.total_traces, p.error_rate])).toEqual([
      ['exp', 2, 24, 4 / 24],
      ['greet', 2, 2, 0.5],
    ])
    const tied = await both((b) => listPrompts(b, ['shop'], windowOf(24, NOW), 10))
    expect(tied.prompts.map((p) => [p.name, p.total_traces])).toEqual([
      ['B-tie', 1],
      ['b-tie', 1],
      ['greet', 1],
    ])
    const versions = await both((b) => promptVersions(b, ['default'], windowOf(24, NOW), 'greet', 10))
    expect(versions.versions.map((v) => [v.version, v.trace_count, v.avg_cost_micros, v.error_rate])).toEqual(
      [
        ['v1', 1, 2500, 0],
        ['v2', 1, 6100, 1],
      ],
    )
    const compared = await both((b) =>
      compareVersions(b, ['default'], windowOf(24, NOW), 'greet', 'v1', 'nope'),
    )
    expect([compared.v1.avg_latency_ms, compared.v2.trace_count, compared.v2.avg_cost_micros]).toEqual([
      1500,
      0,
      null,
    ])
  })

  test('the alert measures read the same rollups', async () => {
    // Every window a rule may have is read ahead.
    expect(LONGEST_WINDOW_HOURS).toBe(MAX_LLM_WINDOW_HOURS)
    const [a, b] = await Promise.all([
      measuresOf(on.sqlite, ['default'], NOW),
      measuresOf(on.postgres, ['default'], NOW),
    ])
    for (const m of [a, b]) {
      const w = m.window('default', 24, null)
      expect([w.span_count, w.error_count]).toEqual([3 + 3 + 1 + 100, 1 + 10])
      expect(m.window('default', 24, 'claude-sonnet-4-5').cost_micros).toBe(6000)
      expect(m.month('default')).toMatchObject({ budget_micros: 5000, budget_alert_rate: 0.5 })
      expect(() => m.window('default', LONGEST_WINDOW_HOURS + 1, null)).toThrow('at most 168 hours')
    }
    expect(b.window('default', 24, null).latency(0.9)).toBe(a.window('default', 24, null).latency(0.9))
    expect(b.window('default', 48, 'gpt-4o').cost_micros).toBe(a.window('default', 48, 'gpt-4o').cost_micros)
    expect(b.month('default')).toEqual(a.month('default'))
  })
})

describe('every LLM read route answers the same from both backends', () => {
  /** `lab:` before a path: read as the experiment's project. */
  const get = async (kind: (typeof BACKENDS)[number], path: string) => {
    const [token, url] = path.startsWith('lab:') ? [labRead, path.slice(4)] : [read, path]
    const res = await apps[kind].handle(
      new Request(`${BASE}${url}`, { headers: { authorization: `Bearer ${token}` } }),
    )
    return { status: res.status, body: await res.json() }
  }
  const ROUTES = [
    '/v1/llm/overview?hours=24',
    '/v1/llm/overview?hours=1',
    '/v1/llm/usage?hours=48&limit=5&offset=1',
    '/v1/llm/models?hours=48',
    '/v1/llm/latency?hours=48',
    '/v1/llm/latency?hours=48&model=gpt-4o',
    '/v1/llm/traces?hours=48&sort=slowest&limit=3',
    '/v1/llm/search?q=vector_search&hours=48',
    '/v1/llm/traces/tr-agent-2',
    '/v1/llm/traces/tr-chat-1/scores',
    '/v1/llm/traces/tr-agent-2/feedback',
    '/v1/llm/sessions?hours=24',
    '/v1/llm/sessions/s-1',
    '/v1/llm/tools?hours=24',
    '/v1/llm/rag?hours=24',
    '/v1/llm/prompts?hours=24',
    'lab:/v1/llm/prompts?hours=24',
    'lab:/v1/llm/prompts/exp/versions?hours=24',
    'lab:/v1/llm/prompts/exp/compare?hours=24&v1=a&v2=b',
    'lab:/v1/llm/scores/summary?hours=24&name=q',
    '/v1/llm/scores/summary?hours=24&name=helpful',
    '/v1/llm/feedback/summary?hours=24',
    'lab:/v1/llm/feedback/summary?hours=24',
    'lab:/v1/llm/tools?hours=24',
    '/v1/llm/pricing?model=my-ft-7',
    '/v1/llm/pricing?model=gpt-4o',
    '/v1/llm/budget',
    'lab:/v1/llm/experiments',
    '/v1/llm/export/langsmith?hours=48&limit=3&offset=1',
    '/v1/llm/export/langsmith?trace_ids=tr-big,tr-chat-1',
  ]
  for (const path of ROUTES) {
    test(path, async () => {
      const a = await get('sqlite', path)
      expect(a.status).toBe(200)
      expect(await get('postgres', path)).toEqual(a)
    })
  }

  test('the figures are the right ones', async () => {
    const { body: o } = await get('postgres', '/v1/llm/overview?hours=24')
    expect([o.total_traces, o.total_spans, o.total_input_tokens, o.total_cost_micros]).toEqual([
      4,
      3 + 3 + 1 + 100,
      100 + 1010 + 1200,
      2500 + 6100 + 12_250,
    ])
    const { body: fb } = await get('postgres', '/v1/llm/feedback/summary?hours=24')
    expect([fb.total, fb.positive, fb.negative]).toEqual([2, 1, 1])
    const { body: lab } = await get('postgres', 'lab:/v1/llm/feedback/summary?hours=24')
    expect([lab.total, lab.positive, lab.negative]).toEqual([8, 5, 3])
    const { body: price } = await get('postgres', '/v1/llm/pricing?model=my-ft-7')
    expect([price.source, price.input_per_mtok, price.output_per_mtok]).toEqual(['override', 4, 16])
    const { body: budget } = await get('postgres', '/v1/llm/budget')
    expect([budget.monthly_budget_micros, budget.alert_threshold_reached]).toEqual([5000, true])
    const { body: tools } = await get('postgres', '/v1/llm/tools?hours=24')
    expect(tools.tools[0]).toMatchObject({ name: 'fetch-0', span_types: ['tool'] })
  })

  test('the experiment, its detail and its comparison', async () => {
    for (const path of [
      `/v1/llm/experiments/${experimentId}`,
      `/v1/llm/experiments/${experimentId}/compare`,
    ]) {
      const a = await get('sqlite', `lab:${path}`)
      expect(a.status).toBe(200)
      expect(await get('postgres', `lab:${path}`)).toEqual(a)
    }
    const { body: e } = await get('postgres', `lab:/v1/llm/experiments/${experimentId}`)
    expect(
      e.variants.map((v: { metrics: { traces: number; votes: number } }) => [
        v.metrics.traces,
        v.metrics.votes,
      ]),
    ).toEqual([
      [12, 4],
      [12, 4],
    ])
    const { body: c } = await get('postgres', `lab:/v1/llm/experiments/${experimentId}/compare`)
    expect(c.experiment_id).toBe(experimentId)
    const assign = await get('postgres', `lab:/v1/llm/experiments/${experimentId}/assign?unit=user-1`)
    expect(assign.status).toBe(200)
    expect(assign).toEqual(await get('sqlite', `lab:/v1/llm/experiments/${experimentId}/assign?unit=user-1`))
    expect((await get('postgres', `/v1/llm/experiments/${experimentId}`)).status).toBe(404)
  })
})

describe('experiment writes on each backend', () => {
  for (const kind of BACKENDS) {
    test(`creates, renames, concludes and deletes one on ${kind}`, async () => {
      const app = apps[kind]
      const body = {
        name: `w-${kind}`,
        prompt_name: 'exp',
        planned_per_arm: 10,
        variants: [
          { name: 'control', version: 'a', prompt_template: 'A', traffic_percentage: 50 },
          { name: 'short', version: 'b', prompt_template: 'B', traffic_percentage: 50 },
        ],
      }
      const send = (path: string, b: unknown, method: string) => post(path, b, method, app, labWrite)
      const created = await send('/v1/llm/experiments', body, 'POST')
      expect(created.status).toBe(201)
      const id = created.body.id as string
      expect(
        (created.body.experiment as { variants: { version: string }[] }).variants.map((v) => v.version),
      ).toEqual(['a', 'b'])
      expect((await send('/v1/llm/experiments', body, 'POST')).status).toBe(409)
      expect((await send(`/v1/llm/experiments/${id}`, { name: 'exp-1' }, 'PATCH')).status).toBe(409)
      const concluded = await send(
        `/v1/llm/experiments/${id}`,
        { status: 'concluded', name: `w2-${kind}` },
        'PATCH',
      )
      expect([
        concluded.status,
        concluded.body.status,
        concluded.body.name,
        concluded.body.concluded_at,
      ]).toEqual([200, 'concluded', `w2-${kind}`, NOW])
      expect((await send(`/v1/llm/experiments/${id}`, {}, 'DELETE')).body).toEqual({ deleted: true, id })
      expect((await send(`/v1/llm/experiments/${id}`, {}, 'DELETE')).status).toBe(404)
    })
  }
})
