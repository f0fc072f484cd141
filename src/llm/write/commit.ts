/**
 * The `llm.commit` task (writer thread): one transaction per batch of trace submissions
 * and updates, in queue order.
 *
 * A trace id seen again is the same trace: its row is updated in place, each span is
 * matched by id (spans not in the new payload stay, so a trace may arrive in parts), and
 * every field the new payload leaves out keeps its stored value. The SDKs send a trace
 * `running` and then `completed`, the proxy and OTLP send spans as they end; all of them
 * land on one row. Totals of the trace are recomputed from its stored spans after every
 * change, and the rollups take the old contribution out before the new one goes in
 * (rollups.ts), so nothing is counted twice.
 *
 * Spans that become `error` here (they were not stored as errors before) are returned in
 * `new_errors`: the main thread turns exactly those into error events, so a re-sent error
 * span is never a second occurrence.
 */
import type { Db, Statement } from '../../storage/db'
import type { CommitItem, CommitResult, NewErrorSpan, SpanRecord, TraceRecord, TraceUpdate } from '../model'
import {
  distinct,
  mergeSpan,
  minStart,
  SPAN_COLUMNS,
  type SpanRow,
  type SpanText,
  type StoredSpan,
  type Totals,
  totalsOf,
} from './merge'
import { RollupDeltas, type SpanFacts, type TraceFacts } from './rollups'

/** Text indexed for search per trace: enough for every name and message, a bounded share of content. */
export const MAX_SEARCH_CONTENT_CHARS = 32 * 1024

export interface StoredTrace extends TraceFacts {
  seq: number
  id: string
  session_id: string | null
  user_id: string | null
  name: string
  source: string
  input: string | null
  output: string | null
  metadata: string | null
  tags: string | null
  prompt_name: string | null
  prompt_version: string | null
  ended_at: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  models: string
  providers: string
  created_at: number
  updated_at: number
}

const TRACE_COLUMNS = [
  'session_id',
  'user_id',
  'name',
  'status',
  'source',
  'input',
  'output',
  'metadata',
  'tags',
  'prompt_name',
  'prompt_version',
  'started_at',
  'ended_at',
  'duration_ms',
  'span_count',
  'error_count',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_micros',
  'models',
  'providers',
  'updated_at',
] as const

type TraceRow = Record<(typeof TRACE_COLUMNS)[number], string | number | null>

interface Statements {
  traceGet: Statement
  traceInsert: Statement
  traceUpdate: Statement
  spanGet: Statement
  spanInsert: Statement
  spanUpdate: Statement
  totals: Statement
  spanTexts: Statement
  searchDelete: Statement
  searchInsert: Statement
  unknownModel: Statement
}

const prepared = new WeakMap<Db, Statements>()
function statements(db: Db): Statements {
  let s = prepared.get(db)
  if (s) return s
  s = {
    traceGet: db.prepare('SELECT * FROM llm_traces WHERE project_id = ? AND id = ?'),
    traceInsert: db.prepare(
      `INSERT INTO llm_traces (project_id, id, created_at, ${TRACE_COLUMNS.join(', ')})
       VALUES (?, ?, ?, ${TRACE_COLUMNS.map(() => '?').join(', ')})`,
    ),
    traceUpdate: db.prepare(
      `UPDATE llm_traces SET ${TRACE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`,
    ),
    spanGet: db.prepare('SELECT * FROM llm_spans WHERE project_id = ? AND trace_id = ? AND id = ?'),
    spanInsert: db.prepare(
      `INSERT INTO llm_spans (project_id, trace_id, id, ${SPAN_COLUMNS.join(', ')})
       VALUES (?, ?, ?, ${SPAN_COLUMNS.map(() => '?').join(', ')})`,
    ),
    spanUpdate: db.prepare(
      `UPDATE llm_spans SET ${SPAN_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`,
    ),
    totals: db.prepare(
      `SELECT count(*) AS span_count, coalesce(sum(status = 'error'), 0) AS error_count,
              sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
              sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens,
              sum(reasoning_tokens) AS reasoning_tokens, sum(cost_micros) AS cost_micros,
              min(started_at) AS first_start, max(ended_at) AS last_end
       FROM llm_spans WHERE project_id = ? AND trace_id = ?`,
    ),
    spanTexts: db.prepare(
      `SELECT name, model, provider, error_message, input, output FROM llm_spans
       WHERE project_id = ? AND trace_id = ? ORDER BY seq`,
    ),
    searchDelete: db.prepare('DELETE FROM llm_search WHERE rowid = ?'),
    searchInsert: db.prepare(
      'INSERT INTO llm_search (rowid, name, span_names, errors, content) VALUES (?, ?, ?, ?, ?)',
    ),
    unknownModel: db.prepare(
      `INSERT INTO llm_unknown_models (project_id, model, provider, span_count, first_seen, last_seen)
       VALUES (?, ?, ?, 1, ?, ?)
       ON CONFLICT (project_id, model, provider) DO UPDATE SET span_count = span_count + 1, last_seen = excluded.last_seen`,
    ),
  }
  prepared.set(db, s)
  return s
}

