/**
 * The proxy's edges over real sockets: bloop auth, the bloop headers, hop-by-hop headers,
 * the body cap at its boundary, an unknown provider, an unreachable upstream, timeouts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createToken, revokeToken } from '../../src/tokens/store'
import { projectOnSqlite } from '../helpers'
import { type FakeUpstream, fixtureText, startFakeUpstream } from '../llm.proxy.fake'
import { type Bloop, meta, PROVIDER_KEY, serveBloop, spanOf, spansOf, traceRow } from '../llm.proxy.helpers'

let fake: FakeUpstream
let bloop: Bloop

beforeAll(async () => {
  fake = startFakeUpstream()
  bloop = await serveBloop(fake.url, {
    llm_tracing: {
      proxy: {
        upstreams: { deadhost: 'http://127.0.0.1:1/v1', groq: `${fake.url}/v1` },
        max_body_bytes: 1024,
      },
    },
  })
})
afterAll(async () => {
  await bloop.stop()
  fake.stop()
})

const CHAT = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
const chat = (headers: Record<string, string>, body: string = CHAT, provider = 'openai') =>
  fetch(`${bloop.url}/v1/proxy/${provider}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PROVIDER_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  })
const errorOf = async (res: Response) => (await res.json()) as { error: string; code: string }

describe('bloop auth', () => {
  test('without X-Bloop-Key the proxy answers 401 and calls nobody', async () => {
    const before = fake.received.length
    const res = await chat({})
    expect(res.status).toBe(401)
    expect((await errorOf(res)).error).toContain('X-Bloop-Key')
    expect(fake.received.length).toBe(before)
  })

  test('an unknown key is 401', async () => {
    const res = await chat({ 'x-bloop-key': 'not-a-key' })
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('invalid_project_key')
  })

  test("another project's key records the call in that project", async () => {
    const other = projectOnSqlite(bloop.served.runtime.core.db, { name: 'Other', slug: 'other-proxy' })
    const res = await chat({ 'x-bloop-key': other.api_key })
    expect(res.status).toBe(200)
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span.project_id).toBe(other.id)
  })

  test('calls ending together, from two projects, are each recorded once, in their own project', async () => {
    // They end in the same turns of the event loop, so the recorder batches them per project.
    const second = projectOnSqlite(bloop.served.runtime.core.db, { name: 'Second', slug: 'second-proxy' })
    const keys = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? bloop.key : second.api_key))
    const streamed = JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    const answers = await Promise.all(
      keys.map(async (key, i) => {
        const res = await chat({ 'x-bloop-key': key }, i % 4 < 2 ? CHAT : streamed)
        expect(res.status).toBe(200)
        await res.text()
        return res.headers.get('x-bloop-trace-id') as string
      }),
    )
    expect(new Set(answers).size).toBe(40)
    for (const [i, traceId] of answers.entries()) {
      const spans = await spansOf(bloop, traceId)
      expect(spans.length).toBe(1)
      expect(spans[0]).toMatchObject({
        project_id: i % 2 === 0 ? 'default' : second.id,
        status: 'ok',
        input_tokens: expect.any(Number),
      })
    }
  })

  test('an API token with llm:write in X-Bloop-Key works; one without it is 403', async () => {
    const writer = (
      await createToken(bloop.served.runtime.core.backend, {
        projectId: 'default',
        name: 'proxy-w',
        scopes: ['llm:write'],
      })
    ).token
    const reader = (
      await createToken(bloop.served.runtime.core.backend, {
        projectId: 'default',
        name: 'proxy-r',
        scopes: ['llm:read'],
      })
    ).token
    const ok = await chat({ 'x-bloop-key': writer })
    expect(ok.status).toBe(200)
    expect((await spanOf(bloop, ok.headers.get('x-bloop-trace-id'))).project_id).toBe('default')
    const refused = await chat({ 'x-bloop-key': reader })
    expect(refused.status).toBe(403)
    expect((await errorOf(refused)).code).toBe('insufficient_scope')
  })
})

describe('bloop auth, guessing', () => {
  test('ten refused keys from one address are 401, the eleventh 429; a valid key is never braked', async () => {
    const own = await serveBloop(fake.url)
    try {
      const call = (key: string) =>
        fetch(`${own.url}/v1/proxy/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-bloop-key': key },
          body: CHAT,
        })
      const statuses: number[] = []
      for (let i = 0; i < 10; i++) statuses.push((await call(`guess-${i}`)).status)
      expect(statuses).toEqual(Array(10).fill(401))
      const braked = await call('guess-10')
      expect(braked.status).toBe(429)
      expect(Number(braked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect((await call(own.key)).status).toBe(200)
    } finally {
      await own.stop()
    }
  })
})

describe('bloop auth, refused tokens', () => {
  test('a revoked token in X-Bloop-Key is 401', async () => {
    const t = await createToken(bloop.served.runtime.core.backend, {
      projectId: 'default',
      name: 'proxy-revoked',
      scopes: ['llm:write'],
    })
    expect((await chat({ 'x-bloop-key': t.token })).status).toBe(200)
    await revokeToken(bloop.served.runtime.core.backend, t.row.id)
    expect((await chat({ 'x-bloop-key': t.token })).status).toBe(401)
  })
})

describe('content policy', () => {
  test("under a project's policy none the call is traced without its prompt or completion", async () => {
    const db = bloop.served.runtime.core.db
    const project = projectOnSqlite(db, { name: 'Private', slug: 'private-proxy' })
    const admin = (
      await createToken(bloop.served.runtime.core.backend, {
        projectId: project.id,
        name: 'policy',
        scopes: ['llm:write'],
      })
    ).token
    const put = await fetch(`${bloop.url}/v1/llm/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content_policy: 'none' }),
    })
    expect(put.status).toBe(200)
    const res = await chat({ 'x-bloop-key': project.api_key })
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({
      project_id: project.id,
      input: null,
      output: null,
      input_tokens: 1000,
      cost_micros: 2750,
    })
    expect(traceRow(bloop, span.trace_id)).toMatchObject({ input: null, output: null })
  })
})

describe('routing and headers', () => {
  test('an unknown provider is 404 naming the configured ones', async () => {
    const res = await chat({ 'x-bloop-key': bloop.key }, CHAT, 'mistral')
    expect(res.status).toBe(404)
    expect((await errorOf(res)).error).toBe(
      'unknown proxy provider "mistral"; configured: openai, anthropic, deadhost, groq (llm_tracing.proxy)',
    )
  })

  test('a named OpenAI-compatible upstream is traced under its own name', async () => {
    const res = await chat({ 'x-bloop-key': bloop.key }, CHAT, 'groq')
    expect(res.status).toBe(200)
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ provider: 'groq', input_tokens: 1000, output_tokens: 50 })
  })

  test('a compressed answer to a traced call is read, and reaches the client whole', async () => {
    const res = await chat({ 'x-bloop-key': bloop.key, 'x-fake-scenario': 'gzip', 'accept-encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(fixtureText('openai-chat.json'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ status: 'ok', input_tokens: 1000, output_tokens: 50 })
  })

  test('hop-by-hop headers, and those Connection names, stay on their hop', async () => {
    const res = await chat({
      'x-bloop-key': bloop.key,
      connection: 'x-drop-me',
      'x-drop-me': '1',
      'x-keep-me': '2',
    })
    expect(res.status).toBe(200)
    const r = fake.received[fake.received.length - 1]
    expect(r?.headers['x-keep-me']).toBe('2')
    expect(r?.headers['x-drop-me']).toBeUndefined()
    expect(res.headers.get('x-bloop-trace-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('openai-processing-ms')).toBe('412')
  })

  test('bloop headers name the trace, and X-Bloop-Trace-Id attaches calls to one trace', async () => {
    const traceId = `agent-run-${Date.now()}`
    const headers = {
      'x-bloop-key': bloop.key,
      'x-bloop-trace-id': traceId,
      'x-bloop-parent-span-id': 'root-span',
      'x-bloop-metadata': '{"team":"search"}',
    }
    const a = await chat(headers)
    const b = await chat(headers)
    expect(a.headers.get('x-bloop-trace-id')).toBe(traceId)
    expect(b.headers.get('x-bloop-trace-id')).toBe(traceId)
    const spans = await spansOf(bloop, traceId, 2)
    expect(spans.map((s) => s.parent_span_id)).toEqual(['root-span', 'root-span'])
    expect(meta(spans[0] as never)).toMatchObject({ team: 'search' })

    const named = await chat({
      'x-bloop-key': bloop.key,
      'x-bloop-session-id': 'sess-9',
      'x-bloop-user-id': 'user-7',
      'x-bloop-trace-name': 'support-answer',
      'x-bloop-prompt-name': 'support',
      'x-bloop-prompt-version': 'v3',
    })
    const span = await spanOf(bloop, named.headers.get('x-bloop-trace-id'))
    expect(traceRow(bloop, span.trace_id)).toMatchObject({
      session_id: 'sess-9',
      user_id: 'user-7',
      name: 'support-answer',
      prompt_name: 'support',
      prompt_version: 'v3',
    })
  })

  test('a bad bloop header is 400 before the upstream is called', async () => {
    const before = fake.received.length
    const bad = await chat({ 'x-bloop-key': bloop.key, 'x-bloop-metadata': '[1,2]' })
    expect(bad.status).toBe(400)
    expect((await errorOf(bad)).error).toBe('X-Bloop-Metadata must be a JSON object')
    const long = await chat({ 'x-bloop-key': bloop.key, 'x-bloop-trace-id': 'x'.repeat(129) })
    expect(long.status).toBe(400)
    expect(fake.received.length).toBe(before)
  })
})

describe('caps and failures', () => {
  const bodyOf = (bytes: number) => {
    const base = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: '' }] })
    return JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'a'.repeat(bytes - base.length) }],
    })
  }

  test('a body of exactly max_body_bytes is forwarded; one byte more is 413', async () => {
    expect(bodyOf(1024).length).toBe(1024)
    const at = await chat({ 'x-bloop-key': bloop.key }, bodyOf(1024))
    expect(at.status).toBe(200)
    const over = await chat({ 'x-bloop-key': bloop.key }, bodyOf(1025))
    expect(over.status).toBe(413)
    expect((await errorOf(over)).code).toBe('payload_too_large')
  })

  test('an untraced body over the cap sent without Content-Length is refused too', async () => {
    const before = fake.received.length
    const big = new Uint8Array(4096).fill(97)
    const res = await fetch(`${bloop.url}/v1/proxy/openai/files`, {
      method: 'POST',
      headers: { 'x-bloop-key': bloop.key },
      body: new ReadableStream({
        start(c) {
          c.enqueue(big)
          c.close()
        },
      }),
    })
    expect(res.status).toBe(413)
    expect(fake.received.slice(before).every((r) => r.body.length <= 1024)).toBe(true)
  })

  test('an unreachable upstream is 502 JSON, recorded as an error', async () => {
    const res = await chat({ 'x-bloop-key': bloop.key }, CHAT, 'deadhost')
    expect(res.status).toBe(502)
    const body = await errorOf(res)
    expect(body.code).toBe('bad_gateway')
    expect(body.error).toStartWith('the upstream deadhost could not be reached')
  })
})

describe('a slow model', () => {
  test("an answer that takes longer than the server's own idle timeout (10 s) still arrives", async () => {
    const res = await chat({ 'x-bloop-key': bloop.key, 'x-fake-scenario': 'think' })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { model: string }).model).toBe('gpt-4o-2024-08-06')
  }, 30_000)

  test('a stream that pauses longer than the server idle timeout after its first event still completes', async () => {
    const body = JSON.stringify({
      model: 'gpt-4o',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    })
    const res = await chat({ 'x-bloop-key': bloop.key, 'x-fake-scenario': 'pause' }, body)
    expect(await res.text()).toBe(fixtureText('openai-chat-stream-usage.sse'))
    const span = await spanOf(bloop, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ status: 'ok', output_tokens: 50 })
  }, 30_000)
})

describe('a client that gives up before the answer', () => {
  test('aborts the upstream request and is recorded as an error', async () => {
    const controller = new AbortController()
    const traceId = `gave-up-${Date.now()}`
    const cancelledBefore = fake.cancelled
    const pending = fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-bloop-key': bloop.key,
        'x-fake-scenario': 'hang',
        'x-bloop-trace-id': traceId,
      },
      body: CHAT,
      signal: controller.signal,
    }).then(
      () => 'answered',
      () => 'aborted',
    )
    await Bun.sleep(300)
    controller.abort()
    expect(await pending).toBe('aborted')
    const span = await spanOf(bloop, traceId)
    expect(span).toMatchObject({
      status: 'error',
      error_message: 'the client closed the connection before the answer began',
    })
    for (let i = 0; i < 100 && fake.cancelled === cancelledBefore; i++) await Bun.sleep(20)
    expect(fake.cancelled).toBe(cancelledBefore + 1)
  })
})

describe('metrics', () => {
  test('/metrics counts proxied calls by provider and status, and recorded traces', async () => {
    await chat({ 'x-bloop-key': bloop.key })
    await Bun.sleep(100)
    const text = await (await fetch(`${bloop.url}/metrics`)).text()
    expect(text).toMatch(/bloop_proxy_requests_total\{provider="openai",status="200"\} [1-9]/)
    expect(text).toMatch(/bloop_proxy_requests_total\{provider="deadhost",status="502"\} 1/)
    expect(text).toMatch(/bloop_proxy_traces_total\{provider="openai",status="ok"\} [1-9]/)
    expect(text).toContain('bloop_proxy_overhead_seconds_bucket')
    expect(text).not.toContain(PROVIDER_KEY)
  })
})

describe('timeouts', () => {
  let slow: Bloop
  beforeAll(async () => {
    slow = await serveBloop(fake.url, { llm_tracing: { proxy: { timeout_secs: 1, stream_usage: false } } })
  })
  afterAll(() => slow.stop())

  test('with stream_usage = false the body goes upstream as sent and a stream without usage has none', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [], stream: true })
    const res = await fetch(`${slow.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': slow.key, 'content-type': 'application/json' },
      body,
    })
    expect(await res.text()).toBe(fixtureText('openai-chat-stream.sse'))
    expect(fake.received.at(-1)?.body).toBe(body)
    const span = await spanOf(slow, res.headers.get('x-bloop-trace-id'))
    expect(span).toMatchObject({ status: 'ok', input_tokens: null, output_tokens: null, cost_micros: null })
    expect(span.output).toBe('Bonjour, café ☕ — prêt ?')
  })

  test('an upstream that does not begin answering in timeout_secs is 504', async () => {
    const res = await fetch(`${slow.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': slow.key, 'x-fake-scenario': 'hang', 'content-type': 'application/json' },
      body: CHAT,
    })
    expect(res.status).toBe(504)
    expect((await errorOf(res)).error).toBe(
      'the upstream openai did not answer within 1 s (llm_tracing.proxy.timeout_secs)',
    )
  })

  test('a stream that goes silent for timeout_secs ends with an error for the client and an error span', async () => {
    const before = slow.served.runtime.core.db
      .query<{ n: number }, []>('SELECT max(seq) AS n FROM llm_spans')
      .get()
    // Nothing complete arrived before the silence, so the client may not even have the
    // headers yet: either way its read fails rather than ending cleanly.
    const read = await fetch(`${slow.url}/v1/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': slow.key, 'x-fake-scenario': 'silent', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [], stream: true }),
    })
      .then((res) => res.text())
      .then(
        () => 'ended cleanly',
        () => 'failed',
      )
    expect(read).toBe('failed')
    const newSpan = () =>
      slow.served.runtime.core.db
        .query<{ trace_id: string }, [number]>(
          "SELECT trace_id FROM llm_spans WHERE seq > ? AND metadata LIKE '%idle_timeout%' ORDER BY seq LIMIT 1",
        )
        .get(before?.n ?? 0)
    for (let i = 0; i < 100 && !newSpan(); i++) await Bun.sleep(20)
    const row = newSpan()
    const span = await spanOf(slow, row?.trace_id ?? null)
    expect(span).toMatchObject({ status: 'error', error_message: 'the upstream sent nothing for 1 s' })
    expect(slow.log.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'proxied response cut short by the upstream',
        provider: 'openai',
        reason: 'idle_timeout',
        trace_id: span.trace_id,
      }),
    )
  })
})

describe('a short answer whose body does not come', () => {
  // A raw HTTP peer: a Content-Length of 64 bytes, then 10 of them, then silence
  // (`stall`) or a closed connection (`cut`). bloop reads such an answer whole before
  // passing it on (handler.ts), so it still answers the client itself, in JSON.
  let peer: Bun.TCPSocketListener<undefined>
  let cutShort: Bloop
  beforeAll(async () => {
    peer = Bun.listen({
      hostname: '127.0.0.1',
      port: 0,
      socket: {
        data(socket, data) {
          const head = data.toString()
          socket.write(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n{"id":"chatc',
          )
          if (head.includes('/cut/')) socket.end()
        },
      },
    })
    cutShort = await serveBloop(fake.url, {
      llm_tracing: {
        proxy: {
          timeout_secs: 1,
          upstreams: {
            stall: `http://127.0.0.1:${peer.port}/stall/v1`,
            cut: `http://127.0.0.1:${peer.port}/cut/v1`,
          },
        },
      },
    })
  })
  afterAll(async () => {
    await cutShort.stop()
    peer.stop(true)
  })

  const newestSpan = async (before: number) => {
    const db = cutShort.served.runtime.core.db
    const row = () =>
      db
        .query<{ trace_id: string }, [number]>(
          'SELECT trace_id FROM llm_spans WHERE seq > ? ORDER BY seq DESC LIMIT 1',
        )
        .get(before)
    for (let i = 0; i < 100 && !row(); i++) await Bun.sleep(20)
    return spanOf(cutShort, row()?.trace_id ?? null)
  }
  const lastSeq = () =>
    cutShort.served.runtime.core.db
      .query<{ n: number | null }, []>('SELECT max(seq) AS n FROM llm_spans')
      .get()?.n ?? 0

  test('a body that stops for timeout_secs is 504 JSON, recorded as an error', async () => {
    const before = lastSeq()
    const res = await fetch(`${cutShort.url}/v1/proxy/stall/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': cutShort.key, 'content-type': 'application/json' },
      body: CHAT,
    })
    expect(res.status).toBe(504)
    const message =
      "the upstream stall did not send its answer's body within 1 s (llm_tracing.proxy.timeout_secs)"
    expect(await errorOf(res)).toEqual({ error: message, code: 'gateway_timeout' })
    const span = await newestSpan(before)
    expect(span).toMatchObject({ status: 'error', error_message: message, provider: 'stall' })
    expect(meta(span).proxy.http_status).toBe(504)
  })

  test('a body cut off by the upstream is 502 JSON, recorded as an error', async () => {
    const before = lastSeq()
    const res = await fetch(`${cutShort.url}/v1/proxy/cut/chat/completions`, {
      method: 'POST',
      headers: { 'x-bloop-key': cutShort.key, 'content-type': 'application/json' },
      body: CHAT,
    })
    expect(res.status).toBe(502)
    const body = await errorOf(res)
    expect(body.code).toBe('bad_gateway')
    expect(body.error).toStartWith('the upstream cut broke off its answer: ')
    const span = await newestSpan(before)
    expect(span).toMatchObject({ status: 'error', error_message: body.error, provider: 'cut' })
  })
})
