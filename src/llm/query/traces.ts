/**
 * The trace list, with every filter of the reference applied, and free-text search. Every query is scoped to the caller's projects
 * and bound; each list filter and sort has an index (the LLM migrations).
 *
 * `total`: counting every matching trace of a 30-day window of a million traces costs
 * more than the page itself, so a count that walks the window stops at TOTAL_CAP and
 * says so with `total_exact: false`; a filter read from its own index is counted
 * exactly, and an unfiltered list takes its exact total from the hourly trace rollup,
 * one row per hour (docs/llm-query.md). One trace with its tree: detail.ts.
 *
 * On the storage seam, the same SQL on both backends: the index hints are SQLite's (its
 * planner has no statistics) and PostgreSQL's translation drops them; the search
 * condition is the backend's own (`Dialect.textMatch`: fts5 on SQLite, trigrams on
 * PostgreSQL).
 */

import { AppError } from '../../http/errors'
import type { Queryable, SearchTable } from '../../storage/backend'
import { MIN_SEARCH_CHARS, type TraceSort, type TracesQuery } from './model'
import { type Param, Where, words } from './sql'
import type { Window } from './window'

export const TOTAL_CAP = 1_000

export const LIST_COLS = `t.project_id, t.id, t.session_id, t.user_id, t.name, t.status, t.source,
  t.prompt_name, t.prompt_version, t.started_at, t.ended_at, t.duration_ms, t.span_count,
  t.error_count, t.input_tokens, t.output_tokens, t.cache_read_tokens, t.cache_write_tokens,
  t.reasoning_tokens, t.total_tokens, t.cost_micros, t.models, t.providers`

export interface TraceRow {
  project_id: string
  id: string
  session_id: string | null
  user_id: string | null
  name: string | null
  status: string
  source: string
  prompt_name: string | null
  prompt_version: string | null
  started_at: number
  ended_at: number | null
  duration_ms: number | null
  span_count: number
  error_count: number
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  total_tokens: number | null
  cost_micros: number | null
  models: string | null
  providers: string | null
}

export type TraceEntry = Omit<TraceRow, 'models' | 'providers'> & { models: string[]; providers: string[] }

export function traceEntry(row: TraceRow): TraceEntry {
  return { ...row, models: words(row.models), providers: words(row.providers) }
}

// Tie-breaks follow the index's own order (a DESC column keeps its rowids ascending),
// so a page is read straight off the index with no sort.
const ORDER: Record<TraceSort, string> = {
  newest: 't.started_at DESC, t.seq ASC',
  oldest: 't.started_at ASC, t.seq DESC',
  // Unknown cost and unfinished traces come last. NULLS LAST is SQLite's own order for
  // DESC (it sorts NULL lowest), so its index still gives the page; PostgreSQL needs it said.
  most_expensive: 't.cost_micros DESC NULLS LAST, t.seq DESC',
  slowest: 't.duration_ms DESC NULLS LAST, t.seq DESC',
}

/** The trace search index: a trace's seq is its rowid (the LLM migrations). */
export const SEARCH: SearchTable = {
  table: 'llm_search',
  columns: ['name', 'span_names', 'errors', 'content'],
}

export type TraceFilters = Omit<TracesQuery, 'project_id' | 'hours' | 'sort' | 'limit' | 'offset'>

/**
 * Rows a filter with an index of its own may match for the list to be read from that
 * index (then sorted: a few milliseconds for this many). More matches than this mean the
 * filter is dense enough (at least this many of the project's traces) that walking the
 * window's index in the page's order finds a page quickly.
 */
export const DRIVER_ROWS = 10_000

/** The thresholds above; tests pass small ones to take the other road on a small fixture. */
export interface Tuning {
  driverRows: number
  totalCap: number
}
export const TUNING: Tuning = { driverRows: DRIVER_ROWS, totalCap: TOTAL_CAP }

/**
 * The FROM clause and WHERE of a list, with the index it reads named. SQLite's planner
 * has no statistics in a bloop database (nothing runs ANALYZE), and without them it
 * picked badly at a million traces: the window's index and a sort of every row for
 * `most_expensive` (530 ms), a walk of the whole window for a user's 200 traces or a
 * high minimum cost (250 ms). So the choice is made here:
 *
 * - every filter with an index of its own is first counted on it, capped at DRIVER_ROWS
 *   (covering indexes: well under a millisecond), and the most selective one under the
 *   cap drives the query: its index (`INDEXED BY`), the model's spans joined to their
 *   traces (CROSS JOIN keeps that order), or the search index's rowids (`NOT INDEXED`
 *   leaves only rowid lookups); its few matches are then sorted;
 * - otherwise every filter is dense, and an index in the page's order is walked: for
 *   newest and oldest the smallest filter index that keeps start order (status, errors,
 *   session, user, prompt and version), else the window's start; for the two other sorts
 *   cost or duration, unless the window holds no more than DRIVER_ROWS traces (then it is
 *   read and sorted).
 */
