/**
 * The hourly rollups, kept exact (the LLM writer tasks, on either backend). Every change to a span or a trace is
 * a contribution taken out (-1) and a contribution put in (+1) in the same transaction:
 * a re-sent span subtracts what its stored version added, an update subtracts the trace's
 * old totals, a pruned trace subtracts everything it added. Contributions are summed per
 * rollup row in memory (a batch of 200 traces of one model touches a handful of rows) and
 * written once at the end (`flush`); a row whose count reaches 0 is deleted, so the
 * rollups always equal a recomputation from the stored spans and traces
 * (test/unit/llm.rollups.property.test.ts).
 */
import type { Param, Queryable } from '../../storage/backend'
import { addValue, type Buckets, mergeEncoded } from './sketch'

export const HOUR_MS = 3_600_000
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS

/** The columns of a stored span that its rollup contribution reads. */
export interface SpanFacts {
  project_id: string
  model: string | null
  provider: string | null
  status: string
  started_at: number
  latency_ms: number | null
  time_to_first_token_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  cost_micros: number | null
}

/** The columns of a stored trace that its rollup contribution reads. */
export interface TraceFacts {
  project_id: string
  status: string
  started_at: number
  span_count: number
  error_count: number
  input_tokens: number | null
  output_tokens: number | null
  total_tokens: number | null
  cost_micros: number | null
  duration_ms: number | null
}

const TOKENS = [
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
] as const

interface UsageRow {
  span_count: number
  error_count: number
  input_tokens: number
  input_tokens_known: number
  output_tokens: number
  output_tokens_known: number
  cache_read_tokens: number
  cache_read_tokens_known: number
  cache_write_tokens: number
  cache_write_tokens_known: number
  reasoning_tokens: number
  reasoning_tokens_known: number
  cost_micros: number
  cost_unknown_count: number
  latency_sum_ms: number
  latency_count: number
  ttft_sum_ms: number
  ttft_count: number
}
const USAGE_COLUMNS = [
  'span_count',
  'error_count',
  'input_tokens',
  'input_tokens_known',
  'output_tokens',
  'output_tokens_known',
  'cache_read_tokens',
  'cache_read_tokens_known',
  'cache_write_tokens',
  'cache_write_tokens_known',
  'reasoning_tokens',
  'reasoning_tokens_known',
  'cost_micros',
  'cost_unknown_count',
  'latency_sum_ms',
  'latency_count',
  'ttft_sum_ms',
  'ttft_count',
] as const satisfies readonly (keyof UsageRow)[]

interface TraceRow {
  trace_count: number
  error_trace_count: number
  span_count: number
  input_tokens: number
  output_tokens: number
  total_tokens: number
  cost_micros: number
  cost_unknown_count: number
  duration_sum_ms: number
  duration_count: number
}
const TRACE_COLUMNS = [
  'trace_count',
  'error_trace_count',
  'span_count',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cost_micros',
  'cost_unknown_count',
  'duration_sum_ms',
  'duration_count',
] as const satisfies readonly (keyof TraceRow)[]

interface UsageDelta {
  project_id: string
  hour: number
  model: string
  provider: string
  row: UsageRow
  latency: Buckets
  ttft: Buckets
}
interface TraceDelta {
  project_id: string
  hour: number
  row: TraceRow
  duration: Buckets
}

const zeroUsage = (): UsageRow => Object.fromEntries(USAGE_COLUMNS.map((c) => [c, 0])) as unknown as UsageRow
const zeroTrace = (): TraceRow => Object.fromEntries(TRACE_COLUMNS.map((c) => [c, 0])) as unknown as TraceRow

const U_COLS = [...USAGE_COLUMNS, 'latency_sketch', 'ttft_sketch'] as const
const T_COLS = [...TRACE_COLUMNS, 'duration_sketch'] as const
const USAGE_KEY = 'project_id = ? AND hour = ? AND model = ? AND provider = ?'
const USAGE_GET = `SELECT ${U_COLS.join(', ')} FROM llm_usage_hourly WHERE ${USAGE_KEY}`
const USAGE_INSERT = `INSERT INTO llm_usage_hourly (project_id, hour, model, provider, ${U_COLS.join(', ')})
  VALUES (?, ?, ?, ?, ${U_COLS.map(() => '?').join(', ')})`
const USAGE_UPDATE = `UPDATE llm_usage_hourly SET ${U_COLS.map((c) => `${c} = ?`).join(', ')} WHERE ${USAGE_KEY}`
const USAGE_DELETE = `DELETE FROM llm_usage_hourly WHERE ${USAGE_KEY}`
const TRACE_KEY = 'project_id = ? AND hour = ?'
const TRACE_GET = `SELECT ${T_COLS.join(', ')} FROM llm_trace_hourly WHERE ${TRACE_KEY}`
const TRACE_INSERT = `INSERT INTO llm_trace_hourly (project_id, hour, ${T_COLS.join(', ')})
  VALUES (?, ?, ${T_COLS.map(() => '?').join(', ')})`
const TRACE_UPDATE = `UPDATE llm_trace_hourly SET ${T_COLS.map((c) => `${c} = ?`).join(', ')} WHERE ${TRACE_KEY}`
const TRACE_DELETE = `DELETE FROM llm_trace_hourly WHERE ${TRACE_KEY}`

type StoredUsage = UsageRow & { latency_sketch: Uint8Array | null; ttft_sketch: Uint8Array | null }
type StoredTraceRow = TraceRow & { duration_sketch: Uint8Array | null }

