/**
 * The `llm.commit` task, a seam task (storage/tasks.ts): one transaction per batch of trace
 * submissions and updates, in queue order, the transaction the writer opened for it (the
 * writer thread's SqliteBackend, or SeamWriter on PostgreSQL); one SQL text for both.
 *
 * A trace id seen again is the same trace: its row is updated in place, each span is
 * matched by id (spans not in the new payload stay, so a trace may arrive in parts), and
 * every field the new payload leaves out keeps its stored value. The SDKs send a trace
 * `running` and then `completed`, the proxy and OTLP send spans as they end; all of them
 * land on one row. Totals of the trace are recomputed from its spans after every change
 * (those stored, read once, merged with those sent), and the rollups take the old contribution out before the new one goes in
 * (rollups.ts), so nothing is counted twice.
 *
 * Spans that become `error` here (they were not stored as errors before) are returned in
 * `new_errors`: the main thread turns exactly those into error events, so a re-sent error
 * span is never a second occurrence.
 */
import type { Param, Queryable } from '../../storage/backend'
import type { CommitItem, CommitResult, NewErrorSpan, SpanRecord, TraceRecord, TraceUpdate } from '../model'
import { distinct, mergeSpan, minStart, SPAN_COLUMNS, type SpanRow, type StoredSpan, totalsOf } from './merge'
import { RollupDeltas, type TraceFacts } from './rollups'

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

/**
 * Every LLM write (this commit, the retention hook) takes this lock row first
 * (storage/exclusive.ts explains it): the trace, span and rollup rows are read, merged
 * here and written back, so two nodes on one PostgreSQL database must not interleave them.
 * On SQLite the writer's BEGIN IMMEDIATE already admits one at a time.
 */
const LLM_WRITE_LOCK = 'lock:llm.write'
export const LOCK_LLM_WRITES: [string, Param[]] = [
  "INSERT INTO meta (key, value) VALUES (?, '') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  [LLM_WRITE_LOCK],
]
export const UNLOCK_LLM_WRITES: [string, Param[]] = ['DELETE FROM meta WHERE key = ?', [LLM_WRITE_LOCK]]

const TRACE_GET = 'SELECT * FROM llm_traces WHERE project_id = ? AND id = ?'
/** The batch's stored traces, read at its start: lists of 1, 2, 4 ... 256 ids (the last repeated to fill one), so few texts. */
const IN_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256]
const TRACES_IN = IN_SIZES.map(
  (n) => `SELECT * FROM llm_traces WHERE project_id = ? AND id IN (${Array(n).fill('?').join(', ')})`,
)
const TRACE_INSERT = `INSERT INTO llm_traces (project_id, id, created_at, ${TRACE_COLUMNS.join(', ')})
  VALUES (?, ?, ?, ${TRACE_COLUMNS.map(() => '?').join(', ')})`
const TRACE_UPDATE = `UPDATE llm_traces SET ${TRACE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`
/**
 * A stored trace's spans, in the order they were first stored. `received_at` is the
 * trace's `created_at` on every span of it (PostgreSQL's partition key: one partition read).
 */
const SPANS_OF =
  'SELECT * FROM llm_spans WHERE project_id = ? AND trace_id = ? AND received_at = ? ORDER BY seq'
const SPAN_UPDATE = `UPDATE llm_spans SET ${SPAN_COLUMNS.map((c) => `${c} = ?`).join(', ')}
  WHERE seq = ? AND received_at = ?`
const SPAN_INSERT_COLUMNS = ['received_at', 'project_id', 'trace_id', 'id', ...SPAN_COLUMNS] as const
const SEARCH_DELETE = 'DELETE FROM llm_search WHERE rowid = ?'
const SEARCH_INSERT =
  'INSERT INTO llm_search (rowid, name, span_names, errors, content) VALUES (?, ?, ?, ?, ?)'
/** The search row of a trace inserted just before it (by the same connection, so it sees it). */
const SEARCH_INSERT_NEW = `INSERT INTO llm_search (rowid, name, span_names, errors, content)
  SELECT seq, ?, ?, ?, ? FROM llm_traces WHERE project_id = ? AND id = ?`
const UNKNOWN_MODEL = `INSERT INTO llm_unknown_models (project_id, model, provider, span_count, first_seen, last_seen)
  VALUES (?, ?, ?, 1, ?, ?)
  ON CONFLICT (project_id, model, provider) DO UPDATE SET span_count = span_count + 1, last_seen = excluded.last_seen`

const traceKey = (projectId: string, traceId: string) => `${projectId}\u0000${traceId}`

/**
 * The writes of one commit that nothing in it reads back before the end: statements sent
 * without waiting for their answers (PostgreSQL pipelines them on the transaction's
 * connection, in order, so a later read sees them; SQLite has run each by the time the
 * call returns), and the new spans, inserted together (`insertMany`: one prepared INSERT
 * run per row on SQLite, one COPY on PostgreSQL) before anything reads spans of their trace
 * and at the end.
 */
