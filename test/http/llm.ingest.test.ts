import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { truncationMarker } from '../../src/llm/ingest/contract'
import { projectIn, startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, span, trace } from '../llm.helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime({ llm_tracing: { default_content_storage: 'full' } })
})
afterAll(() => rt.dispose())

const row = (id: string) =>
  rt.core.backend.get<Record<string, unknown>>('SELECT * FROM llm_traces WHERE id = ?', [id])
const spans = (id: string) =>
  rt.core.backend.all<Record<string, unknown>>('SELECT * FROM llm_spans WHERE trace_id = ? ORDER BY seq', [
    id,
  ])
const post = (body: unknown, o: Parameters<typeof signedTrace>[2] = {}) =>
  rt.handle(signedTrace('/v1/traces', body, o))
const batch = (traces: unknown[]) => rt.handle(signedTrace('/v1/traces/batch', { traces }))
const put = (id: string, body: unknown) =>
  rt.handle(signedTrace(`/v1/traces/${encodeURIComponent(id)}`, body, { method: 'PUT' }))

describe('POST /v1/traces', () => {
  test('stores the seed example trace with its span, answered only after commit', async () => {
    const res = await post(trace())
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'accepted' })
    expect(await row('trace-001')).toMatchObject({
      project_id: 'default',
      name: 'chat-completion',
      status: 'completed',
      source: 'sdk',
      session_id: 'session-abc',
      user_id: 'user-123',
      input: 'User prompt text',
      output: 'AI response text',
      metadata: '{"key":"value"}',
      span_count: 1,
      error_count: 0,
      input_tokens: 100,
      output_tokens: 50,
      total_tokens: 150,
      cost_micros: 2500,
      duration_ms: 1200,
      models: ' gpt-4o ',
      providers: ' openai ',
    })
    expect((await spans('trace-001'))[0]).toMatchObject({
      id: 'span-1',
      cost_source: 'client',
      cost_micros: 2500,
      price_version: null,
      latency_ms: 1200,
      time_to_first_token_ms: 300,
      status: 'ok',
    })
  })

  test('a wrong signature is 401 and nothing is stored', async () => {
    const body = JSON.stringify(trace({ id: 'unsigned' }))
    const res = await rt.handle(
      new Request('http://localhost/v1/traces', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': '0'.repeat(64) },
        body,
      }),
    )
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('invalid_signature')
    expect(await row('unsigned')).toBeNull()
  })

  test('X-Project-Key picks the project and signs; an unknown key is 401', async () => {
    const shop = await projectIn(rt.core.backend, { name: 'Shop', slug: 'shop-llm' })
    expect((await post(trace({ id: 'keyed' }), { key: shop.api_key })).status).toBe(200)
    expect(await rt.core.backend.get("SELECT project_id FROM llm_traces WHERE id = 'keyed'")).toEqual({
      project_id: shop.id,
    })
    const res = await post(trace({ id: 'bad-key' }), { key: 'bloop_not_a_key' })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('invalid_project_key')
  })

  test('a trace id of 128 characters is stored; 129 is a 400 naming the field', async () => {
    const ok = await post(trace({ id: 'a'.repeat(128) }))
    expect(ok.status).toBe(200)
    expect(await row('a'.repeat(128))).not.toBeNull()
    const bad = await post(trace({ id: 'b'.repeat(129) }))
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({
      error: 'id has 129 characters; the maximum is 128',
      code: 'invalid_field',
      field: 'id',
    })
  })

  test('100 spans are stored; 101 is a 400 naming the limit', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => span({ id: `s${i}`, cost: 0.000001 }))
    expect((await post(trace({ id: 'spans-100', spans: many(100) }))).status).toBe(200)
    expect(await row('spans-100')).toMatchObject({ span_count: 100, cost_micros: 100 })
    const res = await post(trace({ id: 'spans-101', spans: many(101) }))
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; field: string }
    expect(body.field).toBe('spans')
    expect(body.error).toContain('101 spans; the maximum is 100')
    expect(await row('spans-101')).toBeNull()
  })

  test('a body of exactly max_payload_bytes is accepted; one byte more is 413', async () => {
    const max = rt.config.llm_tracing.max_payload_bytes
    const sized = (n: number) => {
      const base = JSON.stringify(trace({ id: `size-${n}`, metadata: { pad: '' } }))
      return base.replace('"pad":""', `"pad":"${'x'.repeat(n - base.length)}"`)
    }
    const exact = sized(max)
    expect(exact.length).toBe(max)
    expect((await post(null, { raw: exact })).status).toBe(200)
    const over = sized(max + 1)
    const res = await post(null, { raw: over })
    expect(res.status).toBe(413)
    expect(await row(`size-${max + 1}`)).toBeNull()
  })

  test('content of exactly max_content_bytes is kept whole; one byte more is cut with a visible marker', async () => {
    const max = rt.config.llm_tracing.max_content_bytes
    await post(trace({ id: 'content-exact', input: 'é'.repeat(max / 2) }))
    expect((await row('content-exact'))?.input).toBe('é'.repeat(max / 2))
    await post(trace({ id: 'content-over', input: `${'é'.repeat(max / 2)}z` }))
    const stored = (await row('content-over'))?.input as string
    expect(stored.endsWith(truncationMarker(max + 1))).toBe(true)
    expect(new TextEncoder().encode(stored).length).toBeLessThanOrEqual(max)
    expect(stored.startsWith('éé')).toBe(true)
    expect(stored).not.toContain('\uFFFD')
  })

  test('explicit nulls are absent, and an unknown span_type is kept as custom with the sent value', async () => {
    const res = await post({
      id: 'nulls',
      name: null,
      status: null,
      session_id: null,
      spans: [
        {
          id: 'n1',
          parent_span_id: null,
          span_type: 'agent',
          name: null,
          model: null,
          input_tokens: null,
          output_tokens: null,
          cost: null,
          latency_ms: null,
          status: null,
          error_message: null,
          metadata: { step: 1 },
        },
      ],
    })
    expect(res.status).toBe(200)
    expect(await row('nulls')).toMatchObject({
      name: '',
      status: 'completed',
      input_tokens: null,
      cost_micros: null,
    })
    expect((await spans('nulls'))[0]).toMatchObject({
      span_type: 'custom',
      status: 'running',
      input_tokens: null,
      cost_micros: null,
      cost_source: 'unknown',
      metadata: '{"step":1,"span_type_sent":"agent"}',
    })
  })

  test('a negative token count is a 400 naming the span field', async () => {
    const res = await post(trace({ id: 'neg', spans: [span({ input_tokens: -1 })] }))
    expect(res.status).toBe(400)
    expect(((await res.json()) as { field: string }).field).toBe('spans[0].input_tokens')
  })
})

