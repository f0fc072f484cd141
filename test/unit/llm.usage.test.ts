import { describe, expect, test } from 'bun:test'
import { extractUsage, findProvider } from '@pydantic/genai-prices'
import {
  checkUsage,
  countError,
  fromAnthropic,
  fromAnthropicStream,
  fromBloop,
  fromOpenAIChat,
  fromOpenAIEmbeddings,
  fromOpenAIResponses,
  MAX_TOKENS,
  normalizeUsage,
  totalTokens,
  type Usage,
  type UsageResult,
} from '../../src/llm/usage'

/** [input, output, cache_read, cache_write, reasoning] */
type Counts = [number | null, number | null, number | null, number | null, number | null]
const U = ([input, output, read, write, reasoning]: Counts): Usage => ({
  input_tokens: input,
  output_tokens: output,
  cache_read_tokens: read,
  cache_write_tokens: write,
  reasoning_tokens: reasoning,
})

interface Case {
  name: string
  adapter: (payload: any) => UsageResult
  payload: unknown
  expected: Counts
  /** The total the source itself reports, where it reports one. */
  wireTotal?: number
  /** The package's own extractor for this wire shape, as a second reading of it. */
  extractor?: { provider: string; flavor: string }
  /** Only a client that broke the convention needs an adjustment; a provider's payload never. */
  adjusted?: true
}

const chat = { provider: 'openai', flavor: 'chat' }
const responses = { provider: 'openai', flavor: 'responses' }
const embeddings = { provider: 'openai', flavor: 'embeddings' }
const messages = { provider: 'anthropic', flavor: 'default' }