class Pending {
  private runs: Promise<unknown>[] = []
  private spans: Param[][] = []
  private spanTraces = new Set<string>()

  constructor(private readonly tx: Queryable) {}

  run(sql: string, params: readonly Param[]): void {
    this.runs.push(this.tx.run(sql, params))
  }

  /** Queues a new span's row; returns its slot, so a later version in the same payload replaces it. */
  insertSpan(key: string, values: Param[]): number {
    this.spanTraces.add(key)
    return this.spans.push(values) - 1
  }

  replaceSpan(slot: number, values: Param[]): void {
    this.spans[slot] = values
  }

  /** True when spans of this trace are queued, so its stored spans must be written before they are read. */
  holdsSpansOf(key: string): boolean {
    return this.spanTraces.has(key)
  }

  async flush(): Promise<void> {
    const runs = this.runs
    this.runs = []
    await Promise.all(runs)
    if (this.spans.length === 0) return
    const rows = this.spans
    this.spans = []
    this.spanTraces.clear()
    await this.tx.insertMany('llm_spans', SPAN_INSERT_COLUMNS, rows)
  }

  /** After a failure: waits for what was sent and returns the first error among it (the cause). */
  async firstFailure(): Promise<unknown> {
    const settled = await Promise.allSettled(this.runs)
    this.runs = []
    return settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason
  }
}

/**
 * One batch, in order, inside the transaction the writer opened for it (the task opens
 * none: a failure anywhere rolls the whole batch back).
 */
export async function commitItems(tx: Queryable, items: CommitItem[]): Promise<CommitResult> {
  const started = performance.now()
  const result: CommitResult = { stored: [], spans: 0, new_errors: [], unknown_models: 0, duration_ms: 0 }
  const w = new Pending(tx)
  try {
    w.run(...LOCK_LLM_WRITES)
    const deltas = new RollupDeltas()
    const before = await storedTraces(tx, items)
    const spansBefore = await storedSpans(tx, before)
    const seen = new Set<string>()
    for (const item of items) {
      const key = traceKey(item.project_id, item.id)
      let old: StoredTrace | null
      let spans: StoredSpan[]
      if (seen.has(key)) {
        // A trace this batch wrote already is read again, after that write.
        old = await tx.get<StoredTrace>(TRACE_GET, [item.project_id, item.id])
        if (w.holdsSpansOf(key)) await w.flush()
        spans = old ? await tx.all<StoredSpan>(SPANS_OF, [old.project_id, old.id, old.created_at]) : []
      } else {
        old = before.get(key) ?? null
        spans = spansBefore.get(key) ?? []
      }
      seen.add(key)
      result.stored.push(applyItem(w, item, key, old, spans, deltas, result) ? 1 : 0)
    }
    await deltas.flush(tx)
    w.run(...UNLOCK_LLM_WRITES)
    await w.flush()
  } catch (err) {
    throw (await w.firstFailure()) ?? err
  }
  result.duration_ms = performance.now() - started
  return result
}

/** A span of the trace as it will be stored after this item; `seq` null while it is only queued. */
interface Current {
  span: StoredSpan
  seq: number | null
  slot: number
}

/**
 * The stored version of every trace the batch names, in one read per project and 256 ids
 * (pipelined on PostgreSQL), instead of one read per trace.
 */
async function storedTraces(tx: Queryable, items: CommitItem[]): Promise<Map<string, StoredTrace>> {
  const byProject = new Map<string, Set<string>>()
  for (const i of items) {
    const ids = byProject.get(i.project_id)
    if (ids) ids.add(i.id)
    else byProject.set(i.project_id, new Set([i.id]))
  }
  const reads: Promise<StoredTrace[]>[] = []
  const max = IN_SIZES[IN_SIZES.length - 1] as number
  for (const [project, set] of byProject) {
    const ids = [...set]
    for (let at = 0; at < ids.length; at += max) {
      const chunk = ids.slice(at, at + max)
      const k = IN_SIZES.findIndex((n) => n >= chunk.length)
      const fill = Array((IN_SIZES[k] as number) - chunk.length).fill(chunk[chunk.length - 1])
      reads.push(tx.all<StoredTrace>(TRACES_IN[k] as string, [project, ...chunk, ...fill]))
    }
  }
  const stored = new Map<string, StoredTrace>()
  for (const rows of await Promise.all(reads))
    for (const t of rows) stored.set(traceKey(t.project_id, t.id), t)
  return stored
}

/** The stored spans of each of those traces, read together (one statement per trace, pipelined on PostgreSQL). */
async function storedSpans(
  tx: Queryable,
  traces: Map<string, StoredTrace>,
): Promise<Map<string, StoredSpan[]>> {
  const keys = [...traces.keys()]
  const lists = await Promise.all(
    [...traces.values()].map((t) => tx.all<StoredSpan>(SPANS_OF, [t.project_id, t.id, t.created_at])),
  )
  return new Map(keys.map((k, i) => [k, lists[i] ?? []]))
}

