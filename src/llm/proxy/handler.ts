/**
 * One proxied call, `/v1/proxy/<provider>/<path>`, from arrival to the recorded trace.
 *
 * Order: the provider (404 naming the configured ones), bloop auth (401), the bloop
 * headers (400), the body cap (413); then the call goes upstream with the client's
 * method, path, query string, body and end-to-end headers. Whatever the upstream
 * answers (2xx, 4xx, 5xx) goes back unchanged; the proxy answers on its own only when
 * there is no upstream answer: 502 when the upstream cannot be reached, 504 when it does
 * not begin answering within `timeout_secs`.
 *
 * Traced calls (capture.ts lists them) are recorded after the response has ended, off
 * the client's path, batched per turn of the event loop (recorder.ts), through the LLM
 * intake (the same queue, pricing and content policy as SDK traces). A trace that cannot be queued is logged and counted, never retried
 * into the client's answer: the client already has its answer. The provider's key is
 * forwarded and never kept: it is not in the trace, the logs or the metrics.
 *
 * `X-Bloop-Overhead-Ms` is the proxy's own time on the response's path: before the
 * request goes upstream, plus from the upstream's headers to the response handed to the
 * server.
 */
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { AppError } from '../../http/errors'
import type { RateLimiter } from '../../http/ratelimit'
import { readBodyBytes } from '../../http/validate'
import type { Logger } from '../../ops/log'
import { assign, getExperiment, type Variant } from '../experiments/store'
import type { LlmIntake } from '../ingest/intake'
import {
  ContentBudget,
  decodeUtf8,
  isObject,
  type Operation,
  type PreparedRequest,
  parseJson,
  providerErrorMessage,
  type ResponseCapture,
} from './capture'
import { type BloopHeaders, clientResponseHeaders, readBloopHeaders, upstreamRequestHeaders } from './headers'
import { later } from './later'
import type { ProxyMetrics } from './metrics'
import { anthropicCapture, anthropicOperation, prepareAnthropic } from './providers/anthropic'
import { openaiCapture, openaiOperation, prepareOpenAI } from './providers/openai'
import { type CallFacts, headerTrace } from './record'
import type { Recorder } from './recorder'
import { type RelayEnd, relay } from './relay'
import type { Upstream } from './upstreams'

export interface ProxyDeps
  extends Pick<Core, 'backend' | 'guard' | 'now' | 'idleTimeout' | 'draining' | 'clientIp'> {
  config: Pick<Config, 'llm_tracing'>
  log: Logger
  intake: LlmIntake
  upstreams: Map<string, Upstream>
  metrics: ProxyMetrics
  /** Queues an ended call's trace, off the client's path (recorder.ts). */
  record: Recorder
  /** The brake on refused X-Bloop-Key values, per client address. */
  refusedKeys: RateLimiter
  /** Span and trace ids; tests pass their own. */
  newId?: () => string
}

const PREFIX = '/v1/proxy/'
/** The largest error or JSON body kept for reading the provider's message and usage. */
const MAX_PARSED_BYTES = 16 * 1024 * 1024
/** The largest answer of known length read whole before it is passed on (see below). */
const WHOLE_BODY_BYTES = 1024 * 1024

