/**
 * Statistics for prompt experiments (A/B tests of prompt versions): the one module the
 * experiment routes and dashboard import. Pure: numbers in, answers out, no I/O, no
 * clock, no global random state (the bootstrap takes a seeded `rng`). Nothing throws and
 * no answer holds NaN or Infinity: data that cannot be compared yet is answered with
 * `status: 'not_enough_data'` and a reason, unusable input with `'invalid_input'`.
 *
 * Which test answers which metric, and what each assumes, is written at the top of
 * continuous.ts (latency and cost: winsorized Welch with a delta-method relative interval
 * and bootstrap medians; scores: Welch), proportions.ts (error and thumbs-up rates: pooled
 * z or Fisher's exact test, Wilson and Newcombe intervals) and design.ts (sample ratio
 * mismatch, Holm, sample size, the fixed horizon). Every answer names its method and
 * carries `peeking`; `describe` (describe.ts) renders one in plain words.
 */

import { compareMeans, compareSkewed } from './continuous'
import { checkSampleRatio, holmAdjust } from './design'
import { compareProportions } from './proportions'
import type { Arms, Counts, MetricResult, Random, SampleRatioResult, SampleRatioUnavailable } from './types'

export {
  bootstrapMedian,
  compareMeans,
  compareSkewed,
  DEFAULT_RESAMPLES,
  type MeanOptions,
  quantileSorted,
  type SkewedOptions,
  WINSORIZATION_RULE,
  winsorizeUpper,
} from './continuous'
export { describe, type Labels } from './describe'
export { checkSampleRatio, cohenH, holmAdjust, requiredPerArm, SRM_THRESHOLD } from './design'
export { compareProportions, fisherExact, newcombe, type ProportionOptions, wilson } from './proportions'
export { mulberry32 } from './random'
export * from './types'

/** One metric of a comparison; `planned_per_arm` overrides the experiment's horizon for it. */
export type MetricInput =
  | {
      /** Latency, cost: right-skewed, compared by winsorized Welch plus medians. */
      kind: 'skewed'
      metric: string
      baseline: readonly number[]
      treatment: readonly number[]
      planned_per_arm?: number
    }
  | {
      /** Scores: compared by Welch's t-test on the raw values. */
      kind: 'mean'
      metric: string
      baseline: readonly number[]
      treatment: readonly number[]
      planned_per_arm?: number
    }
  | {
      /** Error rate, thumbs-up rate. */
      kind: 'proportion'
      metric: string
      baseline: Counts
      treatment: Counts
      planned_per_arm?: number
    }

export interface ExperimentInput {
  /** How many traces were assigned to each arm. */
  assigned: Arms<number>
  /** The configured traffic split, as weights (50/50, 0.9/0.1). */
  traffic_split: Arms<number>
  /** The sample size per arm planned before the start; a metric may override it. */
  planned_per_arm: number
  metrics: readonly MetricInput[]
  rng: Random
  resamples?: number
}

export interface ExperimentComparison {
  sample_ratio: SampleRatioResult | SampleRatioUnavailable
  /** Holm over the metrics that have a p-value (`family_size` of them). */
  correction: { method: 'holm'; family_size: number }
  metrics: MetricResult[]
}

/**
 * Every metric of one baseline-versus-treatment comparison, the sample-ratio check of its
 * assignment, and Holm-adjusted p-values across the metrics that have one.
 */
export function compareExperiment(input: ExperimentInput): ExperimentComparison {
  const results = input.metrics.map((m): MetricResult => {
    const planned_per_arm = m.planned_per_arm ?? input.planned_per_arm
    if (m.kind === 'proportion')
      return compareProportions(m.metric, m.baseline, m.treatment, { planned_per_arm })
    if (m.kind === 'mean') return compareMeans(m.metric, m.baseline, m.treatment, { planned_per_arm })
    return compareSkewed(m.metric, m.baseline, m.treatment, {
      planned_per_arm,
      rng: input.rng,
      resamples: input.resamples,
    })
  })
  const tested = results.flatMap((r, i) => (r.status === 'ok' ? [i] : []))
  const adjusted = holmAdjust(tested.map((i) => (results[i] as MetricResult & { status: 'ok' }).p_value))
  tested.forEach((i, k) => {
    const r = results[i] as MetricResult & { status: 'ok' }
    results[i] = { ...r, p_value_adjusted: adjusted[k] as number }
  })
  return {
    sample_ratio: checkSampleRatio(
      [input.assigned.baseline, input.assigned.treatment],
      [input.traffic_split.baseline, input.traffic_split.treatment],
    ),
    correction: { method: 'holm', family_size: tested.length },
    metrics: results,
  }
}
