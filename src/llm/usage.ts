/**
 * Token usage in one convention, and adapters from each source's wire shape. Pure: parsed
 * JSON in, a normalized usage (or a refusal naming the field) out; no I/O.
 *
 * The convention, which OpenAI and the OpenTelemetry GenAI semantic conventions share
 * (`gen_ai.usage.cache_read.input_tokens` "SHOULD be included in gen_ai.usage.input_tokens"):
 * - `input_tokens` counts every prompt token, INCLUDING cache reads and cache writes;
 *   `cache_read_tokens` and `cache_write_tokens` are parts of it, never added to it.
 * - `output_tokens` counts every generated token, INCLUDING reasoning (thinking) tokens;
 *   `reasoning_tokens` is a part of it.
 * - So total = input + output, and a cost adds each part once: cached tokens at the cache
 *   price, the rest of the input at the input price.
 * - `null` means unknown (the source did not say), never 0. A stream that ended without its
 *   usage is unknown, so its cost is unknown rather than $0.
 *
 * Invariants (`checkUsage`): every count is an integer from 0 to MAX_TOKENS;
 * cache_read + cache_write <= input and reasoning <= output wherever both sides are known.
 * `normalizeUsage` repairs a violation by reading the counts in the EXCLUSIVE convention
 * (Anthropic's input_tokens without cache tokens, Gemini's output without thinking tokens),
 * that is it adds the parts to the whole, and reports it in `adjustments`. That reading is
 * the only one that explains parts larger than the whole, and clamping would instead drop
 * tokens that were billed. A client that sends exclusive counts whose parts happen to be
 * smaller than the whole cannot be detected: the native SDK must send inclusive counts.
 *
 * Adapters take the provider's `usage` object as parsed from JSON (or the stream events)
 * and return `UsageResult`. A count that is negative, fractional, not a number or above
 * MAX_TOKENS is refused with `{ field, error }`, `field` being the path inside the object
 * passed in; the caller prefixes it and answers 400.
 */

export interface Usage {
  input_tokens: number | null
  output_tokens: number | null
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
}

/**
 * A billion tokens in one call is a hundred times the largest context window on sale; a
 * larger count is a client bug. The bound also keeps every cost a safe integer.
 */
export const MAX_TOKENS = 1_000_000_000

export const UNKNOWN_USAGE: Readonly<Usage> = Object.freeze({
  input_tokens: null,
  output_tokens: null,
  cache_read_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
})

export type FieldError = { field: string; error: string }
export type Adjustment = {
  code: 'input_excluded_cache' | 'output_excluded_reasoning'
  message: string
}
export type UsageResult = { ok: true; usage: Usage; adjustments: Adjustment[] } | ({ ok: false } & FieldError)

/** input + output, or null when either is unknown. */
export function totalTokens(u: Usage): number | null {
  return u.input_tokens === null || u.output_tokens === null ? null : u.input_tokens + u.output_tokens
}

/** Why a count is refused, or null when it is a valid count or null. */
export function countError(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'number') return `expected a token count (integer) or null, got ${kind(value)}`
  if (!Number.isFinite(value)) return `expected a finite token count, got ${value}`
  if (value < 0) return `expected a non-negative token count, got ${value}`
  if (!Number.isInteger(value)) return `expected a whole number of tokens, got ${value}`
  if (value > MAX_TOKENS) return `expected at most ${MAX_TOKENS} tokens, got ${value}`
  return null
}

/** The first broken invariant of a usage, or null when it holds. */
export function checkUsage(u: Usage): FieldError | null {
  for (const key of USAGE_KEYS) {
    const error = countError(u[key])
    if (error) return { field: key, error }
  }
  const cache = (u.cache_read_tokens ?? 0) + (u.cache_write_tokens ?? 0)
  if (u.input_tokens !== null && cache > u.input_tokens)
    return { field: 'input_tokens', error: `cache tokens (${cache}) exceed input_tokens (${u.input_tokens})` }
  if (u.output_tokens !== null && u.reasoning_tokens !== null && u.reasoning_tokens > u.output_tokens)
    return {
      field: 'output_tokens',
      error: `reasoning_tokens (${u.reasoning_tokens}) exceed output_tokens (${u.output_tokens})`,
    }
  return null
}

/**
 * Enforces the invariants on counts that are each valid: parts larger than their whole are
 * read as the exclusive convention and added to it (see the header). Idempotent.
 */
