/**
 * OTLP/HTTP trace import (the OpenTelemetry protocol's HTTP binding, traces signal):
 *
 *   POST /otlp/v1/traces        so OTEL_EXPORTER_OTLP_ENDPOINT=http://host:5332/otlp works
 *   POST /v1/llm/export/otlp    the earlier server's path, kept for existing set-ups
 *   POST /v1/traces             when the body is OTLP: exporters given only a host post here
 *                               by default; bloop's own trace contract keeps the path
 *                               otherwise (see `isOtlpTraces`)
 *   POST /otlp/v1/logs, /v1/logs  GenAI message events sent as logs, stored as the content
 *                               of their span (./logs.ts)
 *
 * Order of checks: rate limit per client address (429), credentials in headers (401/403,
 * before the body is read), content type (415), body size as received (413), gzip undone
 * within `llm_otlp.max_body_bytes` (413 past it, 400 for a corrupt stream), the HMAC
 * signature when that is the credential (it covers the bytes as sent), decoding (400),
 * mapping (src/llm/otlp/map.ts), then the traces go through the LLM intake like any others
 * (content policy, pricing, one queue) and the answer is sent once they are committed.
 *
 * Credentials exporters can send as static headers (OTEL_EXPORTER_OTLP_HEADERS):
 * `Authorization: Bearer <token with llm:write>`, or `X-Bloop-Key: <project api key>`;
 * bloop's own HMAC (`X-Signature` over the body as sent, with `X-Project-Key`) works too.
 * `X-Bloop-Content-Policy` may tighten the project's content policy for the request.
 *
 * Answers follow the OTLP specification in the request's encoding: success is an
 * ExportTraceServiceResponse (`{}` in JSON), with `partialSuccess` naming how many spans
 * were refused and why; failures carry a google.rpc.Status in protobuf, and bloop's usual
 * `{"error", "code"}` object in JSON. 429 and 503 carry Retry-After, which the exporters
 * honour.
 */
import zlib from 'node:zlib'
import { Elysia } from 'elysia'
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { access } from '../../http/access'
import type { Exporter } from '../../http/auth'
import { AppError, errorResponse } from '../../http/errors'
import { readBodyAhead, readBodyBytes } from '../../http/validate'
import { type ContentPolicy, isContentPolicy, parseTrace, type TraceInput } from '../ingest/contract'
import type { LlmIntake } from '../ingest/intake'
import {
  decodeJson,
  decodeProtobuf,
  encodeResponse,
  encodeStatus,
  OtlpDecodeError,
  responseBody,
} from './decode'
import { decodeLogsJson, decodeLogsProtobuf, encodeLogsResponse, logsResponseBody, mapLogs } from './logs'
import { mapTraces } from './map'

export interface OtlpDeps extends Pick<Core, 'guard' | 'log' | 'metrics'> {
  config: Pick<Config, 'llm_tracing' | 'llm_otlp'>
  intake: Pick<LlmIntake, 'submit'>
}

type Encoding = 'protobuf' | 'json'

const PROTOBUF = 'application/x-protobuf'

const mediaType = (request: Request) =>
  (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''

function encodingOf(request: Request): Encoding | null {
  const type = mediaType(request)
  if (type === PROTOBUF || type === 'application/protobuf') return 'protobuf'
  if (type === 'application/json') return 'json'
  return null
}

/**
 * Whether a POST /v1/traces carries OTLP rather than bloop's trace contract: a protobuf
 * content type, or a JSON object with `resourceSpans` (which no trace of the contract has).
 * `peek` is the body's text, read from a clone, for JSON only.
 */
export function isOtlpTraces(contentType: string, peek?: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === PROTOBUF || type === 'application/protobuf') return true
  if (peek === undefined) return false
  if (!peek.includes('"resourceSpans"') && !peek.includes('"resource_spans"')) return false
  try {
    const v = JSON.parse(peek)
    return (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      ('resourceSpans' in v || 'resource_spans' in v)
    )
  } catch {
    return false
  }
}

export function otlpMetrics(r: Core['metrics']['registry']) {
  return {
    requests: r.counter(
      'bloop_llm_otlp_requests_total',
      'OTLP trace export requests, by encoding (protobuf, json) and HTTP status of the answer.',
    ),
    spans: r.counter(
      'bloop_llm_otlp_spans_total',
      'OTLP spans received, by result: accepted (committed) or rejected (reported in partialSuccess).',
    ),
    logs: r.counter(
      'bloop_llm_otlp_log_records_total',
      'OTLP log records received, by result: attached (GenAI message events stored as span content) or ignored.',
    ),
  }
}

