/**
 * One answer in plain words for a dashboard headline, e.g.
 * "B is 23% cheaper (95% CI 15-31%), p = 0.002". An answer under the minimum sample size
 * is headlined as not enough data even though its numbers exist: a 12-trace p-value on a
 * skewed metric is noise a reader would take for a result. An answer before its fixed
 * horizon says so after the numbers.
 */

import {
  ALPHA,
  type Arm,
  type MeanResult,
  type MetricResult,
  MIN_PER_ARM_MEANS,
  type NotEnoughData,
  type Peeking,
  type ProportionResult,
  type SampleRatioResult,
  type SampleRatioUnavailable,
  type SampleWarning,
  type SkewedResult,
  type WelchFields,
} from './types'

/** How the arms are named in sentences. */
export interface Labels {
  baseline: string
  treatment: string
}

interface Words {
  noun: string
  lower: string
  higher: string
  successes: string
  failures: string
  /** What an arm counts: traces, or votes for the thumbs-up rate. */
  units: string
}

const KNOWN: Record<string, Partial<Words>> = {
  latency_ms: { noun: 'latency', lower: 'faster', higher: 'slower' },
  cost_usd: { noun: 'cost', lower: 'cheaper', higher: 'more expensive' },
  error_rate: { noun: 'error rate', successes: 'errors', failures: 'error-free traces' },
  thumbs_up_rate: { noun: 'thumbs-up rate', successes: 'thumbs-up', failures: 'thumbs-down', units: 'votes' },
}

const wordsFor = (metric: string): Words => ({
  noun: metric.startsWith('score:') ? `${metric.slice(6)} score` : metric.replace(/[_:]+/g, ' ').trim(),
  lower: 'lower',
  higher: 'higher',
  successes: 'successes',
  failures: 'failures',
  units: 'traces',
  ...KNOWN[metric],
})

const count = (x: number) => x.toLocaleString('en-US')
/** A share as a percentage: whole numbers from 10%, one decimal below. */
const pct = (x: number) => {
  const v = Math.abs(x) * 100
  return v >= 10 ? `${Math.round(v)}` : `${Number(v.toFixed(1))}`
}
/** A magnitude to two significant digits. */
const num = (x: number) => `${Number(Math.abs(x).toPrecision(2))}`
const pValue = (p: number) =>
  p < 0.001 ? 'p < 0.001' : `p = ${p < 0.01 ? Number(p.toFixed(3)) : Number(p.toFixed(2))}`

export function describe(
  result: MetricResult | SampleRatioResult | SampleRatioUnavailable,
  labels: Labels = { baseline: 'A', treatment: 'B' },
): string {
  if (!('metric' in result)) return describeSampleRatio(result, labels)
  const w = wordsFor(result.metric)
  if (result.status === 'invalid_input') return `cannot compare ${w.noun}: ${result.reason}`
  if (result.status === 'not_enough_data') return notEnough(result, w, labels)
  if (result.warnings.length > 0)
    return `not enough data yet for ${w.noun} (${shortArms(result.warnings, w, labels)})`
  const body =
    result.method === 'welch_t_winsorized_p99.9' ? relative(result, w, labels) : absolute(result, w, labels)
  return `${body}, ${significance(result)}${horizon(result.peeking)}`
}

function notEnough(r: NotEnoughData, w: Words, labels: Labels): string {
  const head = `not enough data yet for ${w.noun}`
  if (r.cause === 'no_variation') return `${head}: ${r.reason}`
  const empty = (['baseline', 'treatment'] as const).filter((arm) => r.n[arm] === 0)
  if (empty.length > 0) return `${head} (no ${w.units} in ${empty.map((arm) => labels[arm]).join(' or ')})`
  const short = (['baseline', 'treatment'] as const)
    .filter((arm) => r.n[arm] < MIN_PER_ARM_MEANS)
    .map((arm) => `${count(r.n[arm])} of ${MIN_PER_ARM_MEANS} traces in ${labels[arm]}`)
  return `${head} (${short.join(', ')})`
}

