/**
 * The LLM retention hook `llm.pruneTraces` (a seam task, run by the retention sweeper):
 * traces whose server receive time (`created_at`) is older than their project's window
 * (`llm_settings.retention_days`, else `llm_tracing.retention_days` as synced into
 * `llm_retention`) go with their spans, scores, feedback and search row; each one's
 * contribution leaves the hourly rollups in the same transaction, so the rollups keep
 * equalling a recomputation from what is stored (rollups.ts). Exactly `days` old stays.
 *
 * Traces are walked in receive order through `llm_traces_created` with a cursor; one call
 * looks at up to limit/20 traces (a trace holds up to 100 spans, typically a few), one
 * short transaction (the writer's: the task opens none), so an ingest commit waits for at
 * most one batch. The expired traces' spans are read together and their rows deleted
 * together (pipelined on PostgreSQL), each statement once per trace as before.
 */
import type { PruneArgs, PruneStep } from '../../retention'
import type { Queryable } from '../../storage/backend'
import { LOCK_LLM_WRITES, UNLOCK_LLM_WRITES } from './commit'
import { RollupDeltas, type SpanFacts, settleAll, type TraceFacts } from './rollups'

export interface TraceCursor {
  created_at: number
  seq: number
}

const DAY_MS = 86_400_000
/** Used only if the start-up sync never ran (a database migrated by `bloop migrate` alone). */
const FALLBACK_DAYS = 30

interface ScanRow extends TraceFacts {
  seq: number
  id: string
  created_at: number
}

export const tracesPerBatch = (limit: number) => Math.max(1, Math.floor(limit / 20))

const COLS = `seq, project_id, id, status, started_at, span_count, error_count, input_tokens, output_tokens,
  total_tokens, cost_micros, duration_ms, created_at`
const SCAN_FIRST = `SELECT ${COLS} FROM llm_traces INDEXED BY llm_traces_created WHERE created_at < ?
  ORDER BY created_at, seq LIMIT ?`
const SCAN_AFTER = `SELECT ${COLS} FROM llm_traces INDEXED BY llm_traces_created
  WHERE created_at >= ? AND created_at < ? AND NOT (created_at = ? AND seq <= ?)
  ORDER BY created_at, seq LIMIT ?`
/** A trace's spans carry its created_at as received_at (PostgreSQL's partition key: one partition read). */
const SPANS_OF = `SELECT project_id, model, provider, status, started_at, latency_ms, time_to_first_token_ms, input_tokens,
  output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_micros
  FROM llm_spans WHERE project_id = ? AND trace_id = ? AND received_at = ?`
const DELETE_SPANS = 'DELETE FROM llm_spans WHERE project_id = ? AND trace_id = ? AND received_at = ?'
const DELETE_SCORES = 'DELETE FROM llm_scores WHERE project_id = ? AND trace_id = ?'
const DELETE_FEEDBACK = 'DELETE FROM llm_feedback WHERE project_id = ? AND trace_id = ?'
/** Its search row goes by the trigger of llm_traces (both schemas). */
const DELETE_TRACE = 'DELETE FROM llm_traces WHERE seq = ?'

export async function pruneTracesBatch(
  tx: Queryable,
  a: PruneArgs<TraceCursor>,
): Promise<PruneStep<TraceCursor>> {
  const now = a.cutoffs.now
  if (!Number.isFinite(now)) throw new Error(`expected the pass's start time in the cutoffs, got ${now}`)
  await tx.run(...LOCK_LLM_WRITES)
  const global =
    (await tx.get<{ retention_days: number }>('SELECT retention_days FROM llm_retention WHERE id = 1'))
      ?.retention_days ?? FALLBACK_DAYS
  const cutoffDefault = now - global * DAY_MS
  const byProject = new Map<string, number>()
  let until = cutoffDefault
  for (const r of await tx.all<{ project_id: string; retention_days: number }>(
    'SELECT project_id, retention_days FROM llm_settings WHERE retention_days IS NOT NULL',
  )) {
    const c = now - r.retention_days * DAY_MS
    byProject.set(r.project_id, c)
    if (c > until) until = c
  }
  const n = tracesPerBatch(a.limit)
  const rows =
    a.after === null
      ? await tx.all<ScanRow>(SCAN_FIRST, [until, n])
      : await tx.all<ScanRow>(SCAN_AFTER, [a.after.created_at, until, a.after.created_at, a.after.seq, n])
  const expired = rows.filter((t) => t.created_at < (byProject.get(t.project_id) ?? cutoffDefault))
  const spans = await Promise.all(
    expired.map((t) => tx.all<SpanFacts>(SPANS_OF, [t.project_id, t.id, t.created_at])),
  )
  const deltas = new RollupDeltas()
  const by_project: Record<string, number> = {}
  const deletes: Promise<unknown>[] = []
  expired.forEach((t, i) => {
    for (const s of spans[i] ?? []) deltas.span(s, -1)
    deltas.trace(t, -1)
    deletes.push(
      tx.run(DELETE_SPANS, [t.project_id, t.id, t.created_at]),
      tx.run(DELETE_SCORES, [t.project_id, t.id]),
      tx.run(DELETE_FEEDBACK, [t.project_id, t.id]),
      tx.run(DELETE_TRACE, [t.seq]),
    )
    by_project[t.project_id] = (by_project[t.project_id] ?? 0) + 1
  })
  await settleAll(deletes)
  await deltas.flush(tx)
  await tx.run(...UNLOCK_LLM_WRITES)
  const last = rows[rows.length - 1]
  const next = rows.length < n || !last ? null : { created_at: last.created_at, seq: last.seq }
  return { deleted: expired.length, by_project, next }
}
