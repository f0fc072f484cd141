/**
 * OTLP spans to bloop traces. Pure: decoded spans in, trace contract objects out (raw JSON
 * shapes that `parseTrace` then checks, exactly as if an SDK had sent them, so every limit
 * and truncation of native traces applies here too).
 *
 * - Spans are grouped by `traceId` (the trace's id is its 32 hex characters) and keep their
 *   own ids and parents, so the tree is whole. Spans that are not LLM calls (an HTTP
 *   handler, a database query) are kept as `custom` spans.
 * - An exporter sends a trace in pieces: the batch span processor exports ended spans every
 *   few seconds, so children usually arrive before their root. Each piece is submitted as a
 *   re-send of the same trace, which upserts its spans and keeps the trace fields it does
 *   not carry (src/llm/model.ts). Trace-level fields (name, status, input, output, times,
 *   resource metadata) therefore come from the root span only, in the piece that holds it;
 *   a piece without the root sends none of them.
 * - A piece with more spans than `max_spans_per_trace` is cut into several submissions of
 *   the same trace, in order, rather than refused: the limit bounds one request's trace, and
 *   an instrumented agent loop easily makes hundreds of spans.
 */

import { MAX_COST_DOLLARS, MAX_DURATION_MS, MAX_SHORT_CHARS, MAX_TAGS } from '../ingest/contract'
import { content, otherEvents } from './content'
import {
  clientCost,
  failure,
  leftover,
  model,
  promptName,
  promptVersion,
  provider,
  sessionId,
  spanType,
  tags,
  timeToFirstTokenMs,
  tokens,
  userId,
} from './conventions'
import type { Attributes, OtlpSpan } from './decode'

/** One trace submission in the shape of the trace contract (metadata as objects). */
export interface RawTrace {
  id: string
  spans: Record<string, unknown>[]
  [field: string]: unknown
}

const ms = (ns: bigint) => Number(ns / 1_000_000n)

/**
 * Values the contract would refuse are fitted to it here, so one odd attribute (a 5,000
 * character span name, a clock that says a call took 40 days) does not cost the whole
 * trace: short strings are cut to the contract's length, out-of-range durations and costs
 * become unknown. Token counts need nothing: conventions.ts reads only safe integers.
 */
const short = (v: string) => (v.length > MAX_SHORT_CHARS ? v.slice(0, MAX_SHORT_CHARS) : v)

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']

function mapSpan(s: OtlpSpan): Record<string, unknown> {
  const a = s.attributes
  const type = spanType(s)
  const out: Record<string, unknown> = { id: s.spanId, span_type: type, name: short(s.name), status: 'ok' }
  // A time of 0 is an unset field, not 1970: the writer then uses the receive time.
  if (s.startNs > 0n) out.started_at = ms(s.startNs)
  if (s.endNs > 0n) out.ended_at = ms(s.endNs)
  const latency = Number(s.endNs - s.startNs) / 1e6
  if (s.startNs > 0n && s.endNs > 0n && latency <= MAX_DURATION_MS) out.latency_ms = latency
  if (s.parentSpanId) out.parent_span_id = s.parentSpanId
  if (type === 'generation') {
    const m = model(a)
    if (m) out.model = short(m)
    const p = provider(a)
    if (p) out.provider = short(p)
    Object.assign(out, tokens(a))
    const cost = clientCost(a)
    if (cost !== undefined && cost <= MAX_COST_DOLLARS) out.cost = cost
    const ttft = timeToFirstTokenMs(a)
    if (ttft !== undefined && ttft <= MAX_DURATION_MS) out.time_to_first_token_ms = ttft
  }
  const f = failure(s)
  if (f.error) {
    out.status = 'error'
    out.error_message = f.message
  }
  Object.assign(out, content(s))
  const metadata: Record<string, unknown> = { ...leftover(a, type) }
  if (s.kind > 1) metadata['otel.span_kind'] = SPAN_KINDS[s.kind] ?? s.kind
  if (s.scope.name) metadata['otel.scope'] = s.scope.name
  const events = otherEvents(s)
  if (events.length) metadata['otel.events'] = events
  if (Object.keys(metadata).length > 0) out.metadata = metadata
  return out
}

