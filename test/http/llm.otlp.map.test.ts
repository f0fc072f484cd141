/**
 * OTLP decoding and convention mapping, on the bytes the real OpenTelemetry JS exporters
 * send (captured by a loopback receiver), in both encodings. The attribute sets are the
 * ones each instrumentation writes (GenAI conventions, OpenInference, OpenLLMetry, the
 * Vercel AI SDK); the end-to-end tests against the server are in llm.otlp.test.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { SpanKind } from '@opentelemetry/api'
import { testConfig } from '../../src/config/load'
import { mulberry32 } from '../../src/llm/experiments/stats'
import { parseTrace } from '../../src/llm/ingest/contract'
import { decodeJson, decodeProtobuf, encodeResponse, type OtlpSpan } from '../../src/llm/otlp/decode'
import { decodeLogsJson, mapLogs } from '../../src/llm/otlp/logs'
import { traceInputs } from '../../src/llm/otlp/routes'
import { captureServer, exportSpans, type SpanSpec, type Wire } from '../llm.otlp.helpers'

const capture = captureServer()
afterAll(() => capture.stop())

const T0 = 1_760_000_000_000

async function roundTrip(wire: Wire, roots: SpanSpec[], compression: 'gzip' | 'none' = 'none') {
  capture.received.length = 0
  const r = await exportSpans(wire, capture.url, roots, { compression })
  expect(r.code).toBe(0)
  const spans: OtlpSpan[] = []
  for (const req of capture.received) {
    const body = req.headers.get('content-encoding') === 'gzip' ? gunzipSync(req.body) : req.body
    const d =
      wire === 'proto'
        ? decodeProtobuf(body)
        : decodeJson(JSON.parse(new TextDecoder().decode(body)) as unknown)
    expect(d.rejected).toBe(0)
    spans.push(...d.spans)
  }
  return { spans, traceIds: r.traceIds, requests: capture.received.slice() }
}

const limits = () => testConfig().llm_tracing

function mapped(spans: OtlpSpan[]) {
  const out = traceInputs(spans, limits())
  expect(out.rejected).toBe(0)
  return out.traces
}

const genAiChat: SpanSpec = {
  name: 'chat gpt-4o',
  kind: SpanKind.CLIENT,
  start: T0,
  end: T0 + 1250,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.response.id': 'chatcmpl-123',
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.output_tokens': 300,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.usage.reasoning.output_tokens': 100,
    'gen_ai.response.time_to_first_chunk': 0.25,
    'gen_ai.conversation.id': 'conv-42',
    'gen_ai.request.temperature': 0.2,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
    'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'be brief' }]),
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finish_reason: 'stop' },
    ]),
    'server.address': 'api.openai.com',
  },
}

describe.each(['proto', 'json'] as const)('%s exporter', (wire) => {
  test('a GenAI chat span maps to a generation with exact usage, model, provider and timing', async () => {
    const { spans, traceIds } = await roundTrip(wire, [genAiChat])
    const [t] = mapped(spans)
    expect(t?.id).toBe(traceIds[0] as string)
    expect(t?.name).toBe('chat gpt-4o')
    expect(t?.status).toBe('completed')
    expect(t?.session_id).toBe('conv-42')
    expect(t?.started_at).toBe(T0)
    expect(t?.ended_at).toBe(T0 + 1250)
    expect(JSON.parse(t?.metadata as string)).toEqual({
      resource: expect.objectContaining({ 'service.name': 'otlp-test' }),
    })
    const s = t?.spans[0]
    expect(s).toMatchObject({
      span_type: 'generation',
      name: 'chat gpt-4o',
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      input_tokens: 1200,
      output_tokens: 300,
      cache_read_tokens: 1000,
      reasoning_tokens: 100,
      latency_ms: 1250,
      time_to_first_token_ms: 250,
      status: 'ok',
      started_at: T0,
      ended_at: T0 + 1250,
    })
    expect(s?.parent_span_id).toBeUndefined()
    expect(JSON.parse(s?.input as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'be brief' }] },
      { role: 'user', parts: [{ type: 'text', content: 'hi' }] },
    ])
    expect(JSON.parse(s?.output as string)[0].parts[0].content).toBe('hello')
    // Unmapped attributes stay; content and mapped keys do not repeat in metadata.
    const meta = JSON.parse(s?.metadata as string)
    expect(meta).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.response.id': 'chatcmpl-123',
      'gen_ai.request.temperature': 0.2,
      'server.address': 'api.openai.com',
      'otel.span_kind': 'client',
      'otel.scope': 'bloop-test',
    })
  })

  test('the hierarchy is kept: an agent with a tool and a model call, non-LLM spans as custom', async () => {
    const root: SpanSpec = {
      name: 'invoke_agent planner',
      start: T0,
      end: T0 + 3000,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'planner',
        'gen_ai.provider.name': 'openai',
        // An agent span repeats its children's usage; it must not count twice.
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
      },
      children: [
        {
          name: 'chat gpt-4o-mini',
          start: T0 + 10,
          end: T0 + 900,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 10,
            'gen_ai.usage.output_tokens': 5,
          },
        },
        {
          name: 'execute_tool get_weather',
          start: T0 + 1000,
          end: T0 + 1500,
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'get_weather',
            'gen_ai.tool.call.arguments': '{"city":"Paris"}',
            'gen_ai.tool.call.result': '{"temp":21}',
          },
          children: [
            {
              name: 'GET /weather',
              start: T0 + 1100,
              end: T0 + 1400,
              kind: SpanKind.CLIENT,
              attributes: { 'http.request.method': 'GET' },
            },
          ],
        },
      ],
    }
    const { spans } = await roundTrip(wire, [root])
    const [t] = mapped(spans)
    expect(t?.spans.length).toBe(4)
    const byName = new Map(t?.spans.map((s) => [s.name, s]))
    const agent = byName.get('invoke_agent planner')
    const chat = byName.get('chat gpt-4o-mini')
    const tool = byName.get('execute_tool get_weather')
    const http = byName.get('GET /weather')
    expect(agent?.span_type).toBe('custom')
    expect(agent?.input_tokens).toBeUndefined()
    expect(JSON.parse(agent?.metadata as string)['gen_ai.usage.input_tokens']).toBe(10)
    expect(chat).toMatchObject({
      span_type: 'generation',
      parent_span_id: agent?.id,
      model: 'gpt-4o-mini',
      provider: 'openai',
      input_tokens: 10,
      output_tokens: 5,
    })
    expect(tool).toMatchObject({
      span_type: 'tool',
      parent_span_id: agent?.id,
      input: '{"city":"Paris"}',
      output: '{"temp":21}',
    })
    expect(http).toMatchObject({ span_type: 'custom', parent_span_id: tool?.id, latency_ms: 300 })
    expect(agent?.parent_span_id).toBeUndefined()
  })

  test('span status and exception events map to errors', async () => {
    const { spans } = await roundTrip(wire, [
      {
        name: 'chat claude',
        start: T0,
        end: T0 + 100,
        error: 'overloaded_error: Overloaded',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4-5',
        },
        children: [
          {
            name: 'retry',
            start: T0 + 1,
            end: T0 + 2,
            exception: Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' }),
          },
        ],
      },
    ])
    const [t] = mapped(spans)
    expect(t?.status).toBe('error')
    const chat = t?.spans.find((s) => s.name === 'chat claude')
    const retry = t?.spans.find((s) => s.name === 'retry')
    expect(chat).toMatchObject({ status: 'error', error_message: 'overloaded_error: Overloaded' })
    expect(retry).toMatchObject({ status: 'error', error_message: 'ECONNRESET: socket hang up' })
  })

  test('gzip bodies decode the same', async () => {
    const { spans, requests } = await roundTrip(wire, [genAiChat], 'gzip')
    expect(requests[0]?.headers.get('content-encoding')).toBe('gzip')
    expect(mapped(spans)[0]?.spans[0]?.input_tokens).toBe(1200)
  })
})

describe('conventions, from the attribute sets each instrumentation writes', () => {
  test('OpenInference: span kind, model, token counts with details, indexed messages, session and user', async () => {
    const { spans } = await roundTrip('proto', [
      {
        name: 'ChatCompletion',
        start: T0,
        end: T0 + 800,
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'gpt-4o-mini-2024-07-18',
          'llm.provider': 'openai',
          'llm.system': 'openai',
          'llm.token_count.prompt': 2000,
          'llm.token_count.completion': 50,
          'llm.token_count.total': 2050,
          'llm.token_count.prompt_details.cache_read': 1536,
          'llm.token_count.completion_details.reasoning': 20,
          'llm.input_messages.0.message.role': 'system',
          'llm.input_messages.0.message.content': 'You are terse.',
          'llm.input_messages.1.message.role': 'user',
          'llm.input_messages.1.message.content': 'Capital of France?',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': 'Paris.',
          'llm.invocation_parameters': '{"temperature":0}',
          'input.value': '{"messages":[...]}',
          'input.mime_type': 'application/json',
          'output.value': '{"choices":[...]}',
          'session.id': 'sess-oi',
          'user.id': 'user-oi',
          metadata: '{"experiment":"b"}',
          'tag.tags': ['prod', 'v2'],
        },
      },
    ])
    const [t] = mapped(spans)
    expect(t).toMatchObject({ session_id: 'sess-oi', user_id: 'user-oi', tags: ['prod', 'v2'] })
    expect(JSON.parse(t?.metadata as string).experiment).toBe('b')
    expect(t?.spans[0]).toMatchObject({
      span_type: 'generation',
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      input_tokens: 2000,
      output_tokens: 50,
      cache_read_tokens: 1536,
      reasoning_tokens: 20,
    })
    expect(JSON.parse(t?.spans[0]?.input as string)).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Capital of France?' },
    ])
    expect(JSON.parse(t?.spans[0]?.output as string)).toEqual([{ role: 'assistant', content: 'Paris.' }])
    const meta = JSON.parse(t?.spans[0]?.metadata as string)
    expect(meta['llm.invocation_parameters']).toBe('{"temperature":0}')
    expect(Object.keys(meta).some((k) => k.startsWith('llm.input_messages') || k === 'input.value')).toBe(
      false,
    )
  })

  test('OpenInference kinds: TOOL, RETRIEVER, CHAIN', async () => {
    const { spans } = await roundTrip('json', [
      {
        name: 'chain',
        start: T0,
        end: T0 + 10,
        attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'q' },
        children: [
          {
            name: 'search',
            start: T0 + 1,
            end: T0 + 2,
            attributes: {
              'openinference.span.kind': 'RETRIEVER',
              'retrieval.documents.0.document.content': 'secret doc',
            },
          },
          {
            name: 'calc',
            start: T0 + 3,
            end: T0 + 4,
            attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'calc' },
          },
        ],
      },
    ])
    const [t] = mapped(spans)
    const types = Object.fromEntries(t?.spans.map((s) => [s.name, s.span_type]) ?? [])
    expect(types).toEqual({ chain: 'custom', search: 'retrieval', calc: 'tool' })
    expect(t?.input).toBe('q')
    // Retrieved documents are content: never in metadata.
    expect(t?.spans.find((s) => s.name === 'search')?.metadata ?? '').not.toContain('secret doc')
  })

  test('OpenLLMetry: traceloop kinds, indexed prompts and completions, underscore usage spellings', async () => {
    const { spans } = await roundTrip('proto', [
      {
        name: 'joke_workflow.workflow',
        start: T0,
        end: T0 + 2000,
        attributes: {
          'traceloop.span.kind': 'workflow',
          'traceloop.workflow.name': 'joke_workflow',
          'traceloop.entity.input': '{"topic":"cats"}',
          'traceloop.association.properties.user_id': 'u-tl',
          'traceloop.association.properties.session_id': 's-tl',
        },
        children: [
          {
            name: 'anthropic.chat',
            start: T0 + 5,
            end: T0 + 1500,
            attributes: {
              'llm.request.type': 'chat',
              'gen_ai.system': 'Anthropic',
              'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
              'gen_ai.response.model': 'claude-3-5-sonnet-20241022',
              'gen_ai.usage.prompt_tokens': 1500,
              'gen_ai.usage.completion_tokens': 200,
              'gen_ai.usage.cache_read_input_tokens': 1024,
              'gen_ai.usage.cache_creation_input_tokens': 256,
              'llm.usage.total_tokens': 1700,
              'gen_ai.prompt.0.role': 'user',
              'gen_ai.prompt.0.content': 'Tell me a joke about cats',
              'gen_ai.completion.0.role': 'assistant',
              'gen_ai.completion.0.content': 'Why did the cat...',
              'gen_ai.completion.0.finish_reason': 'end_turn',
            },
          },
        ],
      },
    ])
    const [t] = mapped(spans)
    expect(t).toMatchObject({
      name: 'joke_workflow.workflow',
      user_id: 'u-tl',
      session_id: 's-tl',
      input: '{"topic":"cats"}',
    })
    const chat = t?.spans.find((s) => s.name === 'anthropic.chat')
    expect(chat).toMatchObject({
      span_type: 'generation',
      provider: 'anthropic',
      model: 'claude-3-5-sonnet-20241022',
      input_tokens: 1500,
      output_tokens: 200,
      cache_read_tokens: 1024,
      cache_write_tokens: 256,
    })
    expect(JSON.parse(chat?.input as string)).toEqual([
      { role: 'user', content: 'Tell me a joke about cats' },
    ])
    expect(JSON.parse(chat?.output as string)).toEqual([
      { role: 'assistant', content: 'Why did the cat...', finish_reason: 'end_turn' },
    ])
    expect(t?.spans.find((s) => s.name === 'joke_workflow.workflow')?.span_type).toBe('custom')
  })

  test('Vercel AI SDK: the outer call is a chain, doGenerate the model call with ai.usage and msToFirstChunk', async () => {
    const { spans } = await roundTrip('json', [
      {
        name: 'ai.streamText',
        start: T0,
        end: T0 + 2000,
        attributes: {
          'ai.operationId': 'ai.streamText',
          'ai.model.id': 'gpt-4.1',
          'ai.model.provider': 'openai.responses',
          'ai.usage.inputTokens': 40,
          'ai.usage.outputTokens': 12,
          'ai.telemetry.functionId': 'summarize',
          'ai.telemetry.metadata.userId': 'u-v',
          'ai.telemetry.metadata.team': 'core',
          'ai.prompt': '{"prompt":"Summarize"}',
        },
        children: [
          {
            name: 'ai.streamText.doStream',
            start: T0 + 5,
            end: T0 + 1900,
            attributes: {
              'ai.operationId': 'ai.streamText.doStream',
              'ai.model.id': 'gpt-4.1',
              'ai.model.provider': 'openai.responses',
              'ai.response.model': 'gpt-4.1-2025-04-14',
              'ai.usage.inputTokens': 40,
              'ai.usage.outputTokens': 12,
              'ai.usage.cachedInputTokens': 0,
              'ai.usage.reasoningTokens': 0,
              'ai.response.msToFirstChunk': 321.5,
              'ai.response.text': 'A summary.',
              'ai.prompt.messages': '[{"role":"user","content":[{"type":"text","text":"Summarize"}]}]',
              'gen_ai.system': 'openai.responses',
              'gen_ai.request.model': 'gpt-4.1',
            },
          },
          {
            name: 'ai.toolCall',
            start: T0 + 1901,
            end: T0 + 1950,
            attributes: {
              'ai.operationId': 'ai.toolCall',
              'ai.toolCall.name': 'lookup',
              'ai.toolCall.args': '{"q":1}',
              'ai.toolCall.result': '"ok"',
            },
          },
        ],
      },
    ])
    const [t] = mapped(spans)
    expect(t?.user_id).toBe('u-v')
    expect(JSON.parse(t?.metadata as string)).toMatchObject({ team: 'core', userId: 'u-v' })
    const outer = t?.spans.find((s) => s.name === 'ai.streamText')
    const call = t?.spans.find((s) => s.name === 'ai.streamText.doStream')
    const tool = t?.spans.find((s) => s.name === 'ai.toolCall')
    expect(outer?.span_type).toBe('custom')
    expect(outer?.input_tokens).toBeUndefined()
    expect(call).toMatchObject({
      span_type: 'generation',
      model: 'gpt-4.1-2025-04-14',
      provider: 'openai',
      input_tokens: 40,
      output_tokens: 12,
      cache_read_tokens: 0,
      reasoning_tokens: 0,
      time_to_first_token_ms: 322,
      output: 'A summary.',
    })
    expect(tool).toMatchObject({ span_type: 'tool', input: '{"q":1}', output: '"ok"' })
  })

  test('messages on the inference details event, and the deprecated per-message events', async () => {
    const { spans } = await roundTrip('proto', [
      {
        name: 'chat a',
        start: T0,
        end: T0 + 10,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
        events: [
          {
            name: 'gen_ai.client.inference.operation.details',
            at: T0 + 9,
            attributes: {
              'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"from event"}]}]',
              'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"reply"}]}]',
            },
          },
        ],
      },
      {
        name: 'chat b',
        start: T0,
        end: T0 + 10,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
        events: [
          {
            name: 'gen_ai.system.message',
            at: T0 + 1,
            attributes: { 'gen_ai.system': 'openai', content: 'sys' },
          },
          {
            name: 'gen_ai.user.message',
            at: T0 + 2,
            attributes: { 'gen_ai.system': 'openai', content: 'question' },
          },
          {
            name: 'gen_ai.choice',
            at: T0 + 9,
            attributes: { index: 0, finish_reason: 'stop', 'message.content': 'answer' },
          },
          { name: 'custom.checkpoint', at: T0 + 5, attributes: { step: 2 } },
        ],
      },
    ])
    const traces = mapped(spans)
    const a = traces.find((t) => t.name === 'chat a')?.spans[0]
    const b = traces.find((t) => t.name === 'chat b')?.spans[0]
    expect(JSON.parse(a?.input as string)[0].parts[0].content).toBe('from event')
    expect(JSON.parse(a?.output as string)[0].parts[0].content).toBe('reply')
    expect(JSON.parse(b?.input as string)).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'question' },
    ])
    expect(JSON.parse(b?.output as string)).toEqual([
      { index: 0, finish_reason: 'stop', 'message.content': 'answer' },
    ])
    expect(JSON.parse(b?.metadata as string)['otel.events']).toEqual([
      { name: 'custom.checkpoint', time_ms: T0 + 5, attributes: { step: 2 } },
    ])
  })
})

describe('decoding edge cases', () => {
  const span = (over: Record<string, unknown> = {}) => ({
    traceId: '5B8EFFF798038103D269B633813FC60C',
    spanId: 'EEE19B7EC3C1B174',
    name: 'x',
    startTimeUnixNano: '1760000000000000000',
    endTimeUnixNano: 1760000000500000000,
    ...over,
  })
  const req = (spans: unknown[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] })

  test('JSON: hex ids in any case, int64 as strings or numbers, every AnyValue kind, unknown fields ignored', () => {
    const d = decodeJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], futureField: 1 },
          scopeSpans: [
            {
              scope: { name: 's', version: '1' },
              spans: [
                span({
                  kind: 3,
                  status: { code: 2, message: 'boom' },
                  attributes: [
                    { key: 'i', value: { intValue: '9007199254740993' } },
                    { key: 'j', value: { intValue: 12 } },
                    { key: 'd', value: { doubleValue: 1.5 } },
                    { key: 'b', value: { boolValue: true } },
                    {
                      key: 'a',
                      value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '2' }] } },
                    },
                    {
                      key: 'k',
                      value: { kvlistValue: { values: [{ key: 'n', value: { stringValue: 'v' } }] } },
                    },
                    { key: 'y', value: { bytesValue: 'AQI=' } },
                    { key: 'e', value: {} },
                  ],
                  newTopLevel: 'ignored',
                }),
              ],
            },
          ],
        },
      ],
    })
    expect(d.rejected).toBe(0)
    const s = d.spans[0] as OtlpSpan
    expect(s.traceId).toBe('5b8efff798038103d269b633813fc60c')
    expect(s.startNs).toBe(1760000000000000000n)
    expect(s.endNs - s.startNs).toBe(500000000n)
    expect(s.status).toEqual({ code: 2, message: 'boom' })
    expect(s.resource).toEqual({ 'service.name': 'svc' })
    expect(s.attributes).toEqual({
      i: '9007199254740993',
      j: 12,
      d: 1.5,
      b: true,
      a: ['x', 2],
      k: { n: 'v' },
      y: 'AQI=',
      e: null,
    })
  })

  test('spans with unusable ids are refused one by one, the rest kept', () => {
    const d = decodeJson(
      req([span(), span({ spanId: 'zz' }), span({ traceId: '00000000000000000000000000000000' })]),
    )
    expect(d.spans.length).toBe(1)
    expect(d.rejected).toBe(2)
    expect(d.rejectReason).toContain('spanId')
  })

  test('a trace with more spans than max_spans_per_trace is cut into submissions of the same trace', () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      span({
        spanId: (i + 1).toString(16).padStart(16, '0'),
        parentSpanId: i === 0 ? '' : '0000000000000001',
      }),
    )
    const d = decodeJson(req(many))
    const out = traceInputs(d.spans, { ...limits(), max_spans_per_trace: 100 })
    expect(out.traces.map((t) => t.spans.length)).toEqual([100, 100, 50])
    expect(new Set(out.traces.map((t) => t.id)).size).toBe(1)
    expect(out.traces[0]?.name).toBe('x')
    expect(out.traces[1]?.name).toBeUndefined()
  })

  test('values the contract would refuse are fitted, not the trace lost: long names, 40-day spans, absent times', () => {
    const d = decodeJson(
      req([
        span({
          name: 'n'.repeat(5000),
          endTimeUnixNano: String(1760000000000000000n + 40n * 86_400_000_000_000n),
        }),
        span({
          spanId: 'aaaaaaaaaaaaaaaa',
          parentSpanId: 'eee19b7ec3c1b174',
          startTimeUnixNano: undefined,
          endTimeUnixNano: undefined,
        }),
      ]),
    )
    const out = traceInputs(d.spans, limits())
    expect(out.rejected).toBe(0)
    const root = out.traces[0]?.spans.find((x) => x.id === 'eee19b7ec3c1b174')
    const child = out.traces[0]?.spans.find((x) => x.id === 'aaaaaaaaaaaaaaaa')
    expect(root?.name?.length).toBe(1024)
    expect(out.traces[0]?.name?.length).toBe(1024)
    expect(root?.latency_ms).toBeUndefined()
    expect(root?.started_at).toBe(1_760_000_000_000)
    expect(child).toMatchObject({ id: 'aaaaaaaaaaaaaaaa' })
    expect(child?.started_at).toBeUndefined()
    expect(child?.ended_at).toBeUndefined()
    expect(child?.latency_ms).toBeUndefined()
  })

  test('a body that is not an ExportTraceServiceRequest fails as a whole', () => {
    expect(() => decodeProtobuf(new Uint8Array([0x0a, 0xff, 0xff]))).toThrow(/protobuf/)
    expect(() => decodeJson([1])).toThrow(/JSON object/)
  })

  test('partialSuccess encodes per the OTLP response message', () => {
    expect(Buffer.from(encodeResponse(0, null)).length).toBe(0)
    expect(Buffer.from(encodeResponse(2, 'x')).toString('hex')).toBe('0a050802120178')
  })

  test('hostile JSON of every shape never throws past the decoder: 3,000 seeded random requests', () => {
    const rng = mulberry32(20261202)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T
    const keys = [
      'gen_ai.operation.name',
      'gen_ai.usage.input_tokens',
      'gen_ai.input.messages',
      'gen_ai.system_instructions',
      'llm.input_messages.0.message.role',
      'llm.input_messages.x.message.content',
      'openinference.span.kind',
      'ai.model.provider',
      'ai.operationId',
      'metadata',
      'tag.tags',
      'gen_ai.response.time_to_first_chunk',
      'session.id',
      'llm.cost.total',
    ]
    const scalar = (): unknown =>
      pick([
        null,
        0,
        -1,
        1e308,
        'chat',
        'LLM',
        '{"a":',
        '[1,2',
        '9'.repeat(30),
        true,
        [],
        {},
        'x'.repeat(2000),
      ])
    const value = (d = 0): unknown =>
      d > 3
        ? {}
        : pick([
            () => ({ stringValue: scalar() }),
            () => ({ intValue: scalar() }),
            () => ({ doubleValue: scalar() }),
            () => ({ boolValue: scalar() }),
            () => ({ arrayValue: { values: [value(d + 1), value(d + 1)] } }),
            () => ({ kvlistValue: { values: [{ key: pick(keys), value: value(d + 1) }] } }),
            () => scalar(),
          ])()
    const hex = (n: number) => Array.from({ length: n }, () => pick([...'0123456789abcdef'])).join('')
    for (let i = 0; i < 3000; i++) {
      const spans = Array.from({ length: 1 + Math.floor(rng() * 4) }, () => ({
        traceId: pick([hex(32), hex(31), 12, null, '0'.repeat(32), 'a'.repeat(32)]),
        spanId: pick([hex(16), hex(15), {}, 'b'.repeat(16)]),
        parentSpanId: pick([undefined, '', hex(16), 'zz', 'b'.repeat(16)]),
        name: pick(['', 'x', 5, null, 'ai.generateText.doGenerate']),
        kind: pick([0, 3, 'x', 99, null]),
        startTimeUnixNano: pick(['1760000000000000000', 17, '-5', 'x', null, 1.5]),
        endTimeUnixNano: pick(['1760000000500000000', '1', null]),
        status: pick([undefined, null, { code: 2, message: 5 }, { code: 'STATUS_CODE_ERROR' }, 'x']),
        attributes: pick([
          undefined,
          null,
          'x',
          Array.from({ length: 5 }, () => ({ key: pick(keys), value: value() })),
        ]),
        events: pick([
          undefined,
          [{ name: 'exception', attributes: [{ key: 'exception.message', value: value() }] }],
          [5],
        ]),
      }))
      const body = pick([
        {
          resourceSpans: [
            { resource: pick([null, { attributes: 'x' }]), scopeSpans: [{ scope: pick([null, 5]), spans }] },
          ],
        },
        { resourceSpans: 'x' },
        { resource_spans: [{ scope_spans: [{ spans }] }] },
      ])
      const d = decodeJson(body)
      traceInputs(d.spans, limits())
      const records = spans.map((x) => ({
        traceId: x.traceId,
        spanId: x.spanId,
        eventName: pick([
          'gen_ai.user.message',
          'gen_ai.choice',
          'gen_ai.client.inference.operation.details',
          '',
          5,
        ]),
        body: value(),
        attributes: x.attributes,
        timeUnixNano: x.startTimeUnixNano,
      }))
      const logs = decodeLogsJson({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] })
      for (const raw of mapLogs(logs.logs, 100)) parseTrace(raw, limits())
    }
  })
})
