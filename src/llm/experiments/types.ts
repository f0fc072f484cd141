/**
 * The shapes every experiment statistic answers with. An answer either carries numbers
 * (`status: 'ok'`) or says why it has none (`not_enough_data`, `invalid_input`); no field
 * is ever NaN or Infinity, and nothing here throws. Differences are always
 * treatment minus baseline, relative differences treatment / baseline - 1.
 */

/** A pair of values, one per arm. */
export interface Arms<T> {
  baseline: T
  treatment: T
}

export type Arm = keyof Arms<unknown>

/** A uniform random number in [0, 1). Pass a seeded one (see `mulberry32`) for reproducible answers. */
export type Random = () => number

/** Confidence intervals are two-sided at this level; tests and sample sizes use the matching alpha. */
export const CONFIDENCE = 0.95
export const ALPHA = 0.05
export const POWER = 0.8

/** Below this many observations per arm a mean comparison is flagged as preliminary. */
export const MIN_PER_ARM_MEANS = 30
/** Below this many successes or failures in an arm a proportion comparison is flagged as preliminary. */
export const MIN_EVENTS_PROPORTIONS = 10

/**
 * Peeking policy: a fixed horizon. Each answer compares the smaller arm's size with the
 * sample size planned before the experiment started; until it is reached the p-value is
 * reported but is not to be read (looking at it repeatedly and stopping at the first
 * p < 0.05 inflates the false-positive rate well above 5%).
 *
 * Road not taken: always-valid confidence sequences (the normal-mixture sequence of Howard
 * et al.) let a dashboard be read at any time, but they cover one difference of means under
 * a variance assumption; they do not carry over to Fisher's exact test, the Holm
 * correction or the winsorized relative interval without a second set of methods.
 */
export interface Peeking {
  method: 'fixed_horizon'
  planned_per_arm: number
  /** The smaller arm's number of observations (trials for proportions). */
  observed_per_arm: number
  reached: boolean
  advice: 'horizon reached: the p-value can be read' | 'horizon not reached, do not read the p-value yet'
}

/** An ok answer with fewer observations (or events) than the minimum carries one warning per short arm. */
export interface SampleWarning {
  code: 'min_sample'
  arm: Arm
  /** What is counted: observations of a mean, successes or failures of a proportion. */
  counted: 'observations' | 'successes' | 'failures'
  have: number
  need: number
}

/**
 * Observations per arm needed to detect the observed effect with a two-sided test at
 * alpha 0.05 and power 0.8, under the normal approximation (statsmodels' NormalIndPower,
 * equal arms), rounded up and at least 2. `per_arm` is null when the observed effect is zero:
 * no sample size detects it.
 * This is the observed effect, so it says how far from conclusive the data are; it is not
 * a horizon to plan by (plan with `requiredPerArm` from an effect decided in advance).
 */
export interface SampleSizeEstimate {
  method: 'normal_approximation_two_sided'
  effect_size: number
  effect_size_kind: 'standardized_mean_difference' | 'cohen_h'
  alpha: typeof ALPHA
  power: typeof POWER
  per_arm: number | null
}

/** Why a metric has no numbers yet: `cause` is for code, `reason` for people. */
export interface NotEnoughData {
  status: 'not_enough_data'
  metric: string
  method: string
  cause: 'empty_arm' | 'too_few' | 'no_variation'
  reason: string
  n: Arms<number>
  peeking: Peeking
}

/** The caller passed something no statistic can be computed from (a count above its total, a bad option). */
export interface InvalidInput {
  status: 'invalid_input'
  metric: string
  method: string
  reason: string
}

export type Unavailable = NotEnoughData | InvalidInput

/** Welch's t-test fields shared by score means and the winsorized latency and cost comparison. */
export interface WelchFields {
  status: 'ok'
  metric: string
  n: Arms<number>
  /** Values dropped before anything was computed because they were not finite numbers. */
  excluded_non_finite: Arms<number>
  mean: Arms<number>
  /** Sample standard deviations (n - 1 in the denominator). */
  sd: Arms<number>
  /** treatment mean - baseline mean. */
  difference: number
  /** Welch t interval for `difference`. */
  ci_difference: [number, number]
  /** treatment mean / baseline mean - 1; null when the baseline mean is not positive. */
  relative_difference: number | null
  /** Interval for `relative_difference` by the delta method (normal quantile); null with it. */
  ci_relative: [number, number] | null
  ci_relative_method: 'delta_method'
  t: number
  /** Welch-Satterthwaite degrees of freedom. */
  df: number
  p_value: number
  /** Holm-adjusted across the metrics of one comparison (`compareExperiment`); null when computed alone. */
  p_value_adjusted: number | null
  sample_size: SampleSizeEstimate
  warnings: SampleWarning[]
  peeking: Peeking
}

/** A score (or any roughly symmetric mean): Welch's t-test on the raw values. */
export interface MeanResult extends WelchFields {
  method: 'welch_t'
}

export interface MedianEstimate {
  estimate: number
  ci: [number, number]
}

/**
 * Latency or cost: Welch's t-test on winsorized values (means, sd, difference and the
 * sample size all describe the winsorized values), with medians of the raw values.
 */
export interface SkewedResult extends WelchFields {
  method: 'welch_t_winsorized_p99.9'
  winsorization: {
    rule: string
    quantile: 0.999
    /** The cap each arm's values were limited to. */
    cap: Arms<number>
    /** How many values of each arm were above the cap. */
    capped: Arms<number>
  }
  median: Arms<MedianEstimate> & { method: 'bootstrap_percentile'; resamples: number }
}

/** Successes out of trials in one arm: errors out of calls, thumbs-up out of rated traces. */
export interface Counts {
  successes: number
  trials: number
}

export interface ProportionResult {
  status: 'ok'
  metric: string
  method: 'two_proportion_z_pooled' | 'fisher_exact_two_sided'
  /** Why that test ran: the smallest expected cell count of the 2x2 table against 5. */
  method_reason: string
  min_expected_cell: number
  n: Arms<number>
  successes: Arms<number>
  rate: Arms<number>
  ci_rate: Arms<[number, number]>
  ci_rate_method: 'wilson_score'
  /** treatment rate - baseline rate. */
  difference: number
  ci_difference: [number, number]
  ci_difference_method: 'newcombe_hybrid_score'
  /** The pooled z statistic; null when Fisher's exact test ran. */
  z: number | null
  p_value: number
  p_value_adjusted: number | null
  sample_size: SampleSizeEstimate
  warnings: SampleWarning[]
  peeking: Peeking
}

export type MetricResult = SkewedResult | MeanResult | ProportionResult | Unavailable

export interface SampleRatioResult {
  status: 'ok'
  method: 'chi_square_goodness_of_fit'
  observed: number[]
  expected: number[]
  chi_square: number
  df: number
  p_value: number
  threshold: 0.001
  /** p < threshold: the assignment does not follow the configured split; distrust every metric. */
  flagged: boolean
}

export interface SampleRatioUnavailable {
  status: 'not_enough_data' | 'invalid_input'
  method: 'chi_square_goodness_of_fit'
  reason: string
}
