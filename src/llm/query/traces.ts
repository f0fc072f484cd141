/**
 * The trace list (with every filter of the reference applied, and free-text search) and
 * one trace with its spans and their tree. Every query is scoped to the caller's projects
 * and bound; each list filter and sort has an index (the LLM migrations).
 *
 * `total`: counting every matching trace of a 30-day window of a million traces costs
 * more than the page itself, so a count that walks the window stops at TOTAL_CAP and
 * says so with `total_exact: false` (a filter read from its own index is counted exactly); an unfiltered list takes its exact total from the hourly trace
 * rollup instead, which costs one row per hour (docs/llm-query.md).
 */

import { AppError } from '../../http/errors'
import type { Db } from '../../storage/db'
import { MIN_SEARCH_CHARS, type TraceSort, type TracesQuery } from './model'
import { type Param, parseJson, Where, words } from './sql'
import { buildTree, type TreeNode } from './tree'
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
  // SQLite sorts NULL lowest, so unknown cost and unfinished traces come last when descending.
  most_expensive: 't.cost_micros DESC, t.seq DESC',
  slowest: 't.duration_ms DESC, t.seq DESC',
}

/** Free text as one FTS5 phrase: quotes doubled, so `magic-word-ab12` or `a"b` are text, not syntax. */
export function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`
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
 * The FROM clause and WHERE of a filtered list. A selective filter without an index in
 * the page's order (a minimum cost or duration, a model) would otherwise make SQLite walk
 * the whole window and test each row: a rare model or a high minimum cost took 250 ms at
 * a million traces. So each such filter is first counted on its own index, capped at
 * DRIVER_ROWS (cheap: covering indexes), and the most selective one under the cap drives
 * the query: `INDEXED BY` the cost or duration index, or the model's spans joined to their
 * traces (CROSS JOIN keeps that order).
 */
function filtered(db: Db, projectIds: readonly string[], w: Window, f: TraceFilters, t: Tuning) {
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
    // `providers` holds each distinct value once, space-separated with a space at both ends.
    .maybe(f.provider, "instr(t.providers, ' ' || ? || ' ') > 0")
  if (f.has_error === 'true') where.add('t.error_count > 0')
  if (f.has_error === 'false') where.add('t.error_count = 0')
  const search = f.search?.trim()
  if (search) {
    if ([...search].length < MIN_SEARCH_CHARS) {
      throw new AppError(
        'invalid_query',
        `query parameter search: expected at least ${MIN_SEARCH_CHARS} characters (got ${JSON.stringify(search)})`,
        { field: 'search' },
      )
    }
    where.add('t.seq IN (SELECT rowid FROM llm_search WHERE llm_search MATCH ?)', ftsPhrase(search))
  }

  const probe = (sql: string, params: Param[]) =>
    (
      db
        .query<{ n: number }, Param[]>(`SELECT count(*) AS n FROM (${sql} LIMIT ${t.driverRows + 1})`)
        .get(...params) as { n: number }
    ).n
  const candidates: { rows: number; from: string; params: Param[] }[] = []
  const scope = new Where(projectIds)
  if (f.min_cost_micros !== undefined) {
    const rows = probe(`SELECT 1 FROM llm_traces WHERE ${scope.sql} AND cost_micros >= ?`, [
      ...scope.params,
      f.min_cost_micros,
    ])
    candidates.push({ rows, from: 'llm_traces t INDEXED BY llm_traces_cost', params: [] })
  }
  if (f.min_latency_ms !== undefined) {
    const rows = probe(`SELECT 1 FROM llm_traces WHERE ${scope.sql} AND duration_ms >= ?`, [
      ...scope.params,
      f.min_latency_ms,
    ])
    candidates.push({ rows, from: 'llm_traces t INDEXED BY llm_traces_duration', params: [] })
  }
  let from = 'llm_traces t'
  let fromParams: Param[] = []
  if (f.model !== undefined) {
    const spans = `SELECT project_id, trace_id FROM llm_spans WHERE ${scope.sql} AND model = ?`
    const spanParams = [...scope.params, f.model]
    const rows = probe(spans, spanParams)
    candidates.push({
      rows,
      from: `(SELECT DISTINCT project_id, trace_id FROM (${spans})) m CROSS JOIN llm_traces t ON t.project_id = m.project_id AND t.id = m.trace_id`,
      params: spanParams,
    })
    // A trace has the model when one of its spans has it; `models` says so without a join.
    where.add("instr(t.models, ' ' || ? || ' ') > 0", f.model)
  }
  const driver = candidates.filter((c) => c.rows <= t.driverRows).sort((a, b) => a.rows - b.rows)[0]
  if (driver) {
    from = driver.from
    fromParams = driver.params
  }
  return {
    from,
    params: [...fromParams, ...where.params],
    where,
    narrowed: where.clauses.length > before,
    driven: !!driver,
  }
}

export interface TracePage {
  traces: TraceEntry[]
  total: number
  total_exact: boolean
}

export function listTraces(
  db: Db,
  projectIds: readonly string[],
  w: Window,
  q: TraceFilters & { sort: TraceSort; limit: number; offset: number },
  tuning: Tuning = TUNING,
): TracePage {
  const f = filtered(db, projectIds, w, q, tuning)
  const rows = db
    .query<TraceRow, Param[]>(
      `SELECT ${LIST_COLS} FROM ${f.from} WHERE ${f.where.sql} ORDER BY ${ORDER[q.sort]} LIMIT ? OFFSET ?`,
    )
    .all(...f.params, q.limit, q.offset)
  const counted = !f.narrowed
    ? windowCount(db, projectIds, w)
    : f.driven
      ? { total: count(db, f.from, f.where.sql, f.params), total_exact: true }
      : cappedCount(db, f.where, f.params, tuning.totalCap)
  return { traces: rows.map(traceEntry), ...counted }
}

function count(db: Db, from: string, where: string, params: Param[]): number {
  return (
    db.query<{ n: number }, Param[]>(`SELECT count(*) AS n FROM ${from} WHERE ${where}`).get(...params) as {
      n: number
    }
  ).n
}

function cappedCount(
  db: Db,
  where: Where,
  params: Param[],
  cap: number,
): { total: number; total_exact: boolean } {
  const row = db
    .query<{ n: number }, Param[]>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM llm_traces t WHERE ${where.sql} LIMIT ${cap + 1})`,
    )
    .get(...params) as { n: number }
  return row.n > cap ? { total: cap, total_exact: false } : { total: row.n, total_exact: true }
}

