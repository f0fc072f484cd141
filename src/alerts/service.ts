/**
 * The alerting feature's running part (started in index.ts): the engine (evaluation on
 * each committed batch), the dispatcher (delivery), the channel lookup with the global
 * fallbacks, and the test sends. Routes receive it as `alerts`.
 */
import { randomUUID } from 'node:crypto'
import pkg from '../../package.json'
import type { Config } from '../config/schema'
import type { CommitResult, NormalizedEvent } from '../errors'
import type { Logger } from '../ops/log'
import type { Registry } from '../ops/metrics'
import { findProject } from '../projects'
import type { Queryable } from '../storage/backend'
import { Mailer } from './channels/email'
import { type DeliveryResult, Dispatcher, type Target } from './dispatch'
import { AlertEngine, type Firing, type LlmFiring } from './engine'
import type { LlmMeasures } from './llm'
import { firedPayload, llmFiredPayload, type ProjectRef, testPayload } from './message'
import type { Rule } from './rules'
import type { Resolver } from './ssrf'
import { channelsOf, insertDelivery } from './store'

export interface AlertingDeps {
  config: Pick<Config, 'alerting' | 'smtp' | 'auth'>
  backend: Queryable
  log: Logger
  now: () => number
  registry: Registry
  /** DNS resolver for the URL policy; tests pass one to simulate rebinding. */
  resolve?: Resolver
}

export class Alerting {
  readonly engine: AlertEngine
  readonly dispatcher: Dispatcher
  /** Global fallbacks for rules without channels (BLOOP_SLACK_WEBHOOK_URL / BLOOP_WEBHOOK_URL). */
  readonly fallbacks: Target[]
  private readonly fired
  /** Firings whose targets are being looked up: close() waits for them to reach the dispatcher. */
  private readonly firing = new Set<Promise<void>>()

  constructor(private readonly d: AlertingDeps) {
    const a = d.config.alerting
    this.engine = new AlertEngine({
      backend: d.backend,
      log: d.log,
      now: d.now,
      cooldownMs: a.cooldown_secs * 1000,
    })
    const timeoutMs = a.delivery_timeout_secs * 1000
    this.dispatcher = new Dispatcher({
      log: d.log,
      now: d.now,
      record: async (row) => {
        try {
          await insertDelivery(d.backend, row)
        } catch (err) {
          // The rule was deleted while its alert was on the way; its log went with it.
          d.log.debug('delivery log row not written', { rule_id: row.rule_id, error: err as Error })
        }
      },
      mailer: new Mailer(d.config.smtp, timeoutMs),
      timeoutMs,
      backoffMs: a.retry_backoff_ms,
      allowPrivate: a.allow_private_urls,
      userAgent: `bloop/${pkg.version}`,
      deliveries: d.registry.counter(
        'bloop_alert_deliveries_total',
        'Alert deliveries by channel type and outcome (delivered, failed, refused, dropped).',
      ),
      resolve: d.resolve,
    })
    this.fired = d.registry.counter('bloop_alerts_fired_total', 'Alerts fired, by rule type and reason.')
    this.fallbacks = []
    if (a.slack_webhook_url)
      this.fallbacks.push({ channel_id: null, config: { type: 'slack', webhook_url: a.slack_webhook_url } })
    if (a.webhook_url)
      this.fallbacks.push({ channel_id: null, config: { type: 'webhook', url: a.webhook_url } })
  }

  get resolve(): Resolver | undefined {
    return this.d.resolve
  }

  /** Loads rules and cooldowns and warms the counters; call before ingest starts. */
  start(): Promise<void> {
    return this.engine.load()
  }

  /** The errors feature's commit listener. Synchronous bookkeeping only; delivery runs in the background. */
  readonly onCommit = (result: CommitResult, events: NormalizedEvent[]): void => {
    for (const firing of this.engine.onCommit(result, events)) this.track(this.fire(firing))
  }

