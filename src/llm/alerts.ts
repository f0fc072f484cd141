/**
 * The LLM feature's side of the LLM alert rules: after a commit, the projects it touched
 * are handed to the alerts feature with `LlmMeasures`, which read the hourly rollups
 * (main connection; an indexed range of a few rows per rule). Evaluation is batched: the
 * first commit schedules one run `delayMs` later for every project committed meanwhile, so
 * a burst of commits costs one evaluation, and the last state of a burst is always looked at.
 */
import type { LlmMeasures, LlmMonth, LlmWindow } from '../alerts'
import type { Logger } from '../ops/log'
import type { Db } from '../storage/db'
import { HOUR_MS, hourOf } from './write/rollups'
import { mergeBlobs, quantile } from './write/sketch'

export interface LlmAlertHook {
  onLlmCommit(projectIds: readonly string[], measures: LlmMeasures): void
  hasLlmRules(projectId: string): boolean
}

export function rollupMeasures(db: Db, now: () => number): LlmMeasures {
  return {
    window(projectId, hours, model): LlmWindow {
      const from = hourOf(now()) - (hours - 1) * HOUR_MS
      const rows = db
        .query<
          { cost_micros: number; span_count: number; error_count: number; latency_sketch: Uint8Array | null },
          [string, number, string | null, string | null]
        >(
          `SELECT cost_micros, span_count, error_count, latency_sketch FROM llm_usage_hourly
           WHERE project_id = ?1 AND hour >= ?2 AND (?3 IS NULL OR model = ?4)`,
        )
        .all(projectId, from, model, model)
      let cost_micros = 0
      let span_count = 0
      let error_count = 0
      for (const r of rows) {
        cost_micros += r.cost_micros
        span_count += r.span_count
        error_count += r.error_count
      }
      const sketch = mergeBlobs(rows.map((r) => r.latency_sketch))
      return { cost_micros, span_count, error_count, latency: (q) => quantile(sketch, q) }
    },
    month(projectId): LlmMonth {
      const d = new Date(now())
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
      const spend =
        db
          .query<{ c: number | null }, [string, number]>(
            'SELECT sum(cost_micros) AS c FROM llm_usage_hourly WHERE project_id = ? AND hour >= ?',
          )
          .get(projectId, start)?.c ?? 0
      const settings = db
        .query<{ monthly_budget_micros: number; budget_alert_rate: number }, [string]>(
          'SELECT monthly_budget_micros, budget_alert_rate FROM llm_settings WHERE project_id = ?',
        )
        .get(projectId)
      return {
        month: `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`,
        spend_micros: spend,
        budget_micros: settings?.monthly_budget_micros ?? 0,
        budget_alert_rate: settings?.budget_alert_rate ?? 0.8,
      }
    },
  }
}

export class LlmAlertFeed {
  private pending = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private readonly measures: LlmMeasures

  constructor(
    private readonly hook: LlmAlertHook,
    db: Db,
    now: () => number,
    private readonly log: Logger,
    private readonly delayMs = 200,
  ) {
    this.measures = rollupMeasures(db, now)
  }

  committed(projectIds: Iterable<string>): void {
    for (const p of projectIds) if (this.hook.hasLlmRules(p)) this.pending.add(p)
    if (this.pending.size > 0 && this.timer === null) this.timer = setTimeout(() => this.run(), this.delayMs)
  }

  /** Evaluates now what is pending (also on stop, so the last commits are looked at). */
  run(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    const projects = [...this.pending]
    this.pending.clear()
    if (projects.length === 0) return
    try {
      this.hook.onLlmCommit(projects, this.measures)
    } catch (err) {
      this.log.error('LLM alert evaluation failed', { error: err as Error })
    }
  }
}
