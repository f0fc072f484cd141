/**
 * Reads of scores (0-1 values per trace and name) and feedback (+1/-1 votes per trace and
 * user). Writing them is the write side's (src/llm/settings); these only read. A trace's
 * list is 404 when the trace is not in the caller's projects, so an id of another
 * project reveals nothing.
 */
import type { Db } from '../../storage/db'
import { type Param, rate, Where } from './sql'
import { average, percentileNearest } from './stats'
import type { Window } from './window'

/** The project a trace id belongs to among `projectIds` (the most recent one), or null. */
export function traceProject(db: Db, projectIds: readonly string[], traceId: string): string | null {
  const where = new Where(projectIds).add('id = ?', traceId)
  return (
    db
      .query<{ project_id: string }, Param[]>(
        `SELECT project_id FROM llm_traces WHERE ${where.sql} ORDER BY +started_at DESC LIMIT 1`,
      )
      .get(...where.params)?.project_id ?? null
  )
}

export function traceScores(db: Db, projectId: string, traceId: string) {
  return db
    .query<
      {
        name: string
        value: number
        source: string
        comment: string | null
        created_at: number
        updated_at: number
      },
      [string, string]
    >(
      `SELECT name, value, source, comment, created_at, updated_at FROM llm_scores
        WHERE project_id = ? AND trace_id = ? ORDER BY updated_at DESC, name`,
    )
    .all(projectId, traceId)
}

const BUCKETS = ['0.0-0.2', '0.2-0.4', '0.4-0.6', '0.6-0.8', '0.8-1.0'] as const

/** Scores named `name` given in the window: count, mean, nearest-rank percentiles, 5 buckets. */
export function scoreSummary(db: Db, projectIds: readonly string[], w: Window, name: string) {
  const where = new Where(projectIds).add('name = ?', name).add('created_at >= ?', w.since)
  const values = db
    .query<{ value: number }, Param[]>(`SELECT value FROM llm_scores WHERE ${where.sql} ORDER BY value`)
    .all(...where.params)
    .map((r) => r.value)
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

export function traceFeedback(db: Db, projectId: string, traceId: string) {
  return db
    .query<
      {
        trace_id: string
        user_id: string
        value: number
        comment: string | null
        created_at: number
        updated_at: number
      },
      [string, string]
    >(
      `SELECT trace_id, user_id, value, comment, created_at, updated_at FROM llm_feedback
        WHERE project_id = ? AND trace_id = ? ORDER BY updated_at DESC, user_id`,
    )
    .all(projectId, traceId)
}

export function feedbackSummary(db: Db, projectIds: readonly string[], w: Window) {
  const where = new Where(projectIds).add('created_at >= ?', w.since)
  const row = db
    .query<{ total: number; positive: number | null; negative: number | null }, Param[]>(
      `SELECT count(*) AS total, sum(value = 1) AS positive, sum(value = -1) AS negative
         FROM llm_feedback WHERE ${where.sql}`,
    )
    .get(...where.params) as { total: number; positive: number | null; negative: number | null }
  const positive = row.positive ?? 0
  return {
    total: row.total,
    positive,
    negative: row.negative ?? 0,
    positive_rate: rate(positive, row.total),
    window_hours: w.hours,
  }
}
