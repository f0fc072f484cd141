/**
 * The LLM proxy with the real `@anthropic-ai/sdk` client: Messages, streamed and not,
 * against a fake Anthropic replaying the documented event stream byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { type FakeUpstream, fixtureText, startFakeUpstream } from '../llm.proxy.fake'
import { type Bloop, meta, PROVIDER_KEY, serveBloop, spanOf, traceRow } from '../llm.proxy.helpers'

let fake: FakeUpstream
let bloop: Bloop

beforeAll(async () => {
  fake = startFakeUpstream()
  bloop = await serveBloop(fake.url)
})
afterAll(async () => {
  await bloop.stop()
  fake.stop()
})

function client(via: 'bloop' | 'direct', headers: Record<string, string> = {}) {
  return new Anthropic({
    apiKey: PROVIDER_KEY,
    baseURL: via === 'bloop' ? `${bloop.url}/v1/proxy/anthropic` : fake.url,
    maxRetries: 0,
    defaultHeaders: via === 'bloop' ? { 'X-Bloop-Key': bloop.key, ...headers } : headers,
  })
}

const REQUEST = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  system: 'You are a weather assistant.',
  messages: [{ role: 'user' as const, content: 'Weather in Zürich?' }],
}

// Anthropic's input_tokens (100) leaves out cache reads (1,000) and writes (200): bloop
// stores 1,300. claude-sonnet-4-5: $3/M input, $0.30/M cache read, $3.75/M cache write,
// $15/M output: 300 + 300 + 750 + 4,500 micros.
const RECORDED = {
  model: 'claude-sonnet-4-5-20250929',
  provider: 'anthropic',
  status: 'ok',
  input_tokens: 1300,
  cache_read_tokens: 1000,
  cache_write_tokens: 200,
  output_tokens: 300,
  cost_micros: 5850,
  cost_source: 'table',
}

const OUTPUT = {
  content: 'Okay, let me check the weather in Zürich 🌦',
  tool_calls: [
    { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', arguments: '{"location":"Zürich"}' },
  ],
}

describe('anthropic messages', () => {
  test('non-streaming: the same message as direct; usage converted, cost exact', async () => {
    const direct = await client('direct').messages.create(REQUEST)
    const { data, response } = await client('bloop').messages.create(REQUEST).withResponse()
    expect(data).toEqual(direct)
    expect(response.headers.get('request-id')).toBe('req_018EeWyXxfu5pfWkrYcMdjWG')
    const r = fake.received[fake.received.length - 1]
    expect(r?.url).toBe('/v1/messages')
    // Every header the SDK sent directly reaches the upstream through bloop, and only those.
    const sent = fake.received[fake.received.length - 2]?.headers ?? {}
    const { host: _h1, ...directHeaders } = sent
    const { host: _h2, ...proxiedHeaders } = r?.headers ?? {}
    expect(proxiedHeaders).toEqual(directHeaders)
    expect(proxiedHeaders.authorization ?? proxiedHeaders['x-api-key']).toContain(PROVIDER_KEY)
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      ...RECORDED,
      name: 'chat claude-sonnet-4-5-20250929',
      time_to_first_token_ms: null,
    })
    expect(JSON.parse(span.output as string)).toEqual(OUTPUT)
    expect(JSON.parse(span.input as string)).toEqual({ system: REQUEST.system, messages: REQUEST.messages })
    expect(meta(span).proxy).toMatchObject({
      operation: 'messages',
      finish_reason: 'tool_use',
      tool_calls: 1,
    })
  })

  test('streaming with the SDK: the same final message as direct; usage from message_start and message_delta', async () => {
    const direct = await client('direct').messages.stream(REQUEST).finalMessage()
    const stream = client('bloop').messages.stream(REQUEST)
    const message = await stream.finalMessage()
    expect(message).toEqual(direct)
    const { response } = await stream.withResponse()
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject(RECORDED)
    // Streamed tool input is kept as the fragments spelled it.
    expect(JSON.parse(span.output as string)).toEqual({
      ...OUTPUT,
      tool_calls: [{ ...OUTPUT.tool_calls[0], arguments: '{"location": "Zürich"}' }],
    })
    expect(span.time_to_first_token_ms).toBeGreaterThanOrEqual(19)
  })

  test('streaming, raw bytes: identical to the upstream stream', async () => {
    const res = await fetch(`${bloop.url}/v1/proxy/anthropic/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': PROVIDER_KEY,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
        'x-bloop-key': bloop.key,
      },
      body: JSON.stringify({ ...REQUEST, stream: true }),
    })
    expect(await res.text()).toBe(fixtureText('anthropic-messages-stream.sse'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject(RECORDED)
  })

  test('an error event mid-stream is an error span with its message and the partial output', async () => {
    const res = await fetch(`${bloop.url}/v1/proxy/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bloop-key': bloop.key, 'x-fake-scenario': 'error' },
      body: JSON.stringify({ ...REQUEST, stream: true }),
    })
    expect(await res.text()).toBe(fixtureText('anthropic-messages-stream-error.sse'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ status: 'error', error_message: 'Overloaded', output: 'Okay,' })
    // message_start gave the input; no message_delta came, so the output count is unknown.
    expect(span).toMatchObject({ input_tokens: 1300, output_tokens: null, cost_micros: null })
  })

  test('upstream 529 overloaded: the SDK sees the same error as direct, recorded with the provider message', async () => {
    const fail = (via: 'bloop' | 'direct') =>
      client(via, { 'x-fake-scenario': '529' })
        .messages.create(REQUEST)
        .then(
          () => {
            throw new Error('expected a 529')
          },
          (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
        )
    const direct = await fail('direct')
    const proxied = await fail('bloop')
    expect(proxied.status).toBe(529)
    expect(proxied.message).toBe(direct.message)
    const span = await spanOf(bloop, proxied.headers?.get('x-bloop-trace-id') ?? null)
    expect(span).toMatchObject({ status: 'error', error_message: 'Overloaded' })
    expect(traceRow(bloop, span.trace_id)).toMatchObject({ status: 'error', name: 'anthropic chat' })
  })
})
