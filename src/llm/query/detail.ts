/**
 * One trace: its fields, its spans in start order, and the span tree (tree.ts). The flat
 * shape is the reference's; the same fields again as `trace` are what the SDK test suites
 * of the old service read.
 */
import type { Queryable } from '../../storage/backend'
import { issueOf } from '../ingest/issues'
import type { SpanRecord } from '../model'
import { parseJson, Where } from './sql'
import { LIST_COLS, type TraceRow, traceEntry } from './traces'
import { buildTree, type TreeNode } from './tree'

const SPAN_COLS = `id, parent_span_id, span_type, name, model, provider, status, error_message,
  input, output, metadata, started_at, ended_at, latency_ms, time_to_first_token_ms,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
  cost_micros, cost_source, price_version`

/** A stored span as read back: the write side's record, with the stored values' columns as text. */
export type SpanRow = Omit<SpanRecord, 'span_type' | 'status' | 'cost_source'> & {
  span_type: string
  status: string
  cost_source: string
}

/**
 * `issue_fingerprint`: the bloop issue a failed span became (docs/llm-tracing.md, "Errors
 * as issues"), null for a span that did not fail or when errors do not become issues.
 */
export type SpanView = Omit<SpanRow, 'metadata'> & {
  metadata: unknown
  total_tokens: number | null
  issue_fingerprint: string | null
}
export type TreeView = SpanView & { orphan: boolean; children: TreeView[] }

function spanView(row: SpanRow, issues: boolean): SpanView {
  const total =
    row.input_tokens === null || row.output_tokens === null ? null : row.input_tokens + row.output_tokens
  const issue = issues && row.status === 'error' ? issueOf(row.name, row.error_message).fingerprint : null
  return { ...row, metadata: parseJson(row.metadata), total_tokens: total, issue_fingerprint: issue }
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
 * several of a session user's projects: the most recent one is answered. `issues`: error
 * spans become issues (llm_tracing.errors_as_issues), so failed spans name theirs.
 */
export async function traceDetail(db: Queryable, projectIds: readonly string[], id: string, issues = false) {
  const where = new Where(projectIds, 't.project_id').add('t.id = ?', id)
  const row = await db.get<DetailRow>(
    `SELECT ${LIST_COLS}, t.input, t.output, t.metadata, t.created_at, t.updated_at
       FROM llm_traces t WHERE ${where.sql} ORDER BY +t.started_at DESC LIMIT 1`,
    where.params,
  )
  if (!row) return null
  const spans = (
    await db.all<SpanRow>(
      `SELECT ${SPAN_COLS} FROM llm_spans WHERE project_id = ? AND trace_id = ? ORDER BY +started_at, seq`,
      [row.project_id, row.id],
    )
  ).map((r) => spanView(r, issues))
  const trace = { ...traceEntry(row), metadata: parseJson(row.metadata) }
  return { ...trace, spans, trace, tree: buildTree(spans).map(treeView) }
}
