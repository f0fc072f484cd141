/**
 * The real `openai` and `@anthropic-ai/sdk` clients, wrapped, against a fake provider that
 * replays recorded responses; the spans are read from what reaches a loopback receiver.
 * What the app gets must be exactly what the unwrapped client gives.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { wrapAnthropic } from '../src/anthropic'
import { Client } from '../src/client'
import { asyncContext } from '../src/node'
import { bloopProxy, wrapOpenAI } from '../src/openai'
import { type SpanWire, type TraceWire, withTrace } from '../src/tracing'
import { providerOf } from '../src/wrap'
import { type Receiver, receiver } from './receiver'
import { fakeUpstream, fixture, type Upstream } from './upstream'

let r: Receiver
let up: Upstream
let bloop: Client
let openai: OpenAI
let anthropic: Anthropic

beforeAll(() => {
  r = receiver()
  up = fakeUpstream(120)
  bloop = new Client({ endpoint: r.url, projectKey: 'k', context: asyncContext() })
  openai = new OpenAI({ apiKey: 'sk-test-not-real', baseURL: `${up.url}/v1`, maxRetries: 0 })
  anthropic = new Anthropic({ apiKey: 'sk-ant-test-not-real', baseURL: up.url, maxRetries: 0 })
})
afterAll(async () => {
  await bloop.close(100)
  r.stop()
  up.stop()
})

async function lastSpans(): Promise<SpanWire[]> {
  await bloop.flush()
  const traces = r.requests.flatMap((q) => (q.json as { traces: TraceWire[] }).traces)
  return (traces.at(-1) as TraceWire).spans
}

describe('wrapOpenAI', () => {
  test('a chat completion is returned unchanged and recorded with its usage', async () => {
    const plain = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'when?' }],
    })
    const wrapped = wrapOpenAI(openai, { bloop, provider: 'openai' })
    const res = await wrapped.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'when?' }],
    })
    expect(res).toEqual(plain)
    expect(res).toEqual(JSON.parse(fixture('openai-chat.json')))
    const [span] = (await lastSpans()) as [SpanWire]
    expect(span.span_type).toBe('generation')
    expect(span.name).toBe('openai.chat.completions.create')
    expect(span.provider).toBe('openai')
    expect(span.model).toBe('gpt-4o-2024-08-06')
    expect(span.input).toBe('[{"role":"user","content":"when?"}]')
    expect(span.output).toBe('Your order ships on Tuesday.')
    expect([span.input_tokens, span.output_tokens, span.cache_read_tokens, span.reasoning_tokens]).toEqual([
      1200, 80, 1024, 0,
    ])
    expect(span.status).toBe('ok')
    expect('cost' in span).toBe(false)
  })

  test('withResponse() and the other members of the client still work through the wrapper', async () => {
    const wrapped = wrapOpenAI(openai, { bloop, provider: 'openai' })
    const { data, response } = await wrapped.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .withResponse()
    expect(response.headers.get('x-request-id')).toBe('req_fake_1')
    expect(data.id).toBe('chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT')
    expect(wrapped.baseURL).toBe(`${up.url}/v1`)
  })

  test('a stream reaches the app chunk for chunk; the span gets text, usage and time to first token', async () => {
    const wrapped = wrapOpenAI(openai, { bloop, provider: 'openai' })
    const stream = await wrapped.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'refund?' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: unknown[] = []
    for await (const chunk of stream) chunks.push(chunk)
    const recorded = fixture('openai-chat-stream.sse')
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)))
    expect(chunks).toEqual(recorded)
    const [span] = (await lastSpans()) as [SpanWire]
    expect(span.output).toBe('Refund approved.')
    expect(span.model).toBe('gpt-4o-mini-2024-07-18')
    expect([span.input_tokens, span.output_tokens]).toEqual([52, 3])
    expect(span.time_to_first_token_ms as number).toBeGreaterThanOrEqual(110)
    expect(span.latency_ms as number).toBeGreaterThanOrEqual(span.time_to_first_token_ms as number)
  })

  test('a stream without include_usage leaves the tokens unknown, and the request is not altered', async () => {
    const wrapped = wrapOpenAI(openai, { bloop, provider: 'openai' })
    const stream = await wrapped.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'q' }],
      stream: true,
    })
    for await (const _ of stream) {
    }
    expect(up.requests.at(-1)?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'q' }],
      stream: true,
    })
    const [span] = (await lastSpans()) as [SpanWire]
    expect(span.output).toBe('Refund approved.')
    expect('input_tokens' in span || 'output_tokens' in span).toBe(false)
  })

  test('embeddings are a generation span with input tokens and zero output tokens', async () => {
    const wrapped = wrapOpenAI(openai, { bloop, provider: 'openai' })
    const res = await wrapped.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' })
    expect(res.data[0]?.embedding).toEqual([0.0023064255, -0.009327292, 0.015797347])
    const [span] = (await lastSpans()) as [SpanWire]
    expect([span.name, span.input_tokens, span.output_tokens]).toEqual(['openai.embeddings.create', 8, 0])
  })

  test('a failed call rejects for the app as before and is recorded as an error span', async () => {
    const wrapped = wrapOpenAI(new OpenAI({ apiKey: 'x', baseURL: `${up.url}/missing/v1`, maxRetries: 0 }), {
      bloop,
      provider: 'openai',
    })
    // Awaited inside a function: an APIPromise's own base promise resolves to null by design.
    await expect(
      (async () => await wrapped.chat.completions.create({ model: 'gpt-4o', messages: [] }))(),
    ).rejects.toThrow('404')
    const [span] = (await lastSpans()) as [SpanWire]
    expect(span.status).toBe('error')
    expect(span.error_message).toContain('no fixture')
  })

  test('the provider defaults to the base URL host map, else the host name', () => {
    expect(new OpenAI({ apiKey: 'x' }).baseURL).toBe('https://api.openai.com/v1')
    expect(providerOf('https://api.openai.com/v1', 'x')).toBe('openai')
    expect(providerOf('https://api.anthropic.com', 'x')).toBe('anthropic')
    expect(providerOf('https://api.moonshot.ai/v1', 'x')).toBe('kimi')
    expect(providerOf('https://generativelanguage.googleapis.com/v1beta/openai', 'x')).toBe('google')
    expect(providerOf('http://llm.internal:8080/v1', 'x')).toBe('llm.internal')
    expect(providerOf(undefined, 'openai')).toBe('openai')
  })

  test('bloopProxy gives client options for the bloop LLM proxy', () => {
    expect(bloopProxy('openai', { endpoint: 'https://bloop.example.com/', projectKey: 'pk' })).toEqual({
      baseURL: 'https://bloop.example.com/v1/proxy/openai',
      defaultHeaders: { 'x-bloop-key': 'pk' },
    })
    expect(bloopProxy('anthropic', { endpoint: 'https://bloop.example.com', projectKey: 'pk' }).baseURL).toBe(
      'https://bloop.example.com/v1/proxy/anthropic',
    )
  })
})

describe('wrapAnthropic', () => {
  test('a message is returned unchanged; cache reads and writes are counted into input tokens', async () => {
    const wrapped = wrapAnthropic(anthropic, { bloop })
    const res = await wrapped.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'refund?' }],
    })
    expect(res).toEqual(JSON.parse(fixture('anthropic-message.json')))
    const [span] = (await lastSpans()) as [SpanWire]
    expect(span.name).toBe('127.0.0.1.messages.create')
    expect(span.model).toBe('claude-sonnet-4-5-20250929')
    expect(span.output).toBe('The refund was issued to the original card.')
    expect([span.input_tokens, span.output_tokens, span.cache_read_tokens, span.cache_write_tokens]).toEqual([
      2112, 40, 2000, 100,
    ])
  })

  test('a stream passes every event through and records usage from message_start and message_delta', async () => {
    const wrapped = wrapAnthropic(anthropic, { bloop, provider: 'anthropic' })
    const stream = await wrapped.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    })
    const events: unknown[] = []
    for await (const e of stream) events.push(e)
    const plain: unknown[] = []
    const unwrapped = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    })
    for await (const e of unwrapped) plain.push(e)
    expect(events).toEqual(plain)
    expect(events.map((e) => (e as { type: string }).type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    const [span] = (await lastSpans()) as [SpanWire]
    expect(span.output).toBe('Okay, done.')
    expect([span.input_tokens, span.output_tokens]).toEqual([472, 89])
    expect(span.time_to_first_token_ms as number).toBeGreaterThanOrEqual(110)
  })

  test('calls inside a trace nest under its current span', async () => {
    const wrapped = wrapAnthropic(anthropic, { bloop, provider: 'anthropic' })
    const wrappedOpenAI = wrapOpenAI(openai, { bloop, provider: 'openai' })
    await withTrace(bloop, { name: 'agent' }, async () => {
      await wrapped.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'a' }],
      })
      await wrappedOpenAI.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'b' }],
      })
    })
    const spans = await lastSpans()
    expect(spans.map((s) => s.name)).toEqual([
      'agent',
      'anthropic.messages.create',
      'openai.chat.completions.create',
    ])
    expect(spans[1]?.parent_span_id).toBe(spans[0]?.id as string)
    expect(spans[2]?.parent_span_id).toBe(spans[0]?.id as string)
  })
})
