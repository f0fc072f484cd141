/**
 * The experiment statistics against scipy and statsmodels (test/requirements.txt, run by
 * test/unit/llm_stats_reference.py on the data sets of llm.stats.cases.ts).
 *
 * Tolerance: every value agrees to a relative 1e-6 (plus 1e-10 absolute, so a value that
 * is zero up to rounding can be compared); p-values agree to a relative 1e-6 with no
 * absolute slack, so a p-value of 1e-89 is checked as closely as one of 0.3.
 * The bootstrap cannot match scipy's draws with another generator; see its test.
 */

import { beforeAll, describe, expect, test } from 'bun:test'
import {
  betaDistributionQuantile,
  chiSquareSf,
  hypergeometricProbability,
  standardNormalCdf,
  standardNormalQuantile,
  studentTCdf,
  studentTQuantile,
} from '../../src/llm/experiments/dist'
import {
  bootstrapMedian,
  checkSampleRatio,
  compareMeans,
  compareProportions,
  compareSkewed,
  fisherExact,
  holmAdjust,
  type MeanResult,
  mulberry32,
  type NotEnoughData,
  type ProportionResult,
  requiredPerArm,
  type SkewedResult,
  winsorizeUpper,
} from '../../src/llm/experiments/stats'
import { cases, type Reference, scipyReferences } from './llm.stats.cases'

let ref: Reference
beforeAll(() => {
  ref = scipyReferences()
})

/** Collects disagreements so a failure lists every value that is off, by name. */
function checker() {
  const off: string[] = []
  const close = (
    label: string,
    actual: number | null | undefined,
    expected: number | null,
    absolute = 1e-10,
  ) => {
    if (expected === null || actual === null || actual === undefined) {
      if (actual !== expected) off.push(`${label}: got ${actual}, scipy ${expected}`)
      return
    }
    if (!(Math.abs(actual - expected) <= 1e-6 * Math.abs(expected) + absolute))
      off.push(`${label}: got ${actual}, scipy ${expected}`)
  }
  const pair = (label: string, actual: readonly number[] | null, expected: readonly number[] | null) => {
    if (actual === null || expected === null) return close(label, actual as null, expected as null)
    close(`${label}[0]`, actual[0], expected[0] as number)
    close(`${label}[1]`, actual[1], expected[1] as number)
  }
  return { off, close, pair, p: (label: string, a: number, e: number | null) => close(label, a, e, 0) }
}

const PLAN = { planned_per_arm: 100 }

describe('distribution functions', () => {
  test('Student t, normal, chi-square and hypergeometric values match scipy.stats', () => {
    const c = checker()
    const d = cases.dist
    const r = ref.dist
    for (const [i, [x, df]] of d.t_cdf.entries())
      c.p(`t.cdf(${x}, ${df})`, studentTCdf(x, df), r.t_cdf[i] ?? null)
    for (const [i, [p, df]] of d.t_ppf.entries())
      c.close(`t.ppf(${p}, ${df})`, studentTQuantile(p, df), r.t_ppf[i] ?? null)
    for (const [i, x] of d.norm_cdf.entries())
      c.p(`norm.cdf(${x})`, standardNormalCdf(x), r.norm_cdf[i] ?? null)
    for (const [i, p] of d.norm_ppf.entries())
      c.close(`norm.ppf(${p})`, standardNormalQuantile(p), r.norm_ppf[i] ?? null)
    for (const [i, [x, k]] of d.chi2_sf.entries())
      c.p(`chi2.sf(${x}, ${k})`, chiSquareSf(x, k), r.chi2_sf[i] ?? null)
    for (const [i, [k, N, K, n]] of d.hypergeom_pmf.entries())
      c.p(
        `hypergeom.pmf(${k}, ${N}, ${K}, ${n})`,
        hypergeometricProbability(k, N, K, n),
        r.hypergeom_pmf[i] ?? null,
      )
    expect(c.off).toEqual([])
  })

  test('the Beta quantile used by the bootstrap is the order statistic of uniforms', () => {
    // The median of 3 uniforms is Beta(2, 2): its CDF is 3u^2 - 2u^3, so the median is 0.5
    // and the 0.104 quantile is 0.2.
    expect(betaDistributionQuantile(0.5, 2, 2)).toBeCloseTo(0.5, 12)
    expect(betaDistributionQuantile(3 * 0.04 - 2 * 0.008, 2, 2)).toBeCloseTo(0.2, 12)
  })
})

