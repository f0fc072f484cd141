/**
 * What one OTLP span says about an LLM call, read from the attribute names the common
 * instrumentations write. Pure: a span in, the fields of a bloop span out. Each getter tries
 * the conventions in this order, the first present value winning:
 *
 * 1. OpenTelemetry GenAI semantic conventions (`gen_ai.*`): `gen_ai.provider.name`, and the
 *    older `gen_ai.system`; `gen_ai.operation.name`; request and response model;
 *    `gen_ai.usage.*` (cache read/creation and reasoning included); messages as
 *    `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions`, on
 *    the span or on a `gen_ai.client.inference.operation.details` event, or the deprecated
 *    per-message events (`gen_ai.user.message`, `gen_ai.choice`, ...).
 * 2. OpenInference (Arize Phoenix): `openinference.span.kind`, `llm.model_name`,
 *    `llm.token_count.*`, `llm.input_messages.N.message.*`, `input.value` / `output.value`.
 * 3. The Vercel AI SDK: `ai.model.*`, `ai.usage.*`, `ai.prompt*`, `ai.response.*`,
 *    `ai.toolCall.*`; its outer `ai.generateText` spans are chains, the `.doGenerate` /
 *    `.doStream` spans inside them are the model calls.
 * 4. OpenLLMetry (Traceloop): `traceloop.span.kind`, `llm.request.type`,
 *    `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`, the underscore usage spellings
 *    (`gen_ai.usage.prompt_tokens`, `gen_ai.usage.cache_read_input_tokens`).
 *
 * Token counts follow bloop's convention (input includes cache reads and writes, output
 * includes reasoning), which is also what the GenAI conventions ask; counts that arrive
 * the other way (parts larger than the whole) are added by the trace contract's parser.
 *
 * Only model-call spans (`generation`) carry model, usage and cost: agent, workflow and
 * chain spans often repeat the sum of their children's usage, and counting it twice would
 * double the trace's cost. Their attributes stay in metadata.
 *
 * Content (prompts, completions, tool arguments and results, retrieved documents) is read
 * by ./content.ts, and never copied into metadata: metadata is kept under every content
 * policy, so content there would escape the policy.
 */
import { isContentKey } from './content'
import type { Attributes, AttrValue, OtlpSpan } from './decode'
import { STATUS_ERROR } from './decode'

export type SpanType = 'generation' | 'tool' | 'retrieval' | 'custom'

const GENERATION_OPS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings', 'completion'])
const OPENINFERENCE_KINDS: Record<string, SpanType> = {
  LLM: 'generation',
  EMBEDDING: 'generation',
  TOOL: 'tool',
  RETRIEVER: 'retrieval',
  RERANKER: 'retrieval',
}
/** Vercel AI SDK spans that are one call of the model (the outer ones are chains). */
const VERCEL_CALL = /^ai\.[A-Za-z]+\.do(Generate|Stream|Embed)$/

const text = (v: AttrValue | undefined): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined

function first(a: Attributes, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = text(a[k])
    if (v !== undefined && v !== '') return v
  }
  return undefined
}

/** A non-negative count; numeric strings are accepted (some instrumentations write them). */
function count(a: Attributes, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = a[k]
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN
    if (Number.isSafeInteger(n) && n >= 0) return n
  }
  return undefined
}

