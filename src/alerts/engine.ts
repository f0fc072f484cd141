/**
 * Keeps what rule evaluation needs in memory and runs it on every committed batch (a
 * listener on the errors feature's commits), so an alert leaves within milliseconds of the commit.
 *
 * Windows are counted in memory, not queried. Threshold and spike windows are seconds
 * long, so the hourly counts are too coarse, and the alternative, a COUNT over raw_events
 * per rule on every batch, scans the whole window on every commit (a 1-hour threshold at
 * 1,000 events/s reads 3.6 million index entries per batch) and needs a
 * raw_events(project_id, received_at) index on every insert. Measured with
 * `npm run bench -- alerts` (docs/benchmarks.md, "Alerting"): ten COUNT queries per batch
 * cost ~40 µs of main-thread time per ingested event, twice the whole commit (~20 µs), and
 * cut batch ingest by ~60%; the index added 10-20% to commit time. Ten in-memory rules
 * cost ~2 µs per event.
 *
 * Instead each threshold or spike rule owns a SlidingCounter (counter.ts: a fixed ring of
 * time buckets, ~58 KB whatever the rate), fed from the batch's events. On startup, and
 * when a rule is created or changed, its counter is warmed from raw_events with one
 * grouped query over the existing raw_events(received_at) index (~0.4 s for ten rules over
 * 200,000 stored events), so a restart neither forgets a half-full window nor
 * double-counts: the warm-up records the newest raw id it read, and batches at or below it
 * are skipped when their listener runs.
 *
 * Over the storage seam the warm-up awaits its reads while batches keep committing: a
 * counter being warmed holds the events its listener sees meanwhile and, once the read
 * answered, keeps those of batches above the raw id it read, so no batch is counted twice
 * or missed.
 *
 * Cooldowns are read from alert_cooldowns at startup and written through on every firing
 * (main connection, on the seam; the in-memory cooldown applies at once, the write follows,
 * and `settled()` waits for the writes in flight), so a restart never re-fires a rule that
 * is cooling down.
 *
 * The listener does only this synchronous bookkeeping; delivery is handed to the
 * dispatcher (dispatch.ts), which does its I/O asynchronously, so a slow or unreachable
 * receiver never delays ingest.
 */
import { type CommitResult, type CommittedIssue, issueKey, type NormalizedEvent } from '../errors'
import type { Logger } from '../ops/log'
import type { Queryable } from '../storage/backend'
import { SlidingCounter } from './counter'
import { evaluateLlmRule, type LlmDecision, type LlmMeasures } from './llm'
import {
  type Decision,
  evaluate,
  horizonSecs,
  isCounting,
  isLlmRule,
  isSilent,
  matches,
  type Rule,
} from './rules'
import { allCooldowns, enabledRules, getRule, newestRawId, recordFiring, secondCounts } from './store'

interface Counted {
  counter: SlidingCounter
  /** Batches whose raw ids are all at or below this were read by the warm-up. */
  through: number
  /**
   * While the warm-up's reads are on their way: the events the listener saw meanwhile
   * (receive time, and the newest raw id of their batch), sorted out once `through` is known.
   */
  held?: [at: number, lastRawId: number][]
}

/** An LLM rule's firing. */
export interface LlmFiring extends LlmDecision {
  rule: Rule
}

/** A firing, with the batch's newest matching event of the issue (for the payload). */
export interface Firing extends Decision {
  latest: NormalizedEvent | null
}

export interface EngineDeps {
  backend: Queryable
  log: Logger
  now: () => number
  cooldownMs: number
}

const cooldownId = (ruleId: number, key: string) => `${ruleId}\u0000${key}`

export class AlertEngine {
  private readonly rules = new Map<number, Rule>()
  private readonly byProject = new Map<string, Rule[]>()
  private readonly counting = new Map<string, Rule[]>()
  private readonly counters = new Map<number, Counted>()
  private readonly cooldowns = new Map<string, number>()
  private readonly writes = new Set<Promise<void>>()
  /** Each rule's latest reload; a reload that is overtaken by a newer one of the same rule gives way. */
  private readonly reloads = new Map<number, number>()
  private reloadSeq = 0

