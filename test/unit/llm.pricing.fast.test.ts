import { describe, expect, test } from 'bun:test'
import { calcPrice, type ModelInfo, type ModelPrice, waitForUpdate } from '@pydantic/genai-prices'
import { mulberry32 } from '../../src/llm/experiments/random'
import { clearResolutions, compileCounts, tablePrice } from '../../src/llm/price-table'
import {
  dollarsToMicros,
  lookupTable,
  priceCandidates,
  priceUsage,
  roundMicros,
  roundMicrosByPrecision,
  toTableUsage,
} from '../../src/llm/pricing'
import type { Usage } from '../../src/llm/usage'

// The fast path (src/llm/price-table.ts) against the package's own calcPrice, called as
// the wrapper called it before: every candidate (model, provider) in order, first match wins.
type Outcome = { provider: string; model: string; total_price: number } | null | 'throws'

function reference(model: string, hint: string | null, usage: Usage, at: number): Outcome {
  const name = model.trim()
  try {
    for (const [candidate, providerId] of priceCandidates(name, hint)) {
      const found = calcPrice(toTableUsage(usage), candidate, { providerId, timestamp: new Date(at) })
      if (found) return { provider: found.provider.id, model: found.model.id, total_price: found.total_price }
    }
    return null
  } catch {
    return 'throws'
  }
}

function fast(model: string, hint: string | null, usage: Usage, at: number): Outcome {
  try {
    return lookupTable(model, hint, usage, at)
  } catch {
    return 'throws'
  }
}

const providers = (await waitForUpdate()) ?? []
const rng = mulberry32(20261202)
const int = (n: number) => Math.floor(rng() * n)
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T

const T0 = Date.parse('2023-01-01T00:00:00Z')
const T1 = Date.parse('2027-01-01T00:00:00Z')

function pricesOf(m: ModelInfo): ModelPrice[] {
  return Array.isArray(m.prices) ? m.prices.map((p) => p.prices) : [m.prices]
}

/** Tier starts of a model (and 0), so inputs land on both sides of every boundary. */
function tierStarts(m: ModelInfo): number[] {
  const starts = [0]
  for (const p of pricesOf(m))
    for (const v of Object.values(p))
      if (typeof v === 'object' && v) for (const t of v.tiers) starts.push(t.start)
  return starts
}

/** Instants around each constraint of a model: a start date, each end of a daily window. */
function instantsOf(m: ModelInfo): number[] {
  const out: number[] = []
  if (!Array.isArray(m.prices)) return out
  for (const p of m.prices) {
    const c = p.constraint
    if (c?.type === 'start_date') {
      const ms = Date.parse(c.start_date)
      out.push(ms - 1, ms, ms + 1)
    }
    if (c?.type === 'time_of_date') {
      for (const hhmm of [c.start_time, c.end_time]) {
        const day = Date.parse(
          `2025-06-0${1 + int(8)}T${hhmm.replace(/Z$/, '')}${hhmm.endsWith('Z') ? 'Z' : ''}`,
        )
        if (Number.isFinite(day)) out.push(day - 1, day, day + 1)
      }
    }
  }
  return out
}

function randomUsage(starts: number[]): Usage {
  const r = rng()
  const input = r < 0.1 ? 0 : r < 0.5 ? int(5000) : r < 0.8 ? pick(starts) + int(3) - 1 : int(2_000_000)
  const i = Math.max(0, input)
  const output = rng() < 0.1 ? 0 : int(rng() < 0.8 ? 4000 : 200_000)
  const read = rng() < 0.3 ? null : int(i + 1)
  const write = rng() < 0.4 ? null : int(i - (read ?? 0) + 1)
  const reasoning = rng() < 0.4 ? null : int(output + 1)
  return {
    input_tokens: i,
    output_tokens: output,
    cache_read_tokens: read,
    cache_write_tokens: write,
    reasoning_tokens: reasoning,
  }
}

