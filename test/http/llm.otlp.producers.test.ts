/**
 * Real producers of GenAI telemetry into a listening bloop: the Vercel AI SDK (`ai` with
 * its `@ai-sdk/otel` integration and a mock model, no provider called), and in Python the
 * OpenTelemetry SDK with the official `opentelemetry-instrumentation-openai-v2` and
 * OpenInference's `openinference-instrumentation-openai`, around the real `openai` client
 * talking to a fake OpenAI on loopback that replays the Chat Completions wire format.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { OpenTelemetry } from '@ai-sdk/otel'
import { generateText } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { testConfig } from '../../src/config/load'
import { createLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { createToken } from '../../src/tokens/store'
import { TEST_SECRET, tempDir } from '../helpers'
import { pipeline } from '../llm.otlp.helpers'
import { REPO } from '../process'

let served: Served
let dir: string
let base: string
let token: string

beforeAll(async () => {
  dir = tempDir()
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
      llm_tracing: { default_content_storage: 'full' },
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
})

afterAll(async () => {
  await served?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const db = () => served.runtime.core.db
const spansOf = (traceId: string) =>
  db().query('SELECT * FROM llm_spans WHERE trace_id = ? ORDER BY started_at, seq').all(traceId) as Record<
    string,
    unknown
  >[]
const latestOtlpTrace = (name: string) =>
  db()
    .query("SELECT * FROM llm_traces WHERE source = 'otlp' AND name = ? ORDER BY seq DESC LIMIT 1")
    .get(name) as Record<string, unknown> | null

describe('the Vercel AI SDK', () => {
  test('generateText with the OpenTelemetry integration: a chain with one model call, usage exact', async () => {
    const p = pipeline('proto', `${base}/otlp/v1/traces`, { authorization: `Bearer ${token}` })
    const model = new MockLanguageModelV4({
      provider: 'openai.chat',
      modelId: 'gpt-4o-mini',
      doGenerate: {
        content: [{ type: 'text', text: 'Paris is the capital of France.' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 1200, noCache: 200, cacheRead: 1000, cacheWrite: undefined },
          outputTokens: { total: 40, text: 30, reasoning: 10 },
        },
        warnings: [],
        response: { id: 'resp-1', modelId: 'gpt-4o-mini-2024-07-18', timestamp: new Date(0) },
      },
    })
    const result = await generateText({
      model,
      prompt: 'What is the capital of France?',
      telemetry: {
        isEnabled: true,
        functionId: 'capital-quiz',
        integrations: [new OpenTelemetry({ tracer: p.tracer, usage: true })],
      },
    })
    expect(result.text).toBe('Paris is the capital of France.')
    expect(await p.flush()).toBe(0)
    const rows = db()
      .query("SELECT trace_id FROM llm_spans WHERE model LIKE 'gpt-4o-mini%' ORDER BY seq DESC LIMIT 1")
      .get() as { trace_id: string } | null
    expect(rows).not.toBeNull()
    const spans = spansOf(rows?.trace_id as string)
    const calls = spans.filter((s) => s.span_type === 'generation')
    // One model call counted, whatever wraps it: the trace's usage is that call's usage.
    expect(calls.length).toBe(1)
    expect(calls[0]).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 1200,
      output_tokens: 40,
      cache_read_tokens: 1000,
      reasoning_tokens: 10,
      cost_source: 'table',
    })
    expect(String(calls[0]?.output)).toContain('Paris is the capital of France.')
    const trace = db()
      .query('SELECT * FROM llm_traces WHERE id = ?')
      .get(rows?.trace_id as string) as Record<string, unknown>
    expect(trace).toMatchObject({ input_tokens: 1200, output_tokens: 40, source: 'otlp' })
    for (const s of spans.filter((x) => x.span_type !== 'generation')) expect(s.input_tokens).toBeNull()
  })
})

const python = process.env.BLOOP_TEST_PYTHON ?? join(REPO, '.venv-ci', 'bin', 'python')

/** A fake OpenAI Chat Completions endpoint on loopback, answering as the API does. */
function fakeOpenAI() {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = (await req.json()) as { model: string }
      return Response.json({
        id: 'chatcmpl-fake-1',
        object: 'chat.completion',
        created: 1760000000,
        model: `${body.model}-2024-08-06`,
        system_fingerprint: 'fp_test',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Bonjour!', refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: 1500,
          completion_tokens: 20,
          total_tokens: 1520,
          prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
        },
      })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) }
}

