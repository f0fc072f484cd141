/**
 * Parameter checks of the LLM read API: every cap at its boundary (n allowed, n+1 a 400),
 * zero, negatives and non-integers refused, each 400 naming the parameter; nothing a
 * client sends in a query string is a 500.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestRuntime } from '../helpers'
import { get, llmRuntime } from '../llm.query.helpers'

let rt: TestRuntime
let token: string
beforeAll(async () => {
  rt = await llmRuntime()
  token = rt.token(['llm:read'])
})
afterAll(() => rt.dispose())

const WINDOWED = [
  '/v1/llm/overview',
  '/v1/llm/usage',
  '/v1/llm/latency',
  '/v1/llm/models',
  '/v1/llm/traces',
  '/v1/llm/search',
  '/v1/llm/sessions',
  '/v1/llm/tools',
  '/v1/llm/rag',
  '/v1/llm/prompts',
  '/v1/llm/prompts/p/versions',
  '/v1/llm/scores/summary',
  '/v1/llm/feedback/summary',
]
const LIMITED = [
  '/v1/llm/usage',
  '/v1/llm/models',
  '/v1/llm/traces',
  '/v1/llm/search',
  '/v1/llm/sessions',
  '/v1/llm/sessions/s-1',
  '/v1/llm/tools',
  '/v1/llm/rag',
  '/v1/llm/prompts',
  '/v1/llm/prompts/p/versions',
]
const sep = (path: string) => (path.includes('?') ? '&' : '?')

async function refused(path: string, field: string) {
  const { status, body } = await get(rt, token, path)
  expect({ path, status, code: body.code, field: body.field }).toEqual({
    path,
    status: 400,
    code: 'invalid_query',
    field,
  })
  expect(body.error).toContain(field)
}

describe('hours', () => {
  for (const path of WINDOWED) {
    test(`${path}: defaults to 24, takes 1 and 720, refuses 721, 0, -1, 1.5, 2e2 and text`, async () => {
      expect((await get(rt, token, path)).body.window_hours).toBe(24)
      expect((await get(rt, token, `${path}${sep(path)}hours=720`)).body.window_hours).toBe(720)
      expect((await get(rt, token, `${path}${sep(path)}hours=1`)).status).toBe(200)
      for (const bad of ['721', '0', '-1', '1.5', '2e2', 'abc', ''])
        await refused(`${path}${sep(path)}hours=${bad}`, 'hours')
    })
  }
})

describe('limit and offset', () => {
  for (const path of LIMITED) {
    test(`${path}: limit takes 1 and 200, refuses 201, 0, -1, 2.5; offset refuses -1 and 1.5`, async () => {
      for (const ok of ['1', '200']) {
        const res = await get(rt, token, `${path}${sep(path)}limit=${ok}`)
        // sessions/:id of an unknown session is 404 once its parameters are fine.
        expect([200, 404]).toContain(res.status)
      }
      for (const bad of ['201', '0', '-1', '2.5', 'ten'])
        await refused(`${path}${sep(path)}limit=${bad}`, 'limit')
    })
  }

  for (const path of ['/v1/llm/usage', '/v1/llm/traces', '/v1/llm/sessions']) {
    test(`${path}: offset defaults to 0 and refuses -1 and 1.5`, async () => {
      const { body } = await get(rt, token, path)
      expect([body.limit, body.offset]).toEqual([50, 0])
      for (const bad of ['-1', '1.5', '9223372036854775807']) await refused(`${path}?offset=${bad}`, 'offset')
    })
  }
})

describe('trace list filters', () => {
  test('refuses an unknown sort, status or has_error value, naming it', async () => {
    await refused('/v1/llm/traces?sort=cost_desc', 'sort')
    await refused('/v1/llm/traces?status=failed', 'status')
    await refused('/v1/llm/traces?has_error=yes', 'has_error')
  })

  test('takes each sort and status the API names', async () => {
    for (const sort of ['newest', 'oldest', 'most_expensive', 'slowest'])
      expect((await get(rt, token, `/v1/llm/traces?sort=${sort}`)).status).toBe(200)
    for (const status of ['running', 'completed', 'error'])
      expect((await get(rt, token, `/v1/llm/traces?status=${status}`)).status).toBe(200)
  })

  test('refuses negative or fractional minimums', async () => {
    await refused('/v1/llm/traces?min_cost_micros=-1', 'min_cost_micros')
    await refused('/v1/llm/traces?min_cost_micros=0.5', 'min_cost_micros')
    await refused('/v1/llm/traces?min_latency_ms=-5', 'min_latency_ms')
    expect((await get(rt, token, '/v1/llm/traces?min_cost_micros=0&min_latency_ms=0')).status).toBe(200)
  })

  test('refuses an id over 128 characters and a parameter the route does not know', async () => {
    await refused(`/v1/llm/traces?session_id=${'s'.repeat(129)}`, 'session_id')
    expect((await get(rt, token, `/v1/llm/traces?session_id=${'s'.repeat(128)}`)).status).toBe(200)
    await refused('/v1/llm/traces?sesion_id=x', 'sesion_id')
    await refused('/v1/llm/overview?model=x', 'model')
  })

  test('search: 3 characters is the shortest, 512 the longest', async () => {
    expect((await get(rt, token, '/v1/llm/traces?search=abc')).status).toBe(200)
    await refused('/v1/llm/traces?search=ab', 'search')
    expect((await get(rt, token, `/v1/llm/traces?search=${'a'.repeat(512)}`)).status).toBe(200)
    await refused(`/v1/llm/traces?search=${'a'.repeat(513)}`, 'search')
  })
})

describe('other routes', () => {
  test('compare needs v1 and v2', async () => {
    await refused('/v1/llm/prompts/p/compare', 'v1')
    await refused('/v1/llm/prompts/p/compare?v1=a', 'v2')
    expect((await get(rt, token, '/v1/llm/prompts/p/compare?v1=a&v2=b')).status).toBe(200)
  })

  test('pricing: a model name over 512 characters and an unknown parameter are refused', async () => {
    await refused(`/v1/llm/pricing?model=${'m'.repeat(513)}`, 'model')
    await refused('/v1/llm/pricing?hours=5', 'hours')
  })

  test('a score name over 64 characters is refused', async () => {
    await refused(`/v1/llm/scores/summary?name=${'n'.repeat(65)}`, 'name')
    expect((await get(rt, token, `/v1/llm/scores/summary?name=${'n'.repeat(64)}`)).status).toBe(200)
  })

  test('the budget of a user who sees several projects needs project_id', async () => {
    // A token sees one project; the session case is in llm.query.security.test.ts.
    expect((await get(rt, token, '/v1/llm/budget')).status).toBe(200)
  })
})

describe('metrics', () => {
  test('LLM reads are their own route group in /metrics, refused ones included', async () => {
    await get(rt, token, '/v1/llm/overview')
    await get(rt, token, '/v1/llm/traces?limit=0')
    const text = await (await rt.fetch('/metrics')).text()
    expect(text).toContain('bloop_http_requests_total{route="/v1/llm",status="200"}')
    expect(text).toContain('bloop_http_requests_total{route="/v1/llm",status="400"}')
    expect(text).toContain('bloop_http_request_duration_seconds_count{route="/v1/llm",method="GET"}')
  })
})