// Shapes as the providers send them (documentation examples and captured responses).
const CASES: Case[] = [
  {
    name: 'OpenAI chat, gpt-4o with a cache hit',
    adapter: fromOpenAIChat,
    payload: {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    expected: [2006, 300, 1920, null, 0],
    wireTotal: 2306,
    extractor: chat,
  },
  {
    name: 'OpenAI chat, gpt-5 with reasoning and cache',
    adapter: fromOpenAIChat,
    payload: {
      prompt_tokens: 1486,
      completion_tokens: 651,
      total_tokens: 2137,
      prompt_tokens_details: { cached_tokens: 1408, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 512, audio_tokens: 0 },
    },
    expected: [1486, 651, 1408, null, 512],
    wireTotal: 2137,
    extractor: chat,
  },
  {
    name: 'OpenAI chat, a model that reports cache writes',
    adapter: fromOpenAIChat,
    payload: {
      prompt_tokens: 5000,
      completion_tokens: 100,
      total_tokens: 5100,
      prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 3000 },
    },
    expected: [5000, 100, 1000, 3000, null],
    wireTotal: 5100,
    extractor: chat,
  },
  {
    name: 'OpenAI chat, no details (older models, compatible servers)',
    adapter: fromOpenAIChat,
    payload: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 },
    expected: [19, 10, null, null, null],
    wireTotal: 29,
    extractor: chat,
  },
  {
    name: 'OpenAI chat, details null',
    adapter: fromOpenAIChat,
    payload: {
      prompt_tokens: 5,
      completion_tokens: 7,
      total_tokens: 12,
      prompt_tokens_details: null,
      completion_tokens_details: null,
    },
    expected: [5, 7, null, null, null],
    wireTotal: 12,
  },
  {
    name: 'OpenAI chat, all zeros',
    adapter: fromOpenAIChat,
    payload: {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
    expected: [0, 0, 0, null, 0],
    wireTotal: 0,
    extractor: chat,
  },
  {
    name: 'OpenAI chat, a stream without include_usage (no usage at all)',
    adapter: fromOpenAIChat,
    payload: null,
    expected: [null, null, null, null, null],
  },
  {
    name: 'OpenAI Responses, cache hit',
    adapter: fromOpenAIResponses,
    payload: {
      input_tokens: 125,
      input_tokens_details: { cached_tokens: 98 },
      output_tokens: 48,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 173,
    },
    expected: [125, 48, 98, null, 0],
    wireTotal: 173,
    extractor: responses,
  },
  {
    name: 'OpenAI Responses, o3 reasoning',
    adapter: fromOpenAIResponses,
    payload: {
      input_tokens: 75,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 1186,
      output_tokens_details: { reasoning_tokens: 1024 },
      total_tokens: 1261,
    },
    expected: [75, 1186, 0, null, 1024],
    wireTotal: 1261,
    extractor: responses,
  },
  {
    name: 'OpenAI Responses, no details',
    adapter: fromOpenAIResponses,
    payload: { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
    expected: [10, 20, null, null, null],
    wireTotal: 30,
    extractor: responses,
  },
  {
    name: 'OpenAI Responses, usage missing',
    adapter: fromOpenAIResponses,
    payload: undefined,
    expected: [null, null, null, null, null],
  },
  {
    name: 'OpenAI embeddings',
    adapter: fromOpenAIEmbeddings,
    payload: { prompt_tokens: 8, total_tokens: 8 },
    expected: [8, 0, 0, 0, 0],
    wireTotal: 8,
    extractor: embeddings,
  },
  {
    name: 'OpenAI embeddings, empty input',
    adapter: fromOpenAIEmbeddings,
    payload: { prompt_tokens: 0, total_tokens: 0 },
    expected: [0, 0, 0, 0, 0],
    wireTotal: 0,
    extractor: embeddings,
  },
  {
    name: 'Anthropic, cache reads and 1-hour cache writes',
    adapter: fromAnthropic,
    payload: {
      input_tokens: 2,
      cache_creation_input_tokens: 10408,
      cache_read_input_tokens: 14265,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 10408 },
      output_tokens: 1,
      service_tier: 'standard',
    },
    expected: [24675, 1, 14265, 10408, null],
    extractor: messages,
  },
  {
    name: 'Anthropic, thinking tokens counted separately',
    adapter: fromAnthropic,
    payload: {
      input_tokens: 2,
      cache_creation_input_tokens: 1273,
      cache_read_input_tokens: 0,
      output_tokens: 113,
      output_tokens_details: { thinking_tokens: 40 },
      server_tool_use: { web_search_requests: 0 },
    },
    expected: [1275, 113, 0, 1273, 40],
    extractor: messages,
  },
  {
    name: 'Anthropic, a partial cache hit on a long new prompt',
    adapter: fromAnthropic,
    payload: {
      input_tokens: 5000,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 1000,
      output_tokens: 200,
    },
    expected: [6000, 200, 1000, 0, null],
    extractor: messages,
  },
  {
    name: 'Anthropic, from before prompt caching (no cache fields)',
    adapter: fromAnthropic,
    payload: { input_tokens: 25, output_tokens: 150 },
    expected: [25, 150, null, null, null],
    extractor: messages,
  },
  {
    name: 'Anthropic, cache fields zero',
    adapter: fromAnthropic,
    payload: {
      input_tokens: 1200,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 340,
    },
    expected: [1200, 340, 0, 0, null],
    extractor: messages,
  },
  {
    name: 'Anthropic, cache fields null',
    adapter: fromAnthropic,
    payload: {
      input_tokens: 50,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      output_tokens: 10,
      server_tool_use: null,
    },
    expected: [50, 10, null, null, null],
  },
  {
    name: 'Anthropic stream: the last delta carries the cumulative output',
    adapter: fromAnthropicStream,
    payload: [
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          usage: {
            input_tokens: 100,
            cache_creation_input_tokens: 20,
            cache_read_input_tokens: 10,
            output_tokens: 5,
          },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 8 } },
      { type: 'message_stop' },
    ],
    expected: [130, 8, 10, 20, null],
  },
  {
    name: 'Anthropic stream: several deltas are not added together',
    adapter: fromAnthropicStream,
    payload: [
      { type: 'message_start', message: { usage: { input_tokens: 40, output_tokens: 1 } } },
      { type: 'message_delta', delta: {}, usage: { output_tokens: 8 } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } },
    ],
    expected: [40, 15, null, null, null],
  },
  {
    name: 'Anthropic stream: input counts in a delta replace the start',
    adapter: fromAnthropicStream,
    payload: [
      {
        type: 'message_start',
        message: {
          usage: {
            input_tokens: 10,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
        },
      },
      {
        type: 'message_delta',
        usage: {
          input_tokens: 12,
          cache_read_input_tokens: 500,
          cache_creation_input_tokens: null,
          output_tokens: 40,
        },
      },
    ],
    expected: [512, 40, 500, 0, null],
  },
  {
    name: 'Anthropic stream cut before message_delta: output unknown, not the placeholder',
    adapter: fromAnthropicStream,
    payload: [{ type: 'message_start', message: { usage: { input_tokens: 300, output_tokens: 1 } } }],
    expected: [300, null, null, null, null],
  },
  {
    name: 'Anthropic stream with no usage events',
    adapter: fromAnthropicStream,
    payload: [{ type: 'ping' }, 'garbage', null],
    expected: [null, null, null, null, null],
  },
  {
    name: 'bloop SDK, input and output only',
    adapter: fromBloop,
    payload: { input_tokens: 100, output_tokens: 50, cost: 0.0025 },
    expected: [100, 50, null, null, null],
  },
  {
    name: 'bloop SDK, every count',
    adapter: fromBloop,
    payload: {
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_tokens: 200,
      cache_write_tokens: 100,
      reasoning_tokens: 300,
    },
    expected: [1000, 500, 200, 100, 300],
  },
  {
    name: 'bloop SDK, nulls',
    adapter: fromBloop,
    payload: { input_tokens: null, output_tokens: null, cache_read_tokens: null },
    expected: [null, null, null, null, null],
  },
  {
    name: 'bloop SDK, zeros',
    adapter: fromBloop,
    payload: {
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
    },
    expected: [0, 0, 0, 0, 0],
  },
  { name: 'bloop SDK, nothing', adapter: fromBloop, payload: {}, expected: [null, null, null, null, null] },
  {
    name: 'bloop SDK, output only',
    adapter: fromBloop,
    payload: { output_tokens: 7 },
    expected: [null, 7, null, null, null],
  },
  {
    name: 'bloop SDK sent with input excluding cache: read as such',
    adapter: fromBloop,
    payload: { input_tokens: 50, output_tokens: 20, cache_read_tokens: 10000, cache_write_tokens: 5 },
    expected: [10055, 20, 10000, 5, null],
    adjusted: true,
  },
  {
    name: 'bloop SDK sent with output excluding reasoning: read as such',
    adapter: fromBloop,
    payload: { input_tokens: 10, output_tokens: 100, reasoning_tokens: 400 },
    expected: [10, 500, null, null, 400],
    adjusted: true,
  },
]