/** Forwards one call for `projectId` (resolved from X-Bloop-Key by the route's declaration). */
export async function proxyCall(d: ProxyDeps, request: Request, projectId: string): Promise<Response> {
  const t0 = performance.now()
  const startedAt = d.now()
  const cfg = d.config.llm_tracing.proxy
  if (d.draining.value) throw new AppError('unavailable', 'the server is shutting down; retry shortly')

  const url = new URL(request.url)
  const rest = url.pathname.slice(PREFIX.length)
  const slash = rest.indexOf('/')
  const name = slash < 0 ? rest : rest.slice(0, slash)
  const path = slash < 0 ? '/' : rest.slice(slash)
  const upstream = d.upstreams.get(name)
  if (!upstream)
    throw new AppError(
      'not_found',
      `unknown proxy provider "${name}"; configured: ${[...d.upstreams.keys()].join(', ')} (llm_tracing.proxy)`,
    )

  const bloop = readBloopHeaders(request.headers)
  const variant = await experimentVariant(d, projectId, bloop)
  const metadata = bloopMetadata(bloop.metadata)
  const limits = d.config.llm_tracing
  const checked = headerTrace(bloop, metadata, limits)
  if (!checked.ok)
    throw new AppError('invalid_field', `X-Bloop header: ${checked.error.message}`, {
      field: checked.error.field,
    })

  const op =
    upstream.dialect === 'anthropic'
      ? anthropicOperation(request.method, path)
      : openaiOperation(request.method, path)
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > cfg.max_body_bytes)
    throw new AppError(
      'payload_too_large',
      `request body exceeds ${cfg.max_body_bytes} bytes (llm_tracing.proxy.max_body_bytes)`,
    )

  // Content the project's policy would strip is not kept while the call runs (the intake
  // applies the policy again when it records the trace).
  const keepContent = (await d.intake.policyOf(projectId)) === 'full'
  let prepared: PreparedRequest | null = null
  let overCap = false
  let body: Uint8Array | ReadableStream<Uint8Array> | null = null
  if (op !== null) {
    // A traced call's body is read whole: its model, stream flag and prompt are in it.
    const bytes = await readBodyBytes(request, cfg.max_body_bytes)
    prepared =
      upstream.dialect === 'anthropic'
        ? prepareAnthropic(op, bytes, decodeUtf8(bytes), keepContent)
        : prepareOpenAI(op, bytes, decodeUtf8(bytes), cfg.stream_usage, keepContent)
    body = prepared ? prepared.body : bytes
  } else if (request.body && request.method !== 'GET' && request.method !== 'HEAD') {
    body = Number.isFinite(declared)
      ? request.body
      : capped(request.body, cfg.max_body_bytes, () => {
          overCap = true
        })
  }

  const target = upstream.baseUrl + path + url.search
  const controller = new AbortController()
  const onClientAbort = () => controller.abort(new Error('the client closed the connection'))
  request.signal.addEventListener('abort', onClientAbort, { once: true })
  const timeoutMs = cfg.timeout_secs * 1000
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error('timeout'))
  }, timeoutMs)
  // The server's own idle timeout would cut a call the model thinks about for longer; the
  // proxy's timer (above, and between chunks in relay.ts) takes its place.
  d.idleTimeout(request, 0)

  const newId = d.newId ?? (() => crypto.randomUUID())
  const traced = prepared !== null
  const traceId = bloop.traceId ?? newId()
  const facts: CallFacts | null = prepared
    ? {
        traceId,
        spanId: newId(),
        attached: bloop.traceId !== null,
        provider: upstream.name,
        operation: prepared.operation,
        requestModel: prepared.model,
        stream: prepared.stream,
        path,
        headers: bloop,
        metadata,
        input: prepared.input,
        startedAt,
        t0,
      }
    : null

  /**
   * The proxy's own answer when the upstream's is missing: before its headers
   * (`connect`), or a short body read whole (`body`, below) that did not come. Recorded
   * too: the call was made, and may have been billed.
   */
  const failed = (err: unknown, stage: 'connect' | 'body'): AppError => {
    request.signal.removeEventListener('abort', onClientAbort)
    const failure = overCap
      ? new AppError(
          'payload_too_large',
          `request body exceeds ${cfg.max_body_bytes} bytes (llm_tracing.proxy.max_body_bytes)`,
        )
      : timedOut
        ? new AppError(
            'gateway_timeout',
            stage === 'connect'
              ? `the upstream ${upstream.name} did not answer within ${cfg.timeout_secs} s (llm_tracing.proxy.timeout_secs)`
              : `the upstream ${upstream.name} did not send its answer's body within ${cfg.timeout_secs} s (llm_tracing.proxy.timeout_secs)`,
          )
        : request.signal.aborted
          ? new AppError('client_closed_request', 'the client closed the connection before the answer began')
          : new AppError(
              'bad_gateway',
              stage === 'connect'
                ? `the upstream ${upstream.name} could not be reached: ${(err as Error).message}`
                : `the upstream ${upstream.name} broke off its answer: ${(err as Error).message}`,
            )
    d.metrics.requests.inc({ provider: upstream.name, status: String(failure.status) })
    if (facts)
      d.record(projectId, facts, {
        status: failure.status,
        relay: {
          reason: 'complete',
          detail: null,
          firstByteAt: null,
          firstContentAt: null,
          endedAt: performance.now(),
          bytes: 0,
          collected: null,
        },
        capture: null,
        upstreamError: null,
        proxyError: failure.message,
      })
    return failure
  }

  const sentAt = performance.now()
  let res: Response
  try {
    const init: BunFetchRequestInit & { duplex?: 'half' } = {
      method: request.method,
      headers: upstreamRequestHeaders(request.headers),
      body: body as BodyInit | null,
      redirect: 'manual',
      signal: controller.signal,
      // Untraced bodies pass as sent, compressed or not; a traced one is read, so Bun
      // decodes it (and its encoding headers are dropped on the way back).
      decompress: traced,
      // The fetch standard needs it to send a ReadableStream body.
      duplex: 'half',
    }
    res = await fetch(target, init)
  } catch (err) {
    clearTimeout(timer)
    throw failed(err, 'connect')
  }
  clearTimeout(timer)
  const headersAt = performance.now()

  const ok = res.status >= 200 && res.status < 300
  const sse = ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')
  const capture: ResponseCapture | null =
    prepared && ok
      ? captureFor(
          upstream,
          prepared.operation,
          prepared.addedUsage,
          new ContentBudget(keepContent ? d.config.llm_tracing.max_content_bytes : 0),
        )
      : null
  const filter = sse && (prepared?.addedUsage ?? false)
  const decoded = filter || (traced && res.headers.has('content-encoding'))
  const headers = clientResponseHeaders(res.headers, decoded)
  if (facts) headers.set('x-bloop-trace-id', traceId)
  if (variant) {
    headers.set('x-bloop-experiment-variant', variant.name)
    headers.set('x-bloop-prompt-version', variant.version)
  }

  if (!facts) {
    request.signal.removeEventListener('abort', onClientAbort)
    headers.set('x-bloop-overhead-ms', overhead(sentAt - t0, performance.now() - headersAt))
    d.metrics.requests.inc({ provider: upstream.name, status: String(res.status) })
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
  }

  /** What the response's end tells the trace; run off the client's path. */
  const ended = (end: RelayEnd) => {
    if (end.reason === 'upstream_failed' || end.reason === 'idle_timeout')
      d.log.warn('proxied response cut short by the upstream', {
        provider: upstream.name,
        trace_id: traceId,
        reason: end.reason,
        detail: end.detail,
      })
    let upstreamError: string | null = null
    if (!ok) upstreamError = providerErrorMessage(res.status, end.collected ? decodeUtf8(end.collected) : '')
    else if (capture && !sse && end.reason === 'complete')
      capture.body(end.collected ? parseJson(decodeUtf8(end.collected)) : undefined)
    d.record(projectId, facts, {
      status: res.status,
      relay: end,
      capture: capture?.result() ?? null,
      upstreamError,
      proxyError: null,
    })
  }

  const collectLimit = Math.min(MAX_PARSED_BYTES, cfg.max_body_bytes)
  const length = Number(res.headers.get('content-length') ?? Number.NaN)
  if (!sse && res.body && Number.isFinite(length) && length <= WHOLE_BODY_BYTES) {
    // A short answer of known length (a chat completion, an embedding, a provider's error)
    // was complete when its headers were sent: it is read whole and answered as bytes,
    // without a stream on either side, and read for the trace after it has gone.
    const bodyTimer = setTimeout(() => {
      timedOut = true
      controller.abort(new Error('timeout'))
    }, timeoutMs)
    let bytes: Uint8Array<ArrayBuffer>
    try {
      bytes = await res.bytes()
    } catch (err) {
      throw failed(err, 'body')
    } finally {
      clearTimeout(bodyTimer)
    }
    const bodyAt = performance.now()
    request.signal.removeEventListener('abort', onClientAbort)
    later(() =>
      ended({
        reason: 'complete',
        detail: null,
        // With a Content-Length the body was ready when the headers were sent.
        firstByteAt: headersAt,
        firstContentAt: null,
        endedAt: bodyAt,
        bytes: bytes.byteLength,
        collected: bytes.byteLength <= collectLimit ? bytes : null,
      }),
    )
    d.metrics.requests.inc({ provider: upstream.name, status: String(res.status) })
    const post = performance.now() - bodyAt
    d.metrics.overhead.observe((sentAt - t0 + post) / 1000, { provider: upstream.name })
    headers.set('x-bloop-overhead-ms', overhead(sentAt - t0, post))
    return new Response(bytes, { status: res.status, statusText: res.statusText, headers })
  }

  const relayed = relay({
    body: res.body,
    sse,
    filter,
    capture: sse ? capture : null,
    collectLimit,
    idleMs: timeoutMs,
    abort: (reason) => controller.abort(new Error(reason)),
    clock: () => performance.now(),
  })
  void relayed.ended.then((end) => {
    request.signal.removeEventListener('abort', onClientAbort)
    ended(end)
  })
  d.metrics.requests.inc({ provider: upstream.name, status: String(res.status) })
  const post = performance.now() - headersAt
  d.metrics.overhead.observe((sentAt - t0 + post) / 1000, { provider: upstream.name })
  headers.set('x-bloop-overhead-ms', overhead(sentAt - t0, post))
  return new Response(relayed.stream, { status: res.status, statusText: res.statusText, headers })
}