  constructor(private readonly d: EngineDeps) {}

  /** Loads enabled rules and cooldowns, and warms every counter in one pass. */
  async load(): Promise<void> {
    const [rules, cooldowns] = [await enabledRules(this.d.backend), await allCooldowns(this.d.backend)]
    this.rules.clear()
    this.counters.clear()
    this.cooldowns.clear()
    for (const r of rules) this.rules.set(r.id, r)
    for (const c of cooldowns) this.cooldowns.set(cooldownId(c.rule_id, c.key), c.last_fired_at)
    this.index()
    const started = performance.now()
    await this.warm([...this.rules.values()].filter(isCounting))
    if (this.counters.size > 0) {
      this.d.log.info('alert counters warmed', {
        rules: this.counters.size,
        ms: Math.round(performance.now() - started),
      })
    }
  }

  /** Re-reads one rule after it was created, changed or deleted. */
  async reload(ruleId: number): Promise<void> {
    const seq = ++this.reloadSeq
    this.reloads.set(ruleId, seq)
    const rule = await getRule(this.d.backend, ruleId)
    // A later reload of the same rule read a newer row: it applies, this one does not.
    if (this.reloads.get(ruleId) !== seq) return
    this.reloads.delete(ruleId)
    this.rules.delete(ruleId)
    this.counters.delete(ruleId)
    if (rule?.enabled) this.rules.set(rule.id, rule)
    // A deleted rule's id can be reused by the next rule, which must start without cooldowns.
    if (!rule)
      for (const k of [...this.cooldowns.keys()])
        if (k.startsWith(`${ruleId}\u0000`)) this.cooldowns.delete(k)
    this.index()
    if (rule?.enabled && isCounting(rule)) await this.warm([rule])
  }

  /** Resolves once every cooldown write started so far has finished. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes])
  }

  get ruleCount(): number {
    return this.rules.size
  }

  private index(): void {
    this.byProject.clear()
    this.counting.clear()
    for (const r of this.rules.values()) {
      push(this.byProject, r.project_id, r)
      if (isCounting(r)) push(this.counting, r.project_id, r)
    }
  }

  private async warm(rules: Rule[]): Promise<void> {
    if (rules.length === 0) return
    const now = this.d.now()
    const maxHorizon = Math.max(...rules.map(horizonSecs))
    const projects = [...new Set(rules.map((r) => r.project_id))]
    // Counting starts before the reads: what commits while they are on their way is held.
    const fresh = new Map<string, Rule[]>()
    const counted = new Map<number, Counted>()
    for (const r of rules) {
      const c: Counted = { counter: new SlidingCounter(horizonSecs(r)), through: Infinity, held: [] }
      this.counters.set(r.id, c)
      counted.set(r.id, c)
      push(fresh, r.project_id, r)
    }
    let throughRawId = 0
    let rows: Awaited<ReturnType<typeof secondCounts>> = []
    try {
      throughRawId = await newestRawId(this.d.backend)
      rows = await secondCounts(this.d.backend, now - maxHorizon * 1000, throughRawId, projects)
    } finally {
      for (const [id, c] of counted) {
        // The rule was reloaded or deleted meanwhile: its new counter is another one.
        if (this.counters.get(id) !== c) continue
        c.through = throughRawId
        for (const [at, last] of c.held ?? []) if (last > throughRawId) c.counter.add(at)
        c.held = undefined
      }
    }
    for (const row of rows) {
      for (const r of fresh.get(row.project_id) ?? []) {
        const c = counted.get(r.id)
        if (c && this.counters.get(r.id) === c && matches(r, row)) c.counter.add(row.sec * 1000, row.n)
      }
    }
  }

  /** The commit listener's work: count, evaluate, record cooldowns. Returns what fires. */
  onCommit(result: CommitResult, events: readonly NormalizedEvent[]): Firing[] {
    if (this.rules.size === 0 || result.issues.length === 0) return []
    const issues = new Map<string, CommittedIssue>()
    for (const i of result.issues) {
      issues.set(issueKey(i.project_id, i.fingerprint), i)
      // Events of a merged fingerprint count for the issue they were merged into.
      for (const fp of i.merged_from ?? []) issues.set(issueKey(i.project_id, fp), i)
    }
    this.count(result, events, issues)

    const rules: Rule[] = []
    for (const project of new Set(result.issues.map((i) => i.project_id))) {
      rules.push(...(this.byProject.get(project) ?? []))
    }
    if (rules.length === 0) return []
    const now = this.d.now()
    const decisions = evaluate({
      rules,
      issues: result.issues,
      counter: (id) => this.counters.get(id)?.counter,
      lastFired: (id, key) => this.cooldowns.get(cooldownId(id, key)),
      now,
      cooldownMs: this.d.cooldownMs,
    })
    return decisions.map((decision) => {
      this.record(decision.rule.id, decision.key, now)
      return { ...decision, latest: latestOf(decision, result, events) }
    })
  }