function shortArms(warnings: readonly SampleWarning[], w: Words, labels: Labels): string {
  const unit: Record<SampleWarning['counted'], string> = {
    observations: 'traces',
    successes: w.successes,
    failures: w.failures,
  }
  return warnings
    .map((x) => `${count(x.have)} of ${count(x.need)} ${unit[x.counted]} in ${labels[x.arm]}`)
    .join(', ')
}

/** "B is 23% cheaper (95% CI 15-31%)"; an interval across zero names both directions. */
function relative(r: WelchFields, w: Words, labels: Labels): string {
  if (r.relative_difference === null || r.ci_relative === null) return absolute(r, w, labels)
  const [lo, hi] = r.ci_relative
  const word = (x: number) => (x < 0 ? w.lower : w.higher)
  const head =
    r.relative_difference === 0
      ? `${labels.treatment} is no different in ${w.noun}`
      : `${labels.treatment} is ${pct(r.relative_difference)}% ${word(r.relative_difference)}`
  if (lo < 0 && hi > 0) return `${head} (95% CI ${pct(lo)}% ${w.lower} to ${pct(hi)}% ${w.higher})`
  const [a, b] = [Math.abs(lo), Math.abs(hi)].sort((x, y) => x - y) as [number, number]
  return `${head} (95% CI ${pct(a)}-${pct(b)}%)`
}

/** Scores and rates: the difference in the metric's own units (points for rates). */
function absolute(r: WelchFields | ProportionResult, w: Words, labels: Labels): string {
  const rate = 'rate' in r
  const value = (x: number) => (rate ? pct(x) : num(x))
  const unit = (x: number) => (!rate ? '' : value(x) === '1' ? ' point' : ' points')
  const [lo, hi] = r.ci_difference
  const word = (x: number) => (x < 0 ? 'lower' : 'higher')
  const head =
    r.difference === 0
      ? `${labels.treatment}'s ${w.noun} is the same as ${labels.baseline}'s`
      : `${labels.treatment}'s ${w.noun} is ${value(r.difference)}${unit(r.difference)} ${word(r.difference)}`
  const levels = rate ? `: ${pct(r.rate.treatment)}% vs ${pct(r.rate.baseline)}%` : ''
  const [a, b] = [Math.abs(lo), Math.abs(hi)].sort((x, y) => x - y) as [number, number]
  const ci =
    lo < 0 && hi > 0
      ? `95% CI ${value(lo)}${unit(lo)} lower to ${value(hi)}${unit(hi)} higher`
      : `95% CI ${value(a)}-${value(b)}${unit(b)} ${word(lo + hi)}`
  return `${head}${levels} (${ci})`
}

function significance(r: MeanResult | SkewedResult | ProportionResult): string {
  const p = r.p_value_adjusted ?? r.p_value
  const adjusted = r.p_value_adjusted === null ? '' : ' (Holm-adjusted)'
  const test = r.method === 'fisher_exact_two_sided' ? ", Fisher's exact test" : ''
  return `${pValue(p)}${adjusted}${test}${p >= ALPHA ? ', not significant' : ''}`
}

const horizon = (p: Peeking) =>
  p.reached
    ? ''
    : `; horizon not reached (${count(p.observed_per_arm)} of ${count(p.planned_per_arm)} per arm), do not read the p-value yet`

function describeSampleRatio(r: SampleRatioResult | SampleRatioUnavailable, labels: Labels): string {
  if (r.status !== 'ok') return `sample ratio not checked: ${r.reason}`
  const arms: Arm[] = ['baseline', 'treatment']
  const split = arms.map((arm, i) => `${count(r.observed[i] ?? 0)} in ${labels[arm]}`).join(', ')
  return r.flagged
    ? `sample ratio mismatch: ${split} against an expected ${arms.map((_, i) => count(Math.round(r.expected[i] ?? 0))).join(' / ')} (${pValue(r.p_value)}); the assignment is broken, do not trust these results`
    : `assignment matches the traffic split (${split}, ${pValue(r.p_value)})`
}