describe('winsorization', () => {
  test("caps each arm at numpy's linear 0.999 quantile, including ties and n < 1000", () => {
    const c = checker()
    for (const [name, values] of Object.entries(cases.winsorize)) {
      const r = ref.winsorize[name as keyof typeof ref.winsorize]
      const w = winsorizeUpper(values)
      c.close(`${name} cap`, w.cap, r.cap)
      if (w.capped !== r.capped) c.off.push(`${name} capped ${w.capped}, numpy ${r.capped}`)
      for (const [i, x] of w.values.entries()) c.close(`${name}[${i}]`, x, r.values[i] ?? null)
    }
    expect(c.off).toEqual([])
  })
})

function checkWelch(
  c: ReturnType<typeof checker>,
  name: string,
  got: MeanResult | SkewedResult,
  r: Reference['welch'][keyof Reference['welch']],
) {
  c.close(`${name} t`, got.t, r.t)
  c.close(`${name} df`, got.df, r.df)
  c.p(`${name} p`, got.p_value, r.p)
  c.pair(`${name} ci_difference`, got.ci_difference, r.ci)
  c.pair(`${name} mean`, [got.mean.baseline, got.mean.treatment], r.mean)
  c.pair(`${name} sd`, [got.sd.baseline, got.sd.treatment], r.sd)
  c.close(`${name} relative`, got.relative_difference, r.relative?.estimate ?? null)
  c.pair(`${name} ci_relative`, got.ci_relative, r.relative?.ci ?? null)
  c.close(
    `${name} sample size`,
    got.sample_size.per_arm,
    r.sample_size === null ? null : Math.ceil(r.sample_size),
  )
}

describe("Welch's t-test", () => {
  test('scores: t, df, p, interval and delta-method relative interval match ttest_ind(equal_var=False)', () => {
    const c = checker()
    for (const [name, data] of Object.entries(cases.welch)) {
      const got = compareMeans('score', data.a, data.b, PLAN)
      if (got.status !== 'ok') {
        c.off.push(`${name}: ${got.status}`)
        continue
      }
      expect(got.method).toBe('welch_t')
      checkWelch(c, name, got, ref.welch[name as keyof typeof ref.welch])
    }
    expect(c.off).toEqual([])
  })

  test('latency and cost: the same statistics on values winsorized at the 0.999 quantile', () => {
    const c = checker()
    for (const [name, data] of Object.entries(cases.skewed)) {
      const got = compareSkewed('latency_ms', data.a, data.b, { ...PLAN, rng: mulberry32(1), resamples: 200 })
      if (got.status !== 'ok') {
        c.off.push(`${name}: ${got.status}`)
        continue
      }
      expect(got.method).toBe('welch_t_winsorized_p99.9')
      expect(got.ci_relative_method).toBe('delta_method')
      checkWelch(c, name, got, ref.skewed[name as keyof typeof ref.skewed])
    }
    expect(c.off).toEqual([])
  })

  test('one empty arm, one value, all ties and two constant arms are not enough data, where scipy has no answer', () => {
    const causes: Record<keyof typeof cases.welch_degenerate, NotEnoughData['cause']> = {
      empty_treatment: 'empty_arm',
      one_value: 'too_few',
      all_ties: 'no_variation',
      constant_arms_differ: 'no_variation',
    }
    for (const [name, data] of Object.entries(cases.welch_degenerate)) {
      const scipy = ref.welch_degenerate[name as keyof typeof causes]
      for (const got of [
        compareMeans('score', data.a, data.b, PLAN),
        compareSkewed('latency_ms', data.a, data.b, { ...PLAN, rng: mulberry32(1) }),
      ]) {
        expect(got.status).toBe('not_enough_data')
        expect((got as NotEnoughData).cause).toBe(causes[name as keyof typeof causes])
      }
      // scipy: NaN for the first three; for constant arms that differ, t = -inf and p = 0,
      // a certainty no finite sample supports: the module declines to answer instead.
      if (name === 'constant_arms_differ') expect(scipy).toEqual({ t: null, p: 0 })
      else expect(scipy).toEqual({ t: null, p: null })
    }
  })
})

