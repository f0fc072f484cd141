/**
 * The trace list (with every filter of the reference applied, and free-text search) and
 * one trace with its spans and their tree. Every query is scoped to the caller's projects
 * and bound; each list filter and sort has an index (the LLM migrations).
 *
 * `total`: counting every matching trace of a 30-day window of a million traces costs
 * more than the page itself, so the count stops at TOTAL_CAP and says so with
 * `total_exact: false`; an unfiltered list takes its exact total from the hourly trace
 * rollup instead, which costs one row per hour (docs/llm-query.md).
 */

import { AppError } from '../../http/errors'
import type { Db } from '../../storage/db'
import { MIN_SEARCH_CHARS, type TraceSort, type TracesQuery } from './model'
import { type Param, parseJson, Where, words } from './sql'
import { buildTree, type TreeNode } from './tree'
import type { Window } from './window'

export const TOTAL_CAP = 10_000

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

const ORDER: Record<TraceSort, string> = {
  newest: 't.started_at DESC, t.seq DESC',
  oldest: 't.started_at ASC, t.seq ASC',
  // SQLite sorts NULL lowest, so unknown cost and unfinished traces come last when descending.
  most_expensive: 't.cost_micros DESC, t.seq DESC',
  slowest: 't.duration_ms DESC, t.seq DESC',
}

/** Free text as one FTS5 phrase: quotes doubled, so `magic-word-ab12` or `a"b` are text, not syntax. */
export function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`
}

export type TraceFilters = Omit<TracesQuery, 'project_id' | 'hours' | 'sort' | 'limit' | 'offset'>

function filtered(
  projectIds: readonly string[],
  w: Window,
  f: TraceFilters,
): { where: Where; narrowed: boolean } {
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
    // `models` and `providers` hold each distinct value once, space-separated.
    .maybe(f.model, "instr(' ' || t.models || ' ', ' ' || ? || ' ') > 0")
    .maybe(f.provider, "instr(' ' || t.providers || ' ', ' ' || ? || ' ') > 0")
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
  return { where, narrowed: where.clauses.length > before }
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
): TracePage {
  const { where, narrowed } = filtered(projectIds, w, q)
  const rows = db
    .query<TraceRow, Param[]>(
      `SELECT ${LIST_COLS} FROM llm_traces t WHERE ${where.sql} ORDER BY ${ORDER[q.sort]} LIMIT ? OFFSET ?`,
    )
    .all(...where.params, q.limit, q.offset)
  const counted = narrowed ? cappedCount(db, where) : windowCount(db, projectIds, w)
  return { traces: rows.map(traceEntry), ...counted }
}

function cappedCount(db: Db, where: Where): { total: number; total_exact: boolean } {
  const row = db
    .query<{ n: number }, Param[]>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM llm_traces t WHERE ${where.sql} LIMIT ${TOTAL_CAP + 1})`,
    )
    .get(...where.params) as { n: number }
  return row.n > TOTAL_CAP ? { total: TOTAL_CAP, total_exact: false } : { total: row.n, total_exact: true }
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
