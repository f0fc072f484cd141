/**
 * The LLM proxy with the real `openai` npm client: a real bloop server on loopback in
 * front of a fake OpenAI replaying recorded wire formats byte for byte. Each test checks
 * what the client received (the same as calling the upstream directly) and what was
 * recorded (tokens, cost, TTFT, status), read back from the database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import OpenAI from 'openai'
import { createToken } from '../../src/tokens/store'
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

/** The same client, through bloop or straight to the fake upstream. */
function client(via: 'bloop' | 'direct', headers: Record<string, string> = {}) {
  return new OpenAI({
    apiKey: PROVIDER_KEY,
    baseURL: via === 'bloop' ? `${bloop.url}/v1/proxy/openai` : `${fake.url}/v1`,
    organization: 'org-test',
    project: 'proj_test',
    maxRetries: 0,
    defaultHeaders: via === 'bloop' ? { 'X-Bloop-Key': bloop.key, ...headers } : headers,
  })
}

const MESSAGES = [
  { role: 'system' as const, content: 'Answer in French.' },
  { role: 'user' as const, content: 'Hello?' },
]

const lastReceived = () => fake.received[fake.received.length - 1] as (typeof fake.received)[number]

describe('chat completions', () => {
  test('non-streaming: the client gets the upstream answer; usage, cost and content are recorded exactly', async () => {
    const direct = await client('direct').chat.completions.create({ model: 'gpt-4o', messages: MESSAGES })
    const { data, response } = await client('bloop')
      .chat.completions.create({ model: 'gpt-4o', messages: MESSAGES })
      .withResponse()
    expect(data).toEqual(direct)
    expect(data.choices[0]?.message.content).toBe('Bonjour, café ☕ — prêt ?')
    expect(response.headers.get('x-request-id')).toBe('req_8f4c2b7a')
    expect(Number(response.headers.get('x-bloop-overhead-ms'))).toBeGreaterThanOrEqual(0)
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      span_type: 'generation',
      name: 'chat gpt-4o-2024-08-06',
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      status: 'ok',
      error_message: null,
      input_tokens: 1000,
      output_tokens: 50,
      cache_read_tokens: 200,
      reasoning_tokens: 0,
      // gpt-4o: 800 uncached input at $2.50/M, 200 cached at $1.25/M, 50 output at $10/M.
      cost_micros: 2750,
      cost_source: 'table',
      input: JSON.stringify(MESSAGES),
      output: 'Bonjour, café ☕ — prêt ?',
      time_to_first_token_ms: null,
    })
    expect(span.latency_ms).toBeGreaterThanOrEqual(0)
    expect(meta(span).proxy).toMatchObject({
      operation: 'chat',
      http_status: 200,
      stream: false,
      finish_reason: 'stop',
    })
    const trace = traceRow(bloop, span.trace_id)
    expect(trace).toMatchObject({
      status: 'completed',
      source: 'proxy',
      name: 'openai chat',
      project_id: 'default',
    })
    // And through the LLM read API, as the dashboard reads it.
    const token = (
      await createToken(bloop.served.runtime.core.backend, {
        projectId: 'default',
        name: 'proxy-read',
        scopes: ['llm:read'],
      })
    ).token
    const read = await fetch(`${bloop.url}/v1/llm/traces/${span.trace_id}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(read.status).toBe(200)
    const detail = (await read.json()) as { spans: Record<string, unknown>[] }
    expect(detail.spans).toHaveLength(1)
    expect(detail.spans[0]).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      input_tokens: 1000,
      output_tokens: 50,
      cost_micros: 2750,
      status: 'ok',
    })
  })

  test('the request reaches the upstream with its path, query string and end-to-end headers, without bloop headers', async () => {
    const c = new OpenAI({
      apiKey: PROVIDER_KEY,
      baseURL: `${bloop.url}/v1/proxy/openai`,
      organization: 'org-test',
      project: 'proj_test',
      maxRetries: 0,
      defaultQuery: { 'api-version': '2024-10-21' },
      defaultHeaders: {
        'X-Bloop-Key': bloop.key,
        'X-Bloop-Session-Id': 'sess-1',
        'Idempotency-Key': 'idem-42',
      },
    })
    await c.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES })
    const r = lastReceived()
    expect(r.method).toBe('POST')
    expect(r.url).toBe('/v1/chat/completions?api-version=2024-10-21')
    expect(r.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`)
    expect(r.headers['openai-organization']).toBe('org-test')
    expect(r.headers['openai-project']).toBe('proj_test')
    expect(r.headers['idempotency-key']).toBe('idem-42')
    expect(r.headers['user-agent']).toStartWith('OpenAI/JS')
    expect(Object.keys(r.headers).filter((h) => h.startsWith('x-bloop'))).toEqual([])
    // A non-streamed body is forwarded byte for byte.
    expect(r.body).toBe(JSON.stringify({ model: 'gpt-4o', messages: MESSAGES }))
  })

  test('streaming without include_usage: the proxy asks for usage and hides the extra chunk from the client', async () => {
    const read = async (via: 'bloop' | 'direct') => {
      const stream = await client(via).chat.completions.create({
        model: 'gpt-4o',
        messages: MESSAGES,
        stream: true,
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      return chunks
    }
    const direct = await read('direct')
    expect(lastReceived().body).not.toContain('stream_options')
    const proxied = await read('bloop')
    // The upstream was asked for usage; every other byte of the body is as the client sent it.
    expect(lastReceived().body).toBe(
      `{"stream_options":{"include_usage":true},${JSON.stringify({ model: 'gpt-4o', messages: MESSAGES, stream: true }).slice(1)}`,
    )
    // The client sees no usage-only chunk: every chunk has a choice, as without include_usage.
    expect(proxied.every((c) => c.choices.length === 1)).toBe(true)
    expect(proxied.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Bonjour, café ☕ — prêt ?')
    expect(proxied.map((c) => c.choices[0])).toEqual(direct.map((c) => c.choices[0]))
  })

  test('streaming without include_usage, raw bytes: exactly the upstream stream minus its usage chunk', async () => {
    const res = await fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${PROVIDER_KEY}`,
        'content-type': 'application/json',
        'x-bloop-key': bloop.key,
      },
      body: JSON.stringify({ model: 'gpt-4o', messages: MESSAGES, stream: true }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const upstream = fixtureText('openai-chat-stream-usage.sse')
    const events = upstream.split('\n\n')
    const usageEvent = events.findIndex((e) => e.includes('"choices":[]'))
    const expected = `${events.filter((_, i) => i !== usageEvent).join('\n\n')}`
    expect(await res.text()).toBe(expected)
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      status: 'ok',
      input_tokens: 1000,
      output_tokens: 50,
      cache_read_tokens: 200,
      cost_micros: 2750,
    })
    expect(span.output).toBe('Bonjour, café ☕ — prêt ?')
    // The fake sends its first byte after 20 ms: the first token cannot come sooner.
    expect(span.time_to_first_token_ms).toBeGreaterThanOrEqual(19)
    expect(span.latency_ms).toBeGreaterThanOrEqual(span.time_to_first_token_ms as number)
    expect(meta(span).proxy.time_to_first_byte_ms).toBeLessThanOrEqual(span.time_to_first_token_ms as number)
  })

  test('streaming with include_usage: the client receives the upstream bytes unchanged, usage chunk included', async () => {
    const body = JSON.stringify({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    })
    const res = await fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${PROVIDER_KEY}`,
        'content-type': 'application/json',
        'x-bloop-key': bloop.key,
      },
      body,
    })
    expect(await res.text()).toBe(fixtureText('openai-chat-stream-usage.sse'))
    expect(lastReceived().body).toBe(body)
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ status: 'ok', input_tokens: 1000, output_tokens: 50, cost_micros: 2750 })
    const stream = await client('bloop').chat.completions.create({
      model: 'gpt-4o',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    })
    let usage: unknown = null
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage
    expect(usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 50 })
  })

  test('streamed tool calls are recorded as the call and its assembled arguments', async () => {
    const { data: stream, response: res } = await client('bloop', { 'x-fake-scenario': 'tools' })
      .chat.completions.create({
        model: 'gpt-4o',
        messages: MESSAGES,
        stream: true,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      })
      .withResponse()
    let args = ''
    for await (const chunk of stream)
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? ''
    expect(args).toBe('{"location":"Paris, France"}')
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(JSON.parse(span.output as string)).toEqual({
      content: null,
      tool_calls: [
        {
          id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
          name: 'get_weather',
          arguments: '{"location":"Paris, France"}',
        },
      ],
    })
    expect(span).toMatchObject({ status: 'ok', input_tokens: 82, output_tokens: 17 })
    expect(meta(span).proxy).toMatchObject({ finish_reason: 'tool_calls', tool_calls: 1 })
  })
})

