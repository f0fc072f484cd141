/**
 * Prompt experiments through the API, on traces ingested through the real trace route.
 * The statistics themselves are checked against scipy and statsmodels in
 * test/unit/llm.stats.test.ts; here: which traces each arm reads, that the answer is the
 * statistics of exactly those values, the fixed horizon, assignment, and validation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { bucketOf, variantFor } from '../../src/llm/experiments/assign'
import { seedFor } from '../../src/llm/experiments/compare'
import { compareExperiment, mulberry32 } from '../../src/llm/experiments/stats'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace } from '../llm.helpers'

let rt: TestRuntime
let write: string
let read: string

beforeAll(async () => {
  rt = await startRuntime()
  write = rt.token(['llm:write', 'llm:read'])
  read = rt.token(['llm:read'])
})
afterAll(() => rt.dispose())

const call = (method: string, path: string, body?: unknown, token = write) =>
  rt.fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const variants = (a = 50, b = 50) => [
  { name: 'control', version: 'v1', prompt_template: 'You are helpful.', traffic_percentage: a },
  { name: 'expert', version: 'v2', prompt_template: 'You are an expert.', traffic_percentage: b },
]

let seq = 0
async function traces(
  prompt: string,
  version: string,
  rows: { duration: number; cost: number | null; error?: boolean; at?: number }[],
): Promise<string[]> {
  const ids: string[] = []
  const list = rows.map((r) => {
    const id = `t-${prompt}-${version}-${seq++}`
    ids.push(id)
    const start = r.at ?? Date.now() + 1000
    return {
      id,
      name: 'chat',
      status: r.error ? 'error' : 'completed',
      prompt_name: prompt,
      prompt_version: version,
      started_at: start,
      ended_at: start + r.duration,
      spans: [
        {
          id: 's',
          span_type: 'generation',
          // A model no price table knows, so a cost not sent stays unknown.
          model: r.cost === null ? 'in-house-model' : 'gpt-4o',
          input_tokens: 10,
          output_tokens: 5,
          ...(r.cost === null ? {} : { cost: r.cost }),
          started_at: start,
          ended_at: start + r.duration,
        },
      ],
    }
  })
  for (let i = 0; i < list.length; i += 50) {
    const res = await rt.handle(signedTrace('/v1/traces/batch', { traces: list.slice(i, i + 50) }))
    expect(res.status).toBe(200)
  }
  return ids
}

async function create(body: Record<string, unknown>) {
  const res = await call('POST', '/v1/llm/experiments', body)
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string; experiment: Record<string, unknown> }
}

describe('create, read, change, delete', () => {
  test('creates from the reference shape, with the horizon from the default effect (0.2 -> 393 per arm)', async () => {
    const { id, experiment } = await create({
      name: 'e-create',
      prompt_name: 'support',
      variants: variants(),
    })
    expect(experiment).toMatchObject({
      id,
      name: 'e-create',
      prompt_name: 'support',
      status: 'running',
      planned_per_arm: 393,
      variant_count: 2,
      metrics: ['latency', 'cost', 'error_rate', 'thumbs_up_rate', 'scores'],
    })
    const got = await (await call('GET', `/v1/llm/experiments/${id}`, undefined, read)).json()
    expect(got.variants.map((v: { version: string }) => v.version)).toEqual(['v1', 'v2'])
    expect(got.variants[0].metrics).toEqual({
      traces: 0,
      mean_latency_ms: null,
      mean_cost_usd: null,
      error_rate: null,
      thumbs_up_rate: null,
      votes: 0,
    })
    const list = await (await call('GET', '/v1/llm/experiments', undefined, read)).json()
    expect(list.experiments.some((e: { id: string }) => e.id === id)).toBe(true)
  })

  test("creates from the earlier README's prompt_a / prompt_b shape", async () => {
    const { experiment } = await create({
      name: 'support-prompt-v2',
      prompt_a: { template: 'You are a helpful assistant...' },
      prompt_b: { template: 'You are an expert support agent...' },
      metrics: ['cost', 'latency', 'error_rate'],
    })
    expect(experiment).toMatchObject({
      prompt_name: 'support-prompt-v2',
      metrics: ['cost', 'latency', 'error_rate'],
    })
    expect(
      (experiment.variants as { name: string; version: string; traffic_percentage: number }[]).map((v) => [
        v.name,
        v.version,
        v.traffic_percentage,
      ]),
    ).toEqual([
      ['a', 'a', 50],
      ['b', 'b', 50],
    ])
  })

  test('validation: percentages sum to 100 (33.3+33.3+33.4 ok, 99.99 refused), 2-10 variants, unique versions', async () => {
    const three = [
      { name: 'a', version: '1', traffic_percentage: 33.3 },
      { name: 'b', version: '2', traffic_percentage: 33.3 },
      { name: 'c', version: '3', traffic_percentage: 33.4 },
    ]
    expect(
      (await call('POST', '/v1/llm/experiments', { name: 'three', prompt_name: 'p', variants: three }))
        .status,
    ).toBe(201)
    const cases: [unknown, string][] = [
      [{ name: 'x', prompt_name: 'p', variants: variants(50, 49.99) }, 'variants'],
      [{ name: 'x', prompt_name: 'p', variants: variants(50, 50.01) }, 'variants'],
      [{ name: 'x', prompt_name: 'p', variants: [variants()[0]] }, 'variants'],
      [
        {
          name: 'x',
          prompt_name: 'p',
          variants: Array.from({ length: 11 }, (_, i) => ({
            name: `n${i}`,
            version: `${i}`,
            traffic_percentage: i === 0 ? 0 : 10,
          })),
        },
        'variants',
      ],
      [
        {
          name: 'x',
          prompt_name: 'p',
          variants: [
            { name: 'a', version: '1', traffic_percentage: 50 },
            { name: 'b', version: '1', traffic_percentage: 50 },
          ],
        },
        'variants[1].version',
      ],
      [{ name: 'x', prompt_name: 'p', variants: variants(), planned_per_arm: 1 }, 'planned_per_arm'],
      [{ name: 'x', prompt_name: 'p', variants: variants(), metrics: ['speed'] }, 'metrics[0]'],
      [
        {
          name: 'x',
          prompt_name: 'p',
          variants: [{ ...variants()[0], traffic_percentage: 101 }, variants()[1]],
        },
        'variants[0].traffic_percentage',
      ],
      [{ prompt_name: 'p', variants: variants() }, 'name'],
    ]
    for (const [body, field] of cases) {
      const res = await call('POST', '/v1/llm/experiments', body)
      expect({ status: res.status, field: (await res.json()).field }).toEqual({ status: 400, field })
    }
    const ten = Array.from({ length: 10 }, (_, i) => ({
      name: `n${i}`,
      version: `${i}`,
      traffic_percentage: 10,
    }))
    expect(
      (await call('POST', '/v1/llm/experiments', { name: 'ten', prompt_name: 'p', variants: ten })).status,
    ).toBe(201)
    const dup = await call('POST', '/v1/llm/experiments', {
      name: 'ten',
      prompt_name: 'p',
      variants: variants(),
    })
    expect(dup.status).toBe(409)
  })

  test('caps at their boundaries: name 200/201, template 64 KiB, planned_per_arm 2..10^7, unit 1024, list limit 200', async () => {
    const status = async (body: Record<string, unknown>) =>
      (await call('POST', '/v1/llm/experiments', { prompt_name: 'caps', variants: variants(), ...body }))
        .status
    expect(await status({ name: 'n'.repeat(200) })).toBe(201)
    expect(await status({ name: 'n'.repeat(201) })).toBe(400)
    const tpl = (n: number) => [{ ...variants()[0], prompt_template: 't'.repeat(n) }, variants()[1]]
    expect(await status({ name: 'tpl-ok', variants: tpl(64 * 1024) })).toBe(201)
    expect(await status({ name: 'tpl-over', variants: tpl(64 * 1024 + 1) })).toBe(400)
    expect(await status({ name: 'h2', planned_per_arm: 2 })).toBe(201)
    expect(await status({ name: 'h1', planned_per_arm: 1 })).toBe(400)
    expect(await status({ name: 'hmax', planned_per_arm: 10_000_000 })).toBe(201)
    expect(await status({ name: 'hover', planned_per_arm: 10_000_001 })).toBe(400)
    const { id } = await create({ name: 'unit-cap', prompt_name: 'caps', variants: variants() })
    expect(
      (await call('GET', `/v1/llm/experiments/${id}/assign?unit=${'u'.repeat(1024)}`, undefined, read))
        .status,
    ).toBe(200)
    expect(
      (await call('GET', `/v1/llm/experiments/${id}/assign?unit=${'u'.repeat(1025)}`, undefined, read))
        .status,
    ).toBe(400)
    expect((await call('GET', '/v1/llm/experiments?limit=200', undefined, read)).status).toBe(200)
    expect((await call('GET', '/v1/llm/experiments?limit=201', undefined, read)).status).toBe(400)
    // The body cap (1 MiB) holds ten variants with templates at their cap.
    const ten = Array.from({ length: 10 }, (_, i) => ({
      name: `v${i}`,
      version: `${i}`,
      prompt_template: 't'.repeat(64 * 1024),
      traffic_percentage: 10,
    }))
    expect(await status({ name: 'ten-full', variants: ten })).toBe(201)
    const raw = (n: number) => {
      const text = JSON.stringify({ name: 'pad', prompt_name: 'p', variants: variants() })
      return `${text.slice(0, -1)}${' '.repeat(n - text.length)}}`
    }
    const send = (text: string) =>
      rt.fetch('/v1/llm/experiments', {
        method: 'POST',
        headers: { authorization: `Bearer ${write}`, 'content-type': 'application/json' },
        body: text,
      })
    expect((await send(raw(1024 * 1024 + 1))).status).toBe(413)
    expect((await send(raw(1024 * 1024))).status).toBe(201)
  })

  test('status: running -> paused -> running -> concluded, and a concluded experiment is final', async () => {
    const { id } = await create({ name: 'e-status', prompt_name: 'p', variants: variants() })
    for (const status of ['paused', 'running', 'concluded']) {
      const res = await call('PATCH', `/v1/llm/experiments/${id}`, { status })
      expect(res.status).toBe(200)
      expect((await res.json()).status).toBe(status)
    }
    const again = await call('PATCH', `/v1/llm/experiments/${id}`, { status: 'running' })
    expect(again.status).toBe(409)
    expect((await call('PATCH', `/v1/llm/experiments/${id}`, { status: 'stopped' })).status).toBe(400)
    expect((await call('DELETE', `/v1/llm/experiments/${id}`)).status).toBe(200)
    expect((await call('GET', `/v1/llm/experiments/${id}`, undefined, read)).status).toBe(404)
  })

  test("a deleted project's experiments and variants go with it", async () => {
    const db = rt.core.backend
    const now = Date.now()
    await db.run(
      "INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES ('p-gone', 'gone', 'gone', 'k', 'h', ?)",
      [now],
    )
    const gone = rt.token(['llm:write', 'llm:read'], 'p-gone')
    const res = await call(
      'POST',
      '/v1/llm/experiments',
      { name: 'doomed', prompt_name: 'p', variants: variants() },
      gone,
    )
    expect(res.status).toBe(201)
    const { id } = await res.json()
    await db.run("DELETE FROM projects WHERE id = 'p-gone'")
    expect(await db.get('SELECT COUNT(*) AS n FROM llm_experiments WHERE id = ?', [id])).toEqual({ n: 0 })
    expect(
      await db.get('SELECT COUNT(*) AS n FROM llm_experiment_variants WHERE experiment_id = ?', [id]),
    ).toEqual({
      n: 0,
    })
  })

  test('an unknown experiment is 404 everywhere', async () => {
    for (const [m, p] of [
      ['GET', '/v1/llm/experiments/nope'],
      ['GET', '/v1/llm/experiments/nope/compare'],
      ['GET', '/v1/llm/experiments/nope/assign?unit=u'],
      ['PATCH', '/v1/llm/experiments/nope'],
      ['DELETE', '/v1/llm/experiments/nope'],
    ] as const) {
      const res = await call(m, p, m === 'PATCH' ? { status: 'paused' } : undefined)
      expect(res.status).toBe(404)
    }
  })
})

describe('assignment', () => {
  test('the same unit always gets the same variant, and 4,000 units follow a 70/30 split', async () => {
    const { id } = await create({ name: 'e-assign', prompt_name: 'p-assign', variants: variants(70, 30) })
    const first = await (
      await call('GET', `/v1/llm/experiments/${id}/assign?unit=user-42`, undefined, read)
    ).json()
    const again = await (
      await call('GET', `/v1/llm/experiments/${id}/assign?unit=user-42`, undefined, read)
    ).json()
    expect(again).toEqual(first)
    expect(first.bucket).toBe(bucketOf(id, 'user-42'))
    expect(first.variant.version).toBe(first.bucket < 7000 ? 'v1' : 'v2')
    let first70 = 0
    for (let i = 0; i < 4000; i++) if (variantFor(bucketOf(id, `u${i}`), [70, 30]) === 0) first70++
    // A binomial(4000, 0.7) lies within 4.5 standard deviations (+-130) of 2800 but for 1 in 10^5.
    expect(Math.abs(first70 - 2800)).toBeLessThan(130)
    expect((await call('GET', `/v1/llm/experiments/${id}/assign`, undefined, read)).status).toBe(400)
  })

  test('variantFor: bucket edges', () => {
    expect(variantFor(0, [50, 50])).toBe(0)
    expect(variantFor(4999, [50, 50])).toBe(0)
    expect(variantFor(5000, [50, 50])).toBe(1)
    expect(variantFor(9999, [33.3, 33.3, 33.4])).toBe(2)
    expect(variantFor(9999, [50, 50, 0])).toBe(1)
  })
})

describe('compare', () => {
  test('reads exactly the window and versions, and answers the statistics of those values', async () => {
    const { id } = await create({
      name: 'e-compare',
      prompt_name: 'support',
      variants: variants(),
      planned_per_arm: 30,
      metrics: ['latency', 'cost', 'error_rate', 'thumbs_up_rate', 'scores'],
    })
    // Outside the experiment: before its start, another prompt, a version not in it.
    await traces('support', 'v1', [{ duration: 99_999, cost: 9, at: Date.now() - 86_400_000 }])
    await traces('other', 'v1', [{ duration: 99_999, cost: 9 }])
    await traces('support', 'v3', [{ duration: 99_999, cost: 9 }])
    const base = Array.from({ length: 40 }, (_, i) => ({
      duration: 1000 + ((i * 37) % 200),
      cost: 0.002 + (i % 5) * 0.0001,
      error: i % 10 === 0,
    }))
    const treat = Array.from({ length: 40 }, (_, i) => ({
      duration: 700 + ((i * 53) % 150),
      cost: i === 0 ? null : 0.0015 + (i % 4) * 0.0001,
      error: i % 8 === 0,
    }))
    const bIds = await traces('support', 'v1', base)
    const tIds = await traces('support', 'v2', treat)
    for (const [i, tid] of bIds.slice(0, 12).entries()) {
      const r = await call('POST', `/v1/llm/traces/${tid}/feedback`, {
        value: i % 3 === 0 ? -1 : 1,
        user_id: `u${i}`,
      })
      expect(r.status).toBe(200)
      await call('POST', `/v1/llm/traces/${tid}/scores`, { name: 'helpfulness', value: 0.5 + (i % 4) * 0.1 })
    }
    for (const [i, tid] of tIds.slice(0, 12).entries()) {
      await call('POST', `/v1/llm/traces/${tid}/feedback`, { value: i % 4 === 0 ? -1 : 1, user_id: `u${i}` })
      await call('POST', `/v1/llm/traces/${tid}/scores`, { name: 'helpfulness', value: 0.6 + (i % 3) * 0.1 })
    }
    const res = await call(
      'GET',
      `/v1/llm/experiments/${id}/compare?baseline=v1&treatment=v2`,
      undefined,
      read,
    )
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.baseline).toEqual({ name: 'control', version: 'v1', traces: 40 })
    expect(body.treatment).toEqual({ name: 'expert', version: 'v2', traces: 40 })
    expect(body.peeking).toMatchObject({
      method: 'fixed_horizon',
      planned_per_arm: 30,
      observed_per_arm: 40,
      reached: true,
    })

    // The same statistics computed directly from the values the test sent.
    const up = (n: number, every: number) =>
      Array.from({ length: n }, (_, i) => (i % every === 0 ? 0 : 1)).reduce<number>((s, x) => s + x, 0)
    const expected = compareExperiment({
      assigned: { baseline: 40, treatment: 40 },
      traffic_split: { baseline: 50, treatment: 50 },
      planned_per_arm: 30,
      rng: mulberry32(seedFor(id, 'v1', 'v2')),
      metrics: [
        {
          kind: 'skewed',
          metric: 'latency_ms',
          baseline: base.map((r) => r.duration),
          treatment: treat.map((r) => r.duration),
        },
        {
          kind: 'skewed',
          metric: 'cost_usd',
          // Stored as integer microdollars and read back as dollars.
          baseline: base.map((r) => Math.round(r.cost * 1e6) / 1e6),
          treatment: treat.flatMap((r) => (r.cost === null ? [] : [Math.round(r.cost * 1e6) / 1e6])),
        },
        {
          kind: 'proportion',
          metric: 'error_rate',
          baseline: { successes: 4, trials: 40 },
          treatment: { successes: 5, trials: 40 },
        },
        {
          kind: 'proportion',
          metric: 'thumbs_up_rate',
          baseline: { successes: up(12, 3), trials: 12 },
          treatment: { successes: up(12, 4), trials: 12 },
        },
        {
          kind: 'mean',
          metric: 'score:helpfulness',
          baseline: Array.from({ length: 12 }, (_, i) => 0.5 + (i % 4) * 0.1),
          treatment: Array.from({ length: 12 }, (_, i) => 0.6 + (i % 3) * 0.1),
        },
      ],
    })
    const strip = (r: Record<string, unknown>) => {
      const { summary: _s, ...rest } = r
      return rest
    }
    expect(body.results.map(strip)).toEqual(JSON.parse(JSON.stringify(expected.metrics)))
    expect(strip(body.sample_ratio)).toEqual(JSON.parse(JSON.stringify(expected.sample_ratio)))
    expect(body.results.map((r: { method: string }) => r.method)).toEqual([
      'welch_t_winsorized_p99.9',
      'welch_t_winsorized_p99.9',
      // 9 errors in 80 traces: an expected cell of 4.5, under 5, so Fisher's exact test.
      'fisher_exact_two_sided',
      'fisher_exact_two_sided',
      'welch_t',
    ])
    const latency = body.results[0]
    expect(latency.n).toEqual({ baseline: 40, treatment: 40 })
    expect(body.metrics.latency_improvement_percent).toBeCloseTo(latency.relative_difference * 100, 12)
    expect(body.metrics.success_rate_improvement_percent).toBeCloseTo(-2.5, 12)
    expect(body.metrics.sample_size).toBe(40)
    // Latency improved by ~30% with 40 per arm: significant after Holm, at the horizon.
    expect(latency.p_value_adjusted).toBeLessThan(0.05)
    expect(body.statistical_significance.is_significant).toBe(true)
    expect(typeof body.results[0].summary).toBe('string')
    expect(JSON.stringify(body)).not.toMatch(/NaN|Infinity/)

    const detail = await (await call('GET', `/v1/llm/experiments/${id}`, undefined, read)).json()
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length
    expect(detail.variants[0].metrics).toEqual({
      traces: 40,
      mean_latency_ms: mean(base.map((r) => r.duration)),
      mean_cost_usd: mean(base.map((r) => Math.round(r.cost * 1e6))) / 1e6,
      error_rate: 0.1,
      thumbs_up_rate: up(12, 3) / 12,
      votes: 12,
    })
    expect(detail.variants[1].metrics).toMatchObject({ traces: 40, error_rate: 5 / 40, votes: 12 })
  })

  test('before the horizon nothing is significant, however small the p-value', async () => {
    const { id } = await create({
      name: 'e-horizon',
      prompt_name: 'horizon',
      variants: variants(),
      planned_per_arm: 500,
    })
    await traces(
      'horizon',
      'v1',
      Array.from({ length: 30 }, (_, i) => ({ duration: 2000 + i, cost: 0.01 })),
    )
    await traces(
      'horizon',
      'v2',
      Array.from({ length: 30 }, (_, i) => ({ duration: 500 + i, cost: 0.01 })),
    )
    const body = await (await call('GET', `/v1/llm/experiments/${id}/compare`, undefined, read)).json()
    expect(body.results[0].p_value).toBeLessThan(1e-10)
    expect(body.peeking).toMatchObject({ reached: false, observed_per_arm: 30, planned_per_arm: 500 })
    expect(body.statistical_significance.is_significant).toBe(false)
    expect(body.recommendation).toContain('Keep collecting: 30 of the planned 500')
  })

  test('an empty arm, one trace, and constant values answer "not enough data", never NaN or 500', async () => {
    const { id } = await create({
      name: 'e-empty',
      prompt_name: 'empty',
      variants: variants(),
      planned_per_arm: 10,
    })
    let body = await (await call('GET', `/v1/llm/experiments/${id}/compare`, undefined, read)).json()
    expect(body.results.map((r: { status: string }) => r.status)).toEqual([
      'not_enough_data',
      'not_enough_data',
      'not_enough_data',
      'not_enough_data',
    ])
    expect(body.statistical_significance).toMatchObject({ p_value: null, is_significant: false })
    await traces('empty', 'v1', [{ duration: 100, cost: 0.001 }])
    await traces('empty', 'v2', [
      { duration: 100, cost: 0.001 },
      { duration: 100, cost: 0.001 },
    ])
    const res = await call('GET', `/v1/llm/experiments/${id}/compare`, undefined, read)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).not.toMatch(/NaN|Infinity/)
    body = JSON.parse(text)
    expect(body.results[0]).toMatchObject({ status: 'not_enough_data', metric: 'latency_ms' })
    expect(body.results[0].summary).toContain('not enough data')
  })

  test('compare names versions that exist: unknown and identical versions are 400', async () => {
    const { id } = await create({ name: 'e-versions', prompt_name: 'x', variants: variants() })
    const unknown = await call('GET', `/v1/llm/experiments/${id}/compare?baseline=v9`, undefined, read)
    expect(unknown.status).toBe(400)
    expect((await unknown.json()).field).toBe('baseline')
    const same = await call(
      'GET',
      `/v1/llm/experiments/${id}/compare?baseline=v1&treatment=v1`,
      undefined,
      read,
    )
    expect(same.status).toBe(400)
  })
})