function applyItem(
  w: Pending,
  item: CommitItem,
  key: string,
  old: StoredTrace | null,
  stored: StoredSpan[],
  deltas: RollupDeltas,
  result: CommitResult,
): boolean {
  if (item.kind === 'update' && !old) return false
  const rec = item.kind === 'trace' ? item : updateAsRecord(item)
  if (old) deltas.trace(old, -1)
  // Every span of a trace carries its first receive time (PostgreSQL's partition key).
  const receivedAt = old?.created_at ?? rec.received_at

  const sentStart = rec.started_at ?? old?.started_at ?? minStart(rec.spans) ?? rec.received_at
  // A trace seen before comes with its stored spans (one read), merged here with what was
  // sent. The totals and search text are then taken from that merged list (stored spans in
  // their order, new ones after them, as they will be stored), so no span is looked up one
  // by one and nothing is summed again by the database. A new trace has none to read.
  const spans: Current[] = []
  const byId = new Map<string, Current>()
  for (const s of stored) {
    const c = { span: s, seq: s.seq, slot: -1 }
    spans.push(c)
    byId.set(s.id, c)
  }
  for (const s of rec.spans) applySpan(w, rec, key, receivedAt, s, sentStart, deltas, result, spans, byId)

  const rows = spans.map((c) => c.span as unknown as SpanRow)
  const t = totalsOf(rows)
  const started_at = rec.started_at ?? old?.started_at ?? t.first_start ?? rec.received_at
  const status = rec.status ?? old?.status ?? (t.error_count > 0 ? 'error' : 'completed')
  const ended_at = rec.ended_at ?? old?.ended_at ?? (status === 'running' ? null : t.last_end)
  const models = distinct(spans.map((c) => c.span.model))
  const providers = distinct(spans.map((c) => c.span.provider))
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
  const search = searchText(rec.id, row, spans)
  if (old) {
    w.run(TRACE_UPDATE, [...TRACE_COLUMNS.map((c) => row[c]), old.seq])
    w.run(SEARCH_DELETE, [old.seq])
    w.run(SEARCH_INSERT, [old.seq, ...search])
  } else {
    // seq is generated by the insert; the search row takes it from the row just written,
    // so nothing waits for the insert's answer.
    w.run(TRACE_INSERT, [rec.project_id, rec.id, rec.received_at, ...TRACE_COLUMNS.map((c) => row[c])])
    w.run(SEARCH_INSERT_NEW, [...search, rec.project_id, rec.id])
  }
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
  w: Pending,
  t: TraceRecord,
  key: string,
  receivedAt: number,
  s: SpanRecord,
  traceStart: number,
  deltas: RollupDeltas,
  result: CommitResult,
  spans: Current[],
  byId: Map<string, Current>,
): void {
  const prev = byId.get(s.id)
  const old = prev?.span ?? null
  const row = mergeSpan(old, s, traceStart)
  const stored: StoredSpan = {
    ...(row as unknown as StoredSpan),
    seq: prev?.seq ?? 0, // not read: Current.seq says whether it is stored
    project_id: t.project_id,
    trace_id: t.id,
    id: s.id,
  }
  if (old) deltas.span(old, -1)
  if (prev && prev.seq !== null) {
    w.run(SPAN_UPDATE, [...SPAN_COLUMNS.map((c) => row[c]), prev.seq, receivedAt])
    prev.span = stored
  } else {
    const values = [receivedAt, t.project_id, t.id, s.id, ...SPAN_COLUMNS.map((c) => row[c])]
    if (prev) {
      // The same span twice in one payload: its queued row becomes the later version.
      w.replaceSpan(prev.slot, values)
      prev.span = stored
    } else {
      const c: Current = { span: stored, seq: null, slot: w.insertSpan(key, values) }
      spans.push(c)
      byId.set(s.id, c)
    }
  }
  deltas.span(stored, 1)
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
    w.run(UNKNOWN_MODEL, [t.project_id, row.model, row.provider ?? '', t.received_at, t.received_at])
    result.unknown_models++
  }
}

/** The search row's columns after the rowid: what `bloop db copy` rebuilds the same way (src/cli/dbcopy.ts). */
function searchText(traceId: string, t: TraceRow, spans: Current[]): Param[] {
  const texts = spans.map((c) => c.span)
  const names = texts.map((s) => [s.name, s.model, s.provider].filter(Boolean).join(' ')).join('\n')
  const errors = texts.flatMap((s) => (s.error_message ? [s.error_message] : [])).join('\n')
  let content = [t.input, t.output, ...texts.flatMap((s) => [s.input, s.output])].filter(Boolean).join('\n')
  if (content.length > MAX_SEARCH_CONTENT_CHARS) content = content.slice(0, MAX_SEARCH_CONTENT_CHARS)
  return [`${traceId}\n${t.name ?? ''}`, names, errors, content]
}
