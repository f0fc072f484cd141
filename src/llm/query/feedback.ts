/**
 * Reads of scores (0-1 values per trace and name) and feedback (+1/-1 votes per trace and
 * user). Writing them is the write side's (src/llm/settings); these only read. A trace's
 * list is 404 when the trace is not in the caller's projects, so an id of another
 * project reveals nothing.
 */
import type { Queryable } from '../../storage/backend'
import { rate, Where } from './sql'
import { average, percentileNearest } from './stats'
import type { Window } from './window'

/** The project a trace id belongs to among `projectIds` (the most recent one), or null. */
export async function traceProject(
  db: Queryable,
  projectIds: readonly string[],
  traceId: string,
): Promise<string | null> {
  const where = new Where(projectIds).add('id = ?', traceId)
  const row = await db.get<{ project_id: string }>(
    `SELECT project_id FROM llm_traces WHERE ${where.sql} ORDER BY +started_at DESC LIMIT 1`,
    where.params,
  )
  return row?.project_id ?? null
}

export function traceScores(db: Queryable, projectId: string, traceId: string) {
  return db.all<{
    name: string
    value: number
    source: string
    comment: string | null
    created_at: number
    updated_at: number
  }>(
    `SELECT name, value, source, comment, created_at, updated_at FROM llm_scores
      WHERE project_id = ? AND trace_id = ? ORDER BY updated_at DESC, name COLLATE BINARY`,
    [projectId, traceId],
  )
}

const BUCKETS = ['0.0-0.2', '0.2-0.4', '0.4-0.6', '0.6-0.8', '0.8-1.0'] as const

/** Scores named `name` given in the window: count, mean, nearest-rank percentiles, 5 buckets. */
export async function scoreSummary(db: Queryable, projectIds: readonly string[], w: Window, name: string) {
  const where = new Where(projectIds).add('name = ?', name).add('created_at >= ?', w.since)
  const values = (
    await db.all<{ value: number }>(
      `SELECT value FROM llm_scores WHERE ${where.sql} ORDER BY value`,
      where.params,
    )
  ).map((r) => r.value)
  const distribution: Record<string, number> = Object.fromEntries(BUCKETS.map((b) => [b, 0]))
  // Half-open buckets [lo, lo + 0.2); the last also takes 1.0.
  for (const v of values) {
    const i = Math.min(BUCKETS.length - 1, Math.floor(v * 5 + 1e-9))
    distribution[BUCKETS[i] as string] = (distribution[BUCKETS[i] as string] as number) + 1
  }
  return {
    name,
    count: values.length,
    avg: average(values),
    p10: percentileNearest(values, 0.1),
    p50: percentileNearest(values, 0.5),
    p90: percentileNearest(values, 0.9),
    distribution,
    window_hours: w.hours,
  }
}

export function traceFeedback(db: Queryable, projectId: string, traceId: string) {
  return db.all<{
    trace_id: string
    user_id: string
    value: number
    comment: string | null
    created_at: number
    updated_at: number
  }>(
    `SELECT trace_id, user_id, value, comment, created_at, updated_at FROM llm_feedback
      WHERE project_id = ? AND trace_id = ? ORDER BY updated_at DESC, user_id COLLATE BINARY`,
    [projectId, traceId],
  )
}

export async function feedbackSummary(db: Queryable, projectIds: readonly string[], w: Window) {
  const where = new Where(projectIds).add('created_at >= ?', w.since)
  const row = (await db.get<{ total: number; positive: number | null; negative: number | null }>(
    `SELECT count(*) AS total, count(CASE WHEN value = 1 THEN 1 END) AS positive,
            count(CASE WHEN value = -1 THEN 1 END) AS negative
       FROM llm_feedback WHERE ${where.sql}`,
    where.params,
  )) as { total: number; positive: number | null; negative: number | null }
  const positive = row.positive ?? 0
  return {
    total: row.total,
    positive,
    negative: row.negative ?? 0,
    positive_rate: rate(positive, row.total),
    window_hours: w.hours,
  }
}
