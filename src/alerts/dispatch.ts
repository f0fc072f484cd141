/**
 * Delivery, off the ingest path. `enqueue` returns at once; each (alert, channel) is then
 * delivered in the background:
 *
 * - each attempt is bounded by `alerting.delivery_timeout_secs` (DNS, connect, answer);
 * - up to MAX_ATTEMPTS attempts, waiting `retry_backoff_ms`, then four times that, between
 *   them, for failures that may pass (network errors, timeouts, HTTP 5xx/408/429, SMTP 4xx).
 *   A refused URL, a redirect, another 4xx or an SMTP 5xx is final at once;
 * - at most MAX_CONCURRENT attempts run at a time and at most MAX_PENDING deliveries wait,
 *   so an alert storm towards a dead receiver holds bounded memory (cooldowns make storms
 *   rare: one alert per rule and issue per cooldown);
 * - when a delivery finishes, one row goes to the delivery log (store.ts) with the
 *   attempts, outcome, HTTP status or SMTP reply.
 *
 * Shutdown (`close`): no new deliveries; waits for retries are cut short; attempts in
 * flight get a short grace, then HTTP attempts are aborted (an SMTP exchange cannot be,
 * and ends at its timeout); every abandoned delivery is logged as failed, so the log
 * never silently loses one.
 */
import type { Logger } from '../ops/log'
import type { Counter } from '../ops/metrics'
import { emailContent, type Mailer } from './channels/email'
import { type AttemptResult, failure, postJson } from './channels/http'
import { redactSlackUrl, slackMessage } from './channels/slack'
import { redactWebhookUrl, webhookRequest } from './channels/webhook'
import { type AlertPayload, issueTitle } from './message'
import type { ChannelConfig, TestResult } from './model'
import type { Resolver } from './ssrf'
import type { DeliveryRecord } from './store'

export const MAX_ATTEMPTS = 3
export const MAX_CONCURRENT = 8
export const MAX_PENDING = 1000
/** How long `close` lets attempts in flight finish before aborting them. */
export const CLOSE_GRACE_MS = 2000

/** Where one delivery goes: a rule's channel, or a global fallback (channel_id null). */
export interface Target {
  channel_id: number | null
  config: ChannelConfig
}

/** One channel's delivery, as a test send answers it (the schema is alerts/model.ts's). */
export type DeliveryResult = TestResult

export interface DispatcherDeps {
  log: Logger
  now: () => number
  /** Writes one delivery log row; failures are logged, never thrown. A delivery ends once it is written. */
  record: (d: DeliveryRecord) => void | Promise<void>
  mailer: Mailer
  timeoutMs: number
  backoffMs: number
  allowPrivate: boolean
  userAgent: string
  deliveries: Counter
  resolve?: Resolver
}

export function targetLabel(config: ChannelConfig): string {
  if (config.type === 'slack') return redactSlackUrl(config.webhook_url)
  if (config.type === 'webhook') return redactWebhookUrl(config.url)
  return config.to
}

export class Dispatcher {
  private closing = false
  private readonly abort = new AbortController()
  private readonly active = new Set<Promise<DeliveryResult>>()
  private running = 0
  private readonly slotWaiters: ((ok: boolean) => void)[] = []
  private readonly sleepers = new Set<() => void>()

  constructor(private readonly d: DispatcherDeps) {}

  /** Deliveries started and not yet logged. */
  get pending(): number {
    return this.active.size
  }

  /** Resolves once no delivery is in flight (each one's log row written). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active])
  }

  /** Delivers `payload` to every target in the background, with retries. Never throws. */
  enqueue(ruleId: number, payload: AlertPayload, targets: readonly Target[]): void {
    if (this.closing) {
      this.d.log.warn('alert not delivered: the server is shutting down', {
        rule_id: ruleId,
        alert_id: payload.alert_id,
      })
      return
    }
    for (const target of targets) {
      if (this.active.size >= MAX_PENDING) {
        this.d.log.warn('alert delivery dropped: too many deliveries pending', {
          rule_id: ruleId,
          alert_id: payload.alert_id,
          channel_type: target.config.type,
        })
        this.d.deliveries.inc({ channel: target.config.type, outcome: 'dropped' })
        continue
      }
      this.track(this.deliver(ruleId, payload, target, MAX_ATTEMPTS))
    }
  }

  /** One attempt per target, answered when all are done (the test endpoint). */
  sendNow(ruleId: number, payload: AlertPayload, targets: readonly Target[]): Promise<DeliveryResult[]> {
    return Promise.all(targets.map((t) => this.track(this.deliver(ruleId, payload, t, 1))))
  }

