/**
 * The month's spend against the project's budget, with a month-end forecast. Spend is the
 * hourly rollups' cost since the first of the month, 00:00 UTC. The forecast extrapolates
 * the spend per started day (today counts as a day) over the month's days: on the 1st it
 * is 31 times the day's spend so far, which is loud, not a division by a few minutes.
 * The budget is stored by the settings (PUT /v1/llm/budget); no row is a budget of 0,
 * which means none.
 */
import type { Queryable } from '../../storage/backend'
import { DEFAULT_BUDGET_ALERT_RATE } from '../settings/store'
import { rate } from './sql'
import { monthOf } from './window'

export async function budget(db: Queryable, projectId: string, now: number) {
  const month = monthOf(now)
  const [settings, spent] = await Promise.all([
    db.get<{ monthly_budget_micros: number; budget_alert_rate: number }>(
      'SELECT monthly_budget_micros, budget_alert_rate FROM llm_settings WHERE project_id = ?',
      [projectId],
    ),
    db.get<{ c: number | null }>(
      'SELECT sum(cost_micros) AS c FROM llm_usage_hourly WHERE project_id = ? AND hour >= ?',
      [projectId, month.start],
    ),
  ])
  const spend = spent?.c ?? 0
  const limit = settings?.monthly_budget_micros ?? 0
  const forecast = Math.round((spend / month.day) * month.days)
  return {
    project_id: projectId,
    monthly_budget_micros: limit,
    budget_alert_rate: settings?.budget_alert_rate ?? DEFAULT_BUDGET_ALERT_RATE,
    month_start_at: month.start,
    current_month_spend_micros: spend,
    budget_used_rate: rate(spend, limit),
    forecast_month_end_micros: forecast,
    forecast_over_budget: limit > 0 && forecast > limit,
    alert_threshold_reached:
      limit > 0 && spend >= limit * (settings?.budget_alert_rate ?? DEFAULT_BUDGET_ALERT_RATE),
    days_elapsed: month.day,
    days_remaining: month.days - month.day,
  }
}