function float(a: Attributes, key: string): number | undefined {
  const v = a[key]
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

export function spanType(s: OtlpSpan): SpanType {
  const a = s.attributes
  const oi = text(a['openinference.span.kind'])?.toUpperCase()
  if (oi) return OPENINFERENCE_KINDS[oi] ?? 'custom'
  const op = text(a['gen_ai.operation.name'])
  if (op) {
    if (GENERATION_OPS.has(op)) return 'generation'
    if (op === 'execute_tool') return 'tool'
    if (op === 'retrieval') return 'retrieval'
    return 'custom'
  }
  const operationId = text(a['ai.operationId']) ?? (s.name.startsWith('ai.') ? s.name : undefined)
  if (operationId) {
    if (VERCEL_CALL.test(operationId)) return 'generation'
    if (operationId === 'ai.toolCall') return 'tool'
    return 'custom'
  }
  const tl = text(a['traceloop.span.kind'])
  if (tl) return tl === 'tool' ? 'tool' : 'custom'
  if (a['llm.request.type'] !== undefined) return 'generation'
  if (
    model(a) !== undefined &&
    (a['gen_ai.usage.input_tokens'] ?? a['gen_ai.usage.prompt_tokens']) !== undefined
  )
    return 'generation'
  return 'custom'
}

/** The model that answered (dated, which prices best) before the one asked for. */
const MODEL_KEYS = [
  'gen_ai.response.model',
  'ai.response.model',
  'llm.response.model',
  'gen_ai.request.model',
  'llm.model_name',
  'ai.model.id',
  'llm.request.model',
]

export const model = (a: Attributes) => first(a, MODEL_KEYS)

export function provider(a: Attributes): string | undefined {
  // The AI SDK names the provider and its API together ("openai.chat",
  // "anthropic.messages"), in `gen_ai.system` too; the provider is the first part.
  const vercel = text(a['ai.model.provider'])
  if (vercel) return (vercel.split('.')[0] as string).toLowerCase()
  return first(a, ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system'])?.toLowerCase()
}

export interface Tokens {
  input_tokens?: number
  output_tokens?: number
  cache_read_tokens?: number
  cache_write_tokens?: number
  reasoning_tokens?: number
}

export function tokens(a: Attributes): Tokens {
  const t: Tokens = {
    input_tokens: count(a, [
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.prompt_tokens',
      'llm.token_count.prompt',
      'ai.usage.inputTokens',
      'ai.usage.promptTokens',
      'llm.usage.prompt_tokens',
    ]),
    output_tokens: count(a, [
      'gen_ai.usage.output_tokens',
      'gen_ai.usage.completion_tokens',
      'llm.token_count.completion',
      'ai.usage.outputTokens',
      'ai.usage.completionTokens',
      'llm.usage.completion_tokens',
    ]),
    cache_read_tokens: count(a, [
      'gen_ai.usage.cache_read.input_tokens',
      'gen_ai.usage.cache_read_input_tokens',
      'llm.token_count.prompt_details.cache_read',
      'ai.usage.cachedInputTokens',
      'ai.usage.inputTokenDetails.cacheReadTokens',
    ]),
    cache_write_tokens: count(a, [
      'gen_ai.usage.cache_creation.input_tokens',
      'gen_ai.usage.cache_creation_input_tokens',
      'llm.token_count.prompt_details.cache_write',
      'ai.usage.inputTokenDetails.cacheWriteTokens',
    ]),
    reasoning_tokens: count(a, [
      'gen_ai.usage.reasoning.output_tokens',
      'gen_ai.usage.reasoning_tokens',
      'llm.token_count.completion_details.reasoning',
      'ai.usage.reasoningTokens',
      'ai.usage.outputTokenDetails.reasoningTokens',
    ]),
  }
  for (const k of Object.keys(t) as (keyof Tokens)[]) if (t[k] === undefined) delete t[k]
  return t
}

/** A cost the instrumentation computed, in dollars (OpenInference's `llm.cost.total`). */
export const clientCost = (a: Attributes) => float(a, 'llm.cost.total')

/** Time to the first streamed chunk, in ms: GenAI writes seconds, the AI SDK milliseconds. */
export function timeToFirstTokenMs(a: Attributes): number | undefined {
  const seconds = float(a, 'gen_ai.response.time_to_first_chunk')
  if (seconds !== undefined) return seconds * 1000
  return float(a, 'ai.response.msToFirstChunk') ?? float(a, 'ai.stream.msToFirstChunk')
}

export const sessionId = (a: Attributes) =>
  first(a, [
    'gen_ai.conversation.id',
    'session.id',
    'traceloop.association.properties.session_id',
    'ai.telemetry.metadata.sessionId',
    'ai.telemetry.metadata.session_id',
  ])

export const userId = (a: Attributes) =>
  first(a, [
    'user.id',
    'enduser.id',
    'traceloop.association.properties.user_id',
    'ai.telemetry.metadata.userId',
    'ai.telemetry.metadata.user_id',
  ])

/** The prompt a trace used, which is how experiments find their variants. */
export const promptName = (a: Attributes) =>
  first(a, [
    'bloop.prompt.name',
    'gen_ai.prompt.name',
    'traceloop.prompt.key',
    'ai.telemetry.metadata.prompt_name',
  ])
export const promptVersion = (a: Attributes) =>
  first(a, [
    'bloop.prompt.version',
    'gen_ai.prompt.version',
    'llm.prompt_template.version',
    'traceloop.prompt.version',
    'ai.telemetry.metadata.prompt_version',
  ])

export function tags(a: Attributes): string[] | undefined {
  const v = a['tag.tags'] ?? a['bloop.tags']
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return undefined
}

/** The span's error: status ERROR, an `exception` event, or an `error.type` attribute. */
export function failure(s: OtlpSpan): { error: boolean; message?: string } {
  const exception = s.events.find((e) => e.name === 'exception')
  const fromException = exception
    ? [text(exception.attributes['exception.type']), text(exception.attributes['exception.message'])]
        .filter(Boolean)
        .join(': ')
    : ''
  const errorType = text(s.attributes['error.type'])
  if (s.status.code === STATUS_ERROR || exception || errorType) {
    return { error: true, message: s.status.message || fromException || errorType || 'error' }
  }
  return { error: false }
}

/** Keys read into a span's own fields; they are not repeated in metadata. */
const MAPPED_KEYS = new Set([
  ...MODEL_KEYS,
  'gen_ai.provider.name',
  'gen_ai.system',
  'llm.provider',
  'llm.system',
  'ai.model.provider',
  'openinference.span.kind',
  'gen_ai.conversation.id',
  'session.id',
  'user.id',
  'enduser.id',
  'gen_ai.response.time_to_first_chunk',
  'ai.response.msToFirstChunk',
  'ai.stream.msToFirstChunk',
  'llm.cost.total',
  'tag.tags',
])
const USAGE_PREFIXES = ['gen_ai.usage.', 'llm.token_count.', 'ai.usage.', 'llm.usage.']

/** Attributes not read into a field and not content: they are kept as the span's metadata. */
export function leftover(a: Attributes, type: SpanType): Attributes {
  const out: Attributes = {}
  for (const [k, v] of Object.entries(a)) {
    if (isContentKey(k)) continue
    // A chain's usage is kept for reading (it is not counted, see the header).
    if (type === 'generation' && (MAPPED_KEYS.has(k) || USAGE_PREFIXES.some((p) => k.startsWith(p)))) continue
    if (type !== 'generation' && MAPPED_KEYS.has(k) && !MODEL_KEYS.includes(k)) continue
    out[k] = v
  }
  return out
}
