/**
 * Sessions, prompts, tools, RAG, scores, feedback and the budget over the fixture
 * (test/llm.query.fixture.ts); every figure worked out by hand.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestRuntime } from '../helpers'
import { projectIn } from '../helpers'
import { FOREIGN, T1, T2, T4, TRACES } from '../llm.query.fixture'
import { get, HOUR, llmRuntime, NOW, store } from '../llm.query.helpers'

let rt: TestRuntime
let token: string
let otherId: string
const H = (hoursAgo: number) => Math.floor(NOW / HOUR) * HOUR - hoursAgo * HOUR

beforeAll(async () => {
  rt = await llmRuntime()
  otherId = (await projectIn(rt.core.backend, { name: 'Other', slug: 'other' }, NOW)).id
  await store(rt, 'default', TRACES)
  await store(rt, otherId, [FOREIGN])
  token = rt.token(['llm:read'])
  const b = rt.core.backend
  const score = (...row: [string, string, string, number, string, string | null, number, number]) =>
    b.run(
      'INSERT INTO llm_scores (project_id, trace_id, name, value, source, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      row,
    )
  await score('default', T1.id, 'accuracy', 0.9, 'api', 'good', NOW - HOUR, NOW - HOUR)
  await score('default', T2.id, 'accuracy', 0.3, 'user', null, NOW - 2 * HOUR, NOW - 2 * HOUR)
  await score('default', T2.id, 'helpfulness', 1, 'auto', null, NOW - 2 * HOUR, NOW - 2 * HOUR)
  await score('default', T2.id, 'old', 0.5, 'api', null, NOW - 50 * HOUR, NOW - 50 * HOUR)
  await score(otherId, T1.id, 'accuracy', 0.1, 'api', null, NOW - HOUR, NOW - HOUR)
  const vote = (...row: [string, string, string, number, string | null, number, number]) =>
    b.run(
      'INSERT INTO llm_feedback (project_id, trace_id, user_id, value, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      row,
    )
  await vote('default', T1.id, 'u-1', 1, 'thanks', NOW - HOUR, NOW - HOUR)
  await vote('default', T1.id, 'u-2', -1, null, NOW - 2 * HOUR, NOW - 2 * HOUR)
  await vote('default', T2.id, 'u-1', 1, null, NOW - 3 * HOUR, NOW - 3 * HOUR)
  await vote(otherId, T1.id, 'u-9', -1, null, NOW - HOUR, NOW - HOUR)
})
afterAll(() => rt.dispose())

describe('sessions', () => {
  test('GET /v1/llm/sessions groups the window by session, latest first', async () => {
    const { body } = await get(rt, token, '/v1/llm/sessions')
    expect(body).toEqual({
      sessions: [
        {
          project_id: 'default',
          session_id: 's-2',
          user_id: 'u-2',
          trace_count: 1,
          total_cost_micros: null,
          total_tokens: null,
          first_trace_at: T4.started_at,
          last_trace_at: T4.started_at,
          error_trace_count: 0,
        },
        {
          project_id: 'default',
          session_id: 's-1',
          user_id: 'u-1',
          trace_count: 2,
          total_cost_micros: 8600,
          total_tokens: 1365,
          first_trace_at: T2.started_at,
          last_trace_at: T1.started_at,
          error_trace_count: 1,
        },
      ],
      total: 2,
      total_exact: true,
      limit: 50,
      offset: 0,
      window_hours: 24,
    })
  })

  test('filters by user and pages', async () => {
    expect(
      (await get(rt, token, '/v1/llm/sessions?user_id=u-1')).body.sessions.map((s: any) => s.session_id),
    ).toEqual(['s-1'])
    const page = (await get(rt, token, '/v1/llm/sessions?limit=1&offset=1')).body
    expect([page.sessions.map((s: any) => s.session_id), page.total]).toEqual([['s-1'], 2])
  })

  test('GET /v1/llm/sessions/:id gives its traces oldest first; another project or an unknown id is 404', async () => {
    const { body } = await get(rt, token, '/v1/llm/sessions/s-1')
    expect(body.traces.map((t: any) => t.id)).toEqual(['tr-agent-2', 'tr-chat-1'])
    expect(body).toMatchObject({ session_id: 's-1', user_id: 'u-1', trace_count: 2, total_cost_micros: 8600 })
    expect((await get(rt, token, '/v1/llm/sessions/s-9')).status).toBe(404)
    const foreign = await get(rt, rt.token(['llm:read'], otherId), '/v1/llm/sessions/s-1')
    expect(foreign.body.traces.map((t: any) => t.name)).toEqual(['secret'])
  })
})

describe('prompts', () => {
  test('GET /v1/llm/prompts counts versions and traces, error rate as a fraction', async () => {
    const { body } = await get(rt, token, '/v1/llm/prompts')
    expect(body.prompts).toEqual([
      {
        name: 'greet',
        version_count: 2,
        total_traces: 2,
        avg_cost_micros: 4300,
        first_seen: T2.started_at,
        last_seen: T1.started_at,
        error_rate: 0.5,
      },
    ])
  })

  test('GET /v1/llm/prompts/:name/versions gives each version, latest first', async () => {
    const { body } = await get(rt, token, '/v1/llm/prompts/greet/versions')
    expect(body.versions).toEqual([
      {
        version: 'v1',
        trace_count: 1,
        avg_cost_micros: 2500,
        avg_latency_ms: 1500,
        avg_input_tokens: 100,
        avg_output_tokens: 50,
        first_seen: T1.started_at,
        last_seen: T1.started_at,
        error_rate: 0,
      },
      {
        version: 'v2',
        trace_count: 1,
        avg_cost_micros: 6100,
        avg_latency_ms: 4000,
        avg_input_tokens: 1010,
        avg_output_tokens: 205,
        first_seen: T2.started_at,
        last_seen: T2.started_at,
        error_rate: 1,
      },
    ])
  })

  test('GET /v1/llm/prompts/:name/compare puts two versions side by side; a version without traces is empty', async () => {
    const { body } = await get(rt, token, '/v1/llm/prompts/greet/compare?v1=v2&v2=v9')
    expect(body.v1).toMatchObject({ version: 'v2', trace_count: 1, avg_cost_micros: 6100, error_rate: 1 })
    expect(body.v2).toEqual({
      version: 'v9',
      trace_count: 0,
      avg_cost_micros: null,
      avg_latency_ms: null,
      avg_input_tokens: null,
      avg_output_tokens: null,
      first_seen: null,
      last_seen: null,
      error_rate: 0,
    })
    const missing = await get(rt, token, '/v1/llm/prompts/greet/compare?v1=v1')
    expect([missing.status, missing.body.field]).toEqual([400, 'v2'])
  })
})

describe('tools and RAG', () => {
  test('GET /v1/llm/tools gives calls and exact latency percentiles by name', async () => {
    const { body } = await get(rt, token, '/v1/llm/tools')
    expect(body.tools).toEqual([
      {
        name: 'vector_search',
        span_types: ['retrieval'],
        call_count: 2,
        error_count: 0,
        error_rate: 0,
        avg_latency_ms: 80,
        p50_latency_ms: 80,
        p99_latency_ms: 99.6,
        total_cost_micros: null,
      },
      {
        name: 'web_search',
        span_types: ['tool'],
        call_count: 1,
        error_count: 0,
        error_rate: 0,
        avg_latency_ms: 200,
        p50_latency_ms: 200,
        p99_latency_ms: 200,
        total_cost_micros: null,
      },
    ])
  })

  test('GET /v1/llm/rag reads flat and nested rag metadata of retrieval spans', async () => {
    const { body } = await get(rt, token, '/v1/llm/rag')
    expect(body.sources).toEqual([
      {
        retrieval_name: 'vector_search',
        source: 'docs',
        call_count: 2,
        avg_latency_ms: 80,
        p50_latency_ms: 80,
        p95_latency_ms: 98,
        error_count: 0,
        error_rate: 0,
        avg_chunks_retrieved: 6,
        avg_chunks_used: 3,
        avg_context_tokens: 1500,
        avg_context_utilization_rate: 0.25,
      },
    ])
    expect(body.metrics.map((m: any) => [m.hour_bucket, m.retrieval_count, m.avg_top_k])).toEqual([
      [H(1), 1, null],
      [H(2), 1, 8],
    ])
    expect(body.relevance).toEqual({
      total_retrievals: 2,
      avg_top_relevance: 0.7,
      min_top_relevance: 0.5,
      max_top_relevance: 0.9,
      avg_chunks_retrieved: 6,
      avg_chunks_used: 3,
      chunk_utilization_rate: 0.625,
    })
  })
})

describe('scores and feedback', () => {
  test("GET /v1/llm/traces/:id/scores lists the trace's scores; another project's trace is 404", async () => {
    const { body } = await get(rt, token, `/v1/llm/traces/${T2.id}/scores`)
    expect(body.scores.map((s: any) => [s.name, s.value, s.source])).toEqual([
      ['accuracy', 0.3, 'user'],
      ['helpfulness', 1, 'auto'],
      ['old', 0.5, 'api'],
    ])
    expect((await get(rt, token, `/v1/llm/traces/${T1.id}/scores`)).body.scores).toEqual([
      {
        name: 'accuracy',
        value: 0.9,
        source: 'api',
        comment: 'good',
        created_at: NOW - HOUR,
        updated_at: NOW - HOUR,
      },
    ])
    expect((await get(rt, token, '/v1/llm/traces/tr-none/scores')).status).toBe(404)
  })

  test('GET /v1/llm/scores/summary gives count, mean, nearest-rank percentiles and buckets of one name', async () => {
    const { body } = await get(rt, token, '/v1/llm/scores/summary')
    expect(body).toEqual({
      name: 'accuracy',
      count: 2,
      avg: 0.6,
      p10: 0.3,
      p50: 0.9,
      p90: 0.9,
      distribution: { '0.0-0.2': 0, '0.2-0.4': 1, '0.4-0.6': 0, '0.6-0.8': 0, '0.8-1.0': 1 },
      window_hours: 24,
    })
    const help = (await get(rt, token, '/v1/llm/scores/summary?name=helpfulness')).body
    expect([help.count, help.distribution['0.8-1.0']]).toEqual([1, 1])
    expect((await get(rt, token, '/v1/llm/scores/summary?name=old')).body.count).toBe(0)
    expect((await get(rt, token, '/v1/llm/scores/summary?name=old&hours=72')).body.count).toBe(1)
  })

  test("GET /v1/llm/traces/:id/feedback lists the trace's votes, newest first", async () => {
    const { body } = await get(rt, token, `/v1/llm/traces/${T1.id}/feedback`)
    expect(body.feedback).toEqual([
      {
        trace_id: T1.id,
        user_id: 'u-1',
        value: 1,
        comment: 'thanks',
        created_at: NOW - HOUR,
        updated_at: NOW - HOUR,
      },
      {
        trace_id: T1.id,
        user_id: 'u-2',
        value: -1,
        comment: null,
        created_at: NOW - 2 * HOUR,
        updated_at: NOW - 2 * HOUR,
      },
    ])
  })

  test('GET /v1/llm/feedback/summary counts votes of the window, rate as a fraction', async () => {
    expect((await get(rt, token, '/v1/llm/feedback/summary')).body).toEqual({
      total: 3,
      positive: 2,
      negative: 1,
      positive_rate: 2 / 3,
      window_hours: 24,
    })
    // Whole hours: hours=2 starts at 09:00 (one vote), hours=3 at 08:00 (two).
    expect((await get(rt, token, '/v1/llm/feedback/summary?hours=2')).body.total).toBe(1)
    expect((await get(rt, token, '/v1/llm/feedback/summary?hours=3')).body.total).toBe(2)
  })
})

describe('GET /v1/llm/budget', () => {
  test('without a budget: the spend of the month and its forecast, nothing over', async () => {
    const { body } = await get(rt, token, '/v1/llm/budget')
    expect(body).toEqual({
      project_id: 'default',
      monthly_budget_micros: 0,
      budget_alert_rate: 0.8,
      month_start_at: Date.UTC(2026, 10, 1),
      current_month_spend_micros: 8630,
      budget_used_rate: 0,
      forecast_month_end_micros: 12945,
      forecast_over_budget: false,
      alert_threshold_reached: false,
      days_elapsed: 20,
      days_remaining: 10,
    })
  })

  test('with a budget: used rate, forecast over it, alert threshold reached', async () => {
    await rt.core.backend.run(
      "INSERT INTO llm_settings (project_id, monthly_budget_micros, budget_alert_rate, updated_at) VALUES ('default', 10000, 0.8, ?)",
      [NOW],
    )
    const { body } = await get(rt, token, '/v1/llm/budget')
    expect(body).toMatchObject({
      monthly_budget_micros: 10000,
      budget_used_rate: 0.863,
      forecast_month_end_micros: 12945,
      forecast_over_budget: true,
      alert_threshold_reached: true,
    })
  })
})
