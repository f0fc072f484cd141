/**
 * One baseline-versus-treatment comparison of an experiment, from the two arms' data to
 * the answer the compare route sends. Pure: the statistics are those of ./stats.ts (each
 * checked against scipy and statsmodels in test/unit/llm.stats.test.ts); this module only
 * chooses which test answers which metric and words the result.
 *
 *   latency_ms, cost_usd    Welch's t-test on values winsorized at p99.9, a delta-method
 *                           interval for the relative difference, bootstrap medians
 *   error_rate,             pooled two-proportion z-test, or Fisher's exact test when an
 *   thumbs_up_rate          expected cell is under 5; Wilson and Newcombe intervals
 *   score:<name>            Welch's t-test on the scores
 *
 * Across metrics, Holm's correction; on assignment, a sample-ratio-mismatch check
 * (chi-square of the arms' trace counts against their traffic split). Peeking is handled
 * by a fixed horizon: the experiment's `planned_per_arm`, fixed at creation; until the
 * smaller arm reaches it, `peeking.reached` is false, no metric is called significant and
 * the recommendation says to keep collecting.
 *
 * The bootstrap's generator is seeded from the experiment and the two versions, so every
 * look at the same data gives the same intervals.
 */
import { createHash } from 'node:crypto'
import type { MetricName } from './model'
import {
  ALPHA,
  CONFIDENCE,
  compareExperiment,
  describe,
  type MetricInput,
  type MetricResult,
  mulberry32,
} from './stats'
import type { ArmData, Variant } from './store'

export interface Comparison {
  experiment_id: string
  baseline: { name: string; version: string; traces: number }
  treatment: { name: string; version: string; traces: number }
  window: { from: number; to: number | null }
  peeking: {
    method: 'fixed_horizon'
    planned_per_arm: number
    observed_per_arm: number
    reached: boolean
    advice: string
  }
  sample_ratio: ReturnType<typeof compareExperiment>['sample_ratio'] & { summary: string }
  correction: { method: 'holm'; family_size: number }
  results: (MetricResult & { summary: string })[]
  /** More traces matched than were read; the answer covers the earliest ones. */
  truncated: boolean
  /** The earlier API's keys, now computed from the tests above. */
  baseline_variant: string
  treatment_variant: string
  metrics: {
    latency_improvement_percent: number | null
    cost_improvement_percent: number | null
    success_rate_improvement_percent: number | null
    sample_size: number
  }
  statistical_significance: {
    p_value: number | null
    is_significant: boolean
    confidence_level: number
    method: 'smallest holm-adjusted p-value across the metrics, read only at the fixed horizon'
  }
  recommendation: string
}

export function seedFor(experimentId: string, baseline: string, treatment: string): number {
  return createHash('sha256')
    .update(`${experimentId}\u0000${baseline}\u0000${treatment}`)
    .digest()
    .readUInt32BE(0)
}

