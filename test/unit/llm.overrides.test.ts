import { describe, expect, test } from 'bun:test'
import {
  globMatch,
  overrideCostMicros,
  type PricingOverride,
  selectOverride,
  validateOverrideBody,
} from '../../src/llm/overrides'
import type { Usage } from '../../src/llm/usage'

const AT = Date.parse('2025-07-01T00:00:00Z')
const JAN = Date.parse('2025-01-01T00:00:00Z')
const ov = (id: string, o: Partial<PricingOverride> = {}): PricingOverride => ({
  id,
  project_id: null,
  model_pattern: 'my-ft-*',
  match: 'glob',
  provider: null,
  input_per_mtok: 1,
  output_per_mtok: 2,
  cache_read_per_mtok: null,
  cache_write_per_mtok: null,
  reasoning_per_mtok: null,
  effective_from: JAN,
  ...o,
})
const pick = (
  list: PricingOverride[],
  q: { model?: string; provider?: string | null; project_id?: string | null; at?: number } = {},
) =>
  selectOverride(list, {
    model: q.model ?? 'my-ft-support-v3',
    provider: q.provider ?? null,
    project_id: q.project_id === undefined ? 'p1' : q.project_id,
    at: q.at ?? AT,
  })?.id ?? null

describe('which override prices a call', () => {
  test('a project override beats a global one, even a global exact one', () => {
    const list = [
      ov('global-exact', { match: 'exact', model_pattern: 'my-ft-support-v3' }),
      ov('project-glob', { project_id: 'p1' }),
    ]
    expect(pick(list)).toBe('project-glob')
    expect(pick(list, { project_id: 'p2' })).toBe('global-exact')
    expect(pick(list, { project_id: null })).toBe('global-exact')
  })

  test("another project's override never applies", () => {
    expect(pick([ov('theirs', { project_id: 'p2' })])).toBeNull()
  })

  test('an exact pattern beats a glob', () => {
    const list = [
      ov('glob', { model_pattern: 'my-ft-support-*' }),
      ov('exact', { match: 'exact', model_pattern: 'my-ft-support-v3' }),
    ]
    expect(pick(list)).toBe('exact')
    expect(pick(list, { model: 'my-ft-support-v4' })).toBe('glob')
  })

  test('the longest glob wins', () => {
    const list = [
      ov('short', { model_pattern: 'my-*' }),
      ov('long', { model_pattern: 'my-ft-support-*' }),
      ov('mid', { model_pattern: 'my-ft-*' }),
    ]
    expect(pick(list)).toBe('long')
    expect(pick(list, { model: 'my-ft-other' })).toBe('mid')
    expect(pick(list, { model: 'my-base' })).toBe('short')
  })

  test('an override for the provider beats one for any provider, and a provider mismatch never applies', () => {
    const list = [ov('any'), ov('openai', { provider: 'OpenAI' }), ov('azure', { provider: 'azure' })]
    expect(pick(list, { provider: 'openai' })).toBe('openai')
    expect(pick(list, { provider: 'bedrock' })).toBe('any')
    expect(pick(list, { provider: null })).toBe('any')
    expect(pick([ov('azure', { provider: 'azure' })], { provider: 'openai' })).toBeNull()
  })

  test('the latest effective_from wins; one that starts after the call is ignored', () => {
    const list = [
      ov('old', { effective_from: JAN }),
      ov('new', { effective_from: AT - 1 }),
      ov('future', { effective_from: AT + 1 }),
    ]
    expect(pick(list)).toBe('new')
    expect(pick(list, { at: AT + 1 })).toBe('future')
    expect(pick(list, { at: JAN - 1 })).toBeNull()
    // Effective from exactly the call's time applies.
    expect(pick([ov('now', { effective_from: AT })])).toBe('now')
  })

  test('project, then exact, then glob length outrank recency', () => {
    const list = [
      ov('global-new', { effective_from: AT }),
      ov('project-old', { project_id: 'p1', model_pattern: 'my-*', effective_from: JAN }),
    ]
    expect(pick(list)).toBe('project-old')
    expect(
      pick([ov('long-old', { model_pattern: 'my-ft-s*' }), ov('short-new', { effective_from: AT })]),
    ).toBe('long-old')
  })

  test('a full tie goes to the smallest id, whatever the order of the list', () => {
    expect(pick([ov('b'), ov('a'), ov('c')])).toBe('a')
    expect(pick([ov('c'), ov('b'), ov('a')])).toBe('a')
  })

  test('model names and patterns match without regard to case', () => {
    expect(pick([ov('x', { model_pattern: 'MY-FT-*' })], { model: 'My-Ft-Thing' })).toBe('x')
    expect(pick([ov('x', { match: 'exact', model_pattern: 'GPT-4o' })], { model: 'gpt-4o' })).toBe('x')
  })

  test('nothing matches, nothing is chosen', () => {
    expect(pick([])).toBeNull()
    expect(pick([ov('x', { match: 'exact', model_pattern: 'my-ft' })])).toBeNull()
  })
})