async function runPython(
  instrumentation: 'openai-v2' | 'openai-v2-logs' | 'openinference',
  upstream: string,
  name: string,
) {
  const latest: Record<string, string> =
    instrumentation === 'openai-v2-logs'
      ? // Messages as a log record (the inference details event), not span attributes.
        {
          OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY',
        }
      : // The current GenAI conventions, with messages as span attributes.
        {
          OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'SPAN_ONLY',
        }
  const proc = Bun.spawn([python, join(REPO, 'test/fixtures/otel_openai.py'), instrumentation, name], {
    env: {
      PATH: process.env.PATH ?? '',
      OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/otlp`,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${token}`,
      OTEL_SERVICE_NAME: 'py-otel-test',
      ...latest,
      OPENAI_BASE_URL: upstream,
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const code = await proc.exited
  const err = await new Response(proc.stderr).text()
  expect({ code, err: code === 0 ? '' : err.slice(-2000) }).toEqual({ code: 0, err: '' })
}

describe('Python: the openai client under OpenTelemetry instrumentations, exporting OTLP/HTTP protobuf', () => {
  for (const instrumentation of ['openai-v2', 'openinference'] as const) {
    test(`${instrumentation}: the call is a generation with the response's model and usage`, async () => {
      const upstream = fakeOpenAI()
      try {
        const name = `py-${instrumentation}`
        await runPython(instrumentation, upstream.url, name)
        const trace = latestOtlpTrace(name)
        expect(trace).not.toBeNull()
        const calls = spansOf(trace?.id as string).filter((s) => s.span_type === 'generation')
        expect(calls.length).toBe(1)
        expect(calls[0]).toMatchObject({
          provider: 'openai',
          model: 'gpt-4o-2024-08-06',
          input_tokens: 1500,
          output_tokens: 20,
          cost_source: 'table',
        })
        if (instrumentation === 'openinference') {
          // OpenInference reports the cache read: (476 x 2.50 + 1024 x 1.25 + 20 x 10) / 1e6 dollars.
          expect(calls[0]).toMatchObject({ cache_read_tokens: 1024, cost_micros: 2670 })
          expect(JSON.parse(calls[0]?.input as string)).toEqual([
            { role: 'system', content: 'Answer in French.' },
            { role: 'user', content: 'Hello' },
          ])
        } else {
          // openai-v2 does not report cached tokens: all 1500 priced as input, (1500 x 2.50 + 20 x 10) / 1e6.
          expect(calls[0]).toMatchObject({ cache_read_tokens: null, cost_micros: 3950 })
          expect(JSON.parse(calls[0]?.input as string)).toEqual([
            { role: 'system', parts: [{ content: 'Answer in French.', type: 'text' }] },
            { role: 'user', parts: [{ content: 'Hello', type: 'text' }] },
          ])
        }
        expect(String(calls[0]?.output)).toContain('Bonjour!')
        const parent = spansOf(trace?.id as string).find((s) => s.name === name)
        expect(calls[0]?.parent_span_id).toBe(parent?.id)
      } finally {
        upstream.stop()
      }
    })
  }

  test('openai-v2 with EVENT_ONLY: the messages arrive as an OTLP log record and become the span content', async () => {
    const upstream = fakeOpenAI()
    try {
      const name = 'py-openai-v2-logs'
      await runPython('openai-v2-logs', upstream.url, name)
      const trace = latestOtlpTrace(name)
      expect(trace).not.toBeNull()
      const calls = spansOf(trace?.id as string).filter((s) => s.span_type === 'generation')
      expect(calls.length).toBe(1)
      expect(calls[0]).toMatchObject({ model: 'gpt-4o-2024-08-06', input_tokens: 1500, output_tokens: 20 })
      expect(JSON.parse(calls[0]?.input as string)).toEqual([
        { role: 'system', parts: [{ content: 'Answer in French.', type: 'text' }] },
        { role: 'user', parts: [{ content: 'Hello', type: 'text' }] },
      ])
      expect(String(calls[0]?.output)).toContain('Bonjour!')
      const metrics = await (await fetch(`${base}/metrics`)).text()
      expect(metrics).toMatch(/bloop_llm_otlp_log_records_total\{result="attached"\} [1-9]/)
    } finally {
      upstream.stop()
    }
  })
})
