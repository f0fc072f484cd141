/**
 * POST /v1/traces, POST /v1/traces/batch, PUT /v1/traces/:id: signed exactly like error
 * ingest (X-Signature over the raw body; X-Project-Key, or the default project's key), so
 * one SDK key signs both. Order of checks: rate limit, body size (413 past
 * `llm_tracing.max_payload_bytes`), signature (401), JSON (400), validation (400 naming
 * the field and limit; in a batch per trace), queue admission (429 + Retry-After), then
 * the answer only after commit.
 *
 * `X-Bloop-Content-Policy` (none | metadata_only | full) may tighten the project's content
 * policy for one request, never loosen it; an unknown value is a 400.
 */
import { Elysia } from 'elysia'
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { parseIngestJson } from '../../errors'
import { access } from '../../http/access'
import type { Signed } from '../../http/auth'
import { AppError, json } from '../../http/errors'
import { type ContentPolicy, isContentPolicy, parseTrace, type TraceInput } from './contract'
import type { RunningIntake, UpdateInput } from './intake'
import type { LlmMetrics } from './metrics'

export interface TraceRoutesDeps extends Pick<Core, 'guard'> {
  config: Pick<Config, 'llm_tracing' | 'ingest'>
  intake: RunningIntake
  metrics: LlmMetrics
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, PUT, OPTIONS',
  'access-control-allow-headers': 'Content-Type, X-Signature, X-Project-Key, X-Bloop-Content-Policy',
  'access-control-max-age': '86400',
}

export const POLICY_HEADER = 'x-bloop-content-policy'

/** Fields PUT /v1/traces/:id may change; anything else is refused so a typo is not silently ignored. */
const UPDATE_FIELDS = new Set([
  'status',
  'output',
  'ended_at',
  'spans',
  'model',
  'provider',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cost',
])
const USAGE_FIELDS = [
  'model',
  'provider',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cost',
] as const
/** The span that holds usage and cost a PUT reports for the trace as a whole. */
export const TRACE_USAGE_SPAN_ID = 'bloop-trace-usage'

export function traceRoutes(s: TraceRoutesDeps) {
  const limits = s.config.llm_tracing
  const rejected = (reason: string, n = 1) => s.metrics.rejected.inc({ reason }, n)

  const refused = (code: string) => rejected(code === 'payload_too_large' ? 'too_large' : code)
  // The declaration (rate limit, body within the cap, signature) counts its refusals here,
  // in the LLM ingest metric, like the header and JSON checks that follow it.
  const signedTrace = () => ({ ingest: { maxBytes: limits.max_payload_bytes, rejected: refused } })
  const guarded = (request: Request, { projectId, body }: Signed) => {
    try {
      const policy = headerPolicy(request)
      return { projectId, policy, parsed: parseIngestJson(body) }
    } catch (err) {
      if (err instanceof AppError) refused(err.code)
      throw err
    }
  }
  const preflightRoute = {
    public: 'CORS preflight of an SDK in a browser',
    schema: { response: { 204: 'the CORS headers' } },
  } as const

  const invalid = (error: { code: string; message: string; field: string }) => {
    rejected(error.code === 'too_many_spans' ? 'too_many_spans' : 'validation')
    return new AppError(error.code === 'invalid_json' ? 'invalid_json' : 'invalid_field', error.message, {
      field: error.field,
      headers: CORS,
    })
  }

  return new Elysia({ name: 'llm-ingest' })
    .use(access(s.guard))
    .options('/v1/traces', () => new Response(null, { status: 204, headers: CORS }), { ...preflightRoute })
    .options('/v1/traces/batch', () => new Response(null, { status: 204, headers: CORS }), {
      ...preflightRoute,
    })
    .options('/v1/traces/:id', () => new Response(null, { status: 204, headers: CORS }), {
      ...preflightRoute,
    })
    .post(
      '/v1/traces',
      async ({ request, signed }) => {
        const { projectId, policy, parsed } = guarded(request, signed)
        const r = parseTrace(parsed, limits)
        if (!r.ok) throw invalid(r.error)
        await s.intake.submit(projectId, [r.trace], { source: 'sdk', policy })
        return json({ status: 'accepted' }, 200, CORS)
      },
      { parse: 'none', ...signedTrace() },
    )
    .post(
      '/v1/traces/batch',
      async ({ request, signed }) => {
        const { projectId, policy, parsed } = guarded(request, signed)
        const list = batchList(parsed, rejected)
        if (list.length > limits.max_batch_size) {
          rejected('batch_too_large')
          throw new AppError(
            'batch_too_large',
            `batch has ${list.length} traces; the maximum is ${limits.max_batch_size} (llm_tracing.max_batch_size)`,
            { field: 'traces', headers: CORS },
          )
        }
        const traces: TraceInput[] = []
        const errors: { index: number; field: string; error: string }[] = []
        list.forEach((raw, index) => {
          const r = parseTrace(raw, limits)
          if (r.ok) traces.push(r.trace)
          else {
            rejected(r.error.code === 'too_many_spans' ? 'too_many_spans' : 'validation')
            errors.push({ index, field: r.error.field, error: r.error.message })
          }
        })
        const { accepted } = await s.intake.submit(projectId, traces, { source: 'sdk', policy })
        return json({ accepted, dropped: list.length - accepted, errors }, 200, CORS)
      },
      { parse: 'none', ...signedTrace() },
    )
    .put(
      '/v1/traces/:id',
      async ({ request, params, signed }) => {
        const { projectId, policy, parsed } = guarded(request, signed)
        const id = decodeURIComponent(params.id)
        const update = parseUpdate(id, parsed, limits, invalid)
        const found = await s.intake.update(projectId, id, update, { source: 'sdk', policy })
        if (!found) throw new AppError('not_found', `trace not found: ${id}`, { headers: CORS })
        return json({ status: 'updated' }, 200, CORS)
      },
      { parse: 'none', ...signedTrace() },
    )
}

