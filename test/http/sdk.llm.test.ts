/**
 * LLM tracing with the built SDK against a real bloop server: the real `openai` and
 * `@anthropic-ai/sdk` clients, wrapped by the SDK, call a fake provider on loopback that
 * replays recorded responses (streaming and not); the SDK sends the traces to
 * POST /v1/traces/batch and each one is read back through GET /v1/llm/traces/:id,
 * including a nested agent trace whose tree is checked. Cost is left to the server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { fakeUpstream, type Upstream } from '../../sdk/js/test/upstream'
import { tempDir } from '../helpers'
import { eventually, type SdkServer, sdkDist, sdkServer } from '../sdk.helpers'

interface StoredSpan {
  id: string
  parent_span_id: string | null
  span_type: string
  name: string
  model: string | null
  provider: string | null
  status: string
  error_message: string | null
  input: string | null
  output: string | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  time_to_first_token_ms: number | null
  latency_ms: number | null
  cost_micros: number | null
  cost_source: string
}
interface TreeNode extends StoredSpan {
  children: TreeNode[]
}
interface Detail {
  id: string
  name: string | null
  status: string
  span_count: number
  input_tokens: number | null
  output_tokens: number | null
  cost_micros: number | null
  spans: StoredSpan[]
  tree: TreeNode[]
}

let dir: string
let server: SdkServer
let up: Upstream
let sdk: typeof import('../../sdk/js/src/node')
let wrapOpenAI: typeof import('../../sdk/js/src/openai').wrapOpenAI
let wrapAnthropic: typeof import('../../sdk/js/src/anthropic').wrapAnthropic
let bloopProxy: typeof import('../../sdk/js/src/openai').bloopProxy
let client: InstanceType<typeof sdk.Client>
const sent: string[] = []
let openai: OpenAI
let anthropic: Anthropic

beforeAll(async () => {
  dir = tempDir('bloop-sdk-llm-')
  const dist = await sdkDist()
  sdk = await import(join(dist, 'node.js'))
  wrapOpenAI = (await import(join(dist, 'openai.js'))).wrapOpenAI
  bloopProxy = (await import(join(dist, 'openai.js'))).bloopProxy
  wrapAnthropic = (await import(join(dist, 'anthropic.js'))).wrapAnthropic
  up = fakeUpstream(120)
  server = await sdkServer(dir, {
    llm_tracing: {
      default_content_storage: 'full',
      proxy: { openai_base_url: `${up.url}/v1`, anthropic_base_url: up.url },
    },
  })
  client = sdk.init({
    endpoint: server.url,
    projectKey: server.projectKey,
    beforeSendTrace: (t) => {
      sent.push(t.id)
      return t
    },
  })
  openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test-not-real', baseURL: `${up.url}/v1`, maxRetries: 0 }), {
    provider: 'openai',
  })
  anthropic = wrapAnthropic(new Anthropic({ apiKey: 'sk-ant-not-real', baseURL: up.url, maxRetries: 0 }), {
    provider: 'anthropic',
  })
}, 60_000)

afterAll(async () => {
  await sdk?.close(1000)
  up?.stop()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A trace the proxy records (it answers the app before its trace is committed). */
async function eventuallyTrace(id: string): Promise<Detail> {
  for (let i = 0; i < 100; i++) {
    const res = await server.get(`/v1/llm/traces/${encodeURIComponent(id)}`)
    if (res.status === 200) return (await res.json()) as Detail
    await Bun.sleep(50)
  }
  throw new Error(`trace ${id} was not recorded`)
}

/** Flushes the SDK (acknowledged = committed) and reads the last sent trace back. */
async function lastTrace(): Promise<Detail> {
  expect(await client.flush()).toBe(true)
  const res = await server.get(`/v1/llm/traces/${encodeURIComponent(sent.at(-1) as string)}`)
  expect(res.status).toBe(200)
  return (await res.json()) as Detail
}

describe('wrapped provider clients through the real server', () => {
  test('an OpenAI chat completion is stored with its usage and priced by the server', async () => {
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'when?' }] })
    const t = await lastTrace()
    expect(t.status).toBe('completed')
    expect(t.span_count).toBe(1)
    const s = t.spans[0] as StoredSpan
    expect(s.name).toBe('openai.chat.completions.create')
    expect(s.model).toBe('gpt-4o-2024-08-06')
    expect(s.provider).toBe('openai')
    expect([s.input_tokens, s.output_tokens, s.cache_read_tokens]).toEqual([1200, 80, 1024])
    expect(s.input).toBe('[{"role":"user","content":"when?"}]')
    expect(s.output).toBe('Your order ships on Tuesday.')
    expect(s.cost_source).toBe('table')
    expect(s.cost_micros as number).toBeGreaterThan(0)
  })

  test('an OpenAI stream is stored with its text, usage and time to first token', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'refund?' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    for await (const _ of stream) {
    }
    const s = (await lastTrace()).spans[0] as StoredSpan
    expect(s.output).toBe('Refund approved.')
    expect([s.input_tokens, s.output_tokens]).toEqual([52, 3])
    expect(s.time_to_first_token_ms as number).toBeGreaterThanOrEqual(110)
    expect(s.latency_ms as number).toBeGreaterThanOrEqual(s.time_to_first_token_ms as number)
  })

  test('a stream without usage is stored with unknown tokens (null), not zero', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true })
    for await (const _ of stream) {
    }
    const s = (await lastTrace()).spans[0] as StoredSpan
    expect([s.input_tokens, s.output_tokens, s.cost_micros]).toEqual([null, null, null])
    expect(s.cost_source).toBe('unknown')
  })

  test('an Anthropic message counts cache reads and writes into input tokens', async () => {
    await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'refund?' }],
    })
    const s = (await lastTrace()).spans[0] as StoredSpan
    expect(s.model).toBe('claude-sonnet-4-5-20250929')
    expect([s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_write_tokens]).toEqual([
      2112, 40, 2000, 100,
    ])
    expect(s.output).toBe('The refund was issued to the original card.')
  })

  test('an Anthropic stream is stored with usage from message_start and message_delta', async () => {
    const stream = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    })
    for await (const _ of stream) {
    }
    const s = (await lastTrace()).spans[0] as StoredSpan
    expect([s.model, s.input_tokens, s.output_tokens, s.output]).toEqual([
      'claude-haiku-4-5-20251001',
      472,
      89,
      'Okay, done.',
    ])
    expect(s.time_to_first_token_ms as number).toBeGreaterThanOrEqual(110)
  })
})

