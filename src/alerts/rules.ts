/**
 * Rule evaluation (docs/decisions.md, "Alerts"), pure: it takes the rules, the summary of one committed batch,
 * the counters and cooldowns, and `now`, and returns what should fire. No I/O, no clock.
 *
 * - `new_issue` fires for the first event of a fingerprint in the project and for a
 *   regression (an event on a resolved issue). Resolving is a human decision, so a
 *   regression is reported even inside the cooldown of an earlier alert for that issue.
 * - `threshold` fires when at least `threshold` matching events arrived within the
 *   trailing `window_secs` (counted over the project, or one fingerprint or route).
 * - `spike` fires when the compare window's rate is at least `multiplier` times the rate
 *   of the baseline window just before it, and the compare window holds at least
 *   `min_events` events (so 0 -> 2 is not a spike).
 *
 * A rule is only looked at when the batch holds at least one event it matches, so an alert
 * leaves with the batch that crossed the line. Muted and ignored issues never alert, and
 * their events are not counted towards thresholds and spikes. The environment and source
 * filters apply to every type. A rule fires at most once per cooldown for a key: the
 * fingerprint for issue-scoped rules, `*` for rules counted over the whole project.
 */
import type { CommittedIssue, IssueStatus } from '../errors'
import type { SlidingCounter } from './counter'
import type { RuleConfig, RuleType } from './model'

export interface Rule {
  id: number
  project_id: string
  name: string
  rule_type: RuleType
  config: RuleConfig
  environment_filter: string | null
  source_filter: string | null
  enabled: boolean
}

export type Reason = 'new_issue' | 'regression' | 'threshold' | 'spike'

export type TriggerStats =
  | { type: 'new_issue' }
  | { type: 'threshold'; count: number; threshold: number; window_secs: number }
  | {
      type: 'spike'
      compare_count: number
      baseline_count: number
      compare_window_secs: number
      baseline_window_secs: number
      multiplier: number
      min_events: number
    }

export interface Decision {
  rule: Rule
  /** Cooldown key: the fingerprint, or `*` for a rule counted over the whole project. */
  key: string
  reason: Reason
  /** The issue the alert is about; for project-wide rules, the batch's largest contributor. */
  issue: CommittedIssue
  /** Events of this batch that matched the rule, for that issue. */
  matched: number
  stats: TriggerStats
}

/** The fields of an event (or a batch breakdown row) that rules filter on. */
export interface Facets {
  fingerprint: string
  environment: string
  source: string
  route: string | null
}

export const WHOLE_PROJECT = '*'
const SILENT: ReadonlySet<IssueStatus> = new Set(['muted', 'ignored'])
export const isSilent = (status: IssueStatus) => SILENT.has(status)

/** Threshold and spike rules keep a counter; new-issue rules do not. */
export const isCounting = (rule: Rule) => rule.config.type === 'threshold' || rule.config.type === 'spike'

/** LLM rules are evaluated on the LLM feature's commits (llm.ts), never on error batches. */
export const isLlmRule = (rule: Rule) => rule.config.type.startsWith('llm_')

/** Seconds of history a counting rule looks at. */
export function horizonSecs(rule: Rule): number {
  const c = rule.config
  if (c.type === 'threshold') return c.window_secs
  if (c.type === 'spike') return c.baseline_window_secs + c.compare_window_secs
  return 0
}

export function cooldownKey(rule: Rule, fingerprint: string): string {
  const c = rule.config
  if (c.type === 'new_issue') return fingerprint
  if (c.type === 'threshold' && c.fingerprint) return c.fingerprint
  return WHOLE_PROJECT
}

/** Whether one event (or breakdown row) counts for the rule; the issue status is checked apart. */
export function matches(rule: Rule, f: Facets): boolean {
  if (rule.environment_filter !== null && f.environment !== rule.environment_filter) return false
  if (rule.source_filter !== null && f.source !== rule.source_filter) return false
  const c = rule.config
  if (c.type === 'new_issue') return c.environment === undefined || f.environment === c.environment
  if (c.type === 'threshold') {
    if (c.fingerprint !== undefined && f.fingerprint !== c.fingerprint) return false
    if (c.route !== undefined && f.route !== c.route) return false
  }
  return true
}

/** Events of `issue` in this batch that the rule matches (0 for a muted or ignored issue). */
export function matchedInBatch(rule: Rule, issue: CommittedIssue): number {
  if (issue.project_id !== rule.project_id || isSilent(issue.status)) return 0
  let n = 0
  for (const b of issue.breakdown) {
    if (matches(rule, { fingerprint: issue.fingerprint, ...b })) n += b.count
  }
  return n
}

export interface EvalInput {
  rules: readonly Rule[]
  issues: readonly CommittedIssue[]
  /** The counter of a counting rule, already holding this batch's events. */
  counter: (ruleId: number) => SlidingCounter | undefined
  /** When the rule last fired for the key (epoch ms), if ever. */
  lastFired: (ruleId: number, key: string) => number | undefined
  now: number
  cooldownMs: number
}

export function evaluate(input: EvalInput): Decision[] {
  const out: Decision[] = []
  const cooling = (rule: Rule, key: string) => {
    const last = input.lastFired(rule.id, key)
    return last !== undefined && input.now - last < input.cooldownMs
  }
  for (const rule of input.rules) {
    if (!rule.enabled || isLlmRule(rule)) continue
    if (rule.config.type === 'new_issue') {
      for (const issue of input.issues) {
        if (!issue.is_new && !issue.regressed) continue
        const matched = matchedInBatch(rule, issue)
        if (matched === 0) continue
        const reason: Reason = issue.regressed ? 'regression' : 'new_issue'
        if (reason === 'new_issue' && cooling(rule, issue.fingerprint)) continue
        out.push({ rule, key: issue.fingerprint, reason, issue, matched, stats: { type: 'new_issue' } })
      }
      continue
    }
    // Counting rules: the batch's largest matching contributor names the alert.
    let top: CommittedIssue | null = null
    let topMatched = 0
    for (const issue of input.issues) {
      const m = matchedInBatch(rule, issue)
      if (m > topMatched) {
        top = issue
        topMatched = m
      }
    }
    if (!top) continue
    const counter = input.counter(rule.id)
    if (!counter) continue
    const stats = triggered(rule.config, counter, input.now)
    if (!stats) continue
    const key = cooldownKey(rule, top.fingerprint)
    if (cooling(rule, key)) continue
    out.push({ rule, key, reason: stats.type, issue: top, matched: topMatched, stats })
  }
  return out
}

/** The counts behind a firing counting rule, or null when it does not fire. */
export function triggered(config: RuleConfig, counter: SlidingCounter, now: number): TriggerStats | null {
  if (config.type === 'threshold') {
    const count = counter.count(now, config.window_secs)
    if (count < config.threshold) return null
    return { type: 'threshold', count, threshold: config.threshold, window_secs: config.window_secs }
  }
  if (config.type === 'spike') {
    const C = config.compare_window_secs
    const B = config.baseline_window_secs
    const compare = counter.count(now, C)
    const baseline = counter.count(now, B, C)
    if (compare < config.min_events) return null
    // rate_c >= multiplier * rate_b, multiplied out to stay in integers where possible.
    if (compare * B < config.multiplier * baseline * C) return null
    return {
      type: 'spike',
      compare_count: compare,
      baseline_count: baseline,
      compare_window_secs: C,
      baseline_window_secs: B,
      multiplier: config.multiplier,
      min_events: config.min_events,
    }
  }
  return null
}