describe('glob patterns', () => {
  test('* matches any run of characters, the empty one and slashes included', () => {
    expect(globMatch('my-ft-*', 'my-ft-abc')).toBe(true)
    expect(globMatch('my-ft-*', 'my-ft-')).toBe(true)
    expect(globMatch('my-ft-*', 'my-ft')).toBe(false)
    expect(globMatch('my-ft-*', 'xmy-ft-a')).toBe(false)
    expect(globMatch('*', '')).toBe(true)
    expect(globMatch('*', 'anything/at all')).toBe(true)
    expect(globMatch('org/*', 'org/team/model')).toBe(true)
    expect(globMatch('*-mini', 'gpt-4o-mini')).toBe(true)
    expect(globMatch('*-mini', 'gpt-4o-mini-tts')).toBe(false)
    expect(globMatch('a*b*c', 'aXXbYYc')).toBe(true)
    expect(globMatch('a*b*c', 'aXXcYYb')).toBe(false)
    expect(globMatch('a**c', 'ac')).toBe(true)
  })

  test('every other character is literal', () => {
    expect(globMatch('gpt-4.?', 'gpt-4.?')).toBe(true)
    expect(globMatch('gpt-4.?', 'gpt-4x1')).toBe(false)
    expect(globMatch('[ab]*', 'a-model')).toBe(false)
    expect(globMatch('(x)+*', '(x)+y')).toBe(true)
  })

  test('a pattern full of stars against a name that almost matches still answers', () => {
    const pattern = `${'*a'.repeat(99)}b`
    expect(globMatch(pattern, 'a'.repeat(200))).toBe(false)
    expect(globMatch(pattern, `${'a'.repeat(199)}b`)).toBe(true)
  })
})

describe('override cost', () => {
  const u = (input: number | null, output: number | null, extra: Partial<Usage> = {}): Usage => ({
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    ...extra,
  })
  const priced = ov('x', {
    input_per_mtok: 3,
    output_per_mtok: 15,
    cache_read_per_mtok: 0.3,
    cache_write_per_mtok: 3.75,
    reasoning_per_mtok: 10,
  })

  test('each part at its own price', () => {
    // 3 x 3 + 20000 x 0.30 + 10000 x 3.75 + 300 x 15 + 500 x 10 = 9 + 6000 + 37500 + 4500 + 5000 = 53009
    const usage = u(30003, 800, {
      cache_read_tokens: 20000,
      cache_write_tokens: 10000,
      reasoning_tokens: 500,
    })
    expect(overrideCostMicros(priced, usage)).toBe(53009)
  })

  test('cache parts without a price cost the input price, reasoning without one the output price', () => {
    // 1000 x 1 (200 of them cached, 100 written, all at $1/M) + 500 x 2 (300 reasoning at $2/M) = 1000 + 1000
    const usage = u(1000, 500, { cache_read_tokens: 200, cache_write_tokens: 100, reasoning_tokens: 300 })
    expect(overrideCostMicros(ov('x'), usage)).toBe(2000)
  })

  test('unknown parts are priced as their whole; an unknown whole makes the cost unknown', () => {
    expect(overrideCostMicros(priced, u(1000, 100))).toBe(3000 + 1500)
    expect(overrideCostMicros(priced, u(null, 100))).toBeNull()
    expect(overrideCostMicros(priced, u(100, null))).toBeNull()
  })

  test('a fractional price gives an unrounded amount; rounding is the caller step', () => {
    expect(overrideCostMicros(ov('x', { input_per_mtok: 0.15, output_per_mtok: 0 }), u(5, 0))).toBeCloseTo(
      0.75,
      12,
    )
  })
})