describe('proportions', () => {
  test('Wilson, Newcombe, cohen h and the z-test or Fisher test match statsmodels and scipy', () => {
    const c = checker()
    for (const [name, k] of Object.entries(cases.proportions)) {
      const r = ref.proportions[name as keyof typeof ref.proportions]
      const got = compareProportions(
        'error_rate',
        { successes: k.xa, trials: k.na },
        { successes: k.xb, trials: k.nb },
        PLAN,
      ) as ProportionResult
      expect(got.status).toBe('ok')
      c.close(`${name} min expected`, got.min_expected_cell, r.min_expected)
      const fisher = r.min_expected < 5
      expect(`${name}: ${got.method}`).toBe(
        `${name}: ${fisher ? 'fisher_exact_two_sided' : 'two_proportion_z_pooled'}`,
      )
      if (fisher) {
        c.p(`${name} fisher p`, got.p_value, r.p_fisher)
        expect(got.z).toBeNull()
      } else {
        c.p(`${name} z-test p`, got.p_value, r.p_z)
        c.close(`${name} z`, got.z, r.z)
      }
      c.pair(`${name} wilson baseline`, got.ci_rate.baseline, r.wilson_a)
      c.pair(`${name} wilson treatment`, got.ci_rate.treatment, r.wilson_b)
      c.pair(`${name} newcombe`, got.ci_difference, r.newcombe)
      c.close(
        `${name} sample size`,
        got.sample_size.per_arm,
        r.sample_size === null ? null : Math.ceil(r.sample_size),
      )
      c.close(`${name} effect`, got.sample_size.effect_size, Math.abs(r.cohen_h))
    }
    expect(c.off).toEqual([])
  })

  test('the Fisher p-value also matches where the z-test ran, and a zero-variance pool has no z', () => {
    const c = checker()
    const errors = ref.proportions.errors_large
    const { xa, na, xb, nb } = cases.proportions.errors_large
    c.p(
      'errors_large fisher',
      fisherExact({ successes: xa, trials: na }, { successes: xb, trials: nb }),
      errors.p_fisher,
    )
    // Neither arm has an error: statsmodels' z is NaN; the module runs Fisher (p = 1).
    expect(ref.proportions.zero_both.z).toBeNull()
    expect(c.off).toEqual([])
  })
})

describe('design checks', () => {
  test('the sample-ratio check matches scipy.stats.chisquare and flags at p < 0.001', () => {
    const c = checker()
    const flagged: string[] = []
    for (const [name, s] of Object.entries(cases.srm)) {
      const r = ref.srm[name as keyof typeof ref.srm]
      const got = checkSampleRatio(s.observed, s.split)
      if (got.status !== 'ok') throw new Error(`${name}: ${got.reason}`)
      c.close(`${name} chi2`, got.chi_square, r.chi_square)
      c.p(`${name} p`, got.p_value, r.p)
      for (const [i, e] of got.expected.entries()) c.close(`${name} expected[${i}]`, e, r.expected[i] ?? null)
      if (got.flagged) flagged.push(name)
    }
    expect(c.off).toEqual([])
    expect(flagged).toEqual(['mismatch', 'p_0_0007_flagged', 'uneven_flagged', 'extreme_tail'])
    expect(
      [ref.srm.p_0_0027_not_flagged.p, ref.srm.p_0_0007_flagged.p].map((p) => Number(p.toFixed(4))),
    ).toEqual([0.0027, 0.0007])
  })

  test('Holm adjustment matches multipletests(method="holm")', () => {
    const c = checker()
    for (const [name, ps] of Object.entries(cases.holm))
      for (const [i, p] of holmAdjust(ps).entries())
        c.p(`${name}[${i}]`, p, ref.holm[name as keyof typeof ref.holm][i] ?? null)
    expect(c.off).toEqual([])
  })

  test('the per-arm sample size matches NormalIndPower().solve_power at alpha 0.05, power 0.8', () => {
    const c = checker()
    for (const [i, e] of cases.power.entries())
      c.close(`effect ${e}`, requiredPerArm(e), ref.power[i] ?? null)
    expect(c.off).toEqual([])
    expect(requiredPerArm(0)).toBeNull()
  })
})

describe('bootstrap medians', () => {
  /**
   * Loosely: each endpoint within 2 order statistics of scipy.stats.bootstrap's
   * (percentile method, 20,000 resamples). The bootstrap median only takes values at
   * order statistics (or midpoints of two), and with 2,000 resamples the 2.5% point of the
   * resampled medians has a Monte Carlo standard error of about one order statistic near
   * the middle of n = 201 values; 50 seeds were all within 1.
   */
  test('the interval lands within 2 order statistics of scipy.stats.bootstrap, the median exactly', () => {
    for (const [name, b] of Object.entries(cases.bootstrap)) {
      const r = ref.bootstrap[name as keyof typeof ref.bootstrap]
      const sorted = [...b.values].sort((x, y) => x - y)
      const rank = (v: number) => sorted.filter((x) => x < v - 1e-9 * Math.abs(v)).length
      for (const seed of [1, 2, 3]) {
        const got = bootstrapMedian(b.values, mulberry32(seed), 2000)
        expect(got.estimate).toBeCloseTo(r.median, 9)
        expect(Math.abs(rank(got.ci[0]) - rank(r.ci[0]))).toBeLessThanOrEqual(2)
        expect(Math.abs(rank(got.ci[1]) - rank(r.ci[1]))).toBeLessThanOrEqual(2)
      }
    }
  })
})
