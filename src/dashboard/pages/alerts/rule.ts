/**
 * The rule form's state and its conversion to an API body, pure. The form holds text (as
 * inputs do); `toBody` turns it into the typed body, leaving optional fields out when
 * empty, and `fromRule` fills the form from a stored rule for editing. The environment is
 * one field for every rule type: the rule's environment filter.
 */
import type { RuleConfig, RuleType, RuleView } from '../../lib/types'
import type { RuleBody } from './api'

export const RULE_TYPES: { type: RuleType; label: string; help: string }[] = [
  {
    type: 'new_issue',
    label: 'New issue',
    help: 'The first event of an issue, and an event on a resolved issue (regression).',
  },
  { type: 'threshold', label: 'Threshold', help: 'At least N matching events within a trailing window.' },
  { type: 'spike', label: 'Spike', help: 'The recent rate is a multiple of the rate before it.' },
]

export interface RuleForm {
  name: string
  project: string
  description: string
  enabled: boolean
  environment_filter: string
  source_filter: string
  type: RuleType
  threshold: string
  window_secs: string
  fingerprint: string
  route: string
  multiplier: string
  baseline_window_secs: string
  compare_window_secs: string
  min_events: string
}

export function emptyForm(project: string): RuleForm {
  return {
    name: '',
    project,
    description: '',
    enabled: true,
    environment_filter: '',
    source_filter: '',
    type: 'new_issue',
    threshold: '10',
    window_secs: '300',
    fingerprint: '',
    route: '',
    multiplier: '3',
    baseline_window_secs: '3600',
    compare_window_secs: '300',
    min_events: '10',
  }
}

const opt = (s: string) => (s.trim() === '' ? undefined : s.trim())
/** Numbers as typed: NaN for text that is not one, which the server refuses naming the field. */
const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s))

export function configOf(f: RuleForm): RuleConfig {
  switch (f.type) {
    case 'new_issue':
      return { type: 'new_issue' }
    case 'threshold':
      return {
        type: 'threshold',
        threshold: num(f.threshold),
        window_secs: num(f.window_secs),
        ...(opt(f.fingerprint) ? { fingerprint: opt(f.fingerprint) } : {}),
        ...(opt(f.route) ? { route: opt(f.route) } : {}),
      }
    case 'spike':
      return {
        type: 'spike',
        multiplier: num(f.multiplier),
        baseline_window_secs: num(f.baseline_window_secs),
        compare_window_secs: num(f.compare_window_secs),
        min_events: num(f.min_events),
      }
    default:
      // LLM rules are created through the API; the form edits the error rules only.
      throw new Error(`expected an error rule type in the form, got ${f.type}`)
  }
}

/** The create body; for an update the same fields, with `null` clearing the optional ones. */
export function toBody(f: RuleForm, forUpdate = false): RuleBody {
  const clear = forUpdate ? null : undefined
  return {
    name: f.name.trim(),
    project_id: f.project,
    config: configOf(f),
    description: opt(f.description) ?? clear,
    environment_filter: opt(f.environment_filter) ?? clear,
    source_filter: opt(f.source_filter) ?? clear,
    enabled: f.enabled,
  }
}

export function fromRule(r: RuleView, projectSlug: string): RuleForm {
  const f = emptyForm(projectSlug)
  const c = r.config
  const base: RuleForm = {
    ...f,
    name: r.name,
    description: r.description ?? '',
    enabled: r.enabled,
    // A new-issue rule may carry its own environment option (the API still takes it); it
    // narrows exactly like the environment filter, so the form shows it there and saving
    // moves it into the filter. Were both set and different, the rule could never fire;
    // the filter is kept.
    environment_filter: r.environment_filter ?? (c.type === 'new_issue' ? c.environment : undefined) ?? '',
    source_filter: r.source_filter ?? '',
    type: c.type,
  }
  if (c.type === 'new_issue') return base
  if (c.type === 'threshold') {
    return {
      ...base,
      threshold: String(c.threshold),
      window_secs: String(c.window_secs),
      fingerprint: c.fingerprint ?? '',
      route: c.route ?? '',
    }
  }
  if (c.type !== 'spike') return base
  return {
    ...base,
    multiplier: String(c.multiplier),
    baseline_window_secs: String(c.baseline_window_secs),
    compare_window_secs: String(c.compare_window_secs),
    min_events: String(c.min_events),
  }
}

/** One line saying what a rule fires on. */
export function describe(c: RuleConfig): string {
  switch (c.type) {
    case 'new_issue':
      return `New issue or regression${c.environment ? ` in ${c.environment}` : ''}`
    case 'threshold':
      return `${c.threshold}+ events in ${c.window_secs} s${c.route ? ` on ${c.route}` : ''}${c.fingerprint ? ` for ${c.fingerprint}` : ''}`
    case 'spike':
      return `Rate over ${c.compare_window_secs} s at least ${c.multiplier}× the ${c.baseline_window_secs} s before (min ${c.min_events})`
    case 'llm_cost_spike':
      return `LLM cost over $${c.threshold_micros / 1e6} in ${c.window_hours} h${c.model ? ` for ${c.model}` : ''}`
    case 'llm_error_rate':
      return `LLM error rate over ${c.threshold_rate * 100}% in ${c.window_hours} h (min ${c.min_spans} calls)${c.model ? ` for ${c.model}` : ''}`
    case 'llm_latency':
      return `LLM p${c.percentile * 100} latency over ${c.threshold_ms} ms in ${c.window_hours} h${c.model ? ` for ${c.model}` : ''}`
    case 'llm_budget':
      return 'LLM spend this month against the budget'
  }
}
