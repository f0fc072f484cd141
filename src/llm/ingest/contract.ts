/**
 * The LLM trace contract: what a client may send for one trace, and the parser that turns
 * untrusted JSON into a TraceInput or a field error. Pure: no clock, no ids, no storage.
 *
 * - Every field is optional, and an explicit JSON `null` is the same as an absent field:
 *   the official JS SDK sends `null` for every unset span field, the Python and Ruby SDKs
 *   omit them, and both must mean "unknown". (The earlier server refused such nulls with
 *   400 and lost every JS error span.)
 * - Token counts follow src/llm/usage.ts: input includes cache reads and writes, output
 *   includes reasoning. Counts sent in the exclusive convention (parts larger than the
 *   whole) are read as such and added (`normalizeUsage`), never refused.
 * - Unknown `span_type` values are kept as `custom`, the sent value in metadata
 *   `span_type_sent`; statuses are closed sets (`running|completed|error` for a trace,
 *   `ok|error|running` for a span) and anything else is a 400 naming the field.
 * - Limits (from `[llm_tracing]`): ids at most 128 characters, at most
 *   `max_spans_per_trace` spans, short strings (names, models, session and user ids) at
 *   most 1,024 characters; these are refused with 400. Content (input, output, metadata,
 *   error messages) over `max_content_bytes` is truncated with a visible marker instead:
 *   a long prompt should not cost the whole trace.
 */
import { countError, normalizeUsage, type Usage } from '../usage'

export type ContentPolicy = 'none' | 'metadata_only' | 'full'
export const CONTENT_POLICIES: readonly ContentPolicy[] = ['none', 'metadata_only', 'full']
export const isContentPolicy = (v: unknown): v is ContentPolicy =>
  typeof v === 'string' && (CONTENT_POLICIES as readonly string[]).includes(v)

export type TraceStatus = 'running' | 'completed' | 'error'
export type SpanStatus = 'ok' | 'error' | 'running'
export type SpanType = 'generation' | 'tool' | 'retrieval' | 'custom'
export const TRACE_STATUSES: readonly TraceStatus[] = ['running', 'completed', 'error']
export const SPAN_STATUSES: readonly SpanStatus[] = ['ok', 'error', 'running']
export const SPAN_TYPES: readonly SpanType[] = ['generation', 'tool', 'retrieval', 'custom']

export interface SpanInput {
  id?: string
  parent_span_id?: string
  span_type?: SpanType
  name?: string
  model?: string
  provider?: string
  input_tokens?: number
  output_tokens?: number
  cache_read_tokens?: number
  cache_write_tokens?: number
  reasoning_tokens?: number
  /** Dollars, as the client computed them; wins over any price table. */
  cost?: number
  latency_ms?: number
  time_to_first_token_ms?: number
  status?: SpanStatus
  error_message?: string
  input?: string
  output?: string
  /** Compact JSON text of whatever the client sent. */
  metadata?: string
  started_at?: number
  ended_at?: number
}

export interface TraceInput {
  id?: string
  session_id?: string
  user_id?: string
  name?: string
  status?: TraceStatus
  input?: string
  output?: string
  /** Compact JSON text. */
  metadata?: string
  started_at?: number
  ended_at?: number
  prompt_name?: string
  prompt_version?: string
  tags?: string[]
  spans: SpanInput[]
}

export interface Limits {
  max_spans_per_trace: number
  max_content_bytes: number
}

export const MAX_ID_CHARS = 128
export const MAX_SHORT_CHARS = 1024
export const MAX_TAGS = 50
/** A million dollars for one call is far beyond any price; a larger cost is a client bug. */
export const MAX_COST_DOLLARS = 1_000_000
/** Year 275760: the last instant a JavaScript Date holds. */
const MAX_EPOCH_MS = 8_640_000_000_000_000
/** A month: longer latencies are clock bugs, and the bound keeps sums far from overflow. */
export const MAX_DURATION_MS = 31 * 86_400_000

export interface ParseError {
  /** `too_many_spans` when the span limit is what failed; `invalid_field` otherwise. */
  code: 'invalid_field' | 'too_many_spans' | 'invalid_json'
  message: string
  field: string
}
export type ParseResult = { ok: true; trace: TraceInput } | { ok: false; error: ParseError }

class Fault extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly code: ParseError['code'] = 'invalid_field',
  ) {
    super(message)
  }
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

export function parseTrace(raw: unknown, limits: Limits): ParseResult {
  try {
    return { ok: true, trace: trace(raw, limits) }
  } catch (err) {
    if (err instanceof Fault)
      return { ok: false, error: { code: err.code, message: err.message, field: err.field } }
    throw err
  }
}