describe('responses and embeddings', () => {
  test('Responses API, streamed: usage from response.completed, the text from the deltas', async () => {
    const { data: stream, response } = await client('bloop')
      .responses.create({ model: 'gpt-4.1', input: 'Say hi', stream: true })
      .withResponse()
    let text = ''
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta
    expect(text).toBe('Hi there, ünïcödé 🦄!')
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      model: 'gpt-4.1-2025-04-14',
      status: 'ok',
      input_tokens: 2000,
      cache_read_tokens: 1000,
      output_tokens: 300,
      output: 'Hi there, ünïcödé 🦄!',
      input: 'Say hi',
      // gpt-4.1: 1,000 input at $2/M, 1,000 cached at $0.50/M, 300 output at $8/M.
      cost_micros: 4900,
    })
    expect(span.time_to_first_token_ms).toBeGreaterThanOrEqual(19)
  })

  test('Responses API, not streamed', async () => {
    const direct = await client('direct').responses.create({ model: 'gpt-4.1', input: 'Say hi' })
    const { data, response } = await client('bloop')
      .responses.create({ model: 'gpt-4.1', input: 'Say hi' })
      .withResponse()
    expect(data.output_text).toBe(direct.output_text)
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ status: 'ok', input_tokens: 2000, output_tokens: 300, cost_micros: 4900 })
    expect(span.output).toBe('Hi there, ünïcödé 🦄!')
  })

  test('embeddings: input tokens only, the vectors not stored', async () => {
    const { data, response } = await client('bloop')
      .embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] })
      .withResponse()
    expect(data.data.length).toBe(2)
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      name: 'embeddings text-embedding-3-small',
      input_tokens: 8,
      output_tokens: 0,
      output: null,
      input: '["a","b"]',
      cost_source: 'table',
      // 8 tokens at $0.02/M is 0.16 micros: rounded to 0.
      cost_micros: 0,
    })
    expect(meta(span).proxy.embeddings).toBe(2)
  })

  test('legacy completions: the text and usage of the first choice', async () => {
    const { data, response } = await client('bloop')
      .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7 })
      .withResponse()
    expect(data.choices[0]?.text).toBe('\n\nThis is indeed a test')
    const span = await spanOf(bloop, response.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      name: 'text_completion gpt-3.5-turbo-instruct',
      input: 'Say this is a test',
      output: '\n\nThis is indeed a test',
      input_tokens: 5,
      output_tokens: 7,
      // gpt-3.5-turbo-instruct: 5 input at $1.50/M and 7 output at $2/M, 21.5 micros, rounded half away from zero.
      cost_micros: 22,
    })
    expect(meta(span).proxy).toMatchObject({ operation: 'completions', finish_reason: 'length' })
  })

  test('an untraced call (GET /models) passes through and records nothing', async () => {
    const before = bloop.served.runtime.core.db
      .query<{ n: number }, []>('SELECT count(*) AS n FROM llm_spans')
      .get()?.n
    const models = await client('bloop').models.list()
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o'])
    await Bun.sleep(100)
    const after = bloop.served.runtime.core.db
      .query<{ n: number }, []>('SELECT count(*) AS n FROM llm_spans')
      .get()?.n
    expect(after).toBe(before as number)
  })
})

