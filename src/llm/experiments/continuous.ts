/**
 * Comparisons of continuous metrics between a baseline and a treatment arm, pure.
 *
 * Scores (`compareMeans`): Welch's t-test on the raw values. Assumes independent
 * observations and a sample mean close to normal (the central limit theorem, hence the
 * warning under 30 per arm); does not assume equal variances.
 *
 * Latency and cost (`compareSkewed`): heavy right tails, where one runaway call can move
 * a mean by more than the prompt change did. So:
 * - Winsorization, per arm: the cap is the arm's 0.999 quantile by linear interpolation
 *   between order statistics (Hyndman-Fan type 7, numpy's and R's default: with the values
 *   sorted x[0..n-1], h = (n - 1) 0.999, cap = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]));
 *   every value above the cap is replaced by it. Only the upper tail: latency and cost are
 *   bounded below by zero. Up to 1,001 values the cap lies between the two largest, so only
 *   the maximum is pulled in, part of the way.
 * - Welch's t-test and its interval on the winsorized values, and an interval for the
 *   relative difference mean_T / mean_B - 1 by the delta method: its variance is
 *   var_T / (n_T mean_B^2) + mean_T^2 var_B / (n_B mean_B^4) (independent arms), with the
 *   normal quantile. Fieller's interval was not taken: it is unbounded whenever the
 *   baseline mean is not clearly above zero, which a dashboard cannot show.
 * - Medians of the raw values, each with a bootstrap percentile interval: `resamples`
 *   resamples of the arm drawn with the `rng` passed in, the 2.5% and 97.5% type 7
 *   quantiles of their medians (each resample's median is drawn in one step; see
 *   `bootstrapMedian`). Same data, same seed, same interval.
 *
 * Values that are not finite numbers are dropped first and counted. An empty arm, an arm
 * with one value, or no variation in either arm (every value of each arm the same, which
 * includes all values tied) gives `not_enough_data`.
 */

import { badHorizon, fixedHorizon, minimumWarnings, sampleSizeEstimate } from './design'
import { betaDistributionQuantile, standardNormalQuantile, studentTQuantile, studentTTwoSided } from './dist'
import { hasNonFinite, OUT_OF_RANGE } from './guard'
import {
  type Arms,
  CONFIDENCE,
  type InvalidInput,
  type MeanResult,
  type MedianEstimate,
  MIN_PER_ARM_MEANS,
  type NotEnoughData,
  type Random,
  type SkewedResult,
  type Unavailable,
  type WelchFields,
} from './types'

export const WINSORIZE_QUANTILE = 0.999
export const DEFAULT_RESAMPLES = 2000
export const WINSORIZATION_RULE =
  "per arm, values above the arm's 0.999 quantile (linear interpolation between order statistics, " +
  "Hyndman-Fan type 7, numpy's default) are replaced by it; the lower tail is left alone"

/** The q-quantile of ascending `sorted` values by linear interpolation (type 7); `sorted` is not empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const a = sorted[lo] as number
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number
  return a + (h - lo) * (b - a)
}

/** The values with everything above their `q` quantile set to it, and that cap. */
export function winsorizeUpper(
  values: readonly number[],
  q = WINSORIZE_QUANTILE,
): { values: number[]; cap: number; capped: number } {
  if (values.length === 0) return { values: [], cap: 0, capped: 0 }
  const cap = quantileSorted(Float64Array.from(values).sort(), q)
  let capped = 0
  const out = values.map((x) => {
    if (x <= cap) return x
    capped++
    return cap
  })
  return { values: out, cap, capped }
}

interface Moments {
  n: number
  mean: number
  /** Sample variance (n - 1), exactly 0 when all values are equal. */
  variance: number
  constant: boolean
}

function moments(xs: readonly number[]): Moments {
  const n = xs.length
  let sum = 0
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const x of xs) {
    sum += x
    if (x < min) min = x
    if (x > max) max = x
  }
  const mean = sum / n
  // All values equal: their variance is 0, not the rounding noise of a two-pass sum.
  if (min === max) return { n, mean: min, variance: 0, constant: true }
  let ss = 0
  for (const x of xs) ss += (x - mean) ** 2
  return { n, mean, variance: ss / (n - 1), constant: false }
}

interface WelchTest {
  t: number
  df: number
  p_value: number
  difference: number
  ci_difference: [number, number]
}