/**
 * `X-Bloop-Content-Policy`, as on the SDK routes: a request may store less than its
 * project's policy, never more (the intake takes the stricter). Exporters send it as a
 * static header.
 */
function headerPolicy(request: Request): ContentPolicy | undefined {
  const v = request.headers.get('x-bloop-content-policy')
  if (v === null) return undefined
  const policy = v.trim().toLowerCase()
  if (!isContentPolicy(policy))
    throw new AppError('bad_request', 'X-Bloop-Content-Policy must be none, metadata_only or full')
  return policy
}

/** Undoes gzip within `max` bytes of output (the cap bounds a decompression bomb). */
function gunzip(raw: Uint8Array, max: number): Uint8Array {
  try {
    return zlib.gunzipSync(raw, { maxOutputLength: max })
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new AppError(
        'payload_too_large',
        `gzip body inflates past ${max} bytes (llm_otlp.max_body_bytes)`,
      )
    throw new AppError('bad_request', `body is not valid gzip: ${(err as Error).message}`)
  }
}

function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body))
  } catch (err) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(err as Error).message}`)
  }
}

function decode(encoding: Encoding, body: Uint8Array) {
  try {
    if (encoding === 'protobuf') return decodeProtobuf(body)
    return decodeJson(parseJsonBody(body))
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw new AppError('bad_request', err.message)
    throw err
  }
}

/** Who may export (the `exporter` declaration, src/http/access.ts). */
const EXPORTER = { scope: 'llm:write', header: 'x-bloop-key', label: 'X-Bloop-Key' } as const

export function otlpRoutes(s: OtlpDeps) {
  const m = otlpMetrics(s.metrics.registry)
  const cap = s.config.llm_otlp.max_body_bytes
  const limits = s.config.llm_tracing

  function answer(encoding: Encoding, status: number, body: Uint8Array | string, headers = {}): Response {
    m.requests.inc({ encoding, status: String(status) })
    const type = encoding === 'protobuf' ? PROTOBUF : 'application/json'
    return new Response(body as BodyInit, { status, headers: { 'content-type': type, ...headers } })
  }

  function failed(encoding: Encoding, err: AppError): Response {
    if (encoding === 'json') {
      m.requests.inc({ encoding, status: String(err.status) })
      return errorResponse(err)
    }
    const headers: Record<string, string> = { ...err.extra.headers }
    if (err.extra.retryAfterSecs !== undefined) headers['retry-after'] = String(err.extra.retryAfterSecs)
    return answer(encoding, err.status, encodeStatus(err.status, err.message), headers)
  }

  type Signal = 'traces' | 'logs'

  /** The checks every export shares, then the signal's own work; every failure answered in the request's encoding. */
  async function handle(request: Request, exporter: Exporter, signal: Signal = 'traces'): Promise<Response> {
    const encoding = encodingOf(request)
    try {
      exporter.ready()
      const policy = headerPolicy(request)
      if (encoding === null)
        throw new AppError(
          'unsupported_media_type',
          `Content-Type must be ${PROTOBUF} or application/json (OTLP/HTTP), got "${mediaType(request).slice(0, 80)}"`,
        )
      const contentEncoding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase()
      if (contentEncoding !== '' && contentEncoding !== 'identity' && contentEncoding !== 'gzip')
        throw new AppError(
          'unsupported_media_type',
          `Content-Encoding "${contentEncoding.slice(0, 40)}" is not supported; OTLP/HTTP uses gzip or none`,
        )
      const raw = await readBodyBytes(request, cap)
      const projectId = exporter.project(raw)
      const body = contentEncoding === 'gzip' ? gunzip(raw, cap) : raw
      return signal === 'traces'
        ? await traces(encoding, body, projectId, policy)
        : await logs(encoding, body, projectId, policy)
    } catch (err) {
      if (err instanceof AppError) return failed(encoding ?? 'json', err)
      throw err
    }
  }

  async function traces(encoding: Encoding, body: Uint8Array, projectId: string, policy?: ContentPolicy) {
    const decoded = decode(encoding, body)
    const submitted = traceInputs(decoded.spans, limits)
    const rejected = decoded.rejected + submitted.rejected
    const reason = decoded.rejectReason ?? submitted.reason
    if (submitted.traces.length > 0)
      await s.intake.submit(projectId, submitted.traces, { source: 'otlp', policy })
    m.spans.inc({ result: 'accepted' }, decoded.spans.length - submitted.rejected)
    if (rejected > 0) {
      m.spans.inc({ result: 'rejected' }, rejected)
      s.log.warn('otlp spans rejected', { project_id: projectId, rejected, reason })
    }
    return encoding === 'protobuf'
      ? answer(encoding, 200, encodeResponse(rejected, reason))
      : answer(encoding, 200, JSON.stringify(responseBody(rejected, reason)))
  }

  async function logs(encoding: Encoding, body: Uint8Array, projectId: string, policy?: ContentPolicy) {
    let decoded: ReturnType<typeof decodeLogsJson>
    try {
      decoded = encoding === 'protobuf' ? decodeLogsProtobuf(body) : decodeLogsJson(parseJsonBody(body))
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new AppError('bad_request', err.message)
      throw err
    }
    const pieces: TraceInput[] = []
    for (const raw of mapLogs(decoded.logs, limits.max_spans_per_trace)) {
      const parsed = parseTrace(raw, limits)
      if (parsed.ok) pieces.push(parsed.trace)
    }
    if (pieces.length > 0) await s.intake.submit(projectId, pieces, { source: 'otlp', policy })
    m.logs.inc({ result: 'attached' }, decoded.logs.length)
    if (decoded.ignored > 0) m.logs.inc({ result: 'ignored' }, decoded.ignored)
    const warning =
      decoded.ignored > 0
        ? `${decoded.ignored} log records were not GenAI message events of a span and were not stored`
        : null
    return encoding === 'protobuf'
      ? answer(encoding, 200, encodeLogsResponse(warning))
      : answer(encoding, 200, JSON.stringify(logsResponseBody(warning)))
  }

  const declared = () => ({ parse: 'none' as const, exporter: { ...EXPORTER } })
  /** The hook on POST /v1/traces is no route: it asks the Guard what the declaration would. */
  const hooked = async (request: Request) => handle(request, await s.guard.exporter(request, EXPORTER))

  return (
    new Elysia({ name: 'llm-otlp' })
      .use(access(s.guard))
      .post('/otlp/v1/traces', ({ request, exporter }) => handle(request, exporter), declared())
      .post('/v1/llm/export/otlp', ({ request, exporter }) => handle(request, exporter), declared())
      // Logs carry the GenAI message events some instrumentations emit through the Logs
      // API (./logs.ts); /v1/logs is where exporters given only a host send them.
      .post('/otlp/v1/logs', ({ request, exporter }) => handle(request, exporter, 'logs'), declared())
      .post('/v1/logs', ({ request, exporter }) => handle(request, exporter, 'logs'), declared())
      // POST /v1/traces belongs to the trace contract's route; an OTLP body is taken here,
      // before routing, so neither route needs to know the other. JSON is peeked at within
      // the cap: read once and kept for the route when its length is declared (every SDK
      // declares it), from a clone otherwise, so the contract's route still reads the body
      // it was sent.
      .onRequest(async ({ request }) => {
        if (request.method !== 'POST') return
        const url = new URL(request.url)
        if (url.pathname !== '/v1/traces' && url.pathname !== '/v1/traces/') return
        const type = request.headers.get('content-type') ?? ''
        if (isOtlpTraces(type)) return hooked(request)
        if (mediaType(request) !== 'application/json') return
        const gz = (request.headers.get('content-encoding') ?? '').trim().toLowerCase() === 'gzip'
        let peek: string
        try {
          const bytes = (await readBodyAhead(request, cap)) ?? (await readBodyBytes(request.clone(), cap))
          peek = new TextDecoder().decode(gz ? gunzip(bytes, cap) : bytes)
        } catch {
          return // the contract's route reports what is wrong with this body
        }
        if (isOtlpTraces(type, peek)) return hooked(request)
      })
  )
}

/**
 * The decoded spans as checked trace inputs: each submission goes through the trace
 * contract's parser, so OTLP traces get the same limits and truncation as native ones; a
 * trace the parser refuses is reported as rejected spans rather than failing the request.
 */
export function traceInputs(
  spans: Parameters<typeof mapTraces>[0],
  limits: Config['llm_tracing'],
): { traces: TraceInput[]; rejected: number; reason: string | null } {
  const traces: TraceInput[] = []
  let rejected = 0
  let reason: string | null = null
  for (const raw of mapTraces(spans, limits.max_spans_per_trace)) {
    const parsed = parseTrace(raw, limits)
    if (parsed.ok) traces.push(parsed.trace)
    else {
      rejected += raw.spans.length
      reason ??= `trace ${raw.id}: ${parsed.error.field}: ${parsed.error.message}`
    }
  }
  return { traces, rejected, reason }
}