describe('POST /v1/traces/batch', () => {
  test('each trace is validated on its own: {accepted, dropped, errors}', async () => {
    const res = await batch([trace({ id: 'b1' }), trace({ id: 'x'.repeat(129) }), trace({ id: 'b3' })])
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      accepted: 2,
      dropped: 1,
      errors: [{ index: 1, field: 'id', error: 'id has 129 characters; the maximum is 128' }],
    })
    expect(await row('b1')).not.toBeNull()
    expect(await row('b3')).not.toBeNull()
  })

  test('50 traces are accepted; 51 is a 400 and nothing is stored', async () => {
    const list = (n: number, p: string) => Array.from({ length: n }, (_, i) => trace({ id: `${p}-${i}` }))
    expect(await (await batch(list(50, 'fifty'))).json()).toEqual({ accepted: 50, dropped: 0, errors: [] })
    const res = await batch(list(51, 'fiftyone'))
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'batch has 51 traces; the maximum is 50 (llm_tracing.max_batch_size)',
      code: 'batch_too_large',
      field: 'traces',
    })
    expect(await row('fiftyone-0')).toBeNull()
  })

  test('a body without a traces array is a 400', async () => {
    const res = await rt.handle(signedTrace('/v1/traces/batch', { events: [] }))
    expect(res.status).toBe(400)
    expect(((await res.json()) as { field: string }).field).toBe('traces')
  })
})