describe('validating an override body', () => {
  const NOW = Date.parse('2025-06-01T00:00:00Z')
  const valid = {
    model_pattern: 'my-ft-*',
    match: 'glob',
    provider: 'openai',
    input_per_mtok: 1.5,
    output_per_mtok: 6,
    cache_read_per_mtok: 0.75,
    cache_write_per_mtok: null,
    reasoning_per_mtok: 0,
    effective_from: JAN,
  }
  const errorsOf = (body: unknown) => {
    const r = validateOverrideBody(body, NOW)
    return r.ok ? [] : r.errors
  }

  test('accepts a full body as given', () => {
    expect(validateOverrideBody(valid, NOW)).toEqual({
      ok: true,
      value: { ...valid, match: 'glob' } as never,
    })
  })

  test('a minimal body gets null prices, any provider, and starts now', () => {
    expect(
      validateOverrideBody(
        { model_pattern: 'gpt-4o', match: 'exact', input_per_mtok: 0, output_per_mtok: 0 },
        NOW,
      ),
    ).toEqual({
      ok: true,
      value: {
        model_pattern: 'gpt-4o',
        match: 'exact',
        provider: null,
        input_per_mtok: 0,
        output_per_mtok: 0,
        cache_read_per_mtok: null,
        cache_write_per_mtok: null,
        reasoning_per_mtok: null,
        effective_from: NOW,
      },
    })
  })

  test('id and project_id are ignored (the route sets them); other unknown fields are refused', () => {
    const r = validateOverrideBody({ ...valid, id: 'x', project_id: 'p9' }, NOW)
    expect(r.ok && 'id' in r.value).toBe(false)
    expect(errorsOf({ ...valid, cache_read_per_mtk: 0.1 })).toEqual([
      { field: 'cache_read_per_mtk', error: 'unknown field' },
    ])
  })

  test('prices must be finite, non-negative and bounded', () => {
    expect(errorsOf({ ...valid, input_per_mtok: -1 })).toEqual([
      { field: 'input_per_mtok', error: 'expected a non-negative price, got -1' },
    ])
    expect(errorsOf({ ...valid, output_per_mtok: '6' })).toEqual([
      { field: 'output_per_mtok', error: 'expected dollars per million tokens (a finite number), got "6"' },
    ])
    expect(errorsOf({ ...valid, output_per_mtok: Number.POSITIVE_INFINITY })).toEqual([
      {
        field: 'output_per_mtok',
        error: 'expected dollars per million tokens (a finite number), got Infinity',
      },
    ])
    expect(errorsOf({ ...valid, cache_write_per_mtok: Number.NaN })).toMatchObject([
      { field: 'cache_write_per_mtok' },
    ])
    expect(errorsOf({ ...valid, reasoning_per_mtok: 1_000_001 })).toEqual([
      {
        field: 'reasoning_per_mtok',
        error: 'expected at most 1000000 dollars per million tokens, got 1000001',
      },
    ])
    const { input_per_mtok: _, ...noInput } = valid
    expect(errorsOf(noInput)).toEqual([
      {
        field: 'input_per_mtok',
        error: 'expected dollars per million tokens (a finite number), got nothing',
      },
    ])
  })

  test('the pattern is 1 to 200 characters, agrees with its match kind and has no stray spaces', () => {
    expect(errorsOf({ ...valid, model_pattern: '' })).toEqual([
      { field: 'model_pattern', error: 'expected 1 to 200 characters, got 0' },
    ])
    expect(errorsOf({ ...valid, model_pattern: `${'x'.repeat(200)}*` })).toEqual([
      { field: 'model_pattern', error: 'expected 1 to 200 characters, got 201' },
    ])
    expect(errorsOf({ ...valid, model_pattern: `${'x'.repeat(199)}*` })).toEqual([])
    expect(errorsOf({ ...valid, model_pattern: ' my-ft-*' })).toEqual([
      { field: 'model_pattern', error: 'expected no leading or trailing spaces: a model name has none' },
    ])
    expect(errorsOf({ ...valid, model_pattern: 'my-ft' })).toEqual([
      {
        field: 'model_pattern',
        error: 'a glob needs at least one "*"; use match "exact" for a single model',
      },
    ])
    expect(errorsOf({ ...valid, match: 'exact' })).toEqual([
      { field: 'model_pattern', error: 'an exact pattern cannot contain "*"; use match "glob"' },
    ])
    expect(errorsOf({ ...valid, model_pattern: 7 })).toEqual([
      { field: 'model_pattern', error: 'expected a string, got 7' },
    ])
    expect(errorsOf({ ...valid, match: 'regex' })).toEqual([
      { field: 'match', error: 'expected "exact" or "glob", got "regex"' },
    ])
  })

  test('provider and effective_from are checked', () => {
    expect(errorsOf({ ...valid, provider: '' })).toEqual([
      { field: 'provider', error: 'expected null or 1 to 100 characters, got ""' },
    ])
    expect(errorsOf({ ...valid, provider: null })).toEqual([])
    expect(errorsOf({ ...valid, effective_from: -1 })).toEqual([
      { field: 'effective_from', error: 'expected epoch milliseconds from 0 to 8640000000000000, got -1' },
    ])
    expect(errorsOf({ ...valid, effective_from: 1.5 })).toMatchObject([{ field: 'effective_from' }])
    expect(errorsOf({ ...valid, effective_from: '2025-01-01' })).toMatchObject([{ field: 'effective_from' }])
  })

  test('every fault is reported with its field, and a non-object body is refused', () => {
    expect(
      errorsOf({ match: 'glob', model_pattern: 'x', input_per_mtok: -2, output_per_mtok: 1, extra: 1 }).map(
        (e) => e.field,
      ),
    ).toEqual(['extra', 'model_pattern', 'input_per_mtok'])
    expect(errorsOf([valid])).toEqual([{ field: 'body', error: 'expected a JSON object' }])
    expect(errorsOf(null)).toEqual([{ field: 'body', error: 'expected a JSON object' }])
  })
})
