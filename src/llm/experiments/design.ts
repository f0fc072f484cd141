/**
 * Checks on the design of an experiment rather than on one metric, pure.
 *
 * - Sample ratio mismatch: Pearson's chi-square goodness of fit of the assignment counts
 *   against the configured traffic split (expected = total x weight / sum of weights,
 *   k - 1 degrees of freedom), flagged at p < 0.001. The threshold is strict on purpose:
 *   the check runs on every look at every experiment, and a real mismatch (a bug in the
 *   assignment, a variant that crashes before it logs) shows up as a tiny p-value quickly.
 *   Assumes each assignment is an independent draw with the configured probabilities.
 * - Holm-Bonferroni: the step-down adjustment of the p-values of one comparison's metrics
 *   (sorted ascending, the i-th from 0 multiplied by m - i, running maximum, capped at 1),
 *   which controls the family-wise error rate under any dependence between the metrics.
 * - Sample size: the per-arm n at which a two-sided z-test at alpha 0.05 reaches power 0.8
 *   for a standardized effect size, counting both rejection tails, as statsmodels'
 *   NormalIndPower with equal arms: power(n) = Phi(d sqrt(n/2) - z) + Phi(-z - d sqrt(n/2)).
 * - Fixed horizon: whether the planned sample size per arm has been reached.
 */

import { chiSquareSf, standardNormalCdf, standardNormalQuantile } from './dist'
import {
  ALPHA,
  type Arm,
  type Arms,
  type Peeking,
  POWER,
  type SampleRatioResult,
  type SampleRatioUnavailable,
  type SampleSizeEstimate,
  type SampleWarning,
} from './types'

export const SRM_THRESHOLD = 0.001

const isCount = (x: number) => Number.isSafeInteger(x) && x >= 0

export function checkSampleRatio(
  observed: readonly number[],
  split: readonly number[],
): SampleRatioResult | SampleRatioUnavailable {
  const method = 'chi_square_goodness_of_fit'
  if (observed.length < 2 || observed.length !== split.length)
    return {
      status: 'invalid_input',
      method,
      reason: `expected one count and one weight per arm (at least 2), got ${observed.length} counts and ${split.length} weights`,
    }
  if (!observed.every(isCount))
    return { status: 'invalid_input', method, reason: 'assignment counts must be non-negative integers' }
  if (!split.every((w) => Number.isFinite(w) && w > 0))
    return { status: 'invalid_input', method, reason: 'traffic split weights must be positive numbers' }
  const total = observed.reduce((a, b) => a + b, 0)
  if (total === 0) return { status: 'not_enough_data', method, reason: 'nothing has been assigned yet' }
  const weights = split.reduce((a, b) => a + b, 0)
  const expected = split.map((w) => (total * w) / weights)
  let chi = 0
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i] as number
    chi += ((observed[i] as number) - e) ** 2 / e
  }
  const df = observed.length - 1
  const p = chiSquareSf(chi, df)
  if (!Number.isFinite(chi) || !Number.isFinite(p))
    return { status: 'invalid_input', method, reason: 'the counts are too large to compute with' }
  return {
    status: 'ok',
    method,
    observed: [...observed],
    expected,
    chi_square: chi,
    df,
    p_value: p,
    threshold: SRM_THRESHOLD,
    flagged: p < SRM_THRESHOLD,
  }
}

/** Holm-adjusted p-values, in the order given. Entries are expected to lie in [0, 1]. */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i)
  const adjusted = new Array<number>(m)
  let running = 0
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p))
    adjusted[i] = running
  })
  return adjusted
}

/**
 * Per-arm sample size for a standardized effect size (Cohen's d or h) at alpha 0.05 and
 * power 0.8, unrounded; null for a zero or non-finite effect. Solved by bisection: power
 * rises with n, and the one-tail closed form 2((z_{a/2} + z_b) / d)^2 is an upper bound
 * because the second tail only adds power.
 */
export function requiredPerArm(effectSize: number, alpha = ALPHA, power = POWER): number | null {
  const d = Math.abs(effectSize)
  if (!Number.isFinite(d) || d === 0) return null
  const crit = standardNormalQuantile(1 - alpha / 2)
  const powerAt = (n: number) => {
    const shift = d * Math.sqrt(n / 2)
    return standardNormalCdf(shift - crit) + standardNormalCdf(-crit - shift)
  }
  let hi = 2 * ((crit + standardNormalQuantile(power)) / d) ** 2
  let lo = 0
  for (let i = 0; i < 200 && hi - lo > hi * 1e-15; i++) {
    const mid = (lo + hi) / 2
    if (powerAt(mid) < power) lo = mid
    else hi = mid
  }
  return Number.isFinite(hi) ? hi : null
}

export function sampleSizeEstimate(
  effectSize: number,
  kind: SampleSizeEstimate['effect_size_kind'],
): SampleSizeEstimate {
  const n = requiredPerArm(effectSize)
  return {
    method: 'normal_approximation_two_sided',
    effect_size: Number.isFinite(effectSize) ? Math.abs(effectSize) : 0,
    effect_size_kind: kind,
    alpha: ALPHA,
    power: POWER,
    // Welch's t-test needs two values per arm, whatever a huge effect suggests.
    per_arm: n === null ? null : Math.max(2, Math.ceil(n)),
  }
}

/** Cohen's h between two proportions: the difference of their arcsine-square-root transforms. */
export const cohenH = (baseline: number, treatment: number) =>
  2 * Math.asin(Math.sqrt(treatment)) - 2 * Math.asin(Math.sqrt(baseline))

export function fixedHorizon(plannedPerArm: number, n: Arms<number>): Peeking {
  const observed = Math.min(n.baseline, n.treatment)
  const reached = observed >= plannedPerArm
  return {
    method: 'fixed_horizon',
    planned_per_arm: plannedPerArm,
    observed_per_arm: observed,
    reached,
    advice: reached
      ? 'horizon reached: the p-value can be read'
      : 'horizon not reached, do not read the p-value yet',
  }
}

/** A planned sample size must be a positive integer; the reason when it is not. */
export const badHorizon = (planned: number): string | null =>
  Number.isSafeInteger(planned) && planned > 0
    ? null
    : `planned_per_arm must be a positive integer, got ${planned}`

/** One warning per arm whose count is under the minimum. */
export function minimumWarnings(
  counted: SampleWarning['counted'],
  have: Arms<number>,
  need: number,
): SampleWarning[] {
  const out: SampleWarning[] = []
  for (const arm of ['baseline', 'treatment'] as const satisfies readonly Arm[])
    if (have[arm] < need) out.push({ code: 'min_sample', arm, counted, have: have[arm], need })
  return out
}
