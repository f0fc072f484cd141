/**
 * The LLM retention hook `llm.pruneTraces` (writer thread, run by the retention sweeper):
 * traces whose server receive time (`created_at`) is older than their project's window
 * (`llm_settings.retention_days`, else `llm_tracing.retention_days` as synced into
 * `llm_retention`) go with their spans, scores, feedback and search row; each one's
 * contribution leaves the hourly rollups in the same transaction, so the rollups keep
 * equalling a recomputation from what is stored (rollups.ts). Exactly `days` old stays.
 *
 * Traces are walked in receive order through `llm_traces_created` with a cursor; one call
 * looks at up to limit/20 traces (a trace holds up to 100 spans, typically a few), one
 * short transaction, so an ingest commit waits for at most one batch.
 */
import type { PruneArgs, PruneStep } from '../../retention'
import type { Db } from '../../storage/db'
import { RollupDeltas, type SpanFacts, type TraceFacts } from './rollups'

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

export function pruneTracesBatch(db: Db, a: PruneArgs<TraceCursor>): PruneStep<TraceCursor> {
  const now = a.cutoffs.now
  if (!Number.isFinite(now)) throw new Error(`expected the pass's start time in the cutoffs, got ${now}`)
  return db
    .transaction(() => {
      const global =
        (
          db.query('SELECT retention_days FROM llm_retention WHERE id = 1').get() as {
            retention_days: number
          } | null
        )?.retention_days ?? FALLBACK_DAYS
      const cutoffDefault = now - global * DAY_MS
      const byProject = new Map<string, number>()
      let until = cutoffDefault
      for (const r of db
        .query('SELECT project_id, retention_days FROM llm_settings WHERE retention_days IS NOT NULL')
        .all() as { project_id: string; retention_days: number }[]) {
        const c = now - r.retention_days * DAY_MS
        byProject.set(r.project_id, c)
        if (c > until) until = c
      }
      const n = tracesPerBatch(a.limit)
      const cols = `seq, project_id, id, status, started_at, span_count, error_count, input_tokens, output_tokens,
        total_tokens, cost_micros, duration_ms, created_at`
      const rows = (
        a.after === null
          ? db
              .query(
                `SELECT ${cols} FROM llm_traces INDEXED BY llm_traces_created WHERE created_at < ?
                 ORDER BY created_at, seq LIMIT ?`,
              )
              .all(until, n)
          : db
              .query(
                `SELECT ${cols} FROM llm_traces INDEXED BY llm_traces_created
                 WHERE created_at >= ? AND created_at < ? AND NOT (created_at = ? AND seq <= ?)
                 ORDER BY created_at, seq LIMIT ?`,
              )
              .all(a.after.created_at, until, a.after.created_at, a.after.seq, n)
      ) as ScanRow[]
      const deltas = new RollupDeltas()
      const spansOf = db.query(
        `SELECT project_id, model, provider, status, started_at, latency_ms, time_to_first_token_ms, input_tokens,
                output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_micros
         FROM llm_spans WHERE project_id = ? AND trace_id = ?`,
      )
      const by_project: Record<string, number> = {}
      let deleted = 0
      for (const t of rows) {
        if (!(t.created_at < (byProject.get(t.project_id) ?? cutoffDefault))) continue
        for (const s of spansOf.all(t.project_id, t.id) as SpanFacts[]) deltas.span(s, -1)
        deltas.trace(t, -1)
        db.query('DELETE FROM llm_spans WHERE project_id = ? AND trace_id = ?').run(t.project_id, t.id)
        db.query('DELETE FROM llm_scores WHERE project_id = ? AND trace_id = ?').run(t.project_id, t.id)
        db.query('DELETE FROM llm_feedback WHERE project_id = ? AND trace_id = ?').run(t.project_id, t.id)
        db.query('DELETE FROM llm_traces WHERE seq = ?').run(t.seq)
        by_project[t.project_id] = (by_project[t.project_id] ?? 0) + 1
        deleted++
      }
      deltas.flush(db)
      const last = rows[rows.length - 1]
      const next = rows.length < n || !last ? null : { created_at: last.created_at, seq: last.seq }
      return { deleted, by_project, next }
    })
    .immediate()
}