/** Welch's t-test of treatment against baseline; needs n >= 2 in each and some variance in one. */
function welchTest(a: Moments, b: Moments): WelchTest {
  const ea = a.variance / a.n
  const eb = b.variance / b.n
  const se2 = ea + eb
  const se = Math.sqrt(se2)
  const difference = b.mean - a.mean
  const t = difference / se
  const df = (se2 * se2) / ((ea * ea) / (a.n - 1) + (eb * eb) / (b.n - 1))
  const half = studentTQuantile(1 - (1 - CONFIDENCE) / 2, df) * se
  return {
    t,
    df,
    p_value: studentTTwoSided(t, df),
    difference,
    ci_difference: [difference - half, difference + half],
  }
}

/** treatment / baseline - 1 and its delta-method interval, or nulls when the baseline mean is not positive. */
function relativeDelta(a: Moments, b: Moments): { estimate: number | null; ci: [number, number] | null } {
  if (!(a.mean > 0)) return { estimate: null, ci: null }
  const estimate = b.mean / a.mean - 1
  const se = Math.sqrt(b.variance / b.n / a.mean ** 2 + (b.mean ** 2 * a.variance) / a.n / a.mean ** 4)
  const half = standardNormalQuantile(1 - (1 - CONFIDENCE) / 2) * se
  if (!Number.isFinite(estimate) || !Number.isFinite(half)) return { estimate: null, ci: null }
  return { estimate, ci: [estimate - half, estimate + half] }
}

/**
 * The median of `values` and its bootstrap percentile interval.
 *
 * Each resample's median is drawn directly instead of by drawing n indices and sorting:
 * a resample is n independent uniform indices floor(n U_i) into the sorted values, and
 * floor is monotone, so its k-th smallest index is floor(n U_(k)) with U_(k) the k-th
 * order statistic of n uniforms, which is Beta(k, n - k + 1). One uniform u from `rng`
 * gives U_(k) as the Beta quantile of u; for an even n the next order statistic is
 * U_(k) + (1 - U_(k))(1 - v^(1 / (n - k))) from a second uniform v (the smallest of the
 * n - k uniforms above U_(k)). The medians have exactly the distribution that resampling
 * gives, at a cost of one or two draws per resample whatever n is.
 */
export function bootstrapMedian(values: readonly number[], rng: Random, resamples: number): MedianEstimate {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  const at = (i: number) => sorted[i] as number
  const lowRank = Math.floor((n - 1) / 2)
  const highRank = Math.floor(n / 2)
  const median = at(lowRank) / 2 + at(highRank) / 2
  // 1-based rank of the lower middle value; its order statistic is Beta(k, n - k + 1).
  const k = lowRank + 1
  const index = (u: number) => Math.min(n - 1, Math.floor(n * u))
  const medians = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    const low = betaDistributionQuantile(rng(), k, n - k + 1)
    if (highRank === lowRank) {
      medians[r] = at(index(low))
      continue
    }
    const high = low + (1 - low) * (1 - (1 - rng()) ** (1 / (n - k)))
    medians[r] = at(index(low)) / 2 + at(index(high)) / 2
  }
  medians.sort()
  const tail = (1 - CONFIDENCE) / 2
  return { estimate: median, ci: [quantileSorted(medians, tail), quantileSorted(medians, 1 - tail)] }
}

export interface MeanOptions {
  /** The sample size per arm planned before the experiment started (fixed horizon). */
  planned_per_arm: number
}

export interface SkewedOptions extends MeanOptions {
  rng: Random
  /** Bootstrap resamples for each median interval; default 2,000. */
  resamples?: number
}

type Prepared =
  | { ok: true; a: number[]; b: number[]; excluded: Arms<number> }
  | { ok: false; answer: Unavailable }