/** Contributions of one transaction, written by `flush`. */
export class RollupDeltas {
  private usage = new Map<string, UsageDelta>()
  private traces = new Map<string, TraceDelta>()

  span(s: SpanFacts, sign: 1 | -1): void {
    const hour = hourOf(s.started_at)
    const model = s.model ?? ''
    const provider = s.provider ?? ''
    const key = JSON.stringify([s.project_id, hour, model, provider])
    let d = this.usage.get(key)
    if (!d) {
      d = {
        project_id: s.project_id,
        hour,
        model,
        provider,
        row: zeroUsage(),
        latency: new Map(),
        ttft: new Map(),
      }
      this.usage.set(key, d)
    }
    const r = d.row
    r.span_count += sign
    if (s.status === 'error') r.error_count += sign
    for (const t of TOKENS) {
      const v = s[t]
      if (v === null) continue
      r[t] += sign * v
      r[`${t}_known`] += sign
    }
    if (s.cost_micros === null) r.cost_unknown_count += sign
    else r.cost_micros += sign * s.cost_micros
    if (s.latency_ms !== null) {
      r.latency_sum_ms += sign * s.latency_ms
      r.latency_count += sign
      addValue(d.latency, s.latency_ms, sign)
    }
    if (s.time_to_first_token_ms !== null) {
      r.ttft_sum_ms += sign * s.time_to_first_token_ms
      r.ttft_count += sign
      addValue(d.ttft, s.time_to_first_token_ms, sign)
    }
  }

  trace(t: TraceFacts, sign: 1 | -1): void {
    const hour = hourOf(t.started_at)
    const key = JSON.stringify([t.project_id, hour])
    let d = this.traces.get(key)
    if (!d) {
      d = { project_id: t.project_id, hour, row: zeroTrace(), duration: new Map() }
      this.traces.set(key, d)
    }
    const r = d.row
    r.trace_count += sign
    if (t.status === 'error' || t.error_count > 0) r.error_trace_count += sign
    r.span_count += sign * t.span_count
    r.input_tokens += sign * (t.input_tokens ?? 0)
    r.output_tokens += sign * (t.output_tokens ?? 0)
    r.total_tokens += sign * (t.total_tokens ?? 0)
    if (t.cost_micros === null) r.cost_unknown_count += sign
    else r.cost_micros += sign * t.cost_micros
    if (t.duration_ms !== null) {
      r.duration_sum_ms += sign * t.duration_ms
      r.duration_count += sign
      addValue(d.duration, t.duration_ms, sign)
    }
  }

  /**
   * Writes every touched rollup row: stored + delta, deleted when nothing is left in it.
   * The touched rows are read together, then written together (PostgreSQL pipelines each
   * group on the transaction's connection: two round trips, whatever the count). A row read
   * is a row updated, since the LLM writes take their lock first (commit.ts).
   */
  async flush(tx: Queryable): Promise<void> {
    const usage = [...this.usage.values()]
    const traces = [...this.traces.values()]
    this.usage.clear()
    this.traces.clear()
    const usageKey = (d: UsageDelta): Param[] => [d.project_id, d.hour, d.model, d.provider]
    const [oldUsage, oldTraces] = await Promise.all([
      Promise.all(usage.map((d) => tx.get<StoredUsage>(USAGE_GET, usageKey(d)))),
      Promise.all(traces.map((d) => tx.get<StoredTraceRow>(TRACE_GET, [d.project_id, d.hour]))),
    ])
    const writes: Promise<unknown>[] = []
    usage.forEach((d, i) => {
      const key = usageKey(d)
      const old = oldUsage[i] ?? null
      const row = old ? { ...old } : zeroUsage()
      for (const c of USAGE_COLUMNS) row[c] += d.row[c]
      if (row.span_count === 0) {
        assertEmpty(row, USAGE_COLUMNS, `llm_usage_hourly ${JSON.stringify(key)}`)
        if (old) writes.push(tx.run(USAGE_DELETE, key))
        return
      }
      const values = [
        ...USAGE_COLUMNS.map((c) => row[c]),
        mergeEncoded(old?.latency_sketch, d.latency),
        mergeEncoded(old?.ttft_sketch, d.ttft),
      ]
      writes.push(old ? tx.run(USAGE_UPDATE, [...values, ...key]) : tx.run(USAGE_INSERT, [...key, ...values]))
    })
    traces.forEach((d, i) => {
      const key = [d.project_id, d.hour]
      const old = oldTraces[i] ?? null
      const row = old ? { ...old } : zeroTrace()
      for (const c of TRACE_COLUMNS) row[c] += d.row[c]
      if (row.trace_count === 0) {
        assertEmpty(row, TRACE_COLUMNS, `llm_trace_hourly ${d.project_id} ${d.hour}`)
        if (old) writes.push(tx.run(TRACE_DELETE, key))
        return
      }
      const values = [...TRACE_COLUMNS.map((c) => row[c]), mergeEncoded(old?.duration_sketch, d.duration)]
      writes.push(old ? tx.run(TRACE_UPDATE, [...values, ...key]) : tx.run(TRACE_INSERT, [...key, ...values]))
    })
    await settleAll(writes)
  }
}

/** Waits for every write; the first failure is thrown once all have answered (none left unobserved). */
export async function settleAll(writes: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(writes)
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

/** A row whose count reached 0 must have nothing left in it; anything else is a broken invariant. */
function assertEmpty<R>(row: R, columns: readonly (keyof R)[], what: string): void {
  for (const c of columns) {
    if (row[c] !== 0)
      throw new Error(`expected an emptied rollup row ${what} to sum to 0, got ${String(c)} = ${row[c]}`)
  }
}
