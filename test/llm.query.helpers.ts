/**
 * Fixtures of the LLM read API tests: a runtime on a fixed clock, traces in the wire
 * format the SDKs send, and a way to get them stored.
 *
 * `store` sends them through the real ingest (signed POST /v1/traces/batch), so the rows,
 * rollups, sketches and search index the tests read are the writer's own.
 */
import { expect } from 'bun:test'
import { signed, startRuntime, type TestRuntime } from './helpers'

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
  input?: string
  output?: string
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
  input?: string
  output?: string
  spans: WireSpan[]
}

/** A runtime on the tests' clock that keeps metadata (the RAG figures read it), not prompts. */
export async function llmRuntime(): Promise<TestRuntime> {
  return onTheClock(
    await startRuntime({ llm_tracing: { default_content_storage: 'metadata_only' } }, { now: () => NOW }),
  )
}

/**
 * A runtime on the tests' clock, with somewhere to keep what it receives: on PostgreSQL
 * llm_spans is partitioned by receive day and the server makes partitions around the real
 * day only, so the days around NOW are made here (the function exists only there).
 */
export async function onTheClock(rt: TestRuntime): Promise<TestRuntime> {
  if (rt.core.backend.kind === 'postgres')
    await rt.core.backend.get("SELECT bloop_partitions_cover('llm_spans', ?, ?) AS created", [
      NOW - 2 * 86_400_000,
      NOW + 2 * 86_400_000,
    ])
  return rt
}

/**
 * Stores traces of `projectId` through the real ingest: signed POST /v1/traces/batch
 * (the project's key, or the global secret for the default project), answered once
 * committed. Fails the test unless every trace was accepted.
 */
export async function store(rt: TestRuntime, projectId: string, traces: WireTrace[]): Promise<void> {
  const key =
    projectId === 'default'
      ? undefined
      : ((
          await rt.core.backend.get<{ api_key: string }>('SELECT api_key FROM projects WHERE id = ?', [
            projectId,
          ])
        )?.api_key as string)
  const res = await rt.handle(signed('/v1/traces/batch', { traces }, { key }))
  const body = (await res.json()) as { accepted?: number; errors?: unknown[] }
  expect({ status: res.status, body }).toMatchObject({ status: 200, body: { accepted: traces.length } })
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
