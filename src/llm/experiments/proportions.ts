/**
 * Comparisons of rates (error rate, thumbs-up rate) between two arms, pure.
 *
 * Assumes each trial is independent with one success probability per arm (a trace that
 * retries is one trial, not several).
 * - Each arm's rate gets a Wilson score interval: unlike the Wald interval it stays inside
 *   [0, 1] and keeps close to 95% coverage at rates near 0, where error rates live.
 * - The difference (treatment - baseline) gets Newcombe's hybrid score interval (his
 *   method 10): built from the two Wilson intervals, no continuity correction.
 * - The test is the pooled two-proportion z-test while every expected cell of the 2x2
 *   table (row total x column total / grand total) is at least 5, the usual condition for
 *   the normal approximation; below that, Fisher's exact test, two-sided, with the p-value
 *   the probability under the hypergeometric distribution of every table no more likely
 *   than the observed one. "No more likely" allows a relative 1e-7, as R's fisher.test
 *   does, so tables that tie in exact arithmetic are not split by rounding.
 * An arm with no trials gives `not_enough_data`; counts that are not integers with
 * 0 <= successes <= trials give `invalid_input`.
 */

import { badHorizon, cohenH, fixedHorizon, minimumWarnings, sampleSizeEstimate } from './design'
import { hypergeometricProbability, normalTwoSided, standardNormalQuantile } from './dist'
import { hasNonFinite, OUT_OF_RANGE } from './guard'
import {
  type Arms,
  CONFIDENCE,
  type Counts,
  MIN_EVENTS_PROPORTIONS,
  type ProportionResult,
  type Unavailable,
} from './types'

const MIN_EXPECTED_CELL = 5
const FISHER_RELATIVE_TOLERANCE = 1 + 1e-7

const z975 = () => standardNormalQuantile(1 - (1 - CONFIDENCE) / 2)
const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

/** Wilson score interval for `successes` out of `trials` (trials > 0). */
export function wilson(successes: number, trials: number): [number, number] {
  const z = z975()
  const p = successes / trials
  const z2 = z * z
  const denominator = 1 + z2 / trials
  const centre = (p + z2 / (2 * trials)) / denominator
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))
  return [clamp01(centre - half), clamp01(centre + half)]
}

/** Newcombe's hybrid score interval for treatment rate - baseline rate. */
export function newcombe(baseline: Counts, treatment: Counts): [number, number] {
  const pa = baseline.successes / baseline.trials
  const pb = treatment.successes / treatment.trials
  const [la, ua] = wilson(baseline.successes, baseline.trials)
  const [lb, ub] = wilson(treatment.successes, treatment.trials)
  const d = pb - pa
  return [d - Math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2), d + Math.sqrt((ub - pb) ** 2 + (pa - la) ** 2)]
}

/** The pooled two-proportion z statistic and two-sided p-value; the pooled rate must lie strictly inside (0, 1). */
export function twoProportionZ(baseline: Counts, treatment: Counts): { z: number; p_value: number } {
  const pooled = (baseline.successes + treatment.successes) / (baseline.trials + treatment.trials)
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseline.trials + 1 / treatment.trials))
  const z = (treatment.successes / treatment.trials - baseline.successes / baseline.trials) / se
  return { z, p_value: normalTwoSided(z) }
}

/** Two-sided p-value of Fisher's exact test for the 2x2 table of the two arms. */
export function fisherExact(baseline: Counts, treatment: Counts): number {
  const population = baseline.trials + treatment.trials
  const successes = baseline.successes + treatment.successes
  const draws = baseline.trials
  const pmf = (k: number) => hypergeometricProbability(k, population, successes, draws)
  const observed = pmf(baseline.successes) * FISHER_RELATIVE_TOLERANCE
  let p = 0
  const hi = Math.min(draws, successes)
  for (let k = Math.max(0, draws - (population - successes)); k <= hi; k++) {
    const q = pmf(k)
    if (q <= observed) p += q
  }
  return Math.min(1, p)
}

