/**
 * OTLP import end to end: the real OpenTelemetry JS exporters (protobuf and JSON) send to
 * a listening bloop server, and the test reads what was committed in its database (SQLite, or
 * PostgreSQL in the PostgreSQL pass).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import protobuf from 'protobufjs'
import { testConfig } from '../../src/config/load'
import { sign } from '../../src/errors/ingest/hmac'
import { createLogger } from '../../src/ops/log'
import { findProject } from '../../src/projects'
import { type Served, serve } from '../../src/server'
import { createToken } from '../../src/tokens/store'
import { startRuntime, TEST_BACKEND, TEST_SECRET, tempDir, testPostgresUrl } from '../helpers'
import { exportSpans, type SpanSpec } from '../llm.otlp.helpers'
import { describeSecurity } from '../security'

const CAP = 64 * 1024
let served: Served
let dir: string
let base: string
let token: string
let readToken: string
let projectKey: string

beforeAll(async () => {
  dir = tempDir()
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      // In the PostgreSQL pass (TEST_BACKEND) the server serves from a new PostgreSQL database.
      database: {
        path: join(dir, 'bloop.db'),
        ...(TEST_BACKEND === 'postgres' ? { url: await testPostgresUrl() } : {}),
      },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
      llm_otlp: { max_body_bytes: CAP },
      rate_limit: { per_second: 100000, burst_size: 100000 },
    }),
    { log: createLogger('error') },
  )
  base = `http://127.0.0.1:${served.port}`
  token = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'otel',
      scopes: ['llm:write'],
    })
  ).token
  readToken = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'read',
      scopes: ['llm:read'],
    })
  ).token
  projectKey = ((await findProject(served.runtime.core.backend, 'default')) as { api_key: string }).api_key
})

afterAll(async () => {
  await served?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const TRACE_ROW = 'SELECT * FROM llm_traces WHERE id = ?'
const SPAN_ROWS = 'SELECT * FROM llm_spans WHERE trace_id = ? ORDER BY started_at, seq'
const traceRow = (id: string) => served.runtime.core.backend.get<Record<string, unknown>>(TRACE_ROW, [id])
const spanRows = (id: string) => served.runtime.core.backend.all<Record<string, unknown>>(SPAN_ROWS, [id])

const T0 = 1_760_000_000_000
const auth = () => ({ authorization: `Bearer ${token}` })

/** gpt-4o at genai-prices 0.1.8: $2.50 input, $1.25 cached input, $10 output per million. */
const chat = (over: Partial<SpanSpec> = {}): SpanSpec => ({
  name: 'chat gpt-4o',
  start: T0,
  end: T0 + 1250,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.output_tokens': 300,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.conversation.id': 'conv-1',
    'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"secret prompt"}]}]',
    'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"secret answer"}]}]',
  },
  ...over,
})

const agentTree = (): SpanSpec => ({
  name: 'invoke_agent support',
  start: T0,
  end: T0 + 4000,
  attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' },
  children: [
    chat({ start: T0 + 100, end: T0 + 1350 }),
    {
      name: 'execute_tool lookup',
      start: T0 + 1400,
      end: T0 + 1600,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' },
      children: [
        { name: 'SELECT orders', start: T0 + 1450, end: T0 + 1550, attributes: { 'db.system': 'sqlite' } },
      ],
    },
    {
      name: 'chat claude',
      start: T0 + 1700,
      end: T0 + 3900,
      error: 'overloaded_error',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 500,
        'gen_ai.usage.output_tokens': 0,
      },
    },
  ],
})