  /** After an LLM commit: evaluates the LLM rules of the projects it touched, records cooldowns. */
  onLlm(projectIds: readonly string[], measures: LlmMeasures): LlmFiring[] {
    const now = this.d.now()
    const out: LlmFiring[] = []
    for (const project of projectIds) {
      for (const rule of this.byProject.get(project) ?? []) {
        if (!isLlmRule(rule)) continue
        const decision = evaluateLlmRule(rule, measures, now, this.d.cooldownMs, (key) =>
          this.cooldowns.get(cooldownId(rule.id, key)),
        )
        if (!decision) continue
        this.record(rule.id, decision.key, now)
        out.push({ ...decision, rule })
      }
    }
    return out
  }

  /** Whether any enabled LLM rule exists for the project (the LLM feature skips measuring otherwise). */
  hasLlmRules(projectId: string): boolean {
    return (this.byProject.get(projectId) ?? []).some(isLlmRule)
  }

  /** The cooldown applies in memory at once; its row is written in the background. */
  private record(ruleId: number, key: string, now: number): void {
    this.cooldowns.set(cooldownId(ruleId, key), now)
    const write = recordFiring(this.d.backend, ruleId, key, now)
      .catch((err) => {
        // The rule may have been deleted since; the in-memory cooldown still applies.
        this.d.log.warn('could not store an alert cooldown', { rule_id: ruleId, error: err as Error })
      })
      .finally(() => this.writes.delete(write))
    this.writes.add(write)
  }

  private count(
    result: CommitResult,
    events: readonly NormalizedEvent[],
    issues: Map<string, CommittedIssue>,
  ): void {
    if (this.counting.size === 0) return
    const last = result.last_raw_id ?? 0
    for (let i = 0; i < events.length; i++) {
      if (result.inserted[i] !== 1) continue
      const e = events[i] as NormalizedEvent
      const rules = this.counting.get(e.project_id)
      if (!rules) continue
      const issue = issues.get(issueKey(e.project_id, e.fingerprint))
      if (!issue || isSilent(issue.status)) continue
      const facets = {
        fingerprint: issue.fingerprint,
        environment: e.environment,
        source: e.source,
        route: e.route_or_procedure,
      }
      for (const r of rules) {
        const c = this.counters.get(r.id)
        if (!c || !matches(r, facets)) continue
        if (c.held) c.held.push([e.received_at, last])
        else if (last > c.through) c.counter.add(e.received_at)
      }
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** The newest stored event of the decision's issue in the batch that the rule matches. */
function latestOf(
  d: Decision,
  result: CommitResult,
  events: readonly NormalizedEvent[],
): NormalizedEvent | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as NormalizedEvent
    if (result.inserted[i] !== 1) continue
    if (e.project_id !== d.issue.project_id) continue
    if (e.fingerprint !== d.issue.fingerprint && !d.issue.merged_from?.includes(e.fingerprint)) continue
    if (
      matches(d.rule, {
        fingerprint: d.issue.fingerprint,
        environment: e.environment,
        source: e.source,
        route: e.route_or_procedure,
      })
    )
      return e
  }
  return null
}