describe('failures', () => {
  test('upstream 429: the client gets the same error as direct; an error span holds the provider message', async () => {
    const err = (via: 'bloop' | 'direct') =>
      client(via, { 'x-fake-scenario': '429' })
        .chat.completions.create({ model: 'gpt-4o', messages: MESSAGES })
        .then(
          () => {
            throw new Error('expected a 429')
          },
          (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
        )
    const direct = await err('direct')
    const proxied = await err('bloop')
    expect(proxied).toBeInstanceOf(OpenAI.RateLimitError)
    expect(proxied.status).toBe(429)
    expect(proxied.message).toBe(direct.message)
    expect(proxied.headers?.get('retry-after')).toBe('1')
    const span = await spanOf(bloop, proxied.headers?.get('x-bloop-trace-id') ?? null)
    expect(span).toMatchObject({
      status: 'error',
      error_message:
        'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29500, Requested 1000. Please try again in 1s.',
      input_tokens: null,
      cost_micros: null,
      cost_source: 'unknown',
    })
    expect(meta(span).proxy.http_status).toBe(429)
    expect(traceRow(bloop, span.trace_id)).toMatchObject({ status: 'error' })
  })

  test('upstream 500: passed through byte for byte, recorded as an error', async () => {
    const res = await fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': bloop.key, 'x-fake-scenario': '500', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: MESSAGES }),
    })
    expect(res.status).toBe(500)
    expect(await res.text()).toBe(fixtureText('openai-error-500.json'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span.status).toBe('error')
    expect(span.error_message).toBe(
      'The server had an error while processing your request. Sorry about that!',
    )
  })

  test('a stream cut before [DONE] is an error with the partial output, never a success', async () => {
    const res = await fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': bloop.key, 'x-fake-scenario': 'cut', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      }),
    })
    expect(await res.text()).toBe(fixtureText('openai-chat-stream-cut.sse'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      status: 'error',
      error_message: 'the stream ended before its final event: the answer was cut off',
      output: 'Bonjour, café',
      input_tokens: null,
      cost_micros: null,
    })
    expect(traceRow(bloop, span.trace_id)).toMatchObject({ status: 'error' })
  })

  test('a malformed event is recorded as an error; the bytes still reach the client unchanged', async () => {
    const res = await fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'x-bloop-key': bloop.key,
        'x-fake-scenario': 'malformed',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      }),
    })
    expect(await res.text()).toBe(fixtureText('openai-chat-stream-malformed.sse'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span.status).toBe('error')
    expect(span.error_message).toStartWith(
      'the upstream sent an event that is not JSON: {"id":"chatcmpl-B9M"',
    )
  })

  test('a client that goes away mid-stream aborts the upstream request; the call is an error with what arrived', async () => {
    const cancelledBefore = fake.cancelled
    const { data: stream, response } = await client('bloop', { 'x-fake-scenario': 'slow' })
      .chat.completions.create({ model: 'gpt-4o', messages: MESSAGES, stream: true })
      .withResponse()
    const traceId = response.headers.get('x-bloop-trace-id')
    let n = 0
    for await (const _ of stream) {
      if (++n === 2) {
        stream.controller.abort()
        break
      }
    }
    const span = await spanOf(bloop, traceId)
    expect(span.status).toBe('error')
    expect(span.error_message).toBe('the client closed the connection before the response ended')
    expect(meta(span).proxy.ended).toBe('client_closed')
    for (let i = 0; i < 100 && fake.cancelled === cancelledBefore; i++) await Bun.sleep(20)
    expect(fake.cancelled).toBe(cancelledBefore + 1)
  })
})

describe('the provider key', () => {
  test('is in neither the database file nor the logs', async () => {
    await Bun.sleep(200)
    expect(bloop.log.lines.length).toBeGreaterThan(0)
    expect(JSON.stringify(bloop.log.lines)).not.toContain(PROVIDER_KEY)
    for (const file of ['bloop.db', 'bloop.db-wal']) {
      let bytes: Buffer
      try {
        bytes = readFileSync(join(bloop.dir, file))
      } catch {
        continue
      }
      expect(bytes.includes(Buffer.from(PROVIDER_KEY))).toBe(false)
      expect(bytes.includes(Buffer.from('PROVIDER0KEY'))).toBe(false)
    }
    // And the check can fail: the key did reach the upstream.
    expect(fake.received.some((r) => r.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true)
  })
})
