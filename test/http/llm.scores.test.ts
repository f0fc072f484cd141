/** Scores, feedback and budget writes: validation at the boundaries, upserts, 404 for an unknown trace. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, trace } from '../llm.helpers'

let rt: TestRuntime
let headers: Record<string, string>
beforeAll(async () => {
  rt = await startRuntime()
  headers = {
    authorization: `Bearer ${rt.token(['llm:read', 'llm:write'])}`,
    'content-type': 'application/json',
  }
  await rt.handle(signedTrace('/v1/traces', trace({ id: 't1' })))
})
afterAll(() => rt.dispose())

const post = async (path: string, body: unknown, method = 'POST') => {
  const res = await rt.fetch(path, { method, headers, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const score = (body: unknown) => post('/v1/llm/traces/t1/scores', body)
const feedback = (body: unknown) => post('/v1/llm/traces/t1/feedback', body)

describe('POST /v1/llm/traces/:id/scores', () => {
  test('stores a score and replaces it on the same name', async () => {
    expect(await score({ name: 'quality', value: 0.85, comment: 'Good' })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    })
    expect((await score({ name: 'quality', value: 0.5, source: 'user' })).status).toBe(200)
    expect(
      await rt.core.backend.all("SELECT name, value, source, comment FROM llm_scores WHERE trace_id = 't1'"),
    ).toEqual([{ name: 'quality', value: 0.5, source: 'user', comment: null }])
  })

  test('validates each field at its boundary', async () => {
    const field = async (body: unknown) => {
      const r = await score(body)
      return r.status === 400 ? r.body.field : r.status
    }
    expect(await field({ name: 'a'.repeat(64), value: 1 })).toBe(200)
    expect(await field({ name: 'a'.repeat(65), value: 1 })).toBe('name')
    expect(await field({ name: 'bad name', value: 1 })).toBe('name')
    expect(await field({ name: 'zero', value: 0 })).toBe(200)
    expect(await field({ name: 'over', value: 1.01 })).toBe('value')
    expect(await field({ name: 'neg', value: -0.01 })).toBe('value')
    expect(await field({ name: 'src', value: 1, source: 'robot' })).toBe('source')
    expect(await field({ name: 'c500', value: 1, comment: 'é'.repeat(250) })).toBe(200)
    expect(await field({ name: 'c501', value: 1, comment: `${'é'.repeat(250)}x` })).toBe('comment')
    expect(await field({ name: 'x', value: 1, extra: true })).toBe('extra')
  })

  test('an unknown trace is 404', async () => {
    expect(await post('/v1/llm/traces/nope/scores', { name: 'q', value: 1 })).toEqual({
      status: 404,
      body: { error: 'trace not found: nope', code: 'not_found' },
    })
  })
})

describe('signed like ingest', () => {
  test('a score or a vote signed with the project key is stored in that project; a bad signature is 401', async () => {
    const signedScore = await rt.handle(
      signedTrace('/v1/llm/traces/t1/scores', { name: 'signed', value: 0.9 }),
    )
    expect(signedScore.status).toBe(200)
    expect(
      await rt.core.backend.get("SELECT project_id, value FROM llm_scores WHERE name = 'signed'"),
    ).toEqual({
      project_id: 'default',
      value: 0.9,
    })
    expect(
      (await rt.handle(signedTrace('/v1/llm/traces/t1/feedback', { value: -1, user_id: 'app' }))).status,
    ).toBe(200)
    const forged = await rt.fetch('/v1/llm/traces/t1/scores', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': '0'.repeat(64) },
      body: JSON.stringify({ name: 'forged', value: 1 }),
    })
    expect(forged.status).toBe(401)
    expect(await rt.core.backend.get("SELECT count(*) AS n FROM llm_scores WHERE name = 'forged'")).toEqual({
      n: 0,
    })
  })
})

describe('POST /v1/llm/traces/:id/feedback', () => {
  test('one vote per user, anonymous by default, replaced by a later vote', async () => {
    expect((await feedback({ value: 1 })).status).toBe(200)
    expect((await feedback({ value: -1, user_id: 'u1', comment: 'wrong' })).status).toBe(200)
    expect((await feedback({ value: 1, user_id: 'u1' })).status).toBe(200)
    expect(
      await rt.core.backend.all(
        "SELECT user_id, value FROM llm_feedback WHERE trace_id = 't1' ORDER BY user_id COLLATE BINARY",
      ),
    ).toEqual([
      { user_id: 'anonymous', value: 1 },
      { user_id: 'app', value: -1 },
      { user_id: 'u1', value: 1 },
    ])
  })

  test('a value other than 1 or -1 is a 400', async () => {
    for (const value of [2, 0, 0.5, '1']) expect((await feedback({ value })).body.field).toBe('value')
    expect((await post('/v1/llm/traces/nope/feedback', { value: 1 })).status).toBe(404)
  })
})

describe('PUT /v1/llm/budget', () => {
  test('stores the budget and its alert rate; refuses negatives and rates outside (0, 1]', async () => {
    expect(
      await post('/v1/llm/budget', { monthly_budget_micros: 50_000_000, budget_alert_rate: 1 }, 'PUT'),
    ).toEqual({
      status: 200,
      body: { project_id: 'default', monthly_budget_micros: 50_000_000, budget_alert_rate: 1 },
    })
    expect((await post('/v1/llm/budget', { monthly_budget_micros: -1 }, 'PUT')).body.field).toBe(
      'monthly_budget_micros',
    )
    expect((await post('/v1/llm/budget', {}, 'PUT')).body.field).toBe('monthly_budget_micros')
    expect(
      (await post('/v1/llm/budget', { monthly_budget_micros: 1, budget_alert_rate: 0 }, 'PUT')).body.field,
    ).toBe('budget_alert_rate')
    expect((await post('/v1/llm/budget', { monthly_budget_micros: 1.5 }, 'PUT')).body.field).toBe(
      'monthly_budget_micros',
    )
  })
})