export function compareArms(o: {
  experimentId: string
  metrics: readonly MetricName[]
  plannedPerArm: number
  window: { from: number; to: number | null }
  baseline: { variant: Variant; data: ArmData }
  treatment: { variant: Variant; data: ArmData }
  resamples?: number
}): Comparison {
  const b = o.baseline.data
  const t = o.treatment.data
  const inputs: MetricInput[] = []
  if (o.metrics.includes('latency'))
    inputs.push({ kind: 'skewed', metric: 'latency_ms', baseline: b.latency_ms, treatment: t.latency_ms })
  if (o.metrics.includes('cost'))
    inputs.push({ kind: 'skewed', metric: 'cost_usd', baseline: b.cost_usd, treatment: t.cost_usd })
  if (o.metrics.includes('error_rate'))
    inputs.push({
      kind: 'proportion',
      metric: 'error_rate',
      baseline: { successes: b.errors, trials: b.traces },
      treatment: { successes: t.errors, trials: t.traces },
    })
  if (o.metrics.includes('thumbs_up_rate'))
    inputs.push({
      kind: 'proportion',
      metric: 'thumbs_up_rate',
      baseline: { successes: b.thumbs_up, trials: b.votes },
      treatment: { successes: t.thumbs_up, trials: t.votes },
    })
  if (o.metrics.includes('scores')) {
    const names = [...new Set([...b.scores.keys(), ...t.scores.keys()])].sort()
    for (const name of names)
      inputs.push({
        kind: 'mean',
        metric: `score:${name}`,
        baseline: b.scores.get(name) ?? [],
        treatment: t.scores.get(name) ?? [],
      })
  }
  const bv = o.baseline.variant
  const tv = o.treatment.variant
  const result = compareExperiment({
    assigned: { baseline: b.traces, treatment: t.traces },
    traffic_split: { baseline: bv.traffic_percentage, treatment: tv.traffic_percentage },
    planned_per_arm: o.plannedPerArm,
    metrics: inputs,
    rng: mulberry32(seedFor(o.experimentId, bv.version, tv.version)),
    resamples: o.resamples,
  })
  const labels = { baseline: `${bv.name} (${bv.version})`, treatment: `${tv.name} (${tv.version})` }
  const observed = Math.min(b.traces, t.traces)
  const reached = observed >= o.plannedPerArm
  const results = result.metrics.map((r) => ({ ...r, summary: describe(r, labels) }))
  const ok = (name: string) => {
    const r = result.metrics.find((m) => 'metric' in m && m.metric === name)
    return r && r.status === 'ok' ? r : undefined
  }
  const percent = (name: string) => {
    const r = ok(name)
    return r && 'relative_difference' in r && r.relative_difference !== null
      ? r.relative_difference * 100
      : null
  }
  const errors = ok('error_rate')
  const adjusted = result.metrics.flatMap((m) =>
    m.status === 'ok' && m.p_value_adjusted !== null ? [m.p_value_adjusted] : [],
  )
  const pMin = adjusted.length > 0 ? Math.min(...adjusted) : null
  const srmFlagged = result.sample_ratio.status === 'ok' && result.sample_ratio.flagged
  const significant = reached && !srmFlagged && pMin !== null && pMin < ALPHA
  return {
    experiment_id: o.experimentId,
    baseline: { name: bv.name, version: bv.version, traces: b.traces },
    treatment: { name: tv.name, version: tv.version, traces: t.traces },
    window: o.window,
    peeking: {
      method: 'fixed_horizon',
      planned_per_arm: o.plannedPerArm,
      observed_per_arm: observed,
      reached,
      advice: reached
        ? 'horizon reached: the p-values can be read'
        : 'horizon not reached, do not read the p-values yet',
    },
    sample_ratio: { ...result.sample_ratio, summary: describe(result.sample_ratio, labels) },
    correction: result.correction,
    results,
    truncated: b.truncated || t.truncated,
    baseline_variant: bv.version,
    treatment_variant: tv.version,
    metrics: {
      latency_improvement_percent: percent('latency_ms'),
      cost_improvement_percent: percent('cost_usd'),
      // Success is the complement of the error rate: its change in percentage points.
      success_rate_improvement_percent: errors && 'rate' in errors ? -errors.difference * 100 : null,
      sample_size: observed,
    },
    statistical_significance: {
      p_value: pMin,
      is_significant: significant,
      confidence_level: CONFIDENCE,
      method: 'smallest holm-adjusted p-value across the metrics, read only at the fixed horizon',
    },
    recommendation: recommend({
      reached,
      observed,
      planned: o.plannedPerArm,
      srmFlagged,
      significant,
      results,
      labels,
    }),
  }
}

function recommend(o: {
  reached: boolean
  observed: number
  planned: number
  srmFlagged: boolean
  significant: boolean
  results: { summary: string; status: string; p_value_adjusted?: number | null }[]
  labels: { baseline: string; treatment: string }
}): string {
  if (o.srmFlagged)
    return 'The traffic split does not match the configured percentages: fix the assignment before reading any metric.'
  if (!o.reached)
    return `Keep collecting: ${o.observed} of the planned ${o.planned} traces per arm. Reading p-values before the horizon inflates false positives.`
  if (!o.significant)
    return `No metric differs significantly between ${o.labels.baseline} and ${o.labels.treatment} at the planned sample size (Holm-adjusted, alpha ${ALPHA}).`
  const lines = o.results
    .filter((r) => r.status === 'ok' && r.p_value_adjusted != null && r.p_value_adjusted < ALPHA)
    .map((r) => r.summary)
  return `Significant differences: ${lines.join('; ')}.`
}