function prepare(
  metric: string,
  method: string,
  baseline: readonly number[],
  treatment: readonly number[],
  planned: number,
): Prepared {
  const bad = badHorizon(planned)
  if (bad) return { ok: false, answer: invalid(metric, method, bad) }
  const a = baseline.filter(Number.isFinite)
  const b = treatment.filter(Number.isFinite)
  const n = { baseline: a.length, treatment: b.length }
  const peeking = fixedHorizon(planned, n)
  const short = (cause: NotEnoughData['cause'], reason: string): Prepared => ({
    ok: false,
    answer: { status: 'not_enough_data', metric, method, cause, reason, n, peeking },
  })
  if (a.length === 0 || b.length === 0)
    return short('empty_arm', `the ${a.length === 0 ? 'baseline' : 'treatment'} arm has no values yet`)
  if (a.length < 2 || b.length < 2)
    return short('too_few', "Welch's t-test needs at least 2 values in each arm")
  if (isConstant(a) && isConstant(b))
    return short(
      'no_variation',
      a[0] === b[0]
        ? `every value in both arms is ${a[0]}`
        : `every baseline value is ${a[0]} and every treatment value is ${b[0]}: no variance to test against`,
    )
  return {
    ok: true,
    a,
    b,
    excluded: { baseline: baseline.length - a.length, treatment: treatment.length - b.length },
  }
}

const isConstant = (xs: readonly number[]) => xs.every((x) => x === xs[0])

const invalid = (metric: string, method: string, reason: string): InvalidInput => ({
  status: 'invalid_input',
  metric,
  method,
  reason,
})

function welchFields(
  metric: string,
  a: readonly number[],
  b: readonly number[],
  excluded: Arms<number>,
  planned: number,
): Omit<WelchFields, 'status'> {
  const ma = moments(a)
  const mb = moments(b)
  const test = welchTest(ma, mb)
  const relative = relativeDelta(ma, mb)
  const n = { baseline: ma.n, treatment: mb.n }
  return {
    metric,
    n,
    excluded_non_finite: excluded,
    mean: { baseline: ma.mean, treatment: mb.mean },
    sd: { baseline: Math.sqrt(ma.variance), treatment: Math.sqrt(mb.variance) },
    difference: test.difference,
    ci_difference: test.ci_difference,
    relative_difference: relative.estimate,
    ci_relative: relative.ci,
    ci_relative_method: 'delta_method',
    t: test.t,
    df: test.df,
    p_value: test.p_value,
    p_value_adjusted: null,
    sample_size: sampleSizeEstimate(
      test.difference / Math.sqrt((ma.variance + mb.variance) / 2),
      'standardized_mean_difference',
    ),
    warnings: minimumWarnings('observations', n, MIN_PER_ARM_MEANS),
    peeking: fixedHorizon(planned, n),
  }
}

/** Welch's t-test on raw values: for scores. */
export function compareMeans(
  metric: string,
  baseline: readonly number[],
  treatment: readonly number[],
  options: MeanOptions,
): MeanResult | Unavailable {
  const method = 'welch_t'
  const p = prepare(metric, method, baseline, treatment, options.planned_per_arm)
  if (!p.ok) return p.answer
  const answer: MeanResult = {
    status: 'ok',
    method,
    ...welchFields(metric, p.a, p.b, p.excluded, options.planned_per_arm),
  }
  return hasNonFinite(answer) ? invalid(metric, method, OUT_OF_RANGE) : answer
}

/** Welch's t-test on winsorized values with a relative interval, plus bootstrap medians: for latency and cost. */
export function compareSkewed(
  metric: string,
  baseline: readonly number[],
  treatment: readonly number[],
  options: SkewedOptions,
): SkewedResult | Unavailable {
  const method = 'welch_t_winsorized_p99.9'
  const resamples = options.resamples ?? DEFAULT_RESAMPLES
  if (!Number.isSafeInteger(resamples) || resamples < 1 || resamples > 1_000_000)
    return invalid(metric, method, `resamples must be an integer from 1 to 1,000,000, got ${resamples}`)
  const p = prepare(metric, method, baseline, treatment, options.planned_per_arm)
  if (!p.ok) return p.answer
  const wa = winsorizeUpper(p.a)
  const wb = winsorizeUpper(p.b)
  const answer: SkewedResult = {
    status: 'ok',
    method,
    ...welchFields(metric, wa.values, wb.values, p.excluded, options.planned_per_arm),
    winsorization: {
      rule: WINSORIZATION_RULE,
      quantile: WINSORIZE_QUANTILE,
      cap: { baseline: wa.cap, treatment: wb.cap },
      capped: { baseline: wa.capped, treatment: wb.capped },
    },
    median: {
      method: 'bootstrap_percentile',
      resamples,
      baseline: bootstrapMedian(p.a, options.rng, resamples),
      treatment: bootstrapMedian(p.b, options.rng, resamples),
    },
  }
  return hasNonFinite(answer) ? invalid(metric, method, OUT_OF_RANGE) : answer
}