function headerPolicy(request: Request): ContentPolicy | undefined {
  const v = request.headers.get(POLICY_HEADER)
  if (v === null) return undefined
  if (!isContentPolicy(v))
    throw new AppError(
      'invalid_field',
      `X-Bloop-Content-Policy must be none, metadata_only or full (got ${JSON.stringify(v.slice(0, 40))})`,
      {
        field: 'X-Bloop-Content-Policy',
      },
    )
  return v
}

function batchList(parsed: unknown, rejected: (reason: string) => void): unknown[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    rejected('validation')
    throw new AppError('invalid_json', 'batch body must be a JSON object {"traces": [...]}', {
      headers: CORS,
    })
  }
  const list = (parsed as { traces?: unknown }).traces
  if (!Array.isArray(list)) {
    rejected('validation')
    throw new AppError('invalid_field', 'traces must be an array of trace objects', {
      field: 'traces',
      headers: CORS,
    })
  }
  return list
}

function parseUpdate(
  id: string,
  parsed: unknown,
  limits: TraceRoutesDeps['config']['llm_tracing'],
  invalid: (e: { code: string; message: string; field: string }) => AppError,
): UpdateInput {
  if (id.length > 128)
    throw invalid({
      code: 'invalid_field',
      message: `trace id has ${id.length} characters; the maximum is 128`,
      field: 'id',
    })
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid({ code: 'invalid_json', message: 'update body must be a JSON object', field: 'body' })
  const body = parsed as Record<string, unknown>
  for (const key of Object.keys(body)) {
    if (!UPDATE_FIELDS.has(key))
      throw invalid({
        code: 'invalid_field',
        message: `${key} cannot be updated; PUT changes ${[...UPDATE_FIELDS].join(', ')}`,
        field: key,
      })
  }
  // Usage and cost of the trace as a whole are kept on a span of their own, so the
  // rollups and the totals (sums over spans) include them like any other span.
  const spans = Array.isArray(body.spans) ? [...body.spans] : body.spans
  const usage = Object.fromEntries(
    USAGE_FIELDS.flatMap((k) => (body[k] === undefined || body[k] === null ? [] : [[k, body[k]]])),
  )
  const hasUsage = USAGE_FIELDS.some((k) => k !== 'model' && k !== 'provider' && usage[k] !== undefined)
  const extra = hasUsage
    ? [{ id: TRACE_USAGE_SPAN_ID, span_type: 'custom', name: 'trace usage', status: 'ok', ...usage }]
    : []
  const r = parseTrace(
    {
      status: body.status,
      output: body.output,
      ended_at: body.ended_at,
      spans:
        spans === undefined || spans === null ? extra : Array.isArray(spans) ? [...spans, ...extra] : spans,
    },
    { ...limits, max_spans_per_trace: limits.max_spans_per_trace + extra.length },
  )
  if (!r.ok) throw invalid(r.error)
  return { status: r.trace.status, output: r.trace.output, ended_at: r.trace.ended_at, spans: r.trace.spans }
}