export function normalizeUsage(u: Usage): { usage: Usage; adjustments: Adjustment[] } {
  // A literal, not a spread: ingest calls this for every span, and a spread copy is slow.
  const usage: Usage = {
    input_tokens: u.input_tokens,
    output_tokens: u.output_tokens,
    cache_read_tokens: u.cache_read_tokens,
    cache_write_tokens: u.cache_write_tokens,
    reasoning_tokens: u.reasoning_tokens,
  }
  const adjustments: Adjustment[] = []
  const cache = (u.cache_read_tokens ?? 0) + (u.cache_write_tokens ?? 0)
  if (u.input_tokens !== null && cache > u.input_tokens) {
    usage.input_tokens = u.input_tokens + cache
    adjustments.push({
      code: 'input_excluded_cache',
      message: `cache tokens (${cache}) exceeded input_tokens (${u.input_tokens}): read input as excluding them, input_tokens = ${usage.input_tokens}`,
    })
  }
  if (u.output_tokens !== null && u.reasoning_tokens !== null && u.reasoning_tokens > u.output_tokens) {
    usage.output_tokens = u.output_tokens + u.reasoning_tokens
    adjustments.push({
      code: 'output_excluded_reasoning',
      message: `reasoning_tokens (${u.reasoning_tokens}) exceeded output_tokens (${u.output_tokens}): read output as excluding them, output_tokens = ${usage.output_tokens}`,
    })
  }
  return { usage, adjustments }
}

/**
 * bloop's native SDK payload: `input_tokens` and `output_tokens`, optionally
 * `cache_read_tokens`, `cache_write_tokens` and `reasoning_tokens`, already in bloop's
 * convention. Absent and null are both unknown; other fields are ignored.
 */
export function fromBloop(payload: unknown): UsageResult {
  return adapt(payload, (o) => ({
    input_tokens: count(o, 'input_tokens'),
    output_tokens: count(o, 'output_tokens'),
    cache_read_tokens: count(o, 'cache_read_tokens'),
    cache_write_tokens: count(o, 'cache_write_tokens'),
    reasoning_tokens: count(o, 'reasoning_tokens'),
  }))
}

/**
 * OpenAI Chat Completions `usage`: prompt_tokens (cached included),
 * prompt_tokens_details.cached_tokens, completion_tokens (reasoning included),
 * completion_tokens_details.reasoning_tokens, and prompt_tokens_details.cache_write_tokens
 * where a model reports writes. A streamed completion carries usage only in its last chunk
 * and only with `stream_options.include_usage`; without it the caller passes null: unknown.
 */
export function fromOpenAIChat(usage: unknown): UsageResult {
  return adapt(usage, (o) => ({
    input_tokens: count(o, 'prompt_tokens'),
    output_tokens: count(o, 'completion_tokens'),
    cache_read_tokens: count(o, 'prompt_tokens_details', 'cached_tokens'),
    cache_write_tokens: count(o, 'prompt_tokens_details', 'cache_write_tokens'),
    reasoning_tokens: count(o, 'completion_tokens_details', 'reasoning_tokens'),
  }))
}

/**
 * OpenAI Responses API `usage` (also `response.usage` of the streamed `response.completed`
 * event): input_tokens (cached included), input_tokens_details.cached_tokens, output_tokens
 * (reasoning included), output_tokens_details.reasoning_tokens.
 */
export function fromOpenAIResponses(usage: unknown): UsageResult {
  return adapt(usage, (o) => ({
    input_tokens: count(o, 'input_tokens'),
    output_tokens: count(o, 'output_tokens'),
    cache_read_tokens: count(o, 'input_tokens_details', 'cached_tokens'),
    cache_write_tokens: count(o, 'input_tokens_details', 'cache_write_tokens'),
    reasoning_tokens: count(o, 'output_tokens_details', 'reasoning_tokens'),
  }))
}

/**
 * OpenAI embeddings `usage`: prompt_tokens and total_tokens only. An embedding generates
 * nothing, so output is a known 0, not unknown, and nothing is read from or written to a cache.
 */
export function fromOpenAIEmbeddings(usage: unknown): UsageResult {
  return adapt(usage, (o) => ({
    input_tokens: count(o, 'prompt_tokens'),
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
  }))
}

/**
 * Anthropic Messages `usage`. Its input_tokens EXCLUDES cache_read_input_tokens and
 * cache_creation_input_tokens, so bloop's input is their sum. Its output_tokens includes
 * thinking tokens, which it counts separately only in output_tokens_details.thinking_tokens
 * (where present). Responses from before prompt caching omit the cache fields: they add
 * nothing to the input and stay unknown. The 5-minute/1-hour split in `cache_creation` is
 * not kept: both count as cache writes.
 */