describe('re-sending and updating a trace', () => {
  const usage = () =>
    rt.core.backend.all(
      "SELECT CAST(sum(span_count) AS INTEGER) AS span_count, CAST(sum(input_tokens) AS INTEGER) AS input_tokens, CAST(sum(cost_micros) AS INTEGER) AS cost_micros FROM llm_usage_hourly WHERE project_id = 'default' AND model = 'claude-x'",
    )

  test('running then completed is one trace, counted once in the rollups', async () => {
    const s = span({ id: 'r1', model: 'claude-x', provider: 'anthropic', cost: 0.001, latency_ms: null })
    await post(
      trace({
        id: 'resend',
        status: 'running',
        ended_at: null,
        output: null,
        spans: [{ ...s, status: 'running' }],
      }),
    )
    expect(await row('resend')).toMatchObject({ status: 'running', ended_at: null })
    await post(trace({ id: 'resend', status: 'completed', spans: [{ ...s, latency_ms: 900, status: 'ok' }] }))
    expect(await row('resend')).toMatchObject({
      status: 'completed',
      span_count: 1,
      cost_micros: 1000,
      output: 'AI response text',
    })
    expect(await spans('resend')).toHaveLength(1)
    expect((await spans('resend'))[0]).toMatchObject({ status: 'ok', latency_ms: 900 })
    expect(await usage()).toEqual([{ span_count: 1, input_tokens: 100, cost_micros: 1000 }])
    // The same payload again changes nothing.
    await post(trace({ id: 'resend', status: 'completed', spans: [{ ...s, latency_ms: 900, status: 'ok' }] }))
    expect(await usage()).toEqual([{ span_count: 1, input_tokens: 100, cost_micros: 1000 }])
  })

  test('PUT of an unknown trace is 404', async () => {
    const res = await put('never-sent', { status: 'completed' })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'trace not found: never-sent', code: 'not_found' })
  })

  test('PUT updates status, output, end time, usage and cost without double counting', async () => {
    await post(trace({ id: 'put-me', status: 'running', ended_at: null, output: null, spans: [] }))
    const res = await put('put-me', {
      status: 'completed',
      output: 'final answer',
      ended_at: 1_700_000_005_000,
      model: 'claude-x',
      input_tokens: 10,
      output_tokens: 5,
      cost: 0.5,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'updated' })
    expect(await row('put-me')).toMatchObject({
      status: 'completed',
      output: 'final answer',
      ended_at: 1_700_000_005_000,
      duration_ms: 5000,
      input_tokens: 10,
      output_tokens: 5,
      cost_micros: 500_000,
    })
    await put('put-me', { cost: 0.5, input_tokens: 10, output_tokens: 5, model: 'claude-x' })
    expect(await row('put-me')).toMatchObject({ cost_micros: 500_000, span_count: 1 })
    expect(await usage()).toEqual([{ span_count: 2, input_tokens: 110, cost_micros: 501_000 }])
  })

  test('PUT refuses a field it cannot change', async () => {
    const res = await put('put-me', { input: 'x' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { field: string }).field).toBe('input')
  })
})

describe('a full queue', () => {
  test('answers 429 with Retry-After and stores nothing', async () => {
    const small = await startRuntime({ llm_tracing: { channel_capacity: 1 } })
    try {
      const res = await small.handle(
        signedTrace('/v1/traces/batch', { traces: [trace({ id: 'q1' }), trace({ id: 'q2' })] }),
      )
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(await small.core.backend.get('SELECT count(*) AS n FROM llm_traces')).toEqual({ n: 0 })
      const metrics = await (await small.fetch('/metrics')).text()
      expect(metrics).toContain('bloop_llm_traces_dropped_total{reason="queue_full"} 2')
    } finally {
      await small.dispose()
    }
  })
})

describe('group commit across requests (llm_tracing.commit_delay_ms)', () => {
  const commits = async (r: TestRuntime) =>
    Number(
      /^bloop_llm_commit_duration_seconds_count (\d+)$/m.exec(await (await r.fetch('/metrics')).text())?.[1],
    )

  test('concurrent single-trace requests share transactions, and each is answered only once its trace is stored', async () => {
    const gc = await startRuntime({ llm_tracing: { commit_delay_ms: 20 } })
    try {
      const before = await commits(gc)
      const ids = Array.from({ length: 100 }, (_, i) => `gc-${i}`)
      const storedAtAck = await Promise.all(
        ids.map(async (id) => {
          const res = await gc.handle(signedTrace('/v1/traces', trace({ id })))
          expect(res.status).toBe(200)
          return gc.core.backend.get('SELECT count(*) AS n FROM llm_traces WHERE id = ?', [id])
        }),
      )
      expect(storedAtAck).toEqual(ids.map(() => ({ n: 1 })))
      expect(await gc.core.backend.get("SELECT count(*) AS n FROM llm_traces WHERE id LIKE 'gc-%'")).toEqual({
        n: 100,
      })
      const used = (await commits(gc)) - before
      expect(used).toBeGreaterThanOrEqual(1)
      // At least two requests per transaction on average (a one-trace commit costs ~4x a batched trace).
      expect(used).toBeLessThanOrEqual(50)
    } finally {
      await gc.dispose()
    }
  })

  test('a trace arriving after the queue was quiet for longer than the delay is committed at once', async () => {
    const quiet = await startRuntime({ llm_tracing: { commit_delay_ms: 500 } })
    const stored = (id: string) =>
      quiet.core.backend.get('SELECT count(*) AS n FROM llm_traces WHERE id = ?', [id])
    try {
      expect((await quiet.handle(signedTrace('/v1/traces', trace({ id: 'quiet-1' })))).status).toBe(200)
      await Bun.sleep(550)
      const started = performance.now()
      expect((await quiet.handle(signedTrace('/v1/traces', trace({ id: 'quiet-2' })))).status).toBe(200)
      // Delayed, it would have waited 500 ms.
      expect(performance.now() - started).toBeLessThan(450)
      expect([await stored('quiet-1'), await stored('quiet-2')]).toEqual([{ n: 1 }, { n: 1 }])
    } finally {
      await quiet.dispose()
    }
  })
})