function trace(raw: unknown, limits: Limits): TraceInput {
  if (!isObj(raw)) throw new Fault('trace', `expected a trace object, got ${kind(raw)}`, 'invalid_json')
  const t: TraceInput = { spans: [] }
  setId(t, 'id', raw, 'id')
  setShort(t, 'session_id', raw, 'session_id')
  setShort(t, 'user_id', raw, 'user_id')
  setShort(t, 'name', raw, 'name')
  setShort(t, 'prompt_name', raw, 'prompt_name')
  setShort(t, 'prompt_version', raw, 'prompt_version', true)
  const status = oneOf(raw.status, TRACE_STATUSES, 'status')
  if (status) t.status = status
  setContent(t, 'input', raw.input, 'input', limits)
  setContent(t, 'output', raw.output, 'output', limits)
  setMetadata(t, raw.metadata, 'metadata', limits)
  setTime(t, 'started_at', raw.started_at, 'started_at')
  setTime(t, 'ended_at', raw.ended_at, 'ended_at')
  const tags = raw.tags
  if (tags !== undefined && tags !== null) {
    if (!Array.isArray(tags) || tags.some((x) => typeof x !== 'string' || x.length > MAX_SHORT_CHARS))
      throw new Fault('tags', `expected an array of strings of at most ${MAX_SHORT_CHARS} characters`)
    if (tags.length > MAX_TAGS)
      throw new Fault('tags', `trace has ${tags.length} tags; the maximum is ${MAX_TAGS}`)
    t.tags = tags as string[]
  }
  const spans = raw.spans
  if (spans !== undefined && spans !== null) {
    if (!Array.isArray(spans)) throw new Fault('spans', `expected an array of spans, got ${kind(spans)}`)
    if (spans.length > limits.max_spans_per_trace)
      throw new Fault(
        'spans',
        `trace has ${spans.length} spans; the maximum is ${limits.max_spans_per_trace} (llm_tracing.max_spans_per_trace)`,
        'too_many_spans',
      )
    const seen = new Set<string>()
    t.spans = spans.map((s, i) => {
      const parsed = span(s, `spans[${i}]`, limits)
      if (parsed.id !== undefined) {
        if (seen.has(parsed.id))
          throw new Fault(`spans[${i}].id`, `span id ${JSON.stringify(parsed.id)} appears twice`)
        seen.add(parsed.id)
      }
      return parsed
    })
  }
  return t
}

function span(raw: unknown, at: string, limits: Limits): SpanInput {
  if (!isObj(raw)) throw new Fault(at, `expected a span object, got ${kind(raw)}`)
  const s: SpanInput = {}
  setId(s, 'id', raw, 'id', at)
  setId(s, 'parent_span_id', raw, 'parent_span_id', at)
  let sentType: string | undefined
  const type = raw.span_type
  if (type !== undefined && type !== null) {
    if (typeof type !== 'string') throw new Fault(`${at}.span_type`, `expected a string, got ${kind(type)}`)
    if ((SPAN_TYPES as readonly string[]).includes(type)) s.span_type = type as SpanType
    else {
      s.span_type = 'custom'
      sentType = type.slice(0, MAX_SHORT_CHARS)
    }
  }
  setShort(s, 'name', raw, 'name', false, at)
  setShort(s, 'model', raw, 'model', false, at)
  setShort(s, 'provider', raw, 'provider', false, at)
  const usage: Usage = {
    input_tokens: tokens(raw.input_tokens, `${at}.input_tokens`),
    output_tokens: tokens(raw.output_tokens, `${at}.output_tokens`),
    cache_read_tokens: tokens(raw.cache_read_tokens, `${at}.cache_read_tokens`),
    cache_write_tokens: tokens(raw.cache_write_tokens, `${at}.cache_write_tokens`),
    reasoning_tokens: tokens(raw.reasoning_tokens, `${at}.reasoning_tokens`),
  }
  const { usage: u } = normalizeUsage(usage)
  for (const key of Object.keys(u) as (keyof Usage)[]) {
    const v = u[key]
    if (v !== null) s[key] = v
  }
  const cost = raw.cost
  if (cost !== undefined && cost !== null) {
    if (typeof cost !== 'number' || !Number.isFinite(cost))
      throw new Fault(`${at}.cost`, `expected a cost in dollars (a number), got ${kind(cost)}`)
    if (cost < 0 || cost > MAX_COST_DOLLARS)
      throw new Fault(`${at}.cost`, `expected a cost from 0 to ${MAX_COST_DOLLARS} dollars, got ${cost}`)
    s.cost = cost
  }
  setDuration(s, 'latency_ms', raw.latency_ms, at)
  setDuration(s, 'time_to_first_token_ms', raw.time_to_first_token_ms, at)
  const status = oneOf(raw.status, SPAN_STATUSES, `${at}.status`)
  if (status) s.status = status
  setContent(s, 'error_message', raw.error_message, `${at}.error_message`, limits)
  setContent(s, 'input', raw.input, `${at}.input`, limits)
  setContent(s, 'output', raw.output, `${at}.output`, limits)
  let metadata = raw.metadata
  if (sentType !== undefined) {
    metadata = isObj(metadata)
      ? { ...metadata, span_type_sent: sentType }
      : {
          span_type_sent: sentType,
          ...(metadata === undefined || metadata === null ? {} : { value: metadata }),
        }
  }
  setMetadata(s, metadata, `${at}.metadata`, limits)
  setTime(s, 'started_at', raw.started_at, `${at}.started_at`)
  setTime(s, 'ended_at', raw.ended_at, `${at}.ended_at`)
  return s
}