/** Traces started in the window, from the hourly trace rollup (bucketed by trace start). */
function windowCount(
  db: Db,
  projectIds: readonly string[],
  w: Window,
): { total: number; total_exact: boolean } {
  const where = new Where(projectIds).add('hour >= ?', w.fromHour)
  const row = db
    .query<{ n: number | null }, Param[]>(
      `SELECT sum(trace_count) AS n FROM llm_trace_hourly WHERE ${where.sql}`,
    )
    .get(...where.params)
  return { total: row?.n ?? 0, total_exact: true }
}

const SPAN_COLS = `id, parent_span_id, span_type, name, model, provider, status, error_message,
  input, output, metadata, started_at, ended_at, latency_ms, time_to_first_token_ms,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
  cost_micros, cost_source, price_version`

export interface SpanRow {
  id: string
  parent_span_id: string | null
  span_type: string
  name: string | null
  model: string | null
  provider: string | null
  status: string
  error_message: string | null
  input: string | null
  output: string | null
  metadata: string | null
  started_at: number | null
  ended_at: number | null
  latency_ms: number | null
  time_to_first_token_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  cost_micros: number | null
  cost_source: string
  price_version: string | null
}

export type SpanView = Omit<SpanRow, 'metadata'> & { metadata: unknown; total_tokens: number | null }
export type TreeView = SpanView & { orphan: boolean; children: TreeView[] }

function spanView(row: SpanRow): SpanView {
  const total =
    row.input_tokens === null || row.output_tokens === null ? null : row.input_tokens + row.output_tokens
  return { ...row, metadata: parseJson(row.metadata), total_tokens: total }
}

function treeView(n: TreeNode<SpanView>): TreeView {
  return { ...n.span, orphan: n.orphan, children: n.children.map(treeView) }
}

interface DetailRow extends TraceRow {
  input: string | null
  output: string | null
  metadata: string | null
  created_at: number
  updated_at: number
}

/**
 * One trace: the flat shape of the reference (trace fields and `spans`), the same fields
 * again as `trace` (what the SDK test suites read), and `tree`. A trace id may exist in
 * several of a session user's projects: the most recent one is answered.
 */
export function traceDetail(db: Db, projectIds: readonly string[], id: string) {
  const where = new Where(projectIds, 't.project_id').add('t.id = ?', id)
  const row = db
    .query<DetailRow, Param[]>(
      `SELECT ${LIST_COLS}, t.input, t.output, t.metadata, t.created_at, t.updated_at
         FROM llm_traces t WHERE ${where.sql} ORDER BY t.started_at DESC LIMIT 1`,
    )
    .get(...where.params)
  if (!row) return null
  const spans = db
    .query<SpanRow, [string, string]>(
      `SELECT ${SPAN_COLS} FROM llm_spans WHERE project_id = ? AND trace_id = ? ORDER BY started_at, seq`,
    )
    .all(row.project_id, row.id)
    .map(spanView)
  const trace = { ...traceEntry(row), metadata: parseJson(row.metadata) }
  return { ...trace, spans, trace, tree: buildTree(spans).map(treeView) }
}
