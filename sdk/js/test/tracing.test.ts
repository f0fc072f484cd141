import { afterEach, describe, expect, test } from 'bun:test'
import { Client, type Options } from '../src/client'
import { asyncContext } from '../src/node'
import {
  MAX_SPANS,
  type SpanWire,
  startSpan,
  startTrace,
  type TraceWire,
  withSpan,
  withTrace,
} from '../src/tracing'
import { type Receiver, receiver, sign } from './receiver'

let r: Receiver
let c: Client
afterEach(async () => {
  await c?.close(100)
  r?.stop()
})

function client(o: Partial<Options> = {}): Client {
  r = receiver()
  let id = 0
  let t = 1_700_000_000_000
  c = new Client({
    endpoint: r.url,
    projectKey: 'k',
    context: asyncContext(),
    idGenerator: () => `id-${++id}`,
    now: () => (t += 10),
    ...o,
  })
  return c
}

const sent = (): TraceWire[] => r.requests.flatMap((q) => (q.json as { traces: TraceWire[] }).traces)

describe('tracing', () => {
  test('a trace with a generation span is sent once, when it ends, signed to /v1/traces/batch', async () => {
    client()
    const trace = startTrace(c, {
      name: 'chat',
      sessionId: 's1',
      userId: 'u1',
      input: 'hi',
      promptName: 'support',
      promptVersion: '2.1.0',
      tags: ['beta'],
    })
    const span = trace.startSpan({
      spanType: 'generation',
      model: 'gpt-4o',
      provider: 'openai',
      input: [{ role: 'user', content: 'hi' }],
    })
    span.end({
      usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 20 },
      output: 'hello',
      timeToFirstTokenMs: 7.4,
    })
    await c.flush()
    expect(r.requests.length).toBe(0)
    trace.end({ output: 'hello' })
    await c.flush()
    expect(r.requests.length).toBe(1)
    const req = r.requests[0] as (typeof r.requests)[0]
    expect(req.path).toBe('/v1/traces/batch')
    expect(req.headers.get('x-signature')).toBe(sign('k', req.body))
    expect(req.headers.get('x-project-key')).toBe('k')
    expect(sent()).toEqual([
      {
        id: 'id-1',
        name: 'chat',
        session_id: 's1',
        user_id: 'u1',
        input: 'hi',
        prompt_name: 'support',
        prompt_version: '2.1.0',
        tags: ['beta'],
        status: 'completed',
        output: 'hello',
        started_at: 1_700_000_000_010,
        ended_at: expect.any(Number),
        spans: [
          {
            id: 'id-2',
            span_type: 'generation',
            name: 'generation',
            model: 'gpt-4o',
            provider: 'openai',
            input: '[{"role":"user","content":"hi"}]',
            status: 'ok',
            started_at: 1_700_000_000_020,
            ended_at: 1_700_000_000_030,
            latency_ms: 10,
            input_tokens: 100,
            output_tokens: 50,
            cache_read_tokens: 20,
            time_to_first_token_ms: 7,
            output: 'hello',
          },
        ],
      },
    ])
    // flush() reads the clock too, so only the order of the trace's end is fixed.
    expect((sent()[0] as TraceWire).ended_at as number).toBeGreaterThan(1_700_000_000_030)
  })

  test('unknown usage is left out, never sent as 0; cost is sent only when the app sets it', async () => {
    client()
    const t = startTrace(c)
    t.startSpan({ spanType: 'generation' }).end({ inputTokens: null, outputTokens: undefined })
    t.startSpan({ spanType: 'generation' }).end({ outputTokens: 0, cost: 0.0025 })
    t.end()
    await c.flush()
    const [a, b] = (sent()[0] as TraceWire).spans as [SpanWire, SpanWire]
    expect('input_tokens' in a || 'output_tokens' in a || 'cost' in a).toBe(false)
    expect(b.output_tokens).toBe(0)
    expect(b.cost).toBe(0.0025)
  })

  test('spans started inside withSpan nest across awaits through AsyncLocalStorage', async () => {
    client()
    await withTrace(c, { name: 'agent' }, async () => {
      await withSpan(c, { name: 'plan', spanType: 'custom' }, async () => {
        await Bun.sleep(1)
        startSpan(c, { name: 'search', spanType: 'retrieval' }).end()
        await withSpan(c, { name: 'tool', spanType: 'tool' }, async () => {
          await Bun.sleep(1)
        })
      })
      startSpan(c, { name: 'answer', spanType: 'generation' }).end()
    })
    await c.flush()
    const spans = (sent()[0] as TraceWire).spans
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]))
    expect(spans.map((s) => s.name)).toEqual(['agent', 'plan', 'search', 'tool', 'answer'])
    expect(byName.agent?.parent_span_id).toBeUndefined()
    expect(byName.plan?.parent_span_id).toBe(byName.agent?.id as string)
    expect(byName.search?.parent_span_id).toBe(byName.plan?.id as string)
    expect(byName.tool?.parent_span_id).toBe(byName.plan?.id as string)
    expect(byName.answer?.parent_span_id).toBe(byName.agent?.id as string)
    expect(spans.every((s) => s.status === 'ok')).toBe(true)
  })

  test('an exception marks the span and the trace as errors and still reaches the caller', async () => {
    client()
    await expect(
      withTrace(c, { name: 'failing' }, () =>
        withSpan(c, { name: 'call', spanType: 'generation' }, async () => {
          throw new Error('upstream 500')
        }),
      ),
    ).rejects.toThrow('upstream 500')
    await c.flush()
    const t = sent()[0] as TraceWire
    expect(t.status).toBe('error')
    expect(t.output).toBe('upstream 500')
    expect(t.spans.map((s) => [s.name, s.status, s.error_message])).toEqual([
      ['failing', 'error', 'upstream 500'],
      ['call', 'error', 'upstream 500'],
    ])
  })

  test('a span with no trace around it becomes a trace of its own', async () => {
    client()
    startSpan(c, { name: 'lonely', spanType: 'tool' }).end()
    await c.flush()
    const t = sent()[0] as TraceWire
    expect(t.name).toBe('lonely')
    expect(t.spans.length).toBe(1)
  })

  test(`a trace keeps at most ${MAX_SPANS} spans and counts the rest in metadata`, async () => {
    client()
    const t = startTrace(c)
    for (let i = 0; i < MAX_SPANS + 1; i++) t.startSpan({ name: `s${i}` }).end()
    t.end()
    await c.flush()
    const w = sent()[0] as TraceWire
    expect(w.spans.length).toBe(MAX_SPANS)
    expect(w.metadata).toEqual({ spans_dropped: 1 })
  })

  test('a span still open when its trace ends is sent as running; tracesSampleRate 0 sends nothing', async () => {
    client()
    const t = startTrace(c)
    t.startSpan({ name: 'open' })
    t.end()
    await c.flush()
    expect((sent()[0] as TraceWire).spans[0]?.status).toBe('running')
    await c.close()
    client({ tracesSampleRate: 0 })
    startTrace(c).end()
    await c.flush()
    expect(r.requests.length).toBe(0)
  })

  test('more than 50 ended traces go in batches of at most 50', async () => {
    client({ flushIntervalMs: 60_000 })
    for (let i = 0; i < 51; i++) startTrace(c, { name: `t${i}` }).end()
    await c.flush()
    expect(r.requests.map((q) => (q.json as { traces: unknown[] }).traces.length)).toEqual([50, 1])
  })
})