async function filtered(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  f: TraceFilters,
  sort: TraceSort,
  t: Tuning,
) {
  const where = new Where(projectIds, 't.project_id').add('t.started_at >= ?', w.since)
  const before = where.clauses.length
  where
    .maybe(f.session_id, 't.session_id = ?')
    .maybe(f.user_id, 't.user_id = ?')
    .maybe(f.status, 't.status = ?')
    .maybe(f.prompt_name, 't.prompt_name = ?')
    .maybe(f.prompt_version, 't.prompt_version = ?')
    .maybe(f.min_cost_micros, 't.cost_micros >= ?')
    .maybe(f.min_latency_ms, 't.duration_ms >= ?')
    // `models` and `providers` hold each distinct value once, space-separated with a space at both ends.
    .maybe(f.model, "instr(t.models, ' ' || ? || ' ') > 0")
    .maybe(f.provider, "instr(t.providers, ' ' || ? || ' ') > 0")
  if (f.has_error === 'true') where.add('t.error_count > 0')
  if (f.has_error === 'false') where.add('t.error_count = 0')
  const search = f.search?.trim()
  if (search) {
    // SQLite's full-text query parser reads C strings (a NUL would end the phrase early:
    // "unterminated string") and PostgreSQL's text holds none, so it is refused rather than sent.
    if (search.includes('\u0000')) {
      throw new AppError('invalid_query', 'query parameter search: must not contain a NUL character', {
        field: 'search',
      })
    }
    if ([...search].length < MIN_SEARCH_CHARS) {
      throw new AppError(
        'invalid_query',
        `query parameter search: expected at least ${MIN_SEARCH_CHARS} characters (got ${JSON.stringify(search)})`,
        { field: 'search' },
      )
    }
  }
  const narrowed = where.clauses.length > before || !!search

  const probe = async (sql: string, params: Param[]) => {
    const row = await db.get<{ n: number }>(
      `SELECT count(*) AS n FROM (${sql} LIMIT ${t.driverRows + 1}) p`,
      params,
    )
    return row?.n ?? 0
  }
  const scope = new Where(projectIds)
  const candidates: { rows: number; from: string; params: Param[]; search?: boolean; ordered?: boolean }[] =
    []
  /** `ordered`: the index keeps its matches in start order, so it serves newest and oldest pages as they are. */
  const onIndex = async (index: string, clause: string, ordered: boolean, ...params: Param[]) =>
    candidates.push({
      ordered,
      rows: await probe(`SELECT 1 FROM llm_traces INDEXED BY ${index} WHERE ${scope.sql} AND ${clause}`, [
        ...scope.params,
        ...params,
      ]),
      from: `llm_traces t INDEXED BY ${index}`,
      params: [],
    })
  if (f.session_id !== undefined) await onIndex('llm_traces_session', 'session_id = ?', true, f.session_id)
  if (f.user_id !== undefined) await onIndex('llm_traces_user', 'user_id = ?', true, f.user_id)
  if (f.prompt_name !== undefined) {
    if (f.prompt_version === undefined)
      await onIndex('llm_traces_prompt', 'prompt_name = ?', false, f.prompt_name)
    else
      await onIndex(
        'llm_traces_prompt',
        'prompt_name = ? AND prompt_version = ?',
        true,
        f.prompt_name,
        f.prompt_version,
      )
  }
  if (f.status !== undefined) await onIndex('llm_traces_status', 'status = ?', true, f.status)
  if (f.has_error === 'true') await onIndex('llm_traces_errors', 'error_count > 0', true)
  if (f.min_cost_micros !== undefined)
    await onIndex('llm_traces_cost', 'cost_micros >= ?', false, f.min_cost_micros)
  if (f.min_latency_ms !== undefined)
    await onIndex('llm_traces_duration', 'duration_ms >= ?', false, f.min_latency_ms)
  if (f.model !== undefined) {
    // A trace has the model when one of its spans has it.
    const spans = `SELECT project_id, trace_id FROM llm_spans WHERE ${scope.sql} AND model = ?`
    const spanParams = [...scope.params, f.model]
    candidates.push({
      rows: await probe(spans, spanParams),
      from: `(SELECT DISTINCT project_id, trace_id FROM (${spans}) s) m CROSS JOIN llm_traces t ON t.project_id = m.project_id AND t.id = m.trace_id`,
      params: spanParams,
    })
  }
  // The search index's own condition, as the backend spells it (fts5 on SQLite, trigrams on PostgreSQL).
  const match = search ? db.dialect.textMatch(SEARCH, search) : null
  const matches = match ? `t.seq IN (SELECT rowid FROM ${SEARCH.table} WHERE ${match.sql})` : ''
  if (match !== null) {
    candidates.push({
      rows: await probe(
        `SELECT 1 FROM llm_traces t NOT INDEXED WHERE ${new Where(projectIds, 't.project_id').sql} AND ${matches}`,
        [...projectIds, ...match.params],
      ),
      from: 'llm_traces t NOT INDEXED',
      params: [],
      search: true,
    })
  }
  const bySize = [...candidates].sort((a, b) => a.rows - b.rows)
  const selective = bySize.find((c) => c.rows <= t.driverRows)
  // Dense filters only: for a page in start order, the smallest filter index that keeps
  // start order is walked (its rows all match it) rather than the whole window.
  const inOrder = sort === 'newest' || sort === 'oldest' ? bySize.find((c) => c.ordered) : undefined
  const driver = selective ?? inOrder
  if (match !== null) {
    // Driven by other filters or walked, the matches are a set each row is checked
    // against (`+` keeps SQLite from reading the table through them instead).
    const walk = driver?.search ? '' : '+'
    where.add(`${walk}${matches}`, ...match.params)
  }
  const from = driver ? driver.from : await walkFrom(db, projectIds, w, sort, t)
  return { from, params: [...(driver?.params ?? []), ...where.params], where, narrowed, driven: !!selective }
}