function captureFor(u: Upstream, op: Operation, addedUsage: boolean, budget: ContentBudget): ResponseCapture {
  return u.dialect === 'anthropic' ? anthropicCapture(budget) : openaiCapture(op, addedUsage, budget)
}

const overhead = (pre: number, post: number) => (Math.round((pre + post) * 1000) / 1000).toString()

/**
 * With `X-Bloop-Experiment`, the call joins that experiment: its variant is assigned by the
 * same hash as `GET /v1/llm/experiments/:id/assign` (so an app and the proxy agree for a
 * unit), and the trace is recorded under the experiment's prompt name and the variant's
 * version, which is how compare finds it. The variant is answered in
 * `X-Bloop-Experiment-Variant` and `X-Bloop-Prompt-Version` so the app can use its template.
 * Refused before anything is sent upstream: no unit (400), an experiment this project does
 * not have (404).
 */
async function experimentVariant(
  d: ProxyDeps,
  projectId: string,
  bloop: BloopHeaders,
): Promise<Variant | null> {
  if (bloop.experiment === null) return null
  const unit = bloop.unit ?? bloop.userId ?? bloop.sessionId
  if (unit === null)
    throw new AppError(
      'invalid_field',
      'X-Bloop-Experiment needs a unit to assign by: X-Bloop-Unit, X-Bloop-User-Id or X-Bloop-Session-Id',
      { field: 'unit' },
    )
  const experiment = await getExperiment(d.backend, [projectId], bloop.experiment)
  if (!experiment)
    throw new AppError('not_found', `no experiment ${JSON.stringify(bloop.experiment)} in this project`)
  const assigned = assign(experiment, unit)
  bloop.promptName = assigned.experiment.prompt_name
  bloop.promptVersion = assigned.variant.version
  return assigned.variant
}

function bloopMetadata(text: string | null): Record<string, unknown> | null {
  if (text === null) return null
  const parsed = parseJson(text)
  if (!isObject(parsed))
    throw new AppError('invalid_field', 'X-Bloop-Metadata must be a JSON object', { field: 'metadata' })
  return parsed
}

/** A request body stream that fails past `max` bytes (a body sent without Content-Length). */
function capped(
  body: ReadableStream<Uint8Array>,
  max: number,
  onOver: () => void,
): ReadableStream<Uint8Array> {
  let total = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength
        if (total <= max) return controller.enqueue(chunk)
        onOver()
        controller.error(new AppError('payload_too_large', `request body exceeds ${max} bytes`))
      },
    }),
  )
}