export function fromAnthropic(usage: unknown): UsageResult {
  return adapt(usage, (o) => anthropicUsage(anthropicCounts(o, '')))
}

/**
 * A streamed Anthropic message: `message_start` carries `message.usage` (input and cache
 * counts, and a placeholder output count), each `message_delta` carries `usage` whose counts
 * are CUMULATIVE: the last delta's output_tokens is the message's, and any input or cache
 * count a delta carries replaces the start's. Other events are ignored, so a caller may keep
 * only the message_start and the last message_delta. Without a message_delta the output is
 * unknown, not the placeholder.
 */
export function fromAnthropicStream(events: Iterable<unknown>): UsageResult {
  let start: Record<string, unknown> | null = null
  let delta: Record<string, unknown> | null = null
  for (const event of events) {
    if (!isObject(event)) continue
    if (event.type === 'message_start' && isObject(event.message) && isObject(event.message.usage))
      start = event.message.usage
    if (event.type === 'message_delta' && isObject(event.usage)) delta = event.usage
  }
  return settle(() => {
    const s = start ? anthropicCounts(start, 'message_start.message.usage.') : null
    const d = delta ? anthropicCounts(delta, 'message_delta.usage.') : null
    if (!s && !d) return { ...UNKNOWN_USAGE }
    return anthropicUsage({
      input: d?.input ?? s?.input ?? null,
      read: d?.read ?? s?.read ?? null,
      write: d?.write ?? s?.write ?? null,
      output: d ? d.output : null,
      thinking: d?.thinking ?? s?.thinking ?? null,
    })
  })
}

type AnthropicCounts = Record<'input' | 'read' | 'write' | 'output' | 'thinking', number | null>

function anthropicCounts(o: Record<string, unknown>, prefix: string): AnthropicCounts {
  return {
    input: count(o, 'input_tokens', undefined, prefix),
    read: count(o, 'cache_read_input_tokens', undefined, prefix),
    write: count(o, 'cache_creation_input_tokens', undefined, prefix),
    output: count(o, 'output_tokens', undefined, prefix),
    thinking: count(o, 'output_tokens_details', 'thinking_tokens', prefix),
  }
}

function anthropicUsage(c: AnthropicCounts): Usage {
  return {
    input_tokens: c.input === null ? null : c.input + (c.read ?? 0) + (c.write ?? 0),
    output_tokens: c.output,
    cache_read_tokens: c.read,
    cache_write_tokens: c.write,
    reasoning_tokens: c.thinking,
  }
}

const USAGE_KEYS = [
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
] as const satisfies readonly (keyof Usage)[]

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message)
  }
}

/** Null or absent usage is unknown; anything else must be an object of valid counts. */
function adapt(usage: unknown, read: (o: Record<string, unknown>) => Usage): UsageResult {
  if (usage === null || usage === undefined) return { ok: true, usage: { ...UNKNOWN_USAGE }, adjustments: [] }
  if (!isObject(usage)) return { ok: false, field: 'usage', error: `expected an object, got ${kind(usage)}` }
  return settle(() => read(usage))
}

/** Reads, normalizes and checks; a refused count becomes the result instead of a throw. */
function settle(read: () => Usage): UsageResult {
  try {
    const { usage: normalized, adjustments } = normalizeUsage(read())
    const broken = checkUsage(normalized)
    // A sum of parts can pass MAX_TOKENS although each part is within it.
    if (broken) return { ok: false, ...broken }
    return { ok: true, usage: normalized, adjustments }
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, field: err.field, error: err.message }
    throw err
  }
}

/** The count at `key` (or `key.sub`): null when absent or null, Invalid when not a count. */
function count(o: Record<string, unknown>, key: string, sub?: string, prefix = ''): number | null {
  let value = o[key]
  let field = prefix + key
  if (sub !== undefined) {
    if (value === undefined || value === null) return null
    if (!isObject(value)) throw new Invalid(field, `expected an object or null, got ${kind(value)}`)
    value = value[sub]
    field = `${field}.${sub}`
  }
  if (value === undefined) return null
  const error = countError(value)
  if (error) throw new Invalid(field, error)
  return value as number | null
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function kind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `a string (${JSON.stringify(v.slice(0, 40))})`
  return typeof v
}