  /**
   * The LLM feature's commit hook: evaluates the LLM rules of these projects over the
   * measures it reads from its rollups. Synchronous bookkeeping; delivery runs in the background.
   */
  readonly onLlmCommit = (projectIds: readonly string[], measures: LlmMeasures): void => {
    for (const firing of this.engine.onLlm(projectIds, measures)) this.track(this.fireLlm(firing))
  }

  hasLlmRules(projectId: string): boolean {
    return this.engine.hasLlmRules(projectId)
  }

  /** To be called after a rule is created, changed or deleted. */
  ruleChanged(ruleId: number): Promise<void> {
    return this.engine.reload(ruleId)
  }

  /** The rule's channels, or the global fallbacks when it has none. */
  async targetsOf(ruleId: number): Promise<Target[]> {
    const channels = await channelsOf(this.d.backend, [ruleId])
    if (channels.length === 0) return this.fallbacks
    return channels.map((c) => ({ channel_id: c.id, config: c.config }))
  }

  /** Sends a test notification to every target of the rule, one attempt each. */
  async test(rule: Rule, targets?: Target[]): Promise<DeliveryResult[]> {
    const payload = testPayload({
      alertId: randomUUID(),
      now: this.d.now(),
      rule,
      project: await this.projectRef(rule.project_id),
    })
    return this.dispatcher.sendNow(rule.id, payload, targets ?? (await this.targetsOf(rule.id)))
  }

  /**
   * Resolves once every firing so far has reached the dispatcher, its cooldown row is
   * written and its deliveries are logged (tests, and close).
   */
  async settled(): Promise<void> {
    while (this.firing.size > 0) await Promise.allSettled([...this.firing])
    await this.engine.settled()
    await this.dispatcher.idle()
  }

  async close(): Promise<void> {
    // Alerts of the last committed batches still reach the dispatcher before it closes.
    while (this.firing.size > 0) await Promise.allSettled([...this.firing])
    await this.engine.settled()
    await this.dispatcher.close()
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err) => this.d.log.error('alert not fired', { error: err as Error }))
      .finally(() => this.firing.delete(tracked))
    this.firing.add(tracked)
  }

  private async fire(f: Firing): Promise<void> {
    this.fired.inc({ rule_type: f.rule.rule_type, reason: f.reason })
    const payload = firedPayload({
      alertId: randomUUID(),
      now: this.d.now(),
      origin: this.d.config.auth.rp_origin,
      rule: f.rule,
      project: await this.projectRef(f.rule.project_id),
      reason: f.reason,
      stats: f.stats,
      issue: f.issue,
      matched: f.matched,
      latest: f.latest,
    })
    const targets = await this.targetsOf(f.rule.id)
    this.d.log.info('alert fired', {
      rule_id: f.rule.id,
      reason: f.reason,
      fingerprint: f.issue.fingerprint,
      alert_id: payload.alert_id,
      channels: targets.length,
    })
    if (targets.length === 0) {
      this.d.log.warn('alert has nowhere to go: the rule has no channel and no global fallback is set', {
        rule_id: f.rule.id,
      })
    }
    this.dispatcher.enqueue(f.rule.id, payload, targets)
  }

  private async fireLlm(f: LlmFiring): Promise<void> {
    this.fired.inc({ rule_type: f.rule.rule_type, reason: f.stats.type })
    const payload = llmFiredPayload({
      alertId: randomUUID(),
      now: this.d.now(),
      rule: f.rule,
      project: await this.projectRef(f.rule.project_id),
      stats: f.stats,
    })
    const targets = await this.targetsOf(f.rule.id)
    this.d.log.info('alert fired', {
      rule_id: f.rule.id,
      reason: f.stats.type,
      key: f.key,
      alert_id: payload.alert_id,
      channels: targets.length,
    })
    this.dispatcher.enqueue(f.rule.id, payload, targets)
  }

  /** The project's names for the payload. */
  private async projectRef(projectId: string): Promise<ProjectRef> {
    const p = await findProject(this.d.backend, projectId)
    return p ? { id: p.id, slug: p.slug, name: p.name } : { id: projectId, slug: projectId, name: projectId }
  }
}