describe.each(['proto', 'json'] as const)('the %s exporter', (wire) => {
  test('an agent trace is committed whole: tree, types, exact tokens and table cost', async () => {
    const r = await exportSpans(wire, `${base}/otlp/v1/traces`, [agentTree()], { headers: auth() })
    expect(r.code).toBe(0)
    const id = r.traceIds[0] as string
    expect(await traceRow(id)).toMatchObject({
      project_id: 'default',
      source: 'otlp',
      name: 'invoke_agent support',
      status: 'completed',
      session_id: 'conv-1',
      started_at: T0,
      ended_at: T0 + 4000,
      duration_ms: 4000,
      span_count: 5,
      error_count: 1,
      input_tokens: 1700,
      output_tokens: 300,
      cache_read_tokens: 1000,
      // The content policy defaults to none: prompts and completions are not stored.
      input: null,
      output: null,
    })
    const spans = await spanRows(id)
    const by = Object.fromEntries(spans.map((s) => [s.name, s]))
    const root = by['invoke_agent support'] as Record<string, unknown>
    expect(root).toMatchObject({ span_type: 'custom', parent_span_id: null, input_tokens: null })
    expect(by['chat gpt-4o']).toMatchObject({
      span_type: 'generation',
      parent_span_id: root.id,
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 1200,
      output_tokens: 300,
      cache_read_tokens: 1000,
      latency_ms: 1250,
      // (200 x 2.50 + 1000 x 1.25 + 300 x 10) / 1e6 dollars
      cost_micros: 4750,
      cost_source: 'table',
      input: null,
      output: null,
    })
    expect(by['execute_tool lookup']).toMatchObject({ span_type: 'tool', parent_span_id: root.id })
    expect(by['SELECT orders']).toMatchObject({
      span_type: 'custom',
      parent_span_id: (by['execute_tool lookup'] as Record<string, unknown>).id,
    })
    expect(by['chat claude']).toMatchObject({
      span_type: 'generation',
      status: 'error',
      error_message: 'overloaded_error',
      provider: 'anthropic',
    })
    // Content never hides in metadata under a "none" policy.
    for (const s of spans) expect(String(s.metadata ?? '')).not.toContain('secret')
  })
})

describe('the content policy', () => {
  test('with the project on "full", messages are stored as the span and trace input and output', async () => {
    const put = await fetch(`${base}/v1/llm/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ content_policy: 'full' }),
    })
    expect(put.status).toBe(200)
    try {
      const r = await exportSpans('json', `${base}/otlp/v1/traces`, [chat({ name: 'full chat' })], {
        headers: auth(),
      })
      expect(r.code).toBe(0)
      const id = r.traceIds[0] as string
      const row = (await traceRow(id)) as Record<string, unknown>
      expect(JSON.parse(row.input as string)[0].parts[0].content).toBe('secret prompt')
      expect(JSON.parse((await spanRows(id))[0]?.output as string)[0].parts[0].content).toBe('secret answer')
    } finally {
      await fetch(`${base}/v1/llm/settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...auth() },
        body: JSON.stringify({ content_policy: null }),
      })
    }
  })
})