/** The smallest expected cell count of the 2x2 table under independence. */
export function minExpectedCell(baseline: Counts, treatment: Counts): number {
  const total = baseline.trials + treatment.trials
  const successes = baseline.successes + treatment.successes
  return (Math.min(baseline.trials, treatment.trials) * Math.min(successes, total - successes)) / total
}

export interface ProportionOptions {
  /** The sample size (trials) per arm planned before the experiment started (fixed horizon). */
  planned_per_arm: number
}

const validCounts = (c: Counts) =>
  Number.isSafeInteger(c.successes) &&
  Number.isSafeInteger(c.trials) &&
  c.successes >= 0 &&
  c.successes <= c.trials

export function compareProportions(
  metric: string,
  baseline: Counts,
  treatment: Counts,
  options: ProportionOptions,
): ProportionResult | Unavailable {
  const bad = badHorizon(options.planned_per_arm)
  const invalid = (reason: string): Unavailable => ({
    status: 'invalid_input',
    metric,
    method: 'two_proportion_z_pooled',
    reason,
  })
  if (bad) return invalid(bad)
  for (const [arm, c] of [
    ['baseline', baseline],
    ['treatment', treatment],
  ] as const)
    if (!validCounts(c))
      return invalid(
        `${arm} counts must be integers with 0 <= successes <= trials, got ${c.successes} of ${c.trials}`,
      )
  const n: Arms<number> = { baseline: baseline.trials, treatment: treatment.trials }
  const peeking = fixedHorizon(options.planned_per_arm, n)
  if (n.baseline === 0 || n.treatment === 0)
    return {
      status: 'not_enough_data',
      metric,
      method: 'two_proportion_z_pooled',
      cause: 'empty_arm',
      reason: `the ${n.baseline === 0 ? 'baseline' : 'treatment'} arm has no trials yet`,
      n,
      peeking,
    }

  const rate = {
    baseline: baseline.successes / baseline.trials,
    treatment: treatment.successes / treatment.trials,
  }
  const expected = minExpectedCell(baseline, treatment)
  const exact = expected < MIN_EXPECTED_CELL
  const z = exact ? null : twoProportionZ(baseline, treatment)
  const failures = { baseline: n.baseline - baseline.successes, treatment: n.treatment - treatment.successes }
  const answer: ProportionResult = {
    status: 'ok',
    metric,
    method: exact ? 'fisher_exact_two_sided' : 'two_proportion_z_pooled',
    method_reason: `smallest expected cell count ${round(expected)} ${exact ? '<' : '>='} ${MIN_EXPECTED_CELL}`,
    min_expected_cell: expected,
    n,
    successes: { baseline: baseline.successes, treatment: treatment.successes },
    rate,
    ci_rate: {
      baseline: wilson(baseline.successes, n.baseline),
      treatment: wilson(treatment.successes, n.treatment),
    },
    ci_rate_method: 'wilson_score',
    difference: rate.treatment - rate.baseline,
    ci_difference: newcombe(baseline, treatment),
    ci_difference_method: 'newcombe_hybrid_score',
    z: z?.z ?? null,
    p_value: z ? z.p_value : fisherExact(baseline, treatment),
    p_value_adjusted: null,
    sample_size: sampleSizeEstimate(cohenH(rate.baseline, rate.treatment), 'cohen_h'),
    warnings: [
      ...minimumWarnings(
        'successes',
        { baseline: baseline.successes, treatment: treatment.successes },
        MIN_EVENTS_PROPORTIONS,
      ),
      ...minimumWarnings('failures', failures, MIN_EVENTS_PROPORTIONS),
    ],
    peeking,
  }
  return hasNonFinite(answer) ? invalid(OUT_OF_RANGE) : answer
}

const round = (x: number) => Math.round(x * 100) / 100
