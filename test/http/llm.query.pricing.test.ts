/** GET /v1/llm/pricing: the price the ingest would apply to a model, per million tokens of each kind. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TABLE_PRICE_VERSION } from '../../src/llm/pricing'
import { putOverride } from '../../src/llm/settings/store'
import type { TestRuntime } from '../helpers'
import { projectIn } from '../helpers'
import { get, llmRuntime, NOW } from '../llm.query.helpers'

let rt: TestRuntime
let token: string
let otherToken: string
beforeAll(async () => {
  rt = await llmRuntime()
  const other = await projectIn(rt.core.backend, { name: 'Other', slug: 'other' }, NOW)
  token = rt.token(['llm:read'])
  otherToken = rt.token(['llm:read'], other.id)
  let n = 0
  const body = {
    model_pattern: 'my-ft-*',
    match: 'glob' as const,
    provider: null,
    input_per_mtok: 4,
    output_per_mtok: 16,
    cache_read_per_mtok: null,
    cache_write_per_mtok: null,
    reasoning_per_mtok: null,
    effective_from: NOW - 1000,
  }
  await putOverride(rt.core.backend, 'default', body, 'test', NOW, () => `ov-${++n}`)
  // Effective only from tomorrow: not the price today.
  await putOverride(
    rt.core.backend,
    'default',
    { ...body, input_per_mtok: 99, effective_from: NOW + 86_400_000 },
    'test',
    NOW,
    () => `ov-${++n}`,
  )
})
afterAll(() => rt.dispose())

describe('GET /v1/llm/pricing', () => {
  test("gives a table model's prices, dated names resolved", async () => {
    const { status, body } = await get(rt, token, '/v1/llm/pricing?model=gpt-4o-2024-08-06')
    expect(status).toBe(200)
    expect(body).toEqual({
      project_id: 'default',
      model: 'gpt-4o-2024-08-06',
      provider: null,
      source: 'table',
      matched: { provider: 'openai', model: 'gpt-4o' },
      price_version: TABLE_PRICE_VERSION,
      input_per_mtok: 2.5,
      output_per_mtok: 10,
      cache_read_per_mtok: 1.25,
      cache_write_per_mtok: 2.5,
      at: NOW,
    })
    const claude = (await get(rt, token, '/v1/llm/pricing?model=claude-sonnet-4-5-20250929')).body
    expect([
      claude.input_per_mtok,
      claude.output_per_mtok,
      claude.cache_read_per_mtok,
      claude.cache_write_per_mtok,
    ]).toEqual([3, 15, 0.3, 3.75])
  })

  test("gives the project's override in effect, and not to another project", async () => {
    const { body } = await get(rt, token, '/v1/llm/pricing?model=my-ft-v2')
    expect(body).toMatchObject({
      source: 'override',
      price_version: `override:ov-1@${NOW - 1000}`,
      input_per_mtok: 4,
      output_per_mtok: 16,
      cache_read_per_mtok: 4,
    })
    expect((await get(rt, otherToken, '/v1/llm/pricing?model=my-ft-v2')).status).toBe(404)
  })

  test('answers 404 for a model no price matches, naming the way to add one', async () => {
    const { status, body } = await get(rt, token, '/v1/llm/pricing?model=no-such-model')
    expect(status).toBe(404)
    expect(body.error).toContain('PUT /v1/llm/pricing/overrides')
  })

  test('without a model, names the price table in use', async () => {
    expect((await get(rt, token, '/v1/llm/pricing')).body).toEqual({
      project_id: 'default',
      table: { package: '@pydantic/genai-prices', version: '0.1.8', price_version: TABLE_PRICE_VERSION },
    })
  })
})