describe('GenAI message events sent as OTLP logs', () => {
  test('the deprecated per-message events become the span content, whether logs or span arrive first', async () => {
    const put = (policy: string | null) =>
      fetch(`${base}/v1/llm/settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...auth() },
        body: JSON.stringify({ content_policy: policy }),
      })
    expect((await put('full')).status).toBe(200)
    try {
      const traceId = '7'.repeat(32)
      const spanId = '6'.repeat(16)
      const record = (name: string, body: unknown, at: number, ids = true) => ({
        timeUnixNano: String(BigInt(T0 + at) * 1_000_000n),
        ...(ids ? { traceId, spanId } : {}),
        attributes: [{ key: 'event.name', value: { stringValue: name } }],
        body,
      })
      const logs = {
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  record(
                    'gen_ai.user.message',
                    { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Hi there' } }] } },
                    2,
                  ),
                  record(
                    'gen_ai.system.message',
                    { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Be brief.' } }] } },
                    1,
                  ),
                  record(
                    'gen_ai.choice',
                    {
                      kvlistValue: {
                        values: [
                          { key: 'index', value: { intValue: '0' } },
                          { key: 'finish_reason', value: { stringValue: 'stop' } },
                          {
                            key: 'message',
                            value: {
                              kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Hello!' } }] },
                            },
                          },
                        ],
                      },
                    },
                    9,
                  ),
                  { timeUnixNano: '1', body: { stringValue: 'GET /health 200' } },
                  record('gen_ai.user.message', { stringValue: 'outside any span' }, 3, false),
                ],
              },
            ],
          },
        ],
      }
      // Logs first: the span does not exist yet.
      const res = await fetch(`${base}/otlp/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth() },
        body: JSON.stringify(logs),
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({
        partialSuccess: {
          rejectedLogRecords: '0',
          errorMessage: '2 log records were not GenAI message events of a span and were not stored',
        },
      })
      // Then the span, without content of its own.
      const span = {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    ...rawSpan(traceId, spanId, 'chat gpt-4o', {
                      'gen_ai.usage.input_tokens': 12,
                      'gen_ai.usage.output_tokens': 3,
                    }),
                    attributes: [
                      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
                      { key: 'gen_ai.usage.output_tokens', value: { intValue: '3' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }
      expect((await post(JSON.stringify(span))).status).toBe(200)
      const [row] = await spanRows(traceId)
      expect(row).toMatchObject({
        span_type: 'generation',
        name: 'chat gpt-4o',
        model: 'gpt-4o',
        input_tokens: 12,
      })
      expect(JSON.parse(row?.input as string)).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi there' },
      ])
      expect(JSON.parse(row?.output as string)).toEqual([
        { index: 0, finish_reason: 'stop', message: { content: 'Hello!' } },
      ])
      expect((await traceRow(traceId))?.span_count).toBe(1)
    } finally {
      await put(null)
    }
  })

  test('the logs endpoint has the same checks: credentials 401, content type 415, broken protobuf 400', async () => {
    const noAuth = await fetch(`${base}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(noAuth.status).toBe(401)
    expect(
      (
        await fetch(`${base}/otlp/v1/logs`, {
          method: 'POST',
          headers: { ...auth(), 'content-type': 'text/plain' },
          body: 'x',
        })
      ).status,
    ).toBe(415)
    const pb = await fetch(`${base}/otlp/v1/logs`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
    })
    expect(pb.status).toBe(400)
    expect(Status.decode(new Uint8Array(await pb.arrayBuffer())).toJSON().code).toBe(3)
  })
})

describe('X-Bloop-Content-Policy', () => {
  test('a request may tighten the project policy (full -> none), and an unknown value is 400', async () => {
    const put = (policy: string | null) =>
      fetch(`${base}/v1/llm/settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...auth() },
        body: JSON.stringify({ content_policy: policy }),
      })
    expect((await put('full')).status).toBe(200)
    try {
      const r = await exportSpans('proto', `${base}/otlp/v1/traces`, [chat({ name: 'tight chat' })], {
        headers: { ...auth(), 'x-bloop-content-policy': 'none' },
      })
      expect(r.code).toBe(0)
      expect((await spanRows(r.traceIds[0] as string))[0]).toMatchObject({
        input: null,
        output: null,
        input_tokens: 1200,
      })
      const bad = await post(otlpJson('9'.repeat(32), '8'.repeat(16), 'x'), {
        'x-bloop-content-policy': 'everything',
      })
      expect(bad.status).toBe(400)
    } finally {
      await put(null)
    }
  })
})

