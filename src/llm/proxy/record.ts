/**
 * The trace of one proxied call: pure, from what the request said, what the response
 * said and how it ended. A call is one trace with one `generation` span, or, with
 * `X-Bloop-Trace-Id`, one span added to that trace (its other fields left as they are,
 * so an SDK-traced run and its proxied calls form one tree).
 *
 * Statuses are honest: a 2xx whose stream never sent its end event, broke off, went
 * silent or was abandoned by the client is an `error` span with the partial output and
 * whatever usage arrived, never a success. The span is named after the operation and the
 * model (`chat gpt-4o`), as OpenTelemetry's GenAI conventions name spans.
 */
import { parseTrace, type TraceInput } from '../ingest/contract'
import type { CaptureResult, Operation } from './capture'
import type { BloopHeaders } from './headers'
import type { RelayEnd } from './relay'

export interface CallFacts {
  traceId: string
  spanId: string
  attached: boolean
  provider: string
  operation: Operation
  requestModel: string | null
  stream: boolean
  path: string
  headers: BloopHeaders
  /** Parsed X-Bloop-Metadata (an object), or null. */
  metadata: Record<string, unknown> | null
  input: string | null
  /** Wall clock at arrival, epoch ms. */
  startedAt: number
  /** performance.now() at arrival: the base of every duration. */
  t0: number
}

export interface CallEnd {
  status: number
  relay: RelayEnd
  capture: CaptureResult | null
  /** The provider's message, for an upstream 4xx/5xx. */
  upstreamError: string | null
  /** The proxy's own failure (connect error, timeout before the answer began). */
  proxyError: string | null
}

export interface Limits {
  max_spans_per_trace: number
  max_content_bytes: number
}

const OPERATION_NAME: Record<Operation, string> = {
  chat: 'chat',
  messages: 'chat',
  responses: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
}

/**
 * The part of the trace the request headers decide, checked before anything is sent
 * upstream: a bad header is the client's 400, not a call spent and then lost.
 */
export function headerTrace(h: BloopHeaders, metadata: Record<string, unknown> | null, limits: Limits) {
  return parseTrace(
    {
      id: h.traceId,
      session_id: h.sessionId,
      user_id: h.userId,
      name: h.traceName,
      prompt_name: h.promptName,
      prompt_version: h.promptVersion,
      metadata,
      spans: [{ parent_span_id: h.parentSpanId }],
    },
    limits,
  )
}

export function buildTrace(f: CallFacts, end: CallEnd, limits: Limits): TraceInput {
  const c = end.capture
  const model = c?.model ?? f.requestModel
  const latency = Math.max(0, end.relay.endedAt - f.t0)
  const ttft = end.relay.firstContentAt === null ? null : Math.max(0, end.relay.firstContentAt - f.t0)
  const ttfb = end.relay.firstByteAt === null ? null : Math.max(0, end.relay.firstByteAt - f.t0)
  // A client that stops reading after the final event (SDKs close the stream at
  // `[DONE]`) got the whole answer: that is a completed call.
  const whole = end.relay.reason === 'client_closed' && c?.complete === true
  const error = errorOf(end, whole)
  const usage = c?.usage.ok ? c.usage.usage : null
  const metadata: Record<string, unknown> = {
    ...(f.metadata ?? {}),
    proxy: {
      operation: f.operation,
      path: f.path,
      http_status: end.status,
      stream: f.stream,
      ...(ttfb === null ? {} : { time_to_first_byte_ms: Math.round(ttfb) }),
      ...(c?.finishReason ? { finish_reason: c.finishReason } : {}),
      ...(c && !c.usage.ok ? { usage_error: `${c.usage.field}: ${c.usage.error}` } : {}),
      ...(c?.facts ?? {}),
      ...(end.relay.reason !== 'complete' && !whole ? { ended: end.relay.reason } : {}),
    },
  }
  const endedAt = f.startedAt + Math.round(latency)
  const span = {
    id: f.spanId,
    parent_span_id: f.headers.parentSpanId,
    span_type: 'generation',
    name: model ? `${OPERATION_NAME[f.operation]} ${model}` : OPERATION_NAME[f.operation],
    model,
    provider: f.provider,
    ...(usage ?? {}),
    latency_ms: latency,
    time_to_first_token_ms: ttft,
    status: error === null ? 'ok' : 'error',
    error_message: error,
    input: f.input,
    output: c?.output ?? null,
    metadata,
    started_at: f.startedAt,
    ended_at: endedAt,
  }
  const raw = f.attached
    ? { id: f.traceId, spans: [span] }
    : {
        id: f.traceId,
        session_id: f.headers.sessionId,
        user_id: f.headers.userId,
        name: f.headers.traceName ?? `${f.provider} ${OPERATION_NAME[f.operation]}`,
        status: error === null ? 'completed' : 'error',
        input: f.input,
        output: c?.output ?? null,
        metadata: f.metadata,
        prompt_name: f.headers.promptName,
        prompt_version: f.headers.promptVersion,
        started_at: f.startedAt,
        ended_at: endedAt,
        spans: [span],
      }
  const parsed = parseTrace(raw, limits)
  if (!parsed.ok)
    throw new Error(
      `expected the proxy's own trace to satisfy the contract, got ${parsed.error.field}: ${parsed.error.message}`,
    )
  return parsed.trace
}

function errorOf(end: CallEnd, whole: boolean): string | null {
  if (end.proxyError) return end.proxyError
  if (end.upstreamError) return end.upstreamError
  if (end.relay.reason !== 'complete' && !whole) return end.relay.detail ?? end.relay.reason
  const c = end.capture
  if (!c) return null
  if (c.error) return c.error
  if (!c.complete) return 'the stream ended before its final event: the answer was cut off'
  return null
}
