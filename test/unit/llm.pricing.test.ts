import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { PricingOverride } from '../../src/llm/overrides'
import {
  dollarsToMicros,
  GENAI_PRICES_VERSION,
  type PriceRequest,
  priceUsage,
  roundHalfAwayFromZero,
  TABLE_PRICE_VERSION,
} from '../../src/llm/pricing'
import type { Usage } from '../../src/llm/usage'
import golden from './fixtures/llm-prices.golden.json'

const ROOT = join(import.meta.dir, '..', '..')
const AT = Date.parse('2025-07-01T00:00:00Z')
const usage = (input: number | null, output: number | null, extra: Partial<Usage> = {}): Usage => ({
  input_tokens: input,
  output_tokens: output,
  cache_read_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  ...extra,
})
const price = (req: Partial<PriceRequest> & Pick<PriceRequest, 'model' | 'usage'>) =>
  priceUsage({ at: AT, project_id: 'p1', ...req })

describe('rounding money', () => {
  test('rounds half away from zero, never to even', () => {
    expect(roundHalfAwayFromZero(0.5)).toBe(1)
    expect(roundHalfAwayFromZero(-0.5)).toBe(-1)
    expect(roundHalfAwayFromZero(2.5)).toBe(3)
    expect(roundHalfAwayFromZero(-2.5)).toBe(-3)
    expect(roundHalfAwayFromZero(1.4999)).toBe(1)
    expect(roundHalfAwayFromZero(-1.4999)).toBe(-1)
    expect(roundHalfAwayFromZero(7)).toBe(7)
    // The largest double below 0.5 is below half: Math.floor(x + 0.5) would say 1.
    expect(roundHalfAwayFromZero(0.49999999999999994)).toBe(0)
    expect(Object.is(roundHalfAwayFromZero(-0.2), 0)).toBe(true)
  })

  test('converts dollars to integer microdollars', () => {
    expect(dollarsToMicros(1e-7)).toBe(0)
    expect(dollarsToMicros(0.0025)).toBe(2500)
    expect(dollarsToMicros(0)).toBe(0)
    expect(dollarsToMicros(12.345678)).toBe(12_345_678)
    expect(dollarsToMicros(5e-7)).toBe(1)
    expect(dollarsToMicros(-5e-7)).toBe(-1)
    // $0.0001245 is 124.5 micros in decimal but 124.49999999999999 in binary floating point.
    expect(0.0001245 * 1e6).toBeLessThan(124.5)
    expect(dollarsToMicros(0.0001245)).toBe(125)
    expect(dollarsToMicros(-0.0001245)).toBe(-125)
    expect(() => dollarsToMicros(Number.NaN)).toThrow('expected a finite amount of dollars, got NaN')
    expect(() => dollarsToMicros(Number.POSITIVE_INFINITY)).toThrow('got Infinity')
  })
})

describe('the price table stays inside the package', () => {
  test('the version bloop reports is the one installed, pinned exactly', async () => {
    const installed = await Bun.file(join(ROOT, 'node_modules/@pydantic/genai-prices/package.json')).json()
    const manifest = await Bun.file(join(ROOT, 'package.json')).json()
    expect(installed.version).toBe(GENAI_PRICES_VERSION)
    expect(manifest.dependencies['@pydantic/genai-prices']).toBe(GENAI_PRICES_VERSION)
    expect(TABLE_PRICE_VERSION).toBe('genai-prices@0.1.8')
  })

  const original = globalThis.fetch
  afterEach(() => {
    globalThis.fetch = original
  })

  test('prices calls with fetch replaced by a function that throws', () => {
    let calls = 0
    globalThis.fetch = Object.assign(
      () => {
        calls++
        throw new Error('no network in a price lookup')
      },
      { preconnect: () => {} },
    ) as typeof fetch
    expect(price({ model: 'gpt-4o', usage: usage(1000, 500) }).cost_micros).toBe(7500)
    expect(price({ model: 'claude-sonnet-4-5', usage: usage(1000, 500) }).cost_micros).toBe(10500)
    expect(price({ model: 'acme-llm-7b', usage: usage(1000, 500) }).source).toBe('unknown')
    expect(calls).toBe(0)
  })

  test('a fresh process that imports the wrapper with fetch throwing prices from the bundled data', async () => {
    // Covers import time too: the module is loaded only after fetch is replaced.
    const script = `
      globalThis.fetch = () => { throw new Error('fetched') }
      const { priceUsage } = await import(${JSON.stringify(join(ROOT, 'src/llm/pricing.ts'))})
      const usage = { input_tokens: 1000, output_tokens: 500, cache_read_tokens: 200, cache_write_tokens: null, reasoning_tokens: 0 }
      console.log(JSON.stringify(priceUsage({ model: 'gpt-4o', usage, at: ${AT}, project_id: null })))
    `
    const proc = Bun.spawn([process.execPath, '-e', script], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(out)).toEqual({
      source: 'table',
      cost_micros: 7250,
      price_version: 'genai-prices@0.1.8',
      matched: { provider: 'openai', model: 'gpt-4o' },
    })
  })
})