describe('endpoints and credentials exporters use', () => {
  test('the exporters default path /v1/traces takes OTLP protobuf, with X-Bloop-Key', async () => {
    const r = await exportSpans('proto', `${base}/v1/traces`, [chat()], {
      headers: { 'x-bloop-key': projectKey },
    })
    expect(r.code).toBe(0)
    expect(await traceRow(r.traceIds[0] as string)).toMatchObject({ source: 'otlp', input_tokens: 1200 })
  })

  test('/v1/traces takes OTLP JSON (resourceSpans) and still takes the SDK contract', async () => {
    const r = await exportSpans('json', `${base}/v1/traces`, [chat()], { headers: auth() })
    expect(r.code).toBe(0)
    expect((await traceRow(r.traceIds[0] as string))?.source).toBe('otlp')
    const body = JSON.stringify({
      id: 'sdk-trace-after-otlp',
      spans: [{ id: 's', input_tokens: 1, output_tokens: 2 }],
    })
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
      body,
    })
    expect(res.status).toBe(200)
    expect((await traceRow('sdk-trace-after-otlp'))?.source).toBe('sdk')
  })

  test('the earlier path /v1/llm/export/otlp and gzip bodies work, signed with HMAC', async () => {
    // Exporters do not sign bodies; bloop's own clients may, and the signature covers the bytes as sent.
    const json = otlpJson('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'signed span')
    const gz = gzipSync(json)
    const res = await fetch(`${base}/v1/llm/export/otlp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-project-key': projectKey,
        'x-signature': sign(projectKey, gz),
      },
      body: gz,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
    expect((await spanRows('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))[0]?.name).toBe('signed span')
    const bad = await fetch(`${base}/otlp/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': sign('wrong', json) },
      body: json,
    })
    expect(bad.status).toBe(401)
  })

  test('without credentials the exporter is refused 401; the protobuf answer is a google.rpc.Status', async () => {
    const r = await exportSpans('proto', `${base}/otlp/v1/traces`, [chat()])
    expect(r.code).not.toBe(0)
    const res = await fetch(`${base}/otlp/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/x-protobuf')
    const status = Status.decode(new Uint8Array(await res.arrayBuffer())).toJSON()
    expect(status.code).toBe(16)
    expect(status.message).toContain('Authorization: Bearer')
  })

  test('the exporters with compression gzip', async () => {
    for (const wire of ['proto', 'json'] as const) {
      const r = await exportSpans(wire, `${base}/otlp/v1/traces`, [chat({ name: `gz ${wire}` })], {
        headers: auth(),
        compression: 'gzip',
      })
      expect(r.code).toBe(0)
      expect(await traceRow(r.traceIds[0] as string)).toMatchObject({
        name: `gz ${wire}`,
        input_tokens: 1200,
      })
    }
  })

  test('an unknown X-Bloop-Key is refused 401 before the body is read', async () => {
    const res = await fetch(`${base}/otlp/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bloop-key': 'not-a-project-key' },
      body: otlpJson('a'.repeat(32), 'c'.repeat(16), 'x'),
    })
    expect(res.status).toBe(401)
    expect((await res.json()).code).toBe('invalid_project_key')
  })

  test('a token without llm:write is refused 403', async () => {
    const r = await exportSpans('json', `${base}/otlp/v1/traces`, [chat()], {
      headers: { authorization: `Bearer ${readToken}` },
    })
    expect(r.code).not.toBe(0)
    const res = await post(otlpJson('c'.repeat(32), 'd'.repeat(16), 'x'), {
      authorization: `Bearer ${readToken}`,
    })
    expect(res.status).toBe(403)
    expect((await res.json()).code).toBe('insufficient_scope')
  })
})

describe('the OTLP answers', () => {
  test('spans with unusable ids are refused in partialSuccess, the rest committed', async () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                rawSpan('e'.repeat(32), 'f'.repeat(16), 'kept'),
                rawSpan('e'.repeat(32), 'xyz', 'bad id'),
              ],
            },
          ],
        },
      ],
    })
    const res = await post(body)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'spanId must be 8 bytes (16 hex characters), not all zero',
      },
    })
    expect((await spanRows('e'.repeat(32))).map((s) => s.name)).toEqual(['kept'])
  })

  test('a trace sent in pieces, children before their root, is one trace with the root fields', async () => {
    const r = await exportSpans('proto', `${base}/otlp/v1/traces`, [agentTree()], {
      headers: auth(),
      batchSize: 2,
    })
    expect(r.code).toBe(0)
    const id = r.traceIds[0] as string
    expect(await traceRow(id)).toMatchObject({
      name: 'invoke_agent support',
      span_count: 5,
      input_tokens: 1700,
    })
    expect((await spanRows(id)).filter((s) => s.parent_span_id === null).length).toBe(1)
  })

  test('re-sending the same export stores nothing twice', async () => {
    const json = otlpJson('1'.repeat(32), '2'.repeat(16), 'once', { 'gen_ai.usage.input_tokens': 7 })
    expect((await post(json)).status).toBe(200)
    expect((await post(json)).status).toBe(200)
    expect((await spanRows('1'.repeat(32))).length).toBe(1)
    expect((await traceRow('1'.repeat(32)))?.span_count).toBe(1)
  })

  test('body cap: exactly llm_otlp.max_body_bytes is accepted, one byte more is 413', async () => {
    const base = otlpJson('3'.repeat(32), '4'.repeat(16), 'cap')
    const exact = base.replace(/}$/, `${' '.repeat(CAP - Buffer.byteLength(base))}}`)
    expect(Buffer.byteLength(exact)).toBe(CAP)
    expect((await post(exact)).status).toBe(200)
    const over = `${exact} `
    const res = await post(over)
    expect(res.status).toBe(413)
    expect((await res.json()).code).toBe('payload_too_large')
  })

  test('gzip cap: a body inflating to the cap is accepted, to one byte more is 413', async () => {
    const body = otlpJson('5'.repeat(32), '6'.repeat(16), 'gz')
    const exact = body.replace(/}$/, `${' '.repeat(CAP - Buffer.byteLength(body))}}`)
    const ok = await post(gzipSync(exact), { 'content-encoding': 'gzip' })
    expect(ok.status).toBe(200)
    const over = await post(gzipSync(`${exact} `), { 'content-encoding': 'gzip' })
    expect(over.status).toBe(413)
    const corrupt = await post(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), { 'content-encoding': 'gzip' })
    expect(corrupt.status).toBe(400)
  })

  test('wrong content type is 415, broken protobuf 400 as a Status, broken JSON 400', async () => {
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415)
    expect((await post('x', { 'content-encoding': 'br' })).status).toBe(415)
    const pb = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff]), {
      'content-type': 'application/x-protobuf',
    })
    expect(pb.status).toBe(400)
    expect(Status.decode(new Uint8Array(await pb.arrayBuffer())).toJSON().code).toBe(3)
    const js = await post('{"resourceSpans": [')
    expect(js.status).toBe(400)
    expect((await js.json()).code).toBe('bad_request')
  })

  test('a protobuf success is an empty ExportTraceServiceResponse', async () => {
    const r = await exportSpans('proto', `${base}/otlp/v1/traces`, [chat()], { headers: auth() })
    expect(r.code).toBe(0)
  })

  test('counters for requests and spans are on /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toMatch(/bloop_llm_otlp_requests_total\{encoding="protobuf",status="200"\} \d+/)
    expect(text).toMatch(/bloop_llm_otlp_spans_total\{result="rejected"\} 1/)
  })
})

