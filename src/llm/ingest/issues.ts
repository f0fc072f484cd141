/**
 * LLM failures as bloop issues: a span that became `error` is also an error event
 * (source `llm`), grouped like any other, so the error alert rules, the dashboard and
 * regressions cover failing model calls. Pure: from the committed span to the event.
 *
 * - Grouping: error type `LLMError`, the span's name as the route (the call site, e.g.
 *   `openai.chat.completions.create`), the message; the model is in the metadata, not in
 *   the fingerprint, so one failure across a model switch stays one issue.
 * - Never twice: only spans that became errors in a commit are submitted (write/commit.ts),
 *   and the event id is derived from (project, trace id, span id), so even a retried
 *   submission is stored once (the errors feature ignores a repeated event_id).
 * - The message is the span's error_message, which no content policy strips.
 */
import { computeFingerprint, hash64, type NormalizedEvent } from '../../errors'
import type { NewErrorSpan } from '../model'

export const LLM_ERROR_TYPE = 'LLMError'
const MAX_MESSAGE_CHARS = 2000

/**
 * The issue a failed span is grouped into: its message, route and fingerprint. The trace
 * detail uses the same to link a failed span to its issue.
 */
export function issueOf(name: string | null, errorMessage: string | null) {
  const message = (errorMessage ?? `${name || 'LLM call'} failed`).slice(0, MAX_MESSAGE_CHARS)
  const route = !name ? null : name.slice(0, 1024)
  const fingerprint = computeFingerprint({
    source: 'llm',
    error_type: LLM_ERROR_TYPE,
    route_or_procedure: route,
    message,
  })
  return { message, route, fingerprint }
}

export function errorEventOf(e: NewErrorSpan, receivedAt: number): NormalizedEvent {
  const { message, route, fingerprint } = issueOf(e.name, e.error_message)
  return {
    project_id: e.project_id,
    fingerprint,
    timestamp: e.started_at,
    received_at: receivedAt,
    source: 'llm',
    environment: 'production',
    release: 'unknown',
    app_version: null,
    build_number: null,
    route_or_procedure: route,
    screen: null,
    error_type: LLM_ERROR_TYPE,
    message,
    stack: null,
    http_status: null,
    request_id: null,
    user_id_hash: null,
    device_id_hash: null,
    metadata: JSON.stringify({
      trace_id: e.trace_id,
      span_id: e.span_id,
      model: e.model,
      provider: e.provider,
    }),
    event_id: `llm-${hash64(JSON.stringify([e.project_id, e.trace_id, e.span_id]))}`,
    level: 'error',
  }
}