export function commitItems(db: Db, items: CommitItem[]): CommitResult {
  const started = performance.now()
  const result: CommitResult = { stored: [], spans: 0, new_errors: [], unknown_models: 0, duration_ms: 0 }
  db.transaction(() => {
    const deltas = new RollupDeltas()
    for (const item of items) result.stored.push(applyItem(db, item, deltas, result) ? 1 : 0)
    deltas.flush(db)
  }).immediate()
  result.duration_ms = performance.now() - started
  return result
}

function applyItem(db: Db, item: CommitItem, deltas: RollupDeltas, result: CommitResult): boolean {
  const st = statements(db)
  const old = st.traceGet.get(item.project_id, item.id) as StoredTrace | null
  if (item.kind === 'update' && !old) return false
  const rec = item.kind === 'trace' ? item : updateAsRecord(item)
  if (old) deltas.trace(old, -1)

  const sentStart = rec.started_at ?? old?.started_at ?? minStart(rec.spans) ?? rec.received_at
  // A trace seen for the first time has no stored spans: its totals and texts come from
  // the rows just written, which saves a span lookup per span and two queries per trace
  // (most of a fresh trace's commit time). A re-sent trace sums what is stored.
  const fresh = old === null
  const written = rec.spans.map((s) => applySpan(db, rec, s, sentStart, deltas, result, fresh))
  const t = fresh ? totalsOf(written) : (st.totals.get(rec.project_id, rec.id) as Totals)
  const started_at = rec.started_at ?? old?.started_at ?? t.first_start ?? rec.received_at
  const status = rec.status ?? old?.status ?? (t.error_count > 0 ? 'error' : 'completed')
  const ended_at = rec.ended_at ?? old?.ended_at ?? (status === 'running' ? null : t.last_end)
  const texts = fresh
    ? (written as unknown as SpanText[])
    : (st.spanTexts.all(rec.project_id, rec.id) as SpanText[])
  const models = distinct(texts.map((x) => x.model))
  const providers = distinct(texts.map((x) => x.provider))
  const input_tokens = t.input_tokens
  const output_tokens = t.output_tokens
  const row: TraceRow = {
    session_id: rec.session_id ?? old?.session_id ?? null,
    user_id: rec.user_id ?? old?.user_id ?? null,
    name: rec.name ?? old?.name ?? '',
    status,
    // The first source stays: a proxy trace later completed by the SDK is still a proxy trace.
    source: old?.source ?? rec.source,
    input: rec.input ?? old?.input ?? null,
    output: rec.output ?? old?.output ?? null,
    metadata: rec.metadata ?? old?.metadata ?? null,
    tags: rec.tags ?? old?.tags ?? null,
    prompt_name: rec.prompt_name ?? old?.prompt_name ?? null,
    prompt_version: rec.prompt_version ?? old?.prompt_version ?? null,
    started_at,
    ended_at,
    duration_ms: ended_at !== null && ended_at >= started_at ? ended_at - started_at : null,
    span_count: t.span_count,
    error_count: t.error_count,
    input_tokens,
    output_tokens,
    cache_read_tokens: t.cache_read_tokens,
    cache_write_tokens: t.cache_write_tokens,
    reasoning_tokens: t.reasoning_tokens,
    total_tokens:
      input_tokens === null && output_tokens === null ? null : (input_tokens ?? 0) + (output_tokens ?? 0),
    cost_micros: t.cost_micros,
    models,
    providers,
    updated_at: rec.received_at,
  }
  let seq: number
  if (old) {
    seq = old.seq
    st.traceUpdate.run(...TRACE_COLUMNS.map((c) => row[c]), seq)
    st.searchDelete.run(seq)
  } else {
    // seq is the INTEGER PRIMARY KEY, so the rowid of the insert: a plain run skips
    // building a RETURNING result row per trace.
    seq = Number(
      st.traceInsert.run(rec.project_id, rec.id, rec.received_at, ...TRACE_COLUMNS.map((c) => row[c]))
        .lastInsertRowid,
    )
  }
  indexForSearch(db, seq, rec.id, row, texts)
  deltas.trace({ ...(row as unknown as TraceFacts), project_id: rec.project_id }, 1)
  return true
}

