/**
 * The LLM feature's side of the LLM alert rules: after a commit, the projects it touched
 * are handed to the alerts feature with `LlmMeasures`, which read the hourly rollups
 * (an indexed range of a few rows per rule). Evaluation is batched: the first commit
 * schedules one run `delayMs` later for every project committed meanwhile, so a burst of
 * commits costs one evaluation, and the last state of a burst is always looked at.
 *
 * The rules are evaluated synchronously (alerts/llm.ts), and the rollups are read through
 * the storage seam, which is asynchronous: so each run first reads, per project, its
 * rollup rows of the longest window a rule may ask for and its month's spend and budget
 * (`measuresOf`), and the measures answer from those rows.
 */
import type { LlmMeasures, LlmMonth, LlmWindow } from '../alerts'
import type { Logger } from '../ops/log'
import type { Queryable } from '../storage/backend'
import { HOUR_MS, hourOf } from './write/rollups'
import { mergeBlobs, quantile } from './write/sketch'

export interface LlmAlertHook {
  onLlmCommit(projectIds: readonly string[], measures: LlmMeasures): void
  hasLlmRules(projectId: string): boolean
}

/**
 * The longest window an LLM rule may have: the alert rules' `window_hours` maximum
 * (alerts/model.ts, MAX_LLM_WINDOW_HOURS; test/http/llm.query.backends.test.ts keeps them equal).
 */
export const LONGEST_WINDOW_HOURS = 168

interface HourRow {
  hour: number
  model: string
  cost_micros: number
  span_count: number
  error_count: number
  latency_sketch: Uint8Array | null
}

interface ProjectRows {
  hours: HourRow[]
  month: LlmMonth
}

/** The measures of `projectIds` at `now`, read once; what the rules then ask is answered from these rows. */
export async function measuresOf(
  db: Queryable,
  projectIds: readonly string[],
  now: number,
): Promise<LlmMeasures> {
  const d = new Date(now)
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  const from = hourOf(now) - (LONGEST_WINDOW_HOURS - 1) * HOUR_MS
  const read = async (projectId: string): Promise<[string, ProjectRows]> => {
    const [hours, spend, settings] = await Promise.all([
      db.all<HourRow>(
        `SELECT hour, model, cost_micros, span_count, error_count, latency_sketch FROM llm_usage_hourly
         WHERE project_id = ? AND hour >= ?`,
        [projectId, from],
      ),
      db.get<{ c: number | null }>(
        'SELECT sum(cost_micros) AS c FROM llm_usage_hourly WHERE project_id = ? AND hour >= ?',
        [projectId, monthStart],
      ),
      db.get<{ monthly_budget_micros: number; budget_alert_rate: number }>(
        'SELECT monthly_budget_micros, budget_alert_rate FROM llm_settings WHERE project_id = ?',
        [projectId],
      ),
    ])
    const month: LlmMonth = {
      month: `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`,
      spend_micros: spend?.c ?? 0,
      budget_micros: settings?.monthly_budget_micros ?? 0,
      budget_alert_rate: settings?.budget_alert_rate ?? 0.8,
    }
    return [projectId, { hours, month }]
  }
  const byProject = new Map(await Promise.all(projectIds.map(read)))
  const rowsOf = (projectId: string): ProjectRows => {
    const rows = byProject.get(projectId)
    if (!rows) throw new Error(`expected the measures of a committed project, got ${projectId}`)
    return rows
  }
  return {
    window(projectId, hours, model): LlmWindow {
      if (hours > LONGEST_WINDOW_HOURS)
        throw new Error(`expected a window of at most ${LONGEST_WINDOW_HOURS} hours, got ${hours}`)
      const since = hourOf(now) - (hours - 1) * HOUR_MS
      const rows = rowsOf(projectId).hours.filter(
        (r) => r.hour >= since && (model === null || r.model === model),
      )
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
    month: (projectId) => rowsOf(projectId).month,
  }
}

export class LlmAlertFeed {
  private pending = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | null = null
  /** The run in progress, so stop waits for it. */
  private running: Promise<void> = Promise.resolve()

  constructor(
    private readonly hook: LlmAlertHook,
    private readonly db: Queryable,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly delayMs = 200,
  ) {}

  committed(projectIds: Iterable<string>): void {
    for (const p of projectIds) if (this.hook.hasLlmRules(p)) this.pending.add(p)
    if (this.pending.size > 0 && this.timer === null)
      this.timer = setTimeout(() => void this.run(), this.delayMs)
  }

  /** Evaluates now what is pending (also on stop, so the last commits are looked at). */
  run(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    const projects = [...this.pending]
    this.pending.clear()
    // One run after another: a later run reads the rollups after an earlier one's rules fired.
    this.running = this.running.then(async () => {
      if (projects.length === 0) return
      try {
        this.hook.onLlmCommit(projects, await measuresOf(this.db, projects, this.now()))
      } catch (err) {
        this.log.error('LLM alert evaluation failed', { error: err as Error })
      }
    })
    return this.running
  }
}