describe('every adapter keeps the invariants on real payloads', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const r = c.adapter(c.payload)
      if (!r.ok) throw new Error(`refused: ${r.field}: ${r.error}`)
      expect(r.usage).toEqual(U(c.expected))
      expect(r.adjustments.length > 0).toBe(c.adjusted === true)
      expect(checkUsage(r.usage)).toBeNull()
      const [input, output] = c.expected
      expect(totalTokens(r.usage)).toBe(input === null || output === null ? null : input + output)
      if (c.wireTotal !== undefined) expect(totalTokens(r.usage)).toBe(c.wireTotal)
      // A second reading: the price package's own extractor for the same wire shape.
      if (c.extractor) {
        const provider = findProvider({ providerId: c.extractor.provider })
        if (!provider) throw new Error(`no provider ${c.extractor.provider}`)
        const theirs = extractUsage(provider, { model: 'm', usage: c.payload }, c.extractor.flavor).usage
        expect(r.usage.input_tokens).toBe(theirs.input_tokens ?? null)
        // The package leaves out what it prices at 0 (an embedding's output).
        expect(r.usage.output_tokens).toBe(theirs.output_tokens ?? 0)
        expect(r.usage.cache_read_tokens ?? 0).toBe(theirs.cache_read_tokens ?? 0)
        expect(r.usage.cache_write_tokens ?? 0).toBe(theirs.cache_write_tokens ?? 0)
        expect(r.usage.reasoning_tokens ?? 0).toBe(theirs.output_reasoning_tokens ?? 0)
      }
    })
  }

  test('the table covers every adapter', () => {
    const adapters = new Set(CASES.map((c) => c.adapter))
    expect(adapters.size).toBe(6)
  })
})

describe('adjustments say how a violation was resolved', () => {
  test('parts larger than the whole are read as the exclusive convention', () => {
    const r = fromBloop({
      input_tokens: 50,
      output_tokens: 100,
      cache_read_tokens: 10000,
      reasoning_tokens: 400,
    })
    expect(r).toEqual({
      ok: true,
      usage: U([10050, 500, 10000, null, 400]),
      adjustments: [
        {
          code: 'input_excluded_cache',
          message:
            'cache tokens (10000) exceeded input_tokens (50): read input as excluding them, input_tokens = 10050',
        },
        {
          code: 'output_excluded_reasoning',
          message:
            'reasoning_tokens (400) exceeded output_tokens (100): read output as excluding them, output_tokens = 500',
        },
      ],
    })
  })

  test('an OpenAI payload whose cached count passes the prompt is resolved the same way', () => {
    const r = fromOpenAIChat({
      prompt_tokens: 10,
      completion_tokens: 1,
      prompt_tokens_details: { cached_tokens: 30 },
    })
    expect(r.ok && r.usage.input_tokens).toBe(40)
    expect(r.ok && r.adjustments.map((a) => a.code)).toEqual(['input_excluded_cache'])
  })

  test('consistent counts are left alone, and normalizing twice changes nothing', () => {
    const once = normalizeUsage(U([10, 5, 4, 6, 5]))
    expect(once).toEqual({ usage: U([10, 5, 4, 6, 5]), adjustments: [] })
    const fixed = normalizeUsage(U([1, 1, 5, null, 3])).usage
    expect(normalizeUsage(fixed)).toEqual({ usage: fixed, adjustments: [] })
  })

  test('unknown wholes are not checked against their parts', () => {
    expect(normalizeUsage(U([null, null, 5, 5, 5]))).toEqual({
      usage: U([null, null, 5, 5, 5]),
      adjustments: [],
    })
    expect(checkUsage(U([null, null, 5, 5, 5]))).toBeNull()
  })
})