const SORT_INDEX: Record<TraceSort, string> = {
  newest: 'llm_traces_started',
  oldest: 'llm_traces_started',
  most_expensive: 'llm_traces_cost',
  slowest: 'llm_traces_duration',
}

async function walkFrom(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  sort: TraceSort,
  t: Tuning,
): Promise<string> {
  let index = SORT_INDEX[sort]
  if (index !== 'llm_traces_started' && (await windowCount(db, projectIds, w)).total <= t.driverRows)
    index = 'llm_traces_started'
  return `llm_traces t INDEXED BY ${index}`
}

export interface TracePage {
  traces: TraceEntry[]
  total: number
  total_exact: boolean
}

export async function listTraces(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  q: TraceFilters & { sort: TraceSort; limit: number; offset: number },
  tuning: Tuning = TUNING,
): Promise<TracePage> {
  const f = await filtered(db, projectIds, w, q, q.sort, tuning)
  const rows = await db.all<TraceRow>(
    `SELECT ${LIST_COLS} FROM ${f.from} WHERE ${f.where.sql} ORDER BY ${ORDER[q.sort]} LIMIT ? OFFSET ?`,
    [...f.params, q.limit, q.offset],
  )
  const counted = !f.narrowed
    ? await windowCount(db, projectIds, w)
    : f.driven
      ? { total: await count(db, f.from, f.where.sql, f.params), total_exact: true }
      : await cappedCount(db, f.from, f.where, f.params, tuning.totalCap)
  return { traces: rows.map(traceEntry), ...counted }
}

async function count(db: Queryable, from: string, where: string, params: Param[]): Promise<number> {
  return (await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${from} WHERE ${where}`, params))?.n ?? 0
}

async function cappedCount(
  db: Queryable,
  from: string,
  where: Where,
  params: Param[],
  cap: number,
): Promise<{ total: number; total_exact: boolean }> {
  const n =
    (
      await db.get<{ n: number }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${from} WHERE ${where.sql} LIMIT ${cap + 1}) c`,
        params,
      )
    )?.n ?? 0
  return n > cap ? { total: cap, total_exact: false } : { total: n, total_exact: true }
}

/** Traces started in the window, from the hourly trace rollup (bucketed by trace start). */
async function windowCount(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
): Promise<{ total: number; total_exact: boolean }> {
  const where = new Where(projectIds).add('hour >= ?', w.fromHour)
  const row = await db.get<{ n: number | null }>(
    `SELECT sum(trace_count) AS n FROM llm_trace_hourly WHERE ${where.sql}`,
    where.params,
  )
  return { total: row?.n ?? 0, total_exact: true }
}