describe('the fast price path equals calcPrice', () => {
  test('the table the property runs over is the whole package: providers, models, tiers, dated prices', () => {
    const models = providers.reduce((n, p) => n + p.models.length, 0)
    expect(providers.length).toBe(43)
    expect(models).toBe(1694)
    const all = providers.flatMap((p) => p.models)
    expect(all.filter((m) => tierStarts(m).length > 1).length).toBeGreaterThan(50)
    expect(all.filter((m) => instantsOf(m).length > 0).length).toBeGreaterThan(10)
  })

  test('for every model of the table, by id with and without its provider, dated and prefixed, over random usages and times', () => {
    clearResolutions()
    let compared = 0
    let priced = 0
    for (const p of providers) {
      for (const m of p.models) {
        const starts = tierStarts(m)
        const times = instantsOf(m)
        const names: [string, string | null][] = [
          [m.id, p.id],
          [m.id, null],
          [`${m.id}-20250929`, p.id],
          [`${p.id}/${m.id}`, null],
          [` ${m.id.toUpperCase()} `, pick([p.id, null, 'my-gateway'])],
        ]
        for (const [name, hint] of names) {
          for (let k = 0; k < 4; k++) {
            const usage = randomUsage(starts)
            const at = times.length && rng() < 0.5 ? pick(times) : T0 + int(T1 - T0)
            const want = reference(name, hint, usage, at)
            const got = fast(name, hint, usage, at)
            // The first call of a name resolves through the package; compare the later ones too.
            if (got !== 'throws' && got !== null)
              expect(Object.is(got.total_price, (want as { total_price: number }).total_price)).toBe(true)
            expect(got).toEqual(want)
            if (want && want !== 'throws') priced++
            compared++
          }
        }
      }
    }
    expect(compared).toBe(1694 * 5 * 4)
    // Every price object of the table compiled: none fell back to the package, so every
    // comparison after a name's first call above ran the compiled arithmetic.
    expect(compileCounts().slow).toBe(0)
    expect(compileCounts().compiled).toBeGreaterThan(1600)
    // Most names price; the rest resolve to nothing (a prefixed reseller name) or refuse.
    expect(priced).toBeGreaterThan(compared / 2)
  })

  test('unknown names, gateways and resellers resolve as the package resolves them', () => {
    const names: [string, string | null][] = [
      ['acme-llm-7b', null],
      ['acme-llm-7b', 'openai'],
      ['openai/gpt-4o', 'litellm'],
      ['anthropic/claude-sonnet-4-5-20250929', 'litellm'],
      ['openai/gpt-4o', 'openrouter'],
      ['gpt-4o', 'groq'],
      ['gpt-4o', 'my-company-gateway'],
      ['claude-sonnet-4-5-20250929', null],
      ['gemini-2.5-pro', 'google'],
      ['', null],
      ['/', null],
      ['openai:', null],
    ]
    for (let k = 0; k < 400; k++)
      names.push([`m-${int(1e9).toString(36)}`, pick([null, 'openai', 'anthropic', 'x'])])
    for (const [name, hint] of names)
      for (let k = 0; k < 3; k++) {
        const usage = randomUsage([0, 200_000])
        const at = T0 + int(T1 - T0)
        expect(fast(name, hint, usage, at)).toEqual(reference(name, hint, usage, at))
      }
  })

  test('the stored cost is the rounded reference total on the remembered path', () => {
    const usage = {
      input_tokens: 210_000,
      output_tokens: 1000,
      cache_read_tokens: 60_000,
      cache_write_tokens: 0,
      reasoning_tokens: null,
    }
    const at = Date.parse('2025-07-01T00:00:00Z')
    const want = reference('claude-sonnet-4-5', null, usage, at) as { total_price: number }
    for (let k = 0; k < 3; k++)
      expect(priceUsage({ model: 'claude-sonnet-4-5', usage, at, project_id: null }).cost_micros).toBe(
        dollarsToMicros(want.total_price),
      )
    expect(dollarsToMicros(want.total_price)).toBe(958_500)
  })
})

