/**
 * Sessions: the traces that share a `session_id` (a conversation, an agent run), grouped
 * on read through the (project, session, started_at) index; there is no session table.
 * With several projects in reach a session id is grouped per project.
 */
import type { Queryable } from '../../storage/backend'
import { Where } from './sql'
import { LIST_COLS, TOTAL_CAP, type TraceRow, traceEntry } from './traces'
import type { Window } from './window'

const SESSION_SUMS = `min(user_id) AS user_id, count(*) AS trace_count,
  sum(cost_micros) AS total_cost_micros, sum(total_tokens) AS total_tokens,
  min(started_at) AS first_trace_at, max(started_at) AS last_trace_at,
  count(CASE WHEN status = 'error' THEN 1 END) AS error_trace_count`

/** Rows per read of the sessions walk: a page of sessions usually needs one or two. */
const WALK_CHUNK = 2_000

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

/**
 * Sessions by their latest trace, newest first. Grouping every trace of a 30-day window
 * (a million traces, 200,000 sessions) took over half a second, so the window is walked
 * newest trace first until the page's sessions are found, and only those are summed (each
 * through the session index). `total` counts distinct sessions the same way, up to
 * TOTAL_CAP (`total_exact: false` past it).
 */
export async function listSessions(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  f: { user_id?: string; limit: number; offset: number },
  totalCap = TOTAL_CAP,
) {
  const where = new Where(projectIds)
    .add('session_id IS NOT NULL')
    .add('started_at >= ?', w.since)
    .maybe(f.user_id, 'user_id = ?')
  const seen = new Map<string, { project_id: string; session_id: string }>()
  const wanted = Math.max(f.offset + f.limit, totalCap + 1)
  // Walked in chunks, each starting after the last row of the one before (started_at
  // descending, then seq), so no chunk re-reads what an earlier one did.
  const index = f.user_id === undefined ? 'llm_traces_started' : 'llm_traces_user'
  type Walked = { project_id: string; session_id: string; started_at: number; seq: number }
  let after: Walked | null = null
  for (;;) {
    const resume: string = after ? ' AND (started_at < ? OR (started_at = ? AND seq > ?))' : ''
    const rows: Walked[] = await db.all<Walked>(
      `SELECT project_id, session_id, started_at, seq FROM llm_traces INDEXED BY ${index}
        WHERE ${where.sql}${resume} ORDER BY started_at DESC, seq ASC LIMIT ${WALK_CHUNK}`,
      [...where.params, ...(after ? [after.started_at, after.started_at, after.seq] : [])],
    )
    for (const row of rows) {
      const key = JSON.stringify([row.project_id, row.session_id])
      if (!seen.has(key)) seen.set(key, { project_id: row.project_id, session_id: row.session_id })
      if (seen.size >= wanted) break
    }
    const last: Walked | undefined = rows[rows.length - 1]
    if (seen.size >= wanted || rows.length < WALK_CHUNK || !last) break
    after = last
  }
  const page = [...seen.values()].slice(f.offset, f.offset + f.limit)
  // Aggregates only, the session's key added here: a GROUP BY (which PostgreSQL would need
  // for the key columns) made SQLite's read of the page 30% slower.
  const sum = `SELECT ${SESSION_SUMS} FROM llm_traces INDEXED BY llm_traces_session
      WHERE project_id = ? AND session_id = ? AND started_at >= ?${f.user_id === undefined ? '' : ' AND user_id = ?'}`
  const sessions = await Promise.all(
    page.map(
      async (p): Promise<SessionRow> => ({
        ...p,
        ...((await db.get(sum, [
          p.project_id,
          p.session_id,
          w.since,
          ...(f.user_id === undefined ? [] : [f.user_id]),
        ])) as Omit<SessionRow, 'project_id' | 'session_id'>),
      }),
    ),
  )
  const exact = seen.size <= totalCap
  return {
    sessions,
    total: exact ? seen.size : totalCap,
    total_exact: exact,
    limit: f.limit,
    offset: f.offset,
    window_hours: w.hours,
  }
}

/** Every trace of one session, oldest first (no window: a session is read whole, page by page). */
export async function sessionDetail(
  db: Queryable,
  projectIds: readonly string[],
  sessionId: string,
  page: { limit: number; offset: number },
) {
  const where = new Where(projectIds).add('session_id = ?', sessionId)
  const sums = await db.get<SessionRow>(
    `SELECT project_id, session_id, ${SESSION_SUMS} FROM llm_traces INDEXED BY llm_traces_session WHERE ${where.sql}
      GROUP BY project_id, session_id ORDER BY last_trace_at DESC LIMIT 1`,
    where.params,
  )
  if (!sums) return null
  const traces = await db.all<TraceRow>(
    `SELECT ${LIST_COLS} FROM llm_traces t INDEXED BY llm_traces_session WHERE t.project_id = ? AND t.session_id = ?
      ORDER BY t.started_at, t.seq LIMIT ? OFFSET ?`,
    [sums.project_id, sessionId, page.limit, page.offset],
  )
  return { ...sums, traces: traces.map(traceEntry), limit: page.limit, offset: page.offset }
}
