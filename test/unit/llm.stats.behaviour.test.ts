/**
 * The experiment statistics' behaviour apart from reference values (those are in
 * llm.stats.test.ts): determinism and coverage of the bootstrap, the fixed horizon,
 * minimum-sample warnings, refusals of unusable input, no NaN or Infinity on any input,
 * the Holm family of one comparison, and the plain-words rendering.
 */

import { expect, describe as group, test } from 'bun:test'
import {
  bootstrapMedian,
  checkSampleRatio,
  compareExperiment,
  compareMeans,
  compareProportions,
  compareSkewed,
  describe,
  holmAdjust,
  type MetricResult,
  mulberry32,
  type SkewedResult,
} from '../../src/llm/experiments/stats'
import { lognormal } from './llm.stats.cases'

/** Paths of every number in `x` that is NaN or infinite. */
function nonFinite(x: unknown, path = '$'): string[] {
  if (typeof x === 'number') return Number.isFinite(x) ? [] : [`${path} = ${x}`]
  if (Array.isArray(x)) return x.flatMap((v, i) => nonFinite(v, `${path}[${i}]`))
  if (x && typeof x === 'object') return Object.entries(x).flatMap(([k, v]) => nonFinite(v, `${path}.${k}`))
  return []
}

const latencyA = lognormal(101, 400, 6.2, 0.6)
const latencyB = lognormal(102, 420, 6.0, 0.6)

group('bootstrap medians', () => {
  test('the same seed gives the same answer, another seed another interval around the same median', () => {
    const run = (seed: number) =>
      compareSkewed('latency_ms', latencyA, latencyB, {
        planned_per_arm: 100,
        rng: mulberry32(seed),
      }) as SkewedResult
    expect(run(7)).toEqual(run(7))
    const [a, b] = [run(7).median, run(8).median]
    expect(a.baseline.estimate).toBe(b.baseline.estimate)
    expect(a.resamples).toBe(2000)
    expect([a.baseline.ci, a.treatment.ci]).not.toEqual([b.baseline.ci, b.treatment.ci])
  })

  /**
   * With one resample, the interval is that resample's median, so repeated calls sample
   * the bootstrap distribution the shortcut draws from. Against the exact distribution,
   * by enumerating all n^n equally likely resamples of a tiny arm, a chi-square goodness
   * of fit (the module's own check) must not reject at 0.001: an off-by-one in the order
   * statistic moves whole probability masses and does.
   */
  test('the medians drawn match the exact distribution of resampled medians, odd and even n', () => {
    for (const values of [
      [1, 2, 3, 4, 5],
      [10, 20, 30, 40],
    ]) {
      const n = values.length
      const exact = new Map<number, number>()
      for (let code = 0; code < n ** n; code++) {
        const draw = Array.from(
          { length: n },
          (_, i) => values[Math.floor(code / n ** i) % n] as number,
        ).sort((a, b) => a - b)
        const m = ((draw[Math.floor((n - 1) / 2)] as number) + (draw[Math.floor(n / 2)] as number)) / 2
        exact.set(m, (exact.get(m) ?? 0) + 1 / n ** n)
      }
      const rng = mulberry32(n)
      const seen = new Map<number, number>()
      const draws = 20_000
      for (let i = 0; i < draws; i++) {
        const m = bootstrapMedian(values, rng, 1).ci[0]
        seen.set(m, (seen.get(m) ?? 0) + 1)
      }
      expect([...seen.keys()].every((m) => exact.has(m))).toBe(true)
      const keys = [...exact.keys()]
      const fit = checkSampleRatio(
        keys.map((m) => seen.get(m) ?? 0),
        keys.map((m) => exact.get(m) as number),
      )
      expect(fit.status === 'ok' && fit.flagged).toBe(false)
    }
  })

  test('the number of resamples is a parameter', () => {
    const r = compareSkewed('latency_ms', latencyA, latencyB, {
      planned_per_arm: 100,
      rng: mulberry32(1),
      resamples: 300,
    }) as SkewedResult
    expect(r.median.resamples).toBe(300)
  })

  /**
   * 500 data sets of 100 exponential values (true median ln 2), one 95% interval each:
   * coverage estimated from 500 has a standard error of 1 point, so a correct interval
   * lands in [0.92, 0.98] (3 standard errors); the seeds are fixed, so the test is not flaky.
   */
  test('95% intervals cover the true median of exponential data about 95% of the time', () => {
    const rand = mulberry32(2024)
    let covered = 0
    for (let s = 0; s < 500; s++) {
      const xs = Array.from({ length: 100 }, () => -Math.log(1 - rand()))
      const { ci } = bootstrapMedian(xs, mulberry32(s), 400)
      if (ci[0] <= Math.LN2 && Math.LN2 <= ci[1]) covered++
    }
    expect(covered / 500).toBeGreaterThanOrEqual(0.92)
    expect(covered / 500).toBeLessThanOrEqual(0.98)
  })

  test('an arm whose values all tie has the tied value as its median and interval', () => {
    const r = compareSkewed('cost_usd', Array(40).fill(0.002), lognormal(5, 40, -6, 0.5), {
      planned_per_arm: 40,
      rng: mulberry32(3),
    }) as SkewedResult
    expect(r.status).toBe('ok')
    expect(r.median.baseline).toEqual({ estimate: 0.002, ci: [0.002, 0.002] })
  })
})

