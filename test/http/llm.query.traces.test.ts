/**
 * The trace list (every filter and sort applied), search, and one trace with its tree,
 * over the fixture (test/llm.query.fixture.ts). Another project holds a trace with
 * T1's id: it must never show.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { projectIn, startRuntime, type TestRuntime } from '../helpers'
import { FOREIGN, T1, T2, TRACES } from '../llm.query.fixture'
import { get, llmRuntime, NOW, onTheClock, store, type WireTrace } from '../llm.query.helpers'

let rt: TestRuntime
let token: string
let otherToken: string

beforeAll(async () => {
  rt = await llmRuntime()
  const other = await projectIn(rt.core.backend, { name: 'Other', slug: 'other' }, NOW)
  await store(rt, 'default', TRACES)
  await store(rt, other.id, [FOREIGN])
  token = rt.token(['llm:read'])
  otherToken = rt.token(['llm:read'], other.id)
})
afterAll(() => rt.dispose())

const ids = async (query: string) => {
  const { status, body } = await get(rt, token, `/v1/llm/traces${query}`)
  expect(status).toBe(200)
  return body.traces.map((t: any) => t.id)
}

describe('GET /v1/llm/traces', () => {
  test('lists the window newest first with the list fields, unknown cost and tokens as null', async () => {
    const { body } = await get(rt, token, '/v1/llm/traces')
    expect(body.traces.map((t: any) => t.id)).toEqual(['tr-running-4', 'tr-chat-1', 'tr-agent-2'])
    expect([body.total, body.total_exact, body.limit, body.offset, body.window_hours]).toEqual([
      3,
      true,
      50,
      0,
      24,
    ])
    expect(body.traces[2]).toEqual({
      project_id: 'default',
      id: 'tr-agent-2',
      session_id: 's-1',
      user_id: 'u-1',
      name: 'agent-run',
      status: 'error',
      source: 'sdk',
      prompt_name: 'greet',
      prompt_version: 'v2',
      started_at: T2.started_at,
      ended_at: T2.ended_at,
      duration_ms: 4000,
      span_count: 3,
      error_count: 1,
      input_tokens: 1010,
      output_tokens: 205,
      cache_read_tokens: 400,
      cache_write_tokens: null,
      reasoning_tokens: null,
      total_tokens: 1215,
      cost_micros: 6100,
      models: ['claude-sonnet-4-5', 'gpt-4o'],
      providers: ['anthropic', 'openai'],
    })
    expect(body.traces[0]).toMatchObject({
      status: 'running',
      cost_micros: null,
      total_tokens: null,
      ended_at: null,
    })
  })

  test('sorts oldest, most expensive and slowest first, unknowns last', async () => {
    expect(await ids('?sort=oldest')).toEqual(['tr-agent-2', 'tr-chat-1', 'tr-running-4'])
    expect(await ids('?sort=most_expensive')).toEqual(['tr-agent-2', 'tr-chat-1', 'tr-running-4'])
    expect(await ids('?sort=slowest&hours=48')).toEqual([
      'tr-agent-2',
      'tr-chat-1',
      'tr-old-3',
      'tr-running-4',
    ])
    expect(await ids('?sort=most_expensive&hours=48')).toEqual([
      'tr-agent-2',
      'tr-chat-1',
      'tr-old-3',
      'tr-running-4',
    ])
  })

  test('applies each filter', async () => {
    expect(await ids('?session_id=s-1')).toEqual(['tr-chat-1', 'tr-agent-2'])
    expect(await ids('?user_id=u-2')).toEqual(['tr-running-4'])
    expect(await ids('?user_id=u-2&hours=48')).toEqual(['tr-running-4', 'tr-old-3'])
    expect(await ids('?status=error')).toEqual(['tr-agent-2'])
    expect(await ids('?status=running')).toEqual(['tr-running-4'])
    expect(await ids('?status=completed')).toEqual(['tr-chat-1'])
    expect(await ids('?model=claude-sonnet-4-5')).toEqual(['tr-agent-2'])
    // A whole model name only: gpt-4o does not match gpt-4o-mini.
    expect(await ids('?model=gpt-4o&hours=48')).toEqual(['tr-running-4', 'tr-chat-1', 'tr-agent-2'])
    expect(await ids('?model=gpt-4o-mini&hours=48')).toEqual(['tr-old-3'])
    expect(await ids('?model=gpt')).toEqual([])
    expect(await ids('?provider=anthropic')).toEqual(['tr-agent-2'])
    expect(await ids('?prompt_name=greet')).toEqual(['tr-chat-1', 'tr-agent-2'])
    expect(await ids('?prompt_name=greet&prompt_version=v2')).toEqual(['tr-agent-2'])
    expect(await ids('?prompt_version=v1')).toEqual(['tr-chat-1'])
    expect(await ids('?min_cost_micros=2500')).toEqual(['tr-chat-1', 'tr-agent-2'])
    expect(await ids('?min_cost_micros=2501')).toEqual(['tr-agent-2'])
    expect(await ids('?min_latency_ms=1500')).toEqual(['tr-chat-1', 'tr-agent-2'])
    expect(await ids('?min_latency_ms=1501')).toEqual(['tr-agent-2'])
    expect(await ids('?has_error=true')).toEqual(['tr-agent-2'])
    expect(await ids('?has_error=false')).toEqual(['tr-running-4', 'tr-chat-1'])
    expect(await ids('?session_id=s-1&has_error=false&min_cost_micros=1')).toEqual(['tr-chat-1'])
  })

  test('a filtered total counts the matches, not the page', async () => {
    const { body } = await get(rt, token, '/v1/llm/traces?session_id=s-1&limit=1')
    expect(body.traces.map((t: any) => t.id)).toEqual(['tr-chat-1'])
    expect([body.total, body.total_exact]).toEqual([2, true])
  })

  test('pages with limit and offset', async () => {
    expect(await ids('?limit=1&offset=1')).toEqual(['tr-chat-1'])
    expect(await ids('?limit=2&offset=2')).toEqual(['tr-agent-2'])
    expect(await ids('?offset=3')).toEqual([])
  })

  test('searches trace names, span names and error messages, hyphens and quotes as plain text', async () => {
    expect(await ids('?search=magic-word-ab12')).toEqual(['tr-chat-1'])
    expect(await ids('?search=MAGIC-word')).toEqual(['tr-chat-1'])
    expect(await ids('?search=rate%20limit')).toEqual(['tr-agent-2'])
    expect(await ids('?search=vector_search')).toEqual(['tr-chat-1', 'tr-agent-2'])
    expect(await ids('?search=vector_search&status=error')).toEqual(['tr-agent-2'])
    expect(await ids('?search=%22%20OR%20x')).toEqual([])
    expect(await ids('?search=secret')).toEqual([])
  })

  test('reads FTS syntax, quotes, control and astral characters as plain text, never a 500', async () => {
    const hostile = [
      '"""',
      'abc*',
      'NEAR(abc def)',
      '😀😀😀',
      'a\nb\tc',
      "'; DROP",
      '^abc',
      'abc:def',
      'name:chat',
    ]
    for (const text of hostile) expect(await ids(`?search=${encodeURIComponent(text)}`)).toEqual([])
    expect(await ids(`?search=${encodeURIComponent('word-ab12')}`)).toEqual(['tr-chat-1'])
    // A NUL would cut SQLite's query text short: refused, naming the parameter.
    const nul = await get(rt, token, '/v1/llm/traces?search=%00abc')
    expect([nul.status, nul.body.field]).toEqual([400, 'search'])
  })

  test('never shows another project: its token sees only its own trace', async () => {
    const { body } = await get(rt, otherToken, '/v1/llm/traces')
    expect(body.traces.map((t: any) => [t.id, t.name])).toEqual([['tr-chat-1', 'secret']])
    expect(body.total).toBe(1)
  })
})

describe('GET /v1/llm/search', () => {
  test('takes search, or q as the old dashboard sent it, with the list filters', async () => {
    const a = (await get(rt, token, '/v1/llm/search?search=magic-word')).body
    expect(a.traces.map((t: any) => t.id)).toEqual(['tr-chat-1'])
    expect([a.total, a.total_exact]).toEqual([1, true])
    const b = (await get(rt, token, '/v1/llm/search?q=agent')).body
    expect(b.traces.map((t: any) => t.id)).toEqual(['tr-agent-2'])
    const c = (await get(rt, token, '/v1/llm/search?q=vector&has_error=false')).body
    expect(c.traces.map((t: any) => t.id)).toEqual(['tr-chat-1'])
  })

  test('without text it is the list', async () => {
    const { body } = await get(rt, token, '/v1/llm/search')
    expect(body.traces.map((t: any) => t.id)).toEqual(['tr-running-4', 'tr-chat-1', 'tr-agent-2'])
  })

  test('refuses text shorter than 3 characters with 400 naming search', async () => {
    const { status, body } = await get(rt, token, '/v1/llm/search?search=ab')
    expect(status).toBe(400)
    expect(body).toMatchObject({ code: 'invalid_query', field: 'search' })
  })
})

describe('GET /v1/llm/traces/:id', () => {
  test('answers the flat shape, the trace sub-object and the span tree with the orphan at the root', async () => {
    const { status, body } = await get(rt, token, '/v1/llm/traces/tr-agent-2')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      id: 'tr-agent-2',
      project_id: 'default',
      name: 'agent-run',
      cost_micros: 6100,
    })
    expect(body.trace).toMatchObject({
      id: 'tr-agent-2',
      name: 'agent-run',
      status: 'error',
      cost_micros: 6100,
    })
    expect(body.trace.spans).toBeUndefined()
    expect(body.spans.map((s: any) => s.id)).toEqual(['a', 'b', 'c'])
    expect(body.spans[0]).toEqual({
      id: 'a',
      parent_span_id: null,
      span_type: 'generation',
      name: 'plan',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      status: 'error',
      error_message: 'upstream overloaded: rate limit',
      input: null,
      output: null,
      metadata: null,
      started_at: T2.spans[0]?.started_at,
      ended_at: (T2.spans[0]?.started_at as number) + 3000,
      latency_ms: 3000,
      time_to_first_token_ms: 800,
      input_tokens: 1000,
      output_tokens: 200,
      cache_read_tokens: 400,
      cache_write_tokens: null,
      reasoning_tokens: null,
      total_tokens: 1200,
      cost_micros: 6000,
      cost_source: 'client',
      price_version: null,
      // The failed span names the issue it became (test/http/llm.issues.test.ts follows it).
      issue_fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    })
    expect(body.spans[1].issue_fingerprint).toBeNull()
    expect(body.spans[1].metadata).toMatchObject({ 'rag.chunks_retrieved': 8 })
    const shape = (n: any): unknown => [n.id, n.orphan, n.children.map(shape)]
    expect(body.tree.map(shape)).toEqual([
      ['a', false, [['b', false, []]]],
      ['c', true, []],
    ])
  })

  test('nests several children under one parent in start order', async () => {
    const { body } = await get(rt, token, `/v1/llm/traces/${T1.id}`)
    const shape = (n: any): unknown => [n.id, n.children.map(shape)]
    expect(body.tree.map(shape)).toEqual([
      [
        's1',
        [
          ['s2', []],
          ['s3', []],
        ],
      ],
    ])
    expect(body.name).toBe('chat-completion magic-word-ab12')
  })

  test('answers each project its own trace of a shared id, and 404 for an unknown one', async () => {
    expect((await get(rt, otherToken, '/v1/llm/traces/tr-chat-1')).body.name).toBe('secret')
    const miss = await get(rt, token, '/v1/llm/traces/nope')
    expect(miss.status).toBe(404)
    expect(miss.body).toEqual({ error: 'trace not found: nope', code: 'not_found' })
  })

  test('refuses an id over 128 characters with 400', async () => {
    const { status, body } = await get(rt, token, `/v1/llm/traces/${'x'.repeat(129)}`)
    expect(status).toBe(400)
    expect(body.field).toBe('id')
  })
})

describe('search over stored content', () => {
  const withContent = (id: string): WireTrace => ({
    id,
    name: 'chat',
    started_at: NOW - 60_000,
    input: 'tell me about the zygomorphic orchid',
    spans: [{ id: 's', name: 'gen', output: 'orchids are zygomorphic', started_at: NOW - 60_000 }],
  })

  test('finds words of prompts and completions the policy stores, and none it strips', async () => {
    const full = await onTheClock(
      await startRuntime({ llm_tracing: { default_content_storage: 'full' } }, { now: () => NOW }),
    )
    try {
      await store(full, 'default', [withContent('tr-content')])
      const t = full.token(['llm:read'])
      expect(
        (await get(full, t, '/v1/llm/search?search=zygomorphic')).body.traces.map((x: any) => x.id),
      ).toEqual(['tr-content'])
    } finally {
      await full.dispose()
    }
    // This suite's runtime keeps metadata only: the same trace's text is not searchable.
    await store(rt, 'default', [withContent('tr-stripped')])
    expect((await get(rt, token, '/v1/llm/search?search=zygomorphic')).body.traces).toEqual([])
    expect(
      (await get(rt, token, '/v1/llm/search?search=tr-stripped')).body.traces.map((x: any) => x.id),
    ).toEqual(['tr-stripped'])
  })
})
