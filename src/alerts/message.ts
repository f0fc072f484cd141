/**
 * What an alert says, built once per firing and rendered by each channel. The object is
 * also the generic webhook's body, so its shape is a public contract: version 1, documented
 * in the README ("Alert webhook payload"). Fields are only ever added within a version.
 */
import type { CommittedIssue, IssueStatus, NormalizedEvent } from '../errors'
import { type LlmTriggerStats, llmSummary } from './llm'
import type { RuleConfig, RuleType } from './model'
import type { Reason, Rule, TriggerStats } from './rules'

export const PAYLOAD_VERSION = 1

export interface ProjectRef {
  id: string
  slug: string
  name: string
}

export interface AlertPayload {
  version: typeof PAYLOAD_VERSION
  event: 'alert.fired' | 'alert.test'
  /** One id per firing, the same on every channel (and in the delivery log). */
  alert_id: string
  fired_at: number
  /** An LLM rule's alert gives its rule type (`llm_cost_spike`...) as the reason. */
  reason: Reason | 'test' | LlmTriggerStats['type']
  /** One line for humans, e.g. "New issue in my-app: TypeError: x is undefined". */
  summary: string
  rule: {
    id: number
    name: string
    type: RuleType
    config: RuleConfig
    environment_filter: string | null
    source_filter: string | null
  }
  project: ProjectRef
  /** The counts behind the alert; null for a test. */
  trigger: TriggerStats | LlmTriggerStats | null
  /** The issue the alert is about; null for a test and for LLM rules (they are about a window). */
  issue: IssueContext | null
}

export interface IssueContext {
  fingerprint: string
  /** The issue in the dashboard. */
  url: string
  error_type: string
  message: string
  source: string
  route_or_procedure: string | null
  status: IssueStatus
  /** The assigned user's username, or null (added in version 1). */
  assignee: string | null
  total_count: number
  first_seen: number
  last_seen: number
  /** Events of the triggering batch that matched the rule. */
  events_in_batch: number
  environments: string[]
  releases: string[]
  latest_event: LatestEvent | null
}

export interface LatestEvent {
  received_at: number
  timestamp: number
  environment: string
  release: string
  source: string
  route_or_procedure: string | null
  http_status: number | null
  request_id: string | null
  stack: string | null
}

/** The dashboard's issue page (the dashboard implements this path). */
export function issueUrl(origin: string, fingerprint: string, projectSlug: string): string {
  return `${origin.replace(/\/+$/, '')}/issues/${encodeURIComponent(fingerprint)}?project=${encodeURIComponent(projectSlug)}`
}

const REASON_TITLE: Record<Reason, string> = {
  new_issue: 'New issue',
  regression: 'Regression',
  threshold: 'Threshold reached',
  spike: 'Spike',
}

export function ruleRef(rule: Rule): AlertPayload['rule'] {
  return {
    id: rule.id,
    name: rule.name,
    type: rule.rule_type,
    config: rule.config,
    environment_filter: rule.environment_filter,
    source_filter: rule.source_filter,
  }
}

export function firedPayload(a: {
  alertId: string
  now: number
  origin: string
  rule: Rule
  project: ProjectRef
  reason: Reason
  stats: TriggerStats
  issue: CommittedIssue
  matched: number
  latest: NormalizedEvent | null
}): AlertPayload {
  const { issue } = a
  const environments = [...new Set(issue.breakdown.map((b) => b.environment))]
  const releases = [...new Set(issue.breakdown.map((b) => b.release))]
  return {
    version: PAYLOAD_VERSION,
    event: 'alert.fired',
    alert_id: a.alertId,
    fired_at: a.now,
    reason: a.reason,
    summary: `${REASON_TITLE[a.reason]} in ${a.project.slug}: ${issue.error_type}: ${oneLine(issue.message, 200)}`,
    rule: ruleRef(a.rule),
    project: a.project,
    trigger: a.stats,
    issue: {
      fingerprint: issue.fingerprint,
      url: issueUrl(a.origin, issue.fingerprint, a.project.slug),
      error_type: issue.error_type,
      message: issue.message,
      source: issue.source,
      route_or_procedure: issue.route_or_procedure,
      status: issue.status,
      assignee: issue.assignee ?? null,
      total_count: issue.total_count,
      first_seen: issue.first_seen,
      last_seen: issue.last_seen,
      events_in_batch: a.matched,
      environments,
      releases,
      latest_event: a.latest
        ? {
            received_at: a.latest.received_at,
            timestamp: a.latest.timestamp,
            environment: a.latest.environment,
            release: a.latest.release,
            source: a.latest.source,
            route_or_procedure: a.latest.route_or_procedure,
            http_status: a.latest.http_status,
            request_id: a.latest.request_id,
            stack: a.latest.stack,
          }
        : null,
    },
  }
}

/** The payload of an LLM rule's alert: no issue, the window's figures as the trigger. */
export function llmFiredPayload(a: {
  alertId: string
  now: number
  rule: Rule
  project: ProjectRef
  stats: LlmTriggerStats
}): AlertPayload {
  return {
    version: PAYLOAD_VERSION,
    event: 'alert.fired',
    alert_id: a.alertId,
    fired_at: a.now,
    reason: a.stats.type,
    summary: llmSummary(a.stats, a.project.slug),
    rule: ruleRef(a.rule),
    project: a.project,
    trigger: a.stats,
    issue: null,
  }
}

export function testPayload(a: {
  alertId: string
  now: number
  rule: Rule
  project: ProjectRef
}): AlertPayload {
  return {
    version: PAYLOAD_VERSION,
    event: 'alert.test',
    alert_id: a.alertId,
    fired_at: a.now,
    reason: 'test',
    summary: `Test notification from bloop alert rule "${a.rule.name}" in ${a.project.slug}`,
    rule: ruleRef(a.rule),
    project: a.project,
    trigger: null,
    issue: null,
  }
}

/** What the delivery log and the dashboard call the issue: "TypeError: x is undefined". */
export function issueTitle(issue: Pick<IssueContext, 'error_type' | 'message'>): string {
  return oneLine(`${issue.error_type}: ${issue.message}`, 200)
}

/** Collapses whitespace (newlines included) and cuts to `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** The counts as one sentence, for Slack and email. */
export function triggerText(p: AlertPayload): string {
  const t = p.trigger
  const issue = p.issue
  if (!t || !issue) return ''
  if (t.type === 'threshold')
    return `${t.count} events in the last ${duration(t.window_secs)} (threshold ${t.threshold})`
  if (t.type === 'spike') {
    return (
      `${t.compare_count} events in the last ${duration(t.compare_window_secs)} against ` +
      `${t.baseline_count} in the ${duration(t.baseline_window_secs)} before (at least ${t.multiplier}x the rate)`
    )
  }
  const seen = `${issue.total_count} event${issue.total_count === 1 ? '' : 's'} in total`
  return p.reason === 'regression' ? `reopened after being resolved; ${seen}` : `first seen; ${seen}`
}

export function duration(secs: number): string {
  if (secs % 86400 === 0) return plural(secs / 86400, 'day')
  if (secs % 3600 === 0) return plural(secs / 3600, 'hour')
  if (secs % 60 === 0) return plural(secs / 60, 'minute')
  return plural(secs, 'second')
}

const plural = (n: number, unit: string) => (n === 1 ? unit : `${n} ${unit}s`)