group('fixed horizon', () => {
  test('every answer says the horizon is not reached until the smaller arm has the planned size', () => {
    const early = compareMeans('score', latencyA.slice(0, 50), latencyB, { planned_per_arm: 400 })
    expect(early.status === 'ok' && early.peeking).toEqual({
      method: 'fixed_horizon',
      planned_per_arm: 400,
      observed_per_arm: 50,
      reached: false,
      advice: 'horizon not reached, do not read the p-value yet',
    })
    const done = compareMeans('score', latencyA, latencyB, { planned_per_arm: 400 })
    expect(done.status === 'ok' && done.peeking.reached).toBe(true)
    const rates = compareProportions(
      'error_rate',
      { successes: 30, trials: 1000 },
      { successes: 20, trials: 999 },
      {
        planned_per_arm: 1000,
      },
    )
    expect(rates.status === 'ok' && rates.peeking.advice).toBe(
      'horizon not reached, do not read the p-value yet',
    )
    const empty = compareMeans('score', [], [1, 2], { planned_per_arm: 10 })
    expect(empty.status === 'not_enough_data' && empty.peeking.method).toBe('fixed_horizon')
  })
})

group('minimum samples', () => {
  test('fewer than 30 values in an arm of a mean, or 10 successes or failures of a rate, is a warning', () => {
    const means = compareMeans('score', latencyA.slice(0, 40), latencyB.slice(0, 12), { planned_per_arm: 30 })
    expect(means.status === 'ok' && means.warnings).toEqual([
      { code: 'min_sample', arm: 'treatment', counted: 'observations', have: 12, need: 30 },
    ])
    const rates = compareProportions(
      'error_rate',
      { successes: 4, trials: 500 },
      { successes: 25, trials: 30 },
      { planned_per_arm: 30 },
    )
    expect(rates.status === 'ok' && rates.warnings).toEqual([
      { code: 'min_sample', arm: 'baseline', counted: 'successes', have: 4, need: 10 },
      { code: 'min_sample', arm: 'treatment', counted: 'failures', have: 5, need: 10 },
    ])
  })
})

