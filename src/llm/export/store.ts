/**
 * Reads for the LangSmith export: a page of traces (by window, or by id) and their spans,
 * always within the projects the caller may see. Main connection, through the storage seam
 * (the same SQL on both backends); reads only.
 */
import type { Queryable } from '../../storage/backend'
import type { SpanRow, TraceRow } from './langsmith'

const TRACE_COLUMNS = `project_id, id, name, status, session_id, user_id, input, output, metadata, tags,
  prompt_name, prompt_version, source, started_at, ended_at`
const SPAN_COLUMNS = `id, parent_span_id, span_type, name, model, provider, status, error_message, input, output,
  metadata, started_at, ended_at, time_to_first_token_ms, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, reasoning_tokens, total_tokens, cost_micros, cost_source`

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')

export interface TracePage {
  projectIds: readonly string[]
  /** Traces started at or after this instant (epoch ms); ignored with `traceIds`. */
  since: number
  traceIds: readonly string[] | null
  limit: number
  offset: number
}

/** Newest first; ties by insertion order, so paging is stable. */
export function tracePage(db: Queryable, p: TracePage): Promise<TraceRow[]> {
  const projects = marks(p.projectIds.length)
  if (p.traceIds) {
    return db.all<TraceRow>(
      `SELECT ${TRACE_COLUMNS} FROM llm_traces
       WHERE project_id IN (${projects}) AND id IN (${marks(p.traceIds.length)})
       ORDER BY started_at DESC, seq DESC LIMIT ? OFFSET ?`,
      [...p.projectIds, ...p.traceIds, p.limit, p.offset],
    )
  }
  return db.all<TraceRow>(
    `SELECT ${TRACE_COLUMNS} FROM llm_traces
     WHERE project_id IN (${projects}) AND started_at >= ?
     ORDER BY started_at DESC, seq DESC LIMIT ? OFFSET ?`,
    [...p.projectIds, p.since, p.limit, p.offset],
  )
}

export function traceSpans(db: Queryable, projectId: string, traceId: string): Promise<SpanRow[]> {
  return db.all<SpanRow>(
    `SELECT ${SPAN_COLUMNS} FROM llm_spans WHERE project_id = ? AND trace_id = ? ORDER BY started_at, seq`,
    [projectId, traceId],
  )
}