describe('a nested agent trace', () => {
  test('is stored as the tree the app built, read back through the API', async () => {
    await sdk.withTrace(
      { name: 'support-agent', sessionId: 'sess-1', userId: 'user-1', input: 'where is my refund?' },
      async () => {
        await sdk.withSpan({ name: 'plan', spanType: 'custom' }, async () => {
          await anthropic.messages.create({
            model: 'claude-haiku-4-5',
            max_tokens: 64,
            messages: [{ role: 'user', content: 'plan' }],
          })
          await sdk.withSpan(
            { name: 'lookup_order', spanType: 'tool', input: { order: 'A-17' } },
            async (span) => {
              span.end({ output: { status: 'refunded' } })
            },
          )
        })
        await sdk.withSpan({ name: 'kb', spanType: 'retrieval' }, async () => {})
        await openai.chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'answer' }],
        })
      },
    )
    const t = await lastTrace()
    expect(t.name).toBe('support-agent')
    expect(t.status).toBe('completed')
    expect(t.span_count).toBe(6)
    const shape = (n: TreeNode): unknown => [n.name, n.span_type, n.children.map(shape)]
    expect(t.tree.map(shape)).toEqual([
      [
        'support-agent',
        'custom',
        [
          [
            'plan',
            'custom',
            [
              ['anthropic.messages.create', 'generation', []],
              ['lookup_order', 'tool', []],
            ],
          ],
          ['kb', 'retrieval', []],
          ['openai.chat.completions.create', 'generation', []],
        ],
      ],
    ])
    const tool = t.spans.find((s) => s.name === 'lookup_order') as StoredSpan
    expect([tool.input, tool.output]).toEqual(['{"order":"A-17"}', '{"status":"refunded"}'])
    // Trace totals are the sums of the generation spans: 2112 + 1200 input, 40 + 80 output.
    expect([t.input_tokens, t.output_tokens]).toEqual([3312, 120])
  })

  test('a failing step marks its span and the trace as errors, and becomes an error issue', async () => {
    await expect(
      sdk.withTrace({ name: 'failing-agent' }, () =>
        sdk.withSpan({ name: 'charge', spanType: 'tool' }, async () => {
          throw new Error('payment gateway timed out')
        }),
      ),
    ).rejects.toThrow('payment gateway timed out')
    const t = await lastTrace()
    expect(t.status).toBe('error')
    const charge = t.spans.find((s) => s.name === 'charge') as StoredSpan
    expect([charge.status, charge.error_message]).toEqual(['error', 'payment gateway timed out'])
    // The failed span becomes an error event after the trace commits, not within its answer.
    const issue = await eventually(async () =>
      (await server.issues()).find((i) => i.message === 'payment gateway timed out'),
    )
    expect(issue.source).toBe('llm')
  })
})

describe('bloopProxy: a client sent through the bloop LLM proxy instead of wrapped', () => {
  test('OpenAI and Anthropic clients configured by bloopProxy reach the provider and are recorded by the proxy', async () => {
    const before = up.requests.length
    const viaOpenAI = new OpenAI({ apiKey: 'sk-proxied-not-real', maxRetries: 0, ...bloopProxy('openai') })
    const chat = await viaOpenAI.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'p' }] })
      .withResponse()
    expect(chat.data.choices[0]?.message.content).toBe('Your order ships on Tuesday.')
    const viaAnthropic = new Anthropic({
      apiKey: 'sk-ant-proxied',
      maxRetries: 0,
      ...bloopProxy('anthropic'),
    })
    const msg = await viaAnthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'p' }] })
      .withResponse()
    expect(msg.data.usage.output_tokens).toBe(40)
    // The provider saw the calls on its own paths, with the app's provider key.
    expect(up.requests.slice(before).map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/messages'])
    expect(up.requests[before]?.headers.get('authorization')).toBe('Bearer sk-proxied-not-real')
    // The proxy recorded each call as a trace of the project the key names.
    for (const [res, model, input] of [
      [chat.response, 'gpt-4o-2024-08-06', 1200],
      [msg.response, 'claude-sonnet-4-5-20250929', 2112],
    ] as const) {
      const id = res.headers.get('x-bloop-trace-id')
      expect(id).toBeTruthy()
      const t = await eventuallyTrace(id as string)
      expect([t.spans[0]?.model, t.spans[0]?.input_tokens]).toEqual([model, input])
    }
  })
})