group('unusable input', () => {
  test('bad options and counts are refused as invalid_input, never thrown', () => {
    const rng = mulberry32(1)
    const reasons = [
      compareMeans('score', [1, 2], [3, 4], { planned_per_arm: 0 }),
      compareSkewed('latency_ms', [1, 2], [3, 4], { planned_per_arm: 10, rng, resamples: 0 }),
      compareSkewed('latency_ms', [1, 2], [3, 4], { planned_per_arm: 10.5, rng }),
      compareProportions(
        'error_rate',
        { successes: 5, trials: 4 },
        { successes: 1, trials: 4 },
        { planned_per_arm: 4 },
      ),
      compareProportions(
        'error_rate',
        { successes: 1.5, trials: 4 },
        { successes: 1, trials: 4 },
        { planned_per_arm: 4 },
      ),
    ].map((r) => (r.status === 'invalid_input' ? r.reason : r.status))
    expect(reasons).toEqual([
      'planned_per_arm must be a positive integer, got 0',
      'resamples must be an integer from 1 to 1,000,000, got 0',
      'planned_per_arm must be a positive integer, got 10.5',
      'baseline counts must be integers with 0 <= successes <= trials, got 5 of 4',
      'baseline counts must be integers with 0 <= successes <= trials, got 1.5 of 4',
    ])
    expect(checkSampleRatio([10], [1]).status).toBe('invalid_input')
    expect(checkSampleRatio([10, 12], [1, 0]).status).toBe('invalid_input')
    expect(checkSampleRatio([10, -1], [1, 1]).status).toBe('invalid_input')
    expect(checkSampleRatio([0, 0], [1, 1]).status).toBe('not_enough_data')
    expect(
      compareProportions(
        'error_rate',
        { successes: 0, trials: 0 },
        { successes: 1, trials: 4 },
        { planned_per_arm: 4 },
      ),
    ).toMatchObject({ status: 'not_enough_data', cause: 'empty_arm' })
  })

  test('values that are not finite numbers are dropped and counted', () => {
    const r = compareMeans(
      'score',
      [1, 2, Number.NaN, 3],
      [2, 3, 4, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      {
        planned_per_arm: 3,
      },
    )
    expect(r.status === 'ok' && [r.n, r.excluded_non_finite]).toEqual([
      { baseline: 3, treatment: 3 },
      { baseline: 1, treatment: 2 },
    ])
  })

  test('no answer holds NaN or Infinity, whatever the values', () => {
    const rand = mulberry32(99)
    const pool = [0, 0, 1, -1, 1e-300, 1e300, -1e300, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, 7, 7, 7]
    const draw = () => {
      const n = Math.floor(rand() * 6)
      return Array.from({ length: n }, () =>
        rand() < 0.6 ? (pool[Math.floor(rand() * pool.length)] as number) : rand() * 100,
      )
    }
    const bad: string[] = []
    for (let i = 0; i < 400; i++) {
      const [a, b] = [draw(), draw()]
      const results: unknown[] = [
        compareMeans('score', a, b, { planned_per_arm: 3 }),
        compareSkewed('latency_ms', a, b, { planned_per_arm: 3, rng: rand, resamples: 50 }),
      ]
      const t = [Math.floor(rand() * 5), Math.floor(rand() * 5)] as const
      const s = [Math.floor(rand() * (t[0] + 1)), Math.floor(rand() * (t[1] + 1))] as const
      results.push(
        compareProportions(
          'error_rate',
          { successes: s[0], trials: t[0] },
          { successes: s[1], trials: t[1] },
          { planned_per_arm: 3 },
        ),
        checkSampleRatio([t[0], t[1]], [1, 3]),
      )
      for (const r of results) {
        bad.push(...nonFinite(r).map((p) => `${JSON.stringify({ a, b, t, s })}: ${p}`))
        if (typeof describe(r as MetricResult) !== 'string') bad.push('describe')
      }
    }
    expect(bad).toEqual([])
  })
})

group('one comparison', () => {
  test('Holm runs over the metrics that have a p-value, and the sample ratio is checked', () => {
    const out = compareExperiment({
      assigned: { baseline: 5400, treatment: 4600 },
      traffic_split: { baseline: 50, treatment: 50 },
      planned_per_arm: 300,
      rng: mulberry32(5),
      metrics: [
        { kind: 'skewed', metric: 'latency_ms', baseline: latencyA, treatment: latencyB },
        {
          kind: 'proportion',
          metric: 'error_rate',
          baseline: { successes: 40, trials: 400 },
          treatment: { successes: 20, trials: 420 },
        },
        { kind: 'mean', metric: 'score', baseline: [], treatment: [0.5, 0.7] },
        {
          kind: 'mean',
          metric: 'helpfulness',
          baseline: [1, 2, 3, 4],
          treatment: [2, 3, 4, 5],
          planned_per_arm: 4,
        },
      ],
    })
    expect(out.sample_ratio.status === 'ok' && out.sample_ratio.flagged).toBe(true)
    expect(out.correction).toEqual({ method: 'holm', family_size: 3 })
    const ok = out.metrics.filter((m) => m.status === 'ok')
    expect(ok.map((m) => m.p_value_adjusted)).toEqual(holmAdjust(ok.map((m) => m.p_value)))
    expect(out.metrics[2]?.status).toBe('not_enough_data')
    expect(out.metrics[3]?.status === 'ok' && out.metrics[3].peeking.reached).toBe(true)
  })
})

group('describe', () => {
  const rng = () => mulberry32(1)
  const latency = compareSkewed('latency_ms', latencyA, latencyB, {
    planned_per_arm: 300,
    rng: rng(),
  }) as SkewedResult

  test('renders a relative change with its interval and p-value', () => {
    expect(describe(latency)).toBe('B is 13% faster (95% CI 5.5-20%), p = 0.001')
    const cost = {
      ...latency,
      metric: 'cost_usd',
      relative_difference: -0.23,
      ci_relative: [-0.31, -0.15] as [number, number],
      p_value: 0.002,
    }
    expect(describe(cost)).toBe('B is 23% cheaper (95% CI 15-31%), p = 0.002')
    const unclear = {
      ...latency,
      relative_difference: 0.03,
      ci_relative: [-0.05, 0.11] as [number, number],
      p_value: 0.41,
    }
    expect(describe(unclear, { baseline: 'v1', treatment: 'v2' })).toBe(
      'v2 is 3% slower (95% CI 5% faster to 11% slower), p = 0.41, not significant',
    )
    expect(describe({ ...latency, p_value_adjusted: 0.004 })).toBe(
      'B is 13% faster (95% CI 5.5-20%), p = 0.004 (Holm-adjusted)',
    )
  })

  test('says when the horizon is not reached', () => {
    const early = compareSkewed('cost_usd', latencyA, latencyB, { planned_per_arm: 1000, rng: rng() })
    expect(describe(early)).toBe(
      'B is 13% cheaper (95% CI 5.5-20%), p = 0.001; horizon not reached (400 of 1,000 per arm), do not read the p-value yet',
    )
  })

  test('names what is missing when there is not enough data', () => {
    const opts = { planned_per_arm: 100, rng: rng() }
    expect(describe(compareSkewed('latency_ms', latencyA, latencyB.slice(0, 12), opts))).toBe(
      'not enough data yet for latency (12 of 30 traces in B)',
    )
    expect(describe(compareSkewed('latency_ms', latencyA, [], opts))).toBe(
      'not enough data yet for latency (no traces in B)',
    )
    expect(describe(compareSkewed('latency_ms', [5, 5, 5], [5, 5], opts))).toBe(
      'not enough data yet for latency: every value in both arms is 5',
    )
    expect(
      describe(
        compareProportions('error_rate', { successes: 1, trials: 300 }, { successes: 7, trials: 310 }, opts),
      ),
    ).toBe('not enough data yet for error rate (1 of 10 errors in A, 7 of 10 errors in B)')
    // Traces without votes: the thumbs-up rate counts votes, so it says votes are missing.
    expect(
      describe(
        compareProportions('thumbs_up_rate', { successes: 0, trials: 0 }, { successes: 0, trials: 0 }, opts),
      ),
    ).toBe('not enough data yet for thumbs-up rate (no votes in A or B)')
    expect(describe(compareMeans('score', [1, 2], [3, 4], { planned_per_arm: 0 }))).toBe(
      'cannot compare score: planned_per_arm must be a positive integer, got 0',
    )
  })

  test('renders rates in points, scores in their units, and the sample ratio', () => {
    const plan = { planned_per_arm: 300 }
    expect(
      describe(
        compareProportions(
          'error_rate',
          { successes: 136, trials: 4000 },
          { successes: 86, trials: 4100 },
          plan,
        ),
      ),
    ).toBe("B's error rate is 1.3 points lower: 2.1% vs 3.4% (95% CI 0.6-2 points lower), p < 0.001")
    expect(
      describe(
        compareProportions(
          'error_rate',
          { successes: 12, trials: 300 },
          { successes: 17, trials: 310 },
          plan,
        ),
      ),
    ).toBe(
      "B's error rate is 1.5 points higher: 5.5% vs 4% (95% CI 2 points lower to 5 points higher), p = 0.39, not significant",
    )
    expect(
      describe(
        compareProportions(
          'thumbs_up_rate',
          { successes: 15, trials: 50 },
          { successes: 1500, trials: 2000 },
          { planned_per_arm: 50 },
        ),
      ),
    ).toBe("B's thumbs-up rate is 45 points higher: 75% vs 30% (95% CI 31-56 points higher), p < 0.001")
    const scores = compareMeans('score:helpfulness', [0.5, 0.75, 1, 0.25, 1, 0.5], [1, 1, 0.75, 1, 0.75, 1], {
      planned_per_arm: 6,
    })
    expect(scores.status === 'ok' && scores.warnings.length).toBe(2)
    expect(describe(checkSampleRatio([5400, 4600], [1, 1]))).toBe(
      'sample ratio mismatch: 5,400 in A, 4,600 in B against an expected 5,000 / 5,000 (p < 0.001); the assignment is broken, do not trust these results',
    )
    expect(describe(checkSampleRatio([5030, 4970], [1, 1]))).toBe(
      'assignment matches the traffic split (5,030 in A, 4,970 in B, p = 0.55)',
    )
  })

  test("names Fisher's exact test when it ran", () => {
    const r = compareProportions(
      'error_rate',
      { successes: 10, trials: 40 },
      { successes: 20, trials: 4000 },
      { planned_per_arm: 40 },
    )
    expect(r.status === 'ok' && r.method).toBe('fisher_exact_two_sided')
    expect(describe(r)).toBe(
      "B's error rate is 25 points lower: 0.5% vs 25% (95% CI 14-40 points lower), p < 0.001, Fisher's exact test",
    )
  })
})
