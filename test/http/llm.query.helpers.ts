/**
 * Fixtures of the LLM read API tests: a runtime on a fixed clock, traces in the wire
 * format the SDKs send, and a way to get them stored.
 *
 * `store` writes the rows, the hourly rollups (with latency sketches) and the search
 * index straight through the main connection, as the writer would hold them. It stands
 * in until the write side's ingest is merged; the tests then send the same traces through
 * POST /v1/traces/batch instead (`ingest`), and the expected values stay the same.
 */
import { addValue, type Buckets, encode } from '../../src/llm/write/sketch'
import { startRuntime, type TestRuntime } from '../helpers'

export const HOUR = 3_600_000
/** The tests' clock: 2026-11-20 10:30 UTC. */
export const NOW = Date.UTC(2026, 10, 20, 10, 30)

export interface WireSpan {
  id: string
  parent_span_id?: string | null
  span_type?: 'generation' | 'tool' | 'retrieval' | 'custom'
  name?: string
  model?: string | null
  provider?: string | null
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_tokens?: number | null
  /** Dollars. */
  cost?: number | null
  latency_ms?: number | null
  time_to_first_token_ms?: number | null
  status?: 'ok' | 'error'
  error_message?: string | null
  metadata?: Record<string, unknown>
  started_at: number
}

export interface WireTrace {
  id: string
  session_id?: string
  user_id?: string
  name?: string
  status?: 'running' | 'completed' | 'error'
  prompt_name?: string
  prompt_version?: string
  started_at: number
  ended_at?: number
  spans: WireSpan[]
}

export async function llmRuntime(): Promise<TestRuntime> {
  return startRuntime({}, { now: () => NOW })
}

const micros = (dollars: number | null | undefined) =>
  dollars === null || dollars === undefined ? null : Math.round(dollars * 1e6)

interface Hour {
  span_count: number
  error_count: number
  tokens: Record<'input' | 'output' | 'cache_read', { sum: number; known: number }>
  cost: number
  cost_unknown: number
  latency_sum: number
  latency_count: number
  ttft_sum: number
  ttft_count: number
  latency: Buckets
  ttft: Buckets
}