describe('golden prices (fail on a package upgrade that changes one: look, then update)', () => {
  for (const c of golden.cases) {
    test(c.name, () => {
      // The expected figure must be the one the hand arithmetic arrives at.
      const last = /= (null|\d+) micros$/.exec(c.arithmetic)?.[1]
      expect(last).toBe(String(c.expected.cost_micros))
      const result = priceUsage({
        model: c.model,
        provider: c.provider,
        usage: c.usage,
        at: Date.parse(c.at),
        project_id: 'p1',
        overrides: ('overrides' in c ? c.overrides : []) as PricingOverride[],
      })
      expect({ cost_micros: result.cost_micros, source: result.source, matched: result.matched }).toEqual(
        c.expected as never,
      )
    })
  }

  test('the fixture covers about twenty models and names the pinned package', () => {
    expect(golden.package).toBe(`@pydantic/genai-prices@${GENAI_PRICES_VERSION}`)
    expect(golden.cases.length).toBe(24)
  })
})

describe('model names', () => {
  const u = usage(1000, 1000, { cache_read_tokens: 0 })
  const matched = (model: string, provider?: string | null) => price({ model, provider, usage: u }).matched

  test('dated names resolve with and without a provider hint', () => {
    expect(matched('gpt-4o-2024-08-06')).toEqual({ provider: 'openai', model: 'gpt-4o' })
    expect(matched('gpt-4o-2024-08-06', 'openai')).toEqual({ provider: 'openai', model: 'gpt-4o' })
    expect(matched('claude-sonnet-4-5-20250929')).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    })
    expect(matched('claude-sonnet-4-5-20250929', 'anthropic')).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    })
    expect(matched('claude-3-5-sonnet-20241022')).toEqual({
      provider: 'anthropic',
      model: 'claude-3-5-sonnet',
    })
    expect(matched('claude-3-5-sonnet-20241022', 'anthropic')).toEqual({
      provider: 'anthropic',
      model: 'claude-3-5-sonnet',
    })
  })

  test('provider-prefixed names resolve, with ":" as well as "/"', () => {
    expect(matched('openai/gpt-4o')).toEqual({ provider: 'openai', model: 'gpt-4o' })
    expect(matched('openai/gpt-4o', 'openai')).toEqual({ provider: 'openai', model: 'gpt-4o' })
    expect(matched('anthropic/claude-sonnet-4-5-20250929')).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    })
    expect(matched('google:gemini-2.5-pro')).toEqual({ provider: 'google', model: 'gemini-2.5-pro' })
    // A gateway's own hint goes first: LiteLLM names the upstream in the prefix.
    expect(matched('openai/gpt-4o', 'litellm')).toEqual({ provider: 'openai', model: 'gpt-4o' })
  })

  test("a known provider hint picks that provider's price, a reseller's included", () => {
    expect(matched('openai/gpt-4o', 'openrouter')).toEqual({ provider: 'openrouter', model: 'openai/gpt-4o' })
    // OpenRouter's entry has no cache-read price: cached tokens cost the input price there.
    const cached = usage(1000, 0, { cache_read_tokens: 1000 })
    expect(price({ model: 'openai/gpt-4o', provider: 'openrouter', usage: cached }).cost_micros).toBe(2500)
    expect(price({ model: 'gpt-4o', provider: 'openai', usage: cached }).cost_micros).toBe(1250)
  })

  test('a hint the table does not know is ignored; a known provider without the model is unknown', () => {
    expect(matched('gpt-4o', 'my-company-gateway')).toEqual({ provider: 'openai', model: 'gpt-4o' })
    expect(price({ model: 'gpt-4o', provider: 'groq', usage: u })).toEqual({
      source: 'unknown',
      cost_micros: null,
      price_version: 'genai-prices@0.1.8',
      matched: null,
      reason: 'model_not_found',
    })
  })

  test('names are matched without regard to case or surrounding spaces', () => {
    expect(matched(' GPT-4o ')).toEqual({ provider: 'openai', model: 'gpt-4o' })
  })

  test('an unknown model costs null, not 0', () => {
    expect(price({ model: 'acme-llm-7b', usage: u })).toEqual({
      source: 'unknown',
      cost_micros: null,
      price_version: 'genai-prices@0.1.8',
      matched: null,
      reason: 'model_not_found',
    })
  })
})

