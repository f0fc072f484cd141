/**
 * Cost at ingest, through the real routes: a table of real models and usages against
 * hand-computed microdollars (the prices are those of @pydantic/genai-prices 0.1.8, as in
 * test/unit/fixtures/llm-prices.golden.json), how each span's cost was found, and the
 * override routes that change it from the next request.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TABLE_PRICE_VERSION } from '../../src/llm/pricing'
import { sessionIn, startRuntime, type TestRuntime, userIn } from '../helpers'
import { signedTrace } from '../llm.helpers'

let rt: TestRuntime
let writer: string
beforeAll(async () => {
  rt = await startRuntime()
  writer = rt.token(['llm:read', 'llm:write'])
})
afterAll(() => rt.dispose())

const at = (iso: string) => Date.parse(iso)
const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })

let n = 0
async function priced(span: Record<string, unknown>) {
  const id = `cost-${n++}`
  const res = await rt.handle(signedTrace('/v1/traces', { id, spans: [{ id: 's', ...span }] }))
  expect(res.status).toBe(200)
  return rt.core.backend.get<{
    cost_micros: number | null
    cost_source: string
    price_version: string | null
  }>('SELECT cost_micros, cost_source, price_version FROM llm_spans WHERE trace_id = ?', [id])
}

const table = (cost_micros: number) => ({
  cost_micros,
  cost_source: 'table',
  price_version: TABLE_PRICE_VERSION,
})

describe('cost at ingest', () => {
  const cases: [string, Record<string, unknown>, ReturnType<typeof table>][] = [
    [
      // 800 x 2.50 + 200 x 1.25 + 500 x 10 = 2000 + 250 + 5000
      'OpenAI with cached tokens (gpt-4o)',
      {
        model: 'gpt-4o',
        provider: 'openai',
        input_tokens: 1000,
        output_tokens: 500,
        cache_read_tokens: 200,
        started_at: at('2025-07-01T00:00:00Z'),
      },
      table(7250),
    ],
    [
      // 3 x 3 + 10000 x 3.75 + 20000 x 0.30 + 800 x 15 = 9 + 37500 + 6000 + 12000
      'Anthropic with cache writes and reads (claude-sonnet-4-5)',
      {
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        input_tokens: 30003,
        output_tokens: 800,
        cache_read_tokens: 20000,
        cache_write_tokens: 10000,
        started_at: at('2025-10-15T00:00:00Z'),
      },
      table(55509),
    ],
    [
      // o3 from 2025-06-10: 2000 x 2 + 5000 x 8 (reasoning is part of output)
      'a reasoning model (o3)',
      {
        model: 'o3',
        provider: 'openai',
        input_tokens: 2000,
        output_tokens: 5000,
        reasoning_tokens: 4000,
        started_at: at('2025-07-01T00:00:00Z'),
      },
      table(44000),
    ],
    [
      // input 250000 > 200000: 150000 x 6 + 100000 x 0.60 + 1000 x 22.50
      'a tiered long-context price (claude-sonnet-4-5 over 200k)',
      {
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        input_tokens: 250000,
        output_tokens: 1000,
        cache_read_tokens: 100000,
        cache_write_tokens: 0,
        started_at: at('2025-10-15T00:00:00Z'),
      },
      table(982500),
    ],
    [
      // 200001 x 2.50 + 1000 x 15 = 515002.5, half away from zero
      'gemini-2.5-pro one token into the long-context tier',
      {
        model: 'gemini-2.5-pro',
        provider: 'google',
        input_tokens: 200001,
        output_tokens: 1000,
        started_at: at('2025-07-01T00:00:00Z'),
      },
      table(515003),
    ],
    [
      'a dated model name (claude-sonnet-4-5-20250929, no provider)',
      {
        model: 'claude-sonnet-4-5-20250929',
        input_tokens: 30003,
        output_tokens: 800,
        cache_read_tokens: 20000,
        cache_write_tokens: 10000,
        started_at: at('2025-10-15T00:00:00Z'),
      },
      table(55509),
    ],
    [
      // The SDKs send cost 0 for models missing from their own tables: the server prices them.
      'an SDK cost of 0 with tokens is priced (gpt-4o-2024-08-06)',
      {
        model: 'gpt-4o-2024-08-06',
        input_tokens: 1000,
        output_tokens: 500,
        cache_read_tokens: 200,
        cost: 0,
        started_at: at('2025-07-01T00:00:00Z'),
      },
      table(7250),
    ],
  ]
  for (const [name, span, want] of cases) {
    test(name, async () => {
      expect(await priced(span)).toEqual(want)
    })
  }

  test('a client cost wins over the table, rounded half away from zero', async () => {
    expect(await priced({ model: 'gpt-4o', input_tokens: 1000, output_tokens: 500, cost: 0.0025 })).toEqual({
      cost_micros: 2500,
      cost_source: 'client',
      price_version: null,
    })
    expect(await priced({ model: 'gpt-4o', cost: 0.0000125 })).toMatchObject({
      cost_micros: 13,
      cost_source: 'client',
    })
    expect(await priced({ cost: 0 })).toMatchObject({ cost_micros: 0, cost_source: 'client' })
  })

  test('an unknown model is unknown (null, not 0), counted in /metrics and listed for an override', async () => {
    expect(
      await priced({ model: 'acme-llm-7b', provider: 'acme', input_tokens: 1000, output_tokens: 1000 }),
    ).toEqual({
      cost_micros: null,
      cost_source: 'unknown',
      price_version: TABLE_PRICE_VERSION,
    })
    await priced({ model: 'acme-llm-7b', provider: 'acme', input_tokens: 10, output_tokens: 10 })
    const listed = await rt.fetch('/v1/llm/pricing/unknown', { headers: json(writer) })
    expect(await listed.json()).toMatchObject({
      project_id: 'default',
      models: [{ model: 'acme-llm-7b', provider: 'acme', span_count: 2 }],
    })
    expect(await (await rt.fetch('/metrics')).text()).toContain('bloop_llm_unknown_model_spans_total 2')
    const trace = await rt.core.backend.get('SELECT cost_micros FROM llm_traces WHERE id = ?', [
      `cost-${n - 1}`,
    ])
    expect(trace).toEqual({ cost_micros: null })
  })

  test('a project override prices its model from the next request; DELETE removes it', async () => {
    const put = await rt.fetch('/v1/llm/pricing/overrides', {
      method: 'PUT',
      headers: json(writer),
      body: JSON.stringify({
        model_pattern: 'my-ft-*',
        match: 'glob',
        input_per_mtok: 1,
        output_per_mtok: 2,
        effective_from: 0,
      }),
    })
    expect(put.status).toBe(201)
    const { override } = (await put.json()) as { override: { id: string } }
    // 1000 x 1 + 1000 x 2
    expect(await priced({ model: 'my-ft-support-v3', input_tokens: 1000, output_tokens: 1000 })).toEqual({
      cost_micros: 3000,
      cost_source: 'override',
      price_version: `override:${override.id}@0`,
    })
    const again = await rt.fetch('/v1/llm/pricing/overrides', {
      method: 'PUT',
      headers: json(writer),
      body: JSON.stringify({
        model_pattern: 'my-ft-*',
        match: 'glob',
        input_per_mtok: 2,
        output_per_mtok: 2,
        effective_from: 0,
      }),
    })
    expect(again.status).toBe(200)
    expect(((await again.json()) as { override: { id: string } }).override.id).toBe(override.id)
    // The changed price applies from the next request: 1000 x 2 + 1000 x 2
    expect(
      await priced({ model: 'my-ft-support-v3', input_tokens: 1000, output_tokens: 1000 }),
    ).toMatchObject({
      cost_micros: 4000,
      cost_source: 'override',
    })
    const list = (await (await rt.fetch('/v1/llm/pricing/overrides', { headers: json(writer) })).json()) as {
      overrides: unknown[]
    }
    expect(list.overrides).toHaveLength(1)
    const del = await rt.fetch(`/v1/llm/pricing/overrides/${override.id}`, {
      method: 'DELETE',
      headers: json(writer),
    })
    expect(del.status).toBe(200)
    expect(
      await priced({ model: 'my-ft-support-v3', input_tokens: 1000, output_tokens: 1000 }),
    ).toMatchObject({
      cost_source: 'unknown',
    })
  })

  test('an invalid override is a 400 naming the field', async () => {
    const res = await rt.fetch('/v1/llm/pricing/overrides', {
      method: 'PUT',
      headers: json(writer),
      body: JSON.stringify({
        model_pattern: 'gpt-4o',
        match: 'exact',
        input_per_mtok: -1,
        output_per_mtok: 2,
      }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { field: string }).field).toBe('input_per_mtok')
  })

  test('a global override replaces the table for every project; only an admin may set it', async () => {
    const body = JSON.stringify({
      model_pattern: 'gpt-4o',
      match: 'exact',
      provider: 'openai',
      input_per_mtok: 2,
      cache_read_per_mtok: 1,
      output_per_mtok: 8,
      effective_from: 0,
    })
    const refused = await rt.fetch('/v1/llm/pricing/overrides?scope=global', {
      method: 'PUT',
      headers: json(writer),
      body,
    })
    expect(refused.status).toBe(403)
    // An admin with a session, the way a passkey sign-in makes them (same stores).
    const user = await userIn(rt.core.backend, { username: 'price-admin', role: 'admin' }, rt.core.now())
    const admin = {
      cookie: `bloop_session=${await sessionIn(rt.core.backend, user.id, rt.core.now(), rt.config.auth.session_ttl_secs)}`,
    }
    const ok = await rt.fetch('/v1/llm/pricing/overrides?scope=global', {
      method: 'PUT',
      headers: { cookie: admin.cookie, 'content-type': 'application/json' },
      body,
    })
    expect(ok.status).toBe(201)
    // 800 x 2 + 200 x 1 + 500 x 8 = 1600 + 200 + 4000
    expect(
      await priced({
        model: 'gpt-4o',
        provider: 'openai',
        input_tokens: 1000,
        output_tokens: 500,
        cache_read_tokens: 200,
      }),
    ).toMatchObject({ cost_micros: 5800, cost_source: 'override' })
  })
})