function updateAsRecord(u: TraceUpdate): TraceRecord {
  return {
    kind: 'trace',
    project_id: u.project_id,
    id: u.id,
    source: 'sdk',
    session_id: null,
    user_id: null,
    name: null,
    status: u.status,
    input: null,
    output: u.output,
    metadata: null,
    tags: null,
    prompt_name: null,
    prompt_version: null,
    started_at: null,
    ended_at: u.ended_at,
    spans: u.spans,
    received_at: u.received_at,
  }
}

function applySpan(
  db: Db,
  t: TraceRecord,
  s: SpanRecord,
  traceStart: number,
  deltas: RollupDeltas,
  result: CommitResult,
  fresh: boolean,
): SpanRow {
  const st = statements(db)
  const old = fresh ? null : (st.spanGet.get(t.project_id, t.id, s.id) as StoredSpan | null)
  const row = mergeSpan(old, s, traceStart)
  if (old) {
    deltas.span(old, -1)
    st.spanUpdate.run(...SPAN_COLUMNS.map((c) => row[c]), old.seq)
  } else {
    st.spanInsert.run(t.project_id, t.id, s.id, ...SPAN_COLUMNS.map((c) => row[c]))
  }
  const facts = { ...(row as unknown as SpanFacts), project_id: t.project_id }
  deltas.span(facts, 1)
  result.spans++
  if (row.status === 'error' && old?.status !== 'error') {
    const e: NewErrorSpan = {
      project_id: t.project_id,
      trace_id: t.id,
      span_id: s.id,
      model: row.model as string | null,
      provider: row.provider as string | null,
      name: row.name as string,
      error_message: row.error_message as string | null,
      started_at: row.started_at as number,
    }
    result.new_errors.push(e)
  }
  if (
    !old &&
    row.cost_source === 'unknown' &&
    row.model !== null &&
    s.cost_source === 'unknown' &&
    (s.input_tokens !== null || s.output_tokens !== null)
  ) {
    st.unknownModel.run(t.project_id, row.model, row.provider ?? '', t.received_at, t.received_at)
    result.unknown_models++
  }
  return row
}

function indexForSearch(db: Db, seq: number, traceId: string, t: TraceRow, spans: SpanText[]): void {
  const st = statements(db)
  const names = spans.map((s) => [s.name, s.model, s.provider].filter(Boolean).join(' ')).join('\n')
  const errors = spans.flatMap((s) => (s.error_message ? [s.error_message] : [])).join('\n')
  let content = [t.input, t.output, ...spans.flatMap((s) => [s.input, s.output])].filter(Boolean).join('\n')
  if (content.length > MAX_SEARCH_CONTENT_CHARS) content = content.slice(0, MAX_SEARCH_CONTENT_CHARS)
  st.searchInsert.run(seq, `${traceId}\n${t.name ?? ''}`, names, errors, content)
}