describe('the guard in front of the compiled arithmetic', () => {
  const usage: Usage = {
    input_tokens: 1000,
    output_tokens: 100,
    cache_read_tokens: 200,
    cache_write_tokens: null,
    reasoning_tokens: null,
  }
  const at = Date.parse('2025-07-01T00:00:00Z')
  const model = (prices: ModelInfo['prices']): ModelInfo => ({
    id: 'bloop-test-model',
    match: { equals: 'bloop-test-model' },
    prices,
  })
  const resolved = (m: ModelInfo) => () => ({
    resolved: { provider: 'test', model: m, name: m.id, providerId: undefined },
    total_price: Number.NaN,
  })
  const table = () => toTableUsage(usage)

  test('a unit bloop never reports adds nothing and still compiles', () => {
    const m = model({
      input_mtok: 2,
      output_mtok: 8,
      cache_read_mtok: 1,
      output_audio_mtok: 50,
      web_searches_kcount: 10,
    })
    const before = compileCounts()
    const key = `guard-a-${rng()}`
    tablePrice(key, usage, at, table, resolved(m))
    // 800 x 2 + 200 x 1 + 100 x 8 = 2600 micros
    expect(dollarsToMicros(tablePrice(key, usage, at, table, resolved(m))?.total_price ?? Number.NaN)).toBe(
      2600,
    )
    expect(compileCounts()).toEqual({ compiled: before.compiled + 1, slow: before.slow })
  })

  test('a price the package refuses is left to the package, which throws on every call', () => {
    const m = model({ input_mtok: -1, output_mtok: 8 })
    const before = compileCounts()
    const key = `guard-b-${rng()}`
    tablePrice(key, usage, at, table, resolved(m))
    expect(() => tablePrice(key, usage, at, table, resolved(m))).toThrow('Invalid price value for input_mtok')
    expect(compileCounts()).toEqual({ compiled: before.compiled, slow: before.slow + 1 })
  })

  test('conditional prices: the last constraint that holds wins, a daily window may wrap midnight', () => {
    const m = model([
      { prices: { input_mtok: 1, output_mtok: 1 } },
      {
        constraint: { type: 'start_date', start_date: '2025-01-01' },
        prices: { input_mtok: 2, output_mtok: 2 },
      },
      {
        constraint: { type: 'time_of_date', start_time: '22:00:00Z', end_time: '02:00:00+01:00' },
        prices: { input_mtok: 3, output_mtok: 3 },
      },
    ])
    const key = `guard-c-${rng()}`
    const at0 = (iso: string) => tablePrice(key, usage, Date.parse(iso), table, resolved(m))?.total_price
    at0('2024-06-01T12:00:00Z')
    const u = 1100 / 1e6
    expect(at0('2024-06-01T12:00:00Z')).toBe(u)
    expect(at0('2024-12-31T23:59:59.999Z')).toBe(3 * u)
    expect(at0('2025-01-01T00:00:00Z')).toBe(3 * u)
    expect(at0('2025-01-01T00:59:59.999Z')).toBe(3 * u)
    expect(at0('2025-01-01T01:00:00Z')).toBe(2 * u)
    expect(at0('2025-01-01T21:59:59.999Z')).toBe(2 * u)
    expect(at0('2025-01-01T22:00:00Z')).toBe(3 * u)
    expect(() => tablePrice(key, usage, 8.64e15 + 1, table, resolved(m))).toThrow('Invalid time value')
  })
})

describe('rounding microdollars without toPrecision where it cannot matter', () => {
  const same = (x: number) => {
    const got = roundMicros(x)
    const want = roundMicrosByPrecision(x)
    if (!Object.is(got, want)) throw new Error(`roundMicros(${x}) = ${got}, by precision ${want}`)
  }

  test('equals the 15-digit rounding on costs as the table computes them: decimal prices times token counts', () => {
    const decimals = [
      0.075, 0.1, 0.15, 0.25, 0.3, 0.6, 1.1, 1.25, 2.5, 3, 3.75, 4.4, 6, 10, 15, 22.5, 75, 0.0375, 0.02,
    ]
    for (let k = 0; k < 200_000; k++) {
      const a = pick(decimals) * int(2_000_000)
      const b = pick(decimals) * int(50_000)
      const c = pick(decimals) * int(200_000)
      // The package's order: each term per token unit, input and output summed apart, then dollars to micros.
      same(((a / 1e6 + c / 1e6 + b / 1e6) as number) * 1e6)
      same((a / 1e6) * 1e6)
    }
  })

  test('equals it next to every half, on both sides, at every magnitude, and for negative amounts', () => {
    for (let k = 0; k < 30_000; k++) {
      const base = Math.floor(10 ** (rng() * 15)) + 0.5
      let x = base
      for (let step = 0; step < 4; step++) {
        same(x)
        same(-x)
        x = step % 2 === 0 ? nextDown(base, step + 1) : nextUp(base, step + 1)
      }
      same(rng() * 10 ** (rng() * 18 - 3))
    }
    for (const x of [
      0,
      -0,
      0.5,
      -0.5,
      0.49999999999999994,
      124.49999999999999,
      1e14 - 0.5,
      1e14 + 0.5,
      1e15,
      1e300,
    ])
      same(x)
    expect(roundMicros(124.49999999999999)).toBe(125)
    expect(Object.is(roundMicros(-0.2), 0)).toBe(true)
  })
})

/** The double `n` steps below / above x. */
function nextDown(x: number, n: number): number {
  const b = new Float64Array([x])
  const i = new BigInt64Array(b.buffer)
  i[0] = (i[0] as bigint) - BigInt(n)
  return b[0] as number
}
function nextUp(x: number, n: number): number {
  return nextDown(x, -n)
}