const Status = protobuf
  .parse('syntax = "proto3"; message Status { int32 code = 1; string message = 2; }')
  .root.lookupType('Status')

function rawSpan(traceId: string, spanId: string, name: string, attrs: Record<string, number> = {}) {
  return {
    traceId,
    spanId,
    name,
    startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
    endTimeUnixNano: String(BigInt(T0 + 5) * 1_000_000n),
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { intValue: String(v) } })),
  }
}

function otlpJson(traceId: string, spanId: string, name: string, attrs: Record<string, number> = {}): string {
  return JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ spans: [rawSpan(traceId, spanId, name, attrs)] }] }],
  })
}

function post(body: string | Uint8Array, headers: Record<string, string> = {}) {
  return fetch(`${base}/otlp/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(), ...headers },
    body: body as BodyInit,
  })
}

describe('with llm_tracing.enabled = false', () => {
  test('the OTLP routes do not exist (404), and /v1/traces takes no OTLP', async () => {
    const rt = await startRuntime({ llm_tracing: { enabled: false } })
    try {
      for (const path of ['/otlp/v1/traces', '/v1/llm/export/otlp', '/v1/traces']) {
        const res = await rt.fetch(path, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-protobuf',
            authorization: `Bearer ${rt.token(['llm:write'])}`,
          },
          body: new Uint8Array(),
        })
        expect({ path, status: res.status }).toEqual({ path, status: 404 })
      }
    } finally {
      await rt.dispose()
    }
  })
})

const securityBody = () =>
  JSON.parse(otlpJson(crypto.randomUUID().replaceAll('-', ''), 'ab'.repeat(8), 'sec'))

describeSecurity('OTLP import', [
  ...['/otlp/v1/traces', '/v1/llm/export/otlp'].map((route) => ({
    method: 'POST' as const,
    route,
    access: { scope: 'llm:write' as const },
    request: (f: { own: { slug: string } }) => ({
      path: `${route}?project_id=${f.own.slug}`,
      body: securityBody(),
    }),
    foreign: (f: { other: { slug: string } }) => ({
      path: `${route}?project_id=${f.other.slug}`,
      body: securityBody(),
    }),
    ok: 200,
  })),
  ...['/otlp/v1/logs', '/v1/logs'].map((route) => ({
    method: 'POST' as const,
    route,
    access: { scope: 'llm:write' as const },
    request: (f: { own: { slug: string } }) => ({
      path: `${route}?project_id=${f.own.slug}`,
      body: { resourceLogs: [] },
    }),
    foreign: (f: { other: { slug: string } }) => ({
      path: `${route}?project_id=${f.other.slug}`,
      body: { resourceLogs: [] },
    }),
    ok: 200,
  })),
])