describe('refused counts name their field', () => {
  test('count errors say what was expected and what came', () => {
    expect(countError(-3)).toBe('expected a non-negative token count, got -3')
    expect(countError(1.5)).toBe('expected a whole number of tokens, got 1.5')
    expect(countError('100')).toBe('expected a token count (integer) or null, got a string ("100")')
    expect(countError(true)).toBe('expected a token count (integer) or null, got boolean')
    expect(countError([])).toBe('expected a token count (integer) or null, got an array')
    expect(countError(Number.NaN)).toBe('expected a finite token count, got NaN')
    expect(countError(Number.POSITIVE_INFINITY)).toBe('expected a finite token count, got Infinity')
    expect(countError(MAX_TOKENS + 1)).toBe('expected at most 1000000000 tokens, got 1000000001')
    expect(countError(MAX_TOKENS)).toBeNull()
    expect(countError(0)).toBeNull()
    expect(countError(null)).toBeNull()
  })

  test('each adapter refuses with the path inside the object it was given', () => {
    expect(fromBloop({ input_tokens: -1, output_tokens: 5 })).toEqual({
      ok: false,
      field: 'input_tokens',
      error: 'expected a non-negative token count, got -1',
    })
    expect(fromBloop({ input_tokens: 1, reasoning_tokens: 2.5 })).toMatchObject({ field: 'reasoning_tokens' })
    expect(fromOpenAIChat({ prompt_tokens: 1, completion_tokens: '2' })).toMatchObject({
      field: 'completion_tokens',
    })
    expect(fromOpenAIChat({ prompt_tokens: 1, prompt_tokens_details: { cached_tokens: -1 } })).toMatchObject({
      field: 'prompt_tokens_details.cached_tokens',
    })
    expect(fromOpenAIChat({ prompt_tokens: 1, prompt_tokens_details: 5 })).toEqual({
      ok: false,
      field: 'prompt_tokens_details',
      error: 'expected an object or null, got number',
    })
    expect(
      fromOpenAIResponses({ input_tokens: 1, output_tokens_details: { reasoning_tokens: 0.5 } }),
    ).toMatchObject({ field: 'output_tokens_details.reasoning_tokens' })
    expect(fromOpenAIEmbeddings({ prompt_tokens: -8 })).toMatchObject({ field: 'prompt_tokens' })
    expect(fromAnthropic({ input_tokens: 1, cache_read_input_tokens: -4 })).toMatchObject({
      field: 'cache_read_input_tokens',
    })
    expect(
      fromAnthropicStream([
        { type: 'message_start', message: { usage: { input_tokens: 1, output_tokens: 1 } } },
        { type: 'message_delta', usage: { output_tokens: -2 } },
      ]),
    ).toMatchObject({ field: 'message_delta.usage.output_tokens' })
    expect(
      fromAnthropicStream([{ type: 'message_start', message: { usage: { input_tokens: 'x' } } }]),
    ).toMatchObject({ field: 'message_start.message.usage.input_tokens' })
  })

  test('a usage that is not an object is refused, null and absent are unknown', () => {
    expect(fromOpenAIChat('lots')).toEqual({
      ok: false,
      field: 'usage',
      error: 'expected an object, got a string ("lots")',
    })
    expect(fromAnthropic([1, 2])).toEqual({
      ok: false,
      field: 'usage',
      error: 'expected an object, got an array',
    })
    expect(fromBloop(null)).toEqual({ ok: true, usage: U([null, null, null, null, null]), adjustments: [] })
  })

  test('a sum of valid parts above the bound is refused', () => {
    expect(
      fromAnthropic({ input_tokens: MAX_TOKENS, cache_read_input_tokens: MAX_TOKENS, output_tokens: 1 }),
    ).toEqual({
      ok: false,
      field: 'input_tokens',
      error: 'expected at most 1000000000 tokens, got 2000000000',
    })
  })
})