describe('usage and prices', () => {
  test('unknown input or output leaves the cost unknown but says which price would apply', () => {
    expect(price({ model: 'gpt-4o', usage: usage(null, null) })).toEqual({
      source: 'unknown',
      cost_micros: null,
      price_version: 'genai-prices@0.1.8',
      matched: { provider: 'openai', model: 'gpt-4o' },
      reason: 'usage_unknown',
    })
    expect(price({ model: 'gpt-4o', usage: usage(1000, null) }).cost_micros).toBeNull()
  })

  test('unknown cache counts are priced as plain input', () => {
    // 1000 x 2.50 + 500 x 10 = 2500 + 5000 = 7500
    expect(price({ model: 'gpt-4o', usage: usage(1000, 500) }).cost_micros).toBe(7500)
  })

  test('the long-context tier is chosen by the whole input, cache tokens included', () => {
    // 150000 uncached + 60000 cache reads = 210000 > 200000: tier $6/M, $0.60/M, $22.50/M out
    // 150000 x 6 + 60000 x 0.60 + 1000 x 22.50 = 900000 + 36000 + 22500 = 958500
    const u = usage(210_000, 1000, { cache_read_tokens: 60_000, cache_write_tokens: 0 })
    expect(price({ model: 'claude-sonnet-4-5', usage: u }).cost_micros).toBe(958_500)
  })

  test('a reasoning price of its own applies to the reasoning part of the output', () => {
    // OpenRouter's perplexity/sonar-deep-research: $2/M in, $8/M out, $3/M reasoning
    // 1000 x 2 + 400 x 8 + 600 x 3 = 2000 + 3200 + 1800 = 7000
    const u = usage(1000, 1000, { reasoning_tokens: 600 })
    const r = price({ model: 'perplexity/sonar-deep-research', provider: 'openrouter', usage: u })
    expect(r.cost_micros).toBe(7000)
  })

  test('refuses a usage that breaks the invariants and a time that is not epoch ms', () => {
    expect(() => price({ model: 'gpt-4o', usage: usage(10, 5, { cache_read_tokens: 20 }) })).toThrow(
      'expected a normalized usage, got input_tokens: cache tokens (20) exceed input_tokens (10)',
    )
    expect(() => price({ model: 'gpt-4o', usage: usage(-1, 5) })).toThrow(
      'expected a normalized usage, got input_tokens: expected a non-negative token count, got -1',
    )
    expect(() => price({ model: 'gpt-4o', usage: usage(1, 1), at: Number.NaN })).toThrow(
      "expected the call's time in epoch ms, got NaN",
    )
  })
})

describe('overrides in the order of precedence', () => {
  const base: PricingOverride = {
    id: 'g',
    project_id: null,
    model_pattern: 'gpt-4o',
    match: 'exact',
    provider: null,
    input_per_mtok: 1,
    output_per_mtok: 1,
    cache_read_per_mtok: null,
    cache_write_per_mtok: null,
    reasoning_per_mtok: null,
    effective_from: Date.parse('2025-01-01T00:00:00Z'),
  }
  const u = usage(1000, 0)

  test('a project override beats a global one, which beats the table', () => {
    const global = { ...base, id: 'g', input_per_mtok: 2 }
    const project = { ...base, id: 'p', project_id: 'p1', input_per_mtok: 3 }
    expect(price({ model: 'gpt-4o', usage: u })).toMatchObject({ source: 'table', cost_micros: 2500 })
    expect(price({ model: 'gpt-4o', usage: u, overrides: [global] })).toEqual({
      source: 'override',
      cost_micros: 2000,
      price_version: `override:g@${base.effective_from}`,
      matched: { provider: null, model: 'gpt-4o' },
      override_id: 'g',
    })
    expect(price({ model: 'gpt-4o', usage: u, overrides: [global, project] })).toMatchObject({
      cost_micros: 3000,
      override_id: 'p',
    })
    // Another project's override does not apply.
    expect(price({ model: 'gpt-4o', usage: u, project_id: 'p2', overrides: [project] })).toMatchObject({
      source: 'table',
    })
  })

  test('an override not yet effective at the call leaves the table price', () => {
    const later = { ...base, effective_from: AT + 1 }
    expect(price({ model: 'gpt-4o', usage: u, overrides: [later] }).source).toBe('table')
    expect(price({ model: 'gpt-4o', usage: u, at: AT + 1, overrides: [later] }).source).toBe('override')
  })

  test('an override with unknown usage is unknown, naming the override', () => {
    expect(price({ model: 'gpt-4o', usage: usage(null, 10), overrides: [base] })).toEqual({
      source: 'unknown',
      cost_micros: null,
      price_version: `override:g@${base.effective_from}`,
      matched: { provider: null, model: 'gpt-4o' },
      reason: 'usage_unknown',
    })
  })
})
