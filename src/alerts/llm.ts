/**
 * LLM alert rules, pure: from a rule, the measures of its window and the cooldowns to
 * whether it fires. The measures come from the LLM feature's hourly rollups (exact under
 * re-sends and retention), read by the LLM feature and passed in after each of its
 * commits, so this module knows no LLM table.
 *
 * - `llm_cost_spike`: the window's cost (microdollars) exceeds `threshold_micros`.
 * - `llm_error_rate`: errors / spans exceeds `threshold_rate`, with at least `min_spans`.
 * - `llm_latency`: the window's `percentile` latency (from the mergeable sketches, within
 *   1% of exact) exceeds `threshold_ms`.
 * - `llm_budget`: month-to-date spend reaches the budget times `threshold_rate` (default:
 *   the project's budget_alert_rate); no budget (0) never fires. It fires once per
 *   calendar month (UTC): the cooldown key is the month.
 * Windows are whole hours: the current hour and the `window_hours - 1` before it. A rule
 * with `model` looks at that model's spans only; without, at all of the project's.
 * Cooldown keys: the model (or `*`), the percentile and model for latency, the month for
 * the budget; a rule fires at most once per cooldown for its key.
 */
import type { LlmRuleConfig } from './model'
import type { Rule } from './rules'

export interface LlmWindow {
  cost_micros: number
  span_count: number
  error_count: number
  /** The q-quantile latency of the window's spans (ms), null when none reported one. */
  latency(q: number): number | null
}

export interface LlmMonth {
  /** `2026-12`: the calendar month (UTC) of `now`. */
  month: string
  spend_micros: number
  budget_micros: number
  budget_alert_rate: number
}

/** What the LLM feature measures for the rules of one project. */
export interface LlmMeasures {
  window(projectId: string, hours: number, model: string | null): LlmWindow
  month(projectId: string): LlmMonth
}

export type LlmTriggerStats =
  | {
      type: 'llm_cost_spike'
      cost_micros: number
      threshold_micros: number
      window_hours: number
      model: string | null
    }
  | {
      type: 'llm_error_rate'
      error_rate: number
      error_count: number
      span_count: number
      threshold_rate: number
      min_spans: number
      window_hours: number
      model: string | null
    }
  | {
      type: 'llm_latency'
      percentile: number
      latency_ms: number
      threshold_ms: number
      span_count: number
      window_hours: number
      model: string | null
    }
  | {
      type: 'llm_budget'
      month: string
      spend_micros: number
      budget_micros: number
      used_rate: number
      threshold_rate: number
    }

export interface LlmDecision {
  key: string
  stats: LlmTriggerStats
}

/** Whether an LLM rule fires now; `lastFired` gives when it last fired for a key, if ever. */
export function evaluateLlmRule(
  rule: Rule,
  m: LlmMeasures,
  now: number,
  cooldownMs: number,
  lastFired: (key: string) => number | undefined,
): LlmDecision | null {
  const c = rule.config as LlmRuleConfig
  const cooling = (key: string) => {
    const last = lastFired(key)
    return last !== undefined && now - last < cooldownMs
  }
  if (c.type === 'llm_budget') {
    const month = m.month(rule.project_id)
    if (month.budget_micros <= 0) return null
    const threshold_rate = c.threshold_rate ?? month.budget_alert_rate
    const used_rate = month.spend_micros / month.budget_micros
    if (used_rate < threshold_rate) return null
    const key = `month:${month.month}`
    if (lastFired(key) !== undefined) return null
    return {
      key,
      stats: {
        type: 'llm_budget',
        month: month.month,
        spend_micros: month.spend_micros,
        budget_micros: month.budget_micros,
        used_rate,
        threshold_rate,
      },
    }
  }
  const model = c.model ?? null
  const w = m.window(rule.project_id, c.window_hours, model)
  if (c.type === 'llm_cost_spike') {
    if (w.cost_micros <= c.threshold_micros) return null
    const key = model ?? '*'
    if (cooling(key)) return null
    return {
      key,
      stats: {
        type: c.type,
        cost_micros: w.cost_micros,
        threshold_micros: c.threshold_micros,
        window_hours: c.window_hours,
        model,
      },
    }
  }
  if (c.type === 'llm_error_rate') {
    if (w.span_count < c.min_spans || w.span_count === 0) return null
    const error_rate = w.error_count / w.span_count
    if (error_rate <= c.threshold_rate) return null
    const key = model ?? '*'
    if (cooling(key)) return null
    return {
      key,
      stats: {
        type: c.type,
        error_rate,
        error_count: w.error_count,
        span_count: w.span_count,
        threshold_rate: c.threshold_rate,
        min_spans: c.min_spans,
        window_hours: c.window_hours,
        model,
      },
    }
  }
  const latency = w.latency(c.percentile)
  if (latency === null || latency <= c.threshold_ms) return null
  const key = `p${c.percentile}:${model ?? '*'}`
  if (cooling(key)) return null
  return {
    key,
    stats: {
      type: c.type,
      percentile: c.percentile,
      latency_ms: Math.round(latency),
      threshold_ms: c.threshold_ms,
      span_count: w.span_count,
      window_hours: c.window_hours,
      model,
    },
  }
}

const dollars = (micros: number) => `$${(micros / 1e6).toFixed(4)}`
const hours = (n: number) => (n === 1 ? 'the last hour' : `the last ${n} hours`)
const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`

/** One line for humans, as Slack, email and the webhook's `summary` say it. */
export function llmSummary(s: LlmTriggerStats, project: string): string {
  const on = (model: string | null) => (model ? ` for ${model}` : '')
  switch (s.type) {
    case 'llm_cost_spike':
      return `LLM cost alert in ${project}: ${dollars(s.cost_micros)} spent in ${hours(s.window_hours)}${on(s.model)} (threshold ${dollars(s.threshold_micros)})`
    case 'llm_error_rate':
      return `LLM error rate alert in ${project}: ${pct(s.error_rate)} of ${s.span_count} calls failed in ${hours(s.window_hours)}${on(s.model)} (threshold ${pct(s.threshold_rate)})`
    case 'llm_latency':
      return `LLM latency alert in ${project}: p${+(s.percentile * 100).toFixed(3)} is ${s.latency_ms} ms in ${hours(s.window_hours)}${on(s.model)} (threshold ${s.threshold_ms} ms)`
    case 'llm_budget':
      return `LLM budget alert in ${project}: ${pct(s.used_rate)} of the monthly budget used (${dollars(s.spend_micros)} of ${dollars(s.budget_micros)}, threshold ${pct(s.threshold_rate)})`
  }
}
