/**
 * Overview, usage, latency and models over the fixture (test/llm.query.fixture.ts):
 * every figure is worked out by hand from the fixture's spans.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestRuntime } from '../helpers'
import { projectIn } from '../helpers'
import { FOREIGN, TRACES } from '../llm.query.fixture'
import { get, HOUR, llmRuntime, NOW, store } from '../llm.query.helpers'

let rt: TestRuntime
let token: string
const H = (hoursAgo: number) => Math.floor(NOW / HOUR) * HOUR - hoursAgo * HOUR
const within1pct = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThan(0.01)

beforeAll(async () => {
  rt = await llmRuntime()
  const other = await projectIn(rt.core.backend, { name: 'Other', slug: 'other' }, NOW)
  await store(rt, 'default', TRACES)
  await store(rt, other.id, [FOREIGN])
  token = rt.token(['llm:read'])
})
afterAll(() => rt.dispose())

describe('GET /v1/llm/overview', () => {
  test('sums the last 24 hour buckets of the project, unknown tokens and costs left out and counted', async () => {
    const { status, body } = await get(rt, token, '/v1/llm/overview')
    expect(status).toBe(200)
    expect(body).toEqual({
      total_traces: 3,
      error_trace_count: 1,
      trace_error_rate: 1 / 3,
      total_spans: 7,
      total_input_tokens: 1110,
      total_output_tokens: 255,
      total_cache_read_tokens: 400,
      total_cache_write_tokens: null,
      total_reasoning_tokens: null,
      total_tokens: 1365,
      total_cost_micros: 8600,
      cost_unknown_count: 4,
      error_count: 1,
      error_rate: 1 / 7,
      avg_latency_ms: 4960 / 6,
      avg_ttft_ms: 550,
      // Six span latencies (60 .. 3000 ms): nearest rank 6 of 6; the day before holds T3's 500 ms.
      p95_latency_ms: expect.any(Number),
      previous_p95_latency_ms: expect.any(Number),
      window_hours: 24,
    })
    within1pct(body.p95_latency_ms, 3000)
    within1pct(body.previous_p95_latency_ms, 500)
  })

  test('p95 latency is the nearest-rank 95th percentile of the window, apart from p90 and p99', async () => {
    const p = await projectIn(rt.core.backend, { name: 'P95', slug: 'p95' }, NOW)
    // Twenty spans of 100, 200, ... 2000 ms this hour: rank 19 is 1900 ms (p90 1800, p99 2000).
    await store(rt, p.id, [
      {
        id: 'twenty',
        started_at: NOW - 60_000,
        ended_at: NOW,
        spans: Array.from({ length: 20 }, (_, i) => ({
          id: `l${i}`,
          span_type: 'tool' as const,
          name: 'step',
          latency_ms: (i + 1) * 100,
          started_at: NOW - 60_000,
        })),
      },
    ])
    const t = rt.token(['llm:read'], p.id)
    const now = (await get(rt, t, '/v1/llm/overview?hours=1')).body
    within1pct(now.p95_latency_ms, 1900)
    // The hour before has no spans: no percentile, not zero.
    expect(now.previous_p95_latency_ms).toBeNull()
    const lat = (await get(rt, t, '/v1/llm/latency?hours=1')).body.latency[0]
    within1pct(lat.p90_ms, 1800)
    within1pct(lat.p99_ms, 2000)
  })

  test('takes whole hour buckets: hours=1 is the current hour, hours=48 reaches the older trace', async () => {
    const one = (await get(rt, token, '/v1/llm/overview?hours=1')).body
    expect([one.total_traces, one.total_spans, one.total_input_tokens, one.total_cost_micros]).toEqual([
      1,
      1,
      null,
      null,
    ])
    expect(one.cost_unknown_count).toBe(1)
    const two = (await get(rt, token, '/v1/llm/overview?hours=48')).body
    expect([two.total_traces, two.total_spans, two.total_cost_micros, two.total_input_tokens]).toEqual([
      4, 8, 8630, 1160,
    ])
  })

  test('an empty window is zeros, not unknowns', async () => {
    const empty = await rt.token(
      ['llm:read'],
      (await projectIn(rt.core.backend, { name: 'E', slug: 'empty' }, NOW)).id,
    )
    const { body } = await get(rt, empty, '/v1/llm/overview')
    expect(body).toMatchObject({
      total_traces: 0,
      total_spans: 0,
      total_tokens: 0,
      total_cost_micros: 0,
      error_rate: 0,
    })
    expect(body.avg_latency_ms).toBeNull()
    expect(body.p95_latency_ms).toBeNull()
  })
})

describe('GET /v1/llm/usage', () => {
  test('answers hourly rows by model and provider, newest hour first, unknown model as null', async () => {
    const { body } = await get(rt, token, '/v1/llm/usage')
    expect(body.total).toBe(6)
    expect(body.usage.map((u: any) => [u.hour_bucket, u.model, u.provider, u.span_count])).toEqual([
      [H(0), 'gpt-4o', 'openai', 1],
      [H(1), null, null, 2],
      [H(1), 'gpt-4o', 'openai', 1],
      [H(2), null, null, 1],
      [H(2), 'claude-sonnet-4-5', 'anthropic', 1],
      [H(2), 'gpt-4o', 'openai', 1],
    ])
    expect(body.usage[4]).toEqual({
      hour_bucket: H(2),
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      span_count: 1,
      error_count: 1,
      error_rate: 1,
      input_tokens: 1000,
      output_tokens: 200,
      cache_read_tokens: 400,
      cache_write_tokens: null,
      reasoning_tokens: null,
      total_tokens: 1200,
      cost_micros: 6000,
      cost_unknown_count: 0,
      avg_latency_ms: 3000,
    })
    // The running trace's span: usage and cost unknown, so null, not 0.
    expect(body.usage[0]).toMatchObject({
      input_tokens: null,
      output_tokens: null,
      total_tokens: null,
      cost_micros: null,
    })
  })

  test('filters by model and provider and pages with limit and offset', async () => {
    const m = (await get(rt, token, '/v1/llm/usage?model=gpt-4o')).body
    expect(m.usage.map((u: any) => u.hour_bucket)).toEqual([H(0), H(1), H(2)])
    expect(m.total).toBe(3)
    const p = (await get(rt, token, '/v1/llm/usage?provider=anthropic')).body
    expect(p.usage.map((u: any) => u.model)).toEqual(['claude-sonnet-4-5'])
    const page = (await get(rt, token, '/v1/llm/usage?limit=2&offset=1')).body
    expect(page.usage.map((u: any) => [u.hour_bucket, u.model])).toEqual([
      [H(1), null],
      [H(1), 'gpt-4o'],
    ])
    expect([page.total, page.limit, page.offset]).toEqual([6, 2, 1])
  })
})

describe('GET /v1/llm/latency', () => {
  test('gives nearest-rank percentiles from the sketches within 1% and the mean TTFT, by model', async () => {
    const { body } = await get(rt, token, '/v1/llm/latency')
    expect(body.latency.map((l: any) => [l.model, l.span_count, l.latency_count])).toEqual([
      ['gpt-4o', 3, 2],
      [null, 3, 3],
      ['claude-sonnet-4-5', 1, 1],
    ])
    const [gpt, tools, claude] = body.latency
    within1pct(gpt.p50_ms, 400)
    within1pct(gpt.p90_ms, 1200)
    within1pct(gpt.p99_ms, 1200)
    expect(gpt.avg_ttft_ms).toBe(300)
    within1pct(tools.p50_ms, 100)
    within1pct(tools.p99_ms, 200)
    expect(tools.avg_ttft_ms).toBeNull()
    within1pct(claude.p50_ms, 3000)
    expect(claude.avg_ttft_ms).toBe(800)
  })

  test('filters by model', async () => {
    const { body } = await get(rt, token, '/v1/llm/latency?model=claude-sonnet-4-5')
    expect(body.latency.map((l: any) => l.model)).toEqual(['claude-sonnet-4-5'])
  })
})

describe('GET /v1/llm/models', () => {
  test('lists model and provider pairs, most expensive first, with rates as fractions', async () => {
    const { body } = await get(rt, token, '/v1/llm/models')
    expect(body.models.map((m: any) => [m.model, m.provider, m.cost_micros, m.span_count])).toEqual([
      ['claude-sonnet-4-5', 'anthropic', 6000, 1],
      ['gpt-4o', 'openai', 2600, 3],
      [null, null, null, 3],
    ])
    expect(body.models[1]).toMatchObject({
      input_tokens: 110,
      output_tokens: 55,
      total_tokens: 165,
      cost_unknown_count: 1,
      error_count: 0,
      error_rate: 0,
      avg_latency_ms: 800,
      avg_ttft_ms: 300,
    })
    expect(body.models[0].error_rate).toBe(1)
  })

  test('filters by provider and cuts at limit', async () => {
    expect(
      (await get(rt, token, '/v1/llm/models?provider=openai&hours=48')).body.models.map((m: any) => m.model),
    ).toEqual(['gpt-4o', 'gpt-4o-mini'])
    expect((await get(rt, token, '/v1/llm/models?limit=1')).body.models.length).toBe(1)
  })
})