/** Stores traces of `projectId` as committed rows with their rollups (see the header). */
export function store(rt: TestRuntime, projectId: string, traces: WireTrace[]): void {
  const db = rt.core.db
  const hours = new Map<string, Hour>()
  db.transaction(() => {
    for (const t of traces) {
      const spans = t.spans
      const sum = (f: (s: WireSpan) => number | null | undefined) => {
        const known = spans.map(f).filter((v): v is number => v !== null && v !== undefined)
        return known.length === 0 ? null : known.reduce((a, b) => a + b, 0)
      }
      const input = sum((s) => s.input_tokens)
      const output = sum((s) => s.output_tokens)
      const cost = sum((s) => micros(s.cost))
      const errors = spans.filter((s) => s.status === 'error').length
      const models = [...new Set(spans.map((s) => s.model).filter(Boolean))]
      const providers = [...new Set(spans.map((s) => s.provider).filter(Boolean))]
      const status = t.status ?? (errors > 0 ? 'error' : 'completed')
      const duration = t.ended_at === undefined ? null : t.ended_at - t.started_at
      const { seq } = db
        .query<{ seq: number }, (string | number | null)[]>(
          `INSERT INTO llm_traces (project_id, id, session_id, user_id, name, status, prompt_name, prompt_version,
             started_at, ended_at, duration_ms, span_count, error_count, input_tokens, output_tokens,
             cache_read_tokens, total_tokens, cost_micros, models, providers, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        )
        .get(
          projectId,
          t.id,
          t.session_id ?? null,
          t.user_id ?? null,
          t.name ?? '',
          status,
          t.prompt_name ?? null,
          t.prompt_version ?? null,
          t.started_at,
          t.ended_at ?? null,
          duration,
          spans.length,
          errors,
          input,
          output,
          sum((s) => s.cache_read_tokens),
          input === null && output === null ? null : (input ?? 0) + (output ?? 0),
          cost,
          models.length ? ` ${models.join(' ')} ` : '',
          providers.length ? ` ${providers.join(' ')} ` : '',
          NOW,
          NOW,
        ) as { seq: number }
      db.run('INSERT INTO llm_search (rowid, name, span_names, errors, content) VALUES (?, ?, ?, ?, NULL)', [
        seq,
        t.name ?? '',
        spans.map((s) => s.name ?? '').join(' '),
        spans.map((s) => s.error_message ?? '').join(' '),
      ])
      const traceHour = Math.floor(t.started_at / HOUR) * HOUR
      db.run(
        `INSERT INTO llm_trace_hourly (project_id, hour, trace_count, error_trace_count, span_count, cost_micros)
         VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (project_id, hour) DO UPDATE SET
           trace_count = trace_count + 1, error_trace_count = error_trace_count + excluded.error_trace_count,
           span_count = span_count + excluded.span_count, cost_micros = cost_micros + excluded.cost_micros`,
        [projectId, traceHour, status === 'error' ? 1 : 0, spans.length, cost ?? 0],
      )
      for (const s of spans) {
        const c = micros(s.cost)
        db.run(
          `INSERT INTO llm_spans (project_id, trace_id, id, parent_span_id, span_type, name, model, provider, status,
             error_message, metadata, started_at, ended_at, latency_ms, time_to_first_token_ms, input_tokens,
             output_tokens, cache_read_tokens, total_tokens, cost_micros, cost_source, price_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            projectId,
            t.id,
            s.id,
            s.parent_span_id ?? null,
            s.span_type ?? 'generation',
            s.name ?? '',
            s.model ?? null,
            s.provider ?? null,
            s.status ?? 'ok',
            s.error_message ?? null,
            s.metadata === undefined ? null : JSON.stringify(s.metadata),
            s.started_at,
            s.latency_ms === null || s.latency_ms === undefined ? null : s.started_at + s.latency_ms,
            s.latency_ms ?? null,
            s.time_to_first_token_ms ?? null,
            s.input_tokens ?? null,
            s.output_tokens ?? null,
            s.cache_read_tokens ?? null,
            s.input_tokens == null || s.output_tokens == null ? null : s.input_tokens + s.output_tokens,
            c,
            c === null ? 'unknown' : 'client',
            null,
          ],
        )
        const key = JSON.stringify([Math.floor(s.started_at / HOUR) * HOUR, s.model ?? '', s.provider ?? ''])
        let h = hours.get(key)
        if (!h) {
          const z = () => ({ sum: 0, known: 0 })
          h = {
            span_count: 0,
            error_count: 0,
            tokens: { input: z(), output: z(), cache_read: z() },
            cost: 0,
            cost_unknown: 0,
            latency_sum: 0,
            latency_count: 0,
            ttft_sum: 0,
            ttft_count: 0,
            latency: new Map(),
            ttft: new Map(),
          }
          hours.set(key, h)
        }
        h.span_count++
        if (s.status === 'error') h.error_count++
        for (const [k, v] of [
          ['input', s.input_tokens],
          ['output', s.output_tokens],
          ['cache_read', s.cache_read_tokens],
        ] as const) {
          if (v !== null && v !== undefined) {
            h.tokens[k].sum += v
            h.tokens[k].known++
          }
        }
        if (c === null) h.cost_unknown++
        else h.cost += c
        if (s.latency_ms != null) {
          h.latency_sum += s.latency_ms
          h.latency_count++
          addValue(h.latency, s.latency_ms)
        }
        if (s.time_to_first_token_ms != null) {
          h.ttft_sum += s.time_to_first_token_ms
          h.ttft_count++
          addValue(h.ttft, s.time_to_first_token_ms)
        }
      }
    }
    for (const [key, h] of hours) {
      const [hour, model, provider] = JSON.parse(key) as [number, string, string]
      db.run(
        `INSERT INTO llm_usage_hourly (project_id, hour, model, provider, span_count, error_count,
           input_tokens, input_tokens_known, output_tokens, output_tokens_known, cache_read_tokens,
           cache_read_tokens_known, cost_micros, cost_unknown_count, latency_sum_ms, latency_count,
           ttft_sum_ms, ttft_count, latency_sketch, ttft_sketch)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          projectId,
          hour,
          model,
          provider,
          h.span_count,
          h.error_count,
          h.tokens.input.sum,
          h.tokens.input.known,
          h.tokens.output.sum,
          h.tokens.output.known,
          h.tokens.cache_read.sum,
          h.tokens.cache_read.known,
          h.cost,
          h.cost_unknown,
          h.latency_sum,
          h.latency_count,
          h.ttft_sum,
          h.ttft_count,
          encode(h.latency),
          encode(h.ttft),
        ],
      )
    }
  })()
}

/** GET as a token holder; the parsed JSON and the status. */
export async function get(
  rt: TestRuntime,
  token: string,
  path: string,
): Promise<{ status: number; body: any }> {
  const res = await rt.fetch(path, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json() }
}
