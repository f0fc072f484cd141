/**
 * Sessions: the traces that share a `session_id` (a conversation, an agent run), grouped
 * on read through the (project, session, started_at) index; there is no session table.
 * With several projects in reach a session id is grouped per project.
 */
import type { Db } from '../../storage/db'
import { type Param, Where } from './sql'
import { LIST_COLS, type TraceRow, traceEntry } from './traces'
import type { Window } from './window'

const SESSION_SUMS = `min(user_id) AS user_id, count(*) AS trace_count,
  sum(cost_micros) AS total_cost_micros, sum(total_tokens) AS total_tokens,
  min(started_at) AS first_trace_at, max(started_at) AS last_trace_at,
  sum(status = 'error') AS error_trace_count`

interface SessionRow {
  project_id: string
  session_id: string
  user_id: string | null
  trace_count: number
  total_cost_micros: number | null
  total_tokens: number | null
  first_trace_at: number
  last_trace_at: number
  error_trace_count: number
}

export function listSessions(
  db: Db,
  projectIds: readonly string[],
  w: Window,
  f: { user_id?: string; limit: number; offset: number },
) {
  const where = new Where(projectIds)
    .add('session_id IS NOT NULL')
    .add('started_at >= ?', w.since)
    .maybe(f.user_id, 'user_id = ?')
  const rows = db
    .query<SessionRow, Param[]>(
      `SELECT project_id, session_id, ${SESSION_SUMS} FROM llm_traces WHERE ${where.sql}
        GROUP BY project_id, session_id ORDER BY last_trace_at DESC, session_id LIMIT ? OFFSET ?`,
    )
    .all(...where.params, f.limit, f.offset)
  const total = db
    .query<{ n: number }, Param[]>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM llm_traces WHERE ${where.sql} GROUP BY project_id, session_id)`,
    )
    .get(...where.params) as { n: number }
  return { sessions: rows, total: total.n, limit: f.limit, offset: f.offset, window_hours: w.hours }
}

/** Every trace of one session, oldest first (no window: a session is read whole, page by page). */
export function sessionDetail(
  db: Db,
  projectIds: readonly string[],
  sessionId: string,
  page: { limit: number; offset: number },
) {
  const where = new Where(projectIds).add('session_id = ?', sessionId)
  const sums = db
    .query<SessionRow, Param[]>(
      `SELECT project_id, session_id, ${SESSION_SUMS} FROM llm_traces WHERE ${where.sql}
        GROUP BY project_id ORDER BY last_trace_at DESC LIMIT 1`,
    )
    .get(...where.params)
  if (!sums) return null
  const traces = db
    .query<TraceRow, Param[]>(
      `SELECT ${LIST_COLS} FROM llm_traces t WHERE t.project_id = ? AND t.session_id = ?
        ORDER BY t.started_at, t.seq LIMIT ? OFFSET ?`,
    )
    .all(sums.project_id, sessionId, page.limit, page.offset)
  return { ...sums, traces: traces.map(traceEntry), limit: page.limit, offset: page.offset }
}