function setId<K extends string>(o: Partial<Record<K, string>>, key: K, raw: Obj, name: string, at?: string) {
  const v = raw[name]
  if (v === undefined || v === null) return
  const field = at ? `${at}.${name}` : name
  if (typeof v !== 'string') throw new Fault(field, `expected a string, got ${kind(v)}`)
  if (v === '') throw new Fault(field, 'expected a non-empty id')
  if (v.length > MAX_ID_CHARS)
    throw new Fault(field, `${field} has ${v.length} characters; the maximum is ${MAX_ID_CHARS}`)
  o[key] = v
}

function setShort<K extends string>(
  o: Partial<Record<K, string>>,
  key: K,
  raw: Obj,
  name: string,
  numberOk = false,
  at?: string,
) {
  let v = raw[name]
  if (v === undefined || v === null) return
  const field = at ? `${at}.${name}` : name
  // A prompt version is often written as a number (`"prompt_version": 2`).
  if (numberOk && typeof v === 'number' && Number.isFinite(v)) v = String(v)
  if (typeof v !== 'string') throw new Fault(field, `expected a string, got ${kind(v)}`)
  if (v.length > MAX_SHORT_CHARS)
    throw new Fault(field, `${field} has ${v.length} characters; the maximum is ${MAX_SHORT_CHARS}`)
  o[key] = v
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new Fault(field, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)?.slice(0, 60)}`)
  return v as T
}

function tokens(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null
  const error = countError(v)
  if (error) throw new Fault(field, error)
  return v as number
}

function setTime<K extends string>(o: Partial<Record<K, number>>, key: K, v: unknown, field: string) {
  if (v === undefined || v === null) return
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_EPOCH_MS)
    throw new Fault(
      field,
      `expected epoch milliseconds (a non-negative number), got ${JSON.stringify(v)?.slice(0, 60)}`,
    )
  o[key] = Math.round(v)
}

function setDuration<K extends string>(o: Partial<Record<K, number>>, key: K, v: unknown, at: string) {
  if (v === undefined || v === null) return
  const field = `${at}.${key}`
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_DURATION_MS)
    throw new Fault(
      field,
      `expected milliseconds from 0 to ${MAX_DURATION_MS}, got ${JSON.stringify(v)?.slice(0, 60)}`,
    )
  o[key] = Math.round(v)
}

/** Content is text; a structured value (a message list) is kept as its JSON. */
function setContent<K extends string>(
  o: Partial<Record<K, string>>,
  key: K,
  v: unknown,
  field: string,
  limits: Limits,
) {
  if (v === undefined || v === null) return
  const text = typeof v === 'string' ? v : JSON.stringify(v)
  if (text === undefined) throw new Fault(field, `expected text, got ${kind(v)}`)
  o[key] = truncateContent(text, limits.max_content_bytes)
}

function setMetadata(o: { metadata?: string }, v: unknown, field: string, limits: Limits) {
  if (v === undefined || v === null) return
  const text = JSON.stringify(v)
  if (text === undefined) throw new Fault(field, `expected JSON, got ${kind(v)}`)
  if (utf8Length(text) <= limits.max_content_bytes) {
    o.metadata = text
    return
  }
  // Cut JSON is not JSON: an oversized value is replaced by an object that still parses
  // and says what happened, with as much of the text as fits.
  const preview = truncateContent(text, Math.max(0, limits.max_content_bytes - 200))
  o.metadata = JSON.stringify({ bloop_truncated: true, original_bytes: utf8Length(text), preview })
}

const encoder = new TextEncoder()
export const utf8Length = (s: string) => encoder.encode(s).length

/** The marker a truncated text ends with; the reader sees what was cut. */
export const truncationMarker = (originalBytes: number) => `…[truncated by bloop: ${originalBytes} bytes]`

/**
 * Cuts `text` so that it and its marker fit in `maxBytes` of UTF-8, on a character
 * boundary. Text that fits is returned unchanged. `originalBytes`: `text` is the start of
 * a longer text of that size (a capture that stopped keeping it), which the marker counts.
 */
export function truncateContent(text: string, maxBytes: number, originalBytes?: number): string {
  if (originalBytes === undefined && text.length <= maxBytes / 3) return text
  const bytes = encoder.encode(text)
  const total = originalBytes ?? bytes.length
  if (total <= maxBytes) return text
  const marker = truncationMarker(total)
  let end = Math.max(0, maxBytes - utf8Length(marker))
  // Step back to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--
  return new TextDecoder().decode(bytes.subarray(0, end)) + marker
}