/** Resource attributes and the AI SDK's telemetry metadata, for the trace's own metadata. */
function traceMetadata(root: OtlpSpan): Record<string, unknown> | undefined {
  const meta: Record<string, unknown> = {}
  const resource: Attributes = root.resource
  if (Object.keys(resource).length > 0) meta.resource = resource
  for (const [k, v] of Object.entries(root.attributes)) {
    if (k.startsWith('ai.telemetry.metadata.')) meta[k.slice('ai.telemetry.metadata.'.length)] = v
    if (k.startsWith('traceloop.association.properties.'))
      meta[k.slice('traceloop.association.properties.'.length)] = v
    if (k === 'metadata' && typeof v === 'string') {
      try {
        const parsed = JSON.parse(v)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
          Object.assign(meta, parsed)
      } catch {
        // OpenInference's metadata is JSON by convention; anything else stays on the span.
      }
    }
  }
  return Object.keys(meta).length > 0 ? meta : undefined
}

/** The first value a getter finds on the root, then on the other spans in order. */
function pick(spans: OtlpSpan[], root: OtlpSpan | undefined, get: (a: Attributes) => string | undefined) {
  if (root) {
    const v = get(root.attributes)
    if (v !== undefined) return v
  }
  for (const s of spans) {
    const v = get(s.attributes)
    if (v !== undefined) return v
  }
  return undefined
}

/** Groups spans by trace and maps them; `maxSpans` is `llm_tracing.max_spans_per_trace`. */
export function mapTraces(spans: readonly OtlpSpan[], maxSpans: number): RawTrace[] {
  const byTrace = new Map<string, OtlpSpan[]>()
  for (const s of spans) {
    const list = byTrace.get(s.traceId)
    if (list) list.push(s)
    else byTrace.set(s.traceId, [s])
  }
  const out: RawTrace[] = []
  for (const [traceId, group] of byTrace) {
    // Parents before children, then by start: the order a reader expects.
    group.sort((x, y) => (x.startNs < y.startNs ? -1 : x.startNs > y.startNs ? 1 : 0))
    const root = group.find((s) => s.parentSpanId === null)
    const trace: Record<string, unknown> = { id: traceId }
    const session = pick(group, root, sessionId)
    if (session) trace.session_id = short(session)
    const user = pick(group, root, userId)
    if (user) trace.user_id = short(user)
    const pName = pick(group, root, promptName)
    if (pName) trace.prompt_name = short(pName)
    const pVersion = pick(group, root, promptVersion)
    if (pVersion) trace.prompt_version = short(pVersion)
    if (root) {
      trace.name = short(root.name)
      trace.status = failure(root).error ? 'error' : 'completed'
      if (root.startNs > 0n) trace.started_at = ms(root.startNs)
      if (root.endNs > 0n) trace.ended_at = ms(root.endNs)
      const c = content(root)
      if (c.input !== undefined) trace.input = c.input
      if (c.output !== undefined) trace.output = c.output
      const meta = traceMetadata(root)
      if (meta) trace.metadata = meta
      const t = tags(root.attributes)?.filter((x) => x.length <= MAX_SHORT_CHARS)
      if (t) trace.tags = t.slice(0, MAX_TAGS)
    }
    const mapped = group.map(mapSpan)
    for (let at = 0; at < mapped.length; at += maxSpans) {
      // Later pieces repeat only the id: the first carries the trace's fields.
      const piece = at === 0 ? { ...trace } : { id: traceId }
      out.push({ ...piece, id: traceId, spans: mapped.slice(at, at + maxSpans) })
    }
  }
  return out
}