  private track(p: Promise<DeliveryResult>): Promise<DeliveryResult> {
    this.active.add(p)
    p.finally(() => this.active.delete(p))
    return p
  }

  private async deliver(
    ruleId: number,
    payload: AlertPayload,
    target: Target,
    maxAttempts: number,
  ): Promise<DeliveryResult> {
    const started = performance.now()
    let attempts = 0
    let last: AttemptResult
    for (;;) {
      if (!(await this.slot())) {
        last = failure('abandoned: the server is shutting down', { retryable: false })
        break
      }
      attempts++
      try {
        last = await this.attempt(payload, target)
      } catch (err) {
        last = failure(`delivery failed: ${(err as Error).message}`, { retryable: true })
      } finally {
        this.release()
      }
      if (last.ok || !last.retryable || attempts >= maxAttempts) break
      if (!(await this.sleep(this.d.backoffMs * 4 ** (attempts - 1)))) {
        last = { ...last, error: `${last.error}; not retried: the server is shutting down` }
        break
      }
    }
    const result: DeliveryResult = {
      channel_id: target.channel_id,
      channel_type: target.config.type,
      target: targetLabel(target.config),
      outcome: last.ok ? 'delivered' : last.refused ? 'refused' : 'failed',
      attempts,
      status_code: last.status_code,
      error: last.error,
      duration_ms: Math.round(performance.now() - started),
    }
    this.d.deliveries.inc({ channel: result.channel_type, outcome: result.outcome })
    if (!last.ok) {
      this.d.log.warn('alert delivery failed', {
        rule_id: ruleId,
        alert_id: payload.alert_id,
        channel_type: result.channel_type,
        target: result.target,
        attempts,
        error: result.error,
        ...(last.receiverSaid ? { receiver_said: last.receiverSaid } : {}),
      })
    }
    await this.d.record({
      rule_id: ruleId,
      alert_id: payload.alert_id,
      kind: payload.event === 'alert.test' ? 'test' : 'alert',
      reason: payload.reason,
      fingerprint: payload.issue?.fingerprint ?? null,
      issue_title: payload.issue ? issueTitle(payload.issue) : null,
      channel_id: result.channel_id,
      channel_type: result.channel_type,
      target: result.target,
      outcome: result.outcome,
      attempts,
      status_code: result.status_code,
      response: last.response,
      error: result.error,
      fired_at: payload.fired_at,
      finished_at: this.d.now(),
    })
    return result
  }

  private attempt(payload: AlertPayload, target: Target): Promise<AttemptResult> {
    const c = target.config
    const http = {
      timeoutMs: this.d.timeoutMs,
      allowPrivate: this.d.allowPrivate,
      signal: this.abort.signal,
      resolve: this.d.resolve,
    }
    if (c.type === 'slack') {
      return postJson(
        c.webhook_url,
        JSON.stringify(slackMessage(payload)),
        { 'user-agent': this.d.userAgent },
        http,
      )
    }
    if (c.type === 'webhook') {
      const req = webhookRequest(payload, c.secret, this.d.userAgent)
      return postJson(c.url, req.body, req.headers, http)
    }
    return this.d.mailer.send(c.to, emailContent(payload), {
      'X-Bloop-Event': payload.event,
      'X-Bloop-Delivery': payload.alert_id,
    })
  }

  private slot(): Promise<boolean> {
    if (this.closing) return Promise.resolve(false)
    if (this.running < MAX_CONCURRENT) {
      this.running++
      return Promise.resolve(true)
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve))
  }

  private release(): void {
    this.running--
    const next = this.closing ? undefined : this.slotWaiters.shift()
    if (next) {
      this.running++
      next(true)
    }
  }

  /** Resolves true after `ms`, or false at once when the dispatcher closes. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closing) return Promise.resolve(false)
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.sleepers.delete(wake)
        resolve(false)
      }
      const timer = setTimeout(() => {
        this.sleepers.delete(wake)
        resolve(true)
      }, ms)
      this.sleepers.add(wake)
    })
  }

  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closing = true
    for (const wake of [...this.sleepers]) wake()
    for (const w of this.slotWaiters.splice(0)) w(false)
    const all = () => Promise.allSettled([...this.active])
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))])
    clearTimeout(timer)
    this.abort.abort()
    await all()
    this.d.mailer.close()
  }
}
