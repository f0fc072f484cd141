/**
 * A span's input and output, from the attributes and events each convention puts content
 * in (the table in docs/llm-otlp.md), and the list of attribute names that hold content.
 * Pure. Every attribute that holds content is read here or dropped, never copied into
 * metadata: metadata is kept under every content policy, so content there would escape it.
 */
import type { Attributes, AttrValue, OtlpEvent, OtlpSpan } from './decode'

/** Where content is read from; none of these keys reaches metadata (see the header). */
const CONTENT_KEYS = new Set([
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.tool.definitions',
  'gen_ai.retrieval.documents',
  'gen_ai.retrieval.query.text',
  'input.value',
  'output.value',
  'llm.prompts',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.prompt.tools',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.response.reasoning',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'ai.value',
  'ai.values',
  'ai.embedding',
  'ai.embeddings',
  'traceloop.entity.input',
  'traceloop.entity.output',
])
const CONTENT_PREFIXES = [
  'gen_ai.prompt.',
  'gen_ai.completion.',
  'llm.input_messages.',
  'llm.output_messages.',
  'llm.prompt_template.variables',
  'llm.prompt_template.template',
  'llm.tools.',
  'retrieval.documents.',
  'reranker.',
  'embedding.embeddings.',
]

export const isContentKey = (k: string) =>
  CONTENT_KEYS.has(k) || CONTENT_PREFIXES.some((p) => k.startsWith(p))

/** A JSON attribute (a string holding JSON, or a structured AnyValue) as a value. */
function jsonValue(v: AttrValue | undefined): unknown {
  if (typeof v !== 'string') return v ?? undefined
  const t = v.trim()
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t)
    } catch {
      return v
    }
  }
  return v
}

const asText = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v)

/** `prefix.N.rest` attributes as an array of objects by N, in index order. */
function indexed(a: Attributes, prefix: string): Record<string, AttrValue>[] {
  const byIndex = new Map<number, Record<string, AttrValue>>()
  for (const [k, v] of Object.entries(a)) {
    if (!k.startsWith(prefix)) continue
    const m = /^(\d+)\.(.+)$/.exec(k.slice(prefix.length))
    if (!m) continue
    const i = Number(m[1])
    const entry = byIndex.get(i) ?? {}
    entry[m[2] as string] = v
    byIndex.set(i, entry)
  }
  return [...byIndex.entries()].sort((x, y) => x[0] - y[0]).map(([, e]) => e)
}

/** OpenInference messages: `message.role`, `message.content`, or `message.contents.M.message_content.text`. */
function openInferenceMessages(a: Attributes, prefix: string): unknown[] | undefined {
  const entries = indexed(a, prefix)
  if (entries.length === 0) return undefined
  return entries.map((e) => {
    const msg: Record<string, unknown> = {}
    if (e['message.role'] !== undefined) msg.role = e['message.role']
    if (e['message.content'] !== undefined) msg.content = e['message.content']
    else {
      const parts = Object.entries(e)
        .filter(([k]) => /^message\.contents\.\d+\.message_content\.text$/.test(k))
        .map(([, v]) => v)
      if (parts.length > 0) msg.content = parts.join('')
    }
    const tool = Object.entries(e).filter(([k]) => k.startsWith('message.tool_calls.'))
    if (tool.length > 0) msg.tool_calls = Object.fromEntries(tool.map(([k, v]) => [k.slice(8), v]))
    return msg
  })
}

/** OpenLLMetry's `gen_ai.prompt.N.role` / `.content` (and completions alike). */
function indexedMessages(a: Attributes, prefix: string): unknown[] | undefined {
  const entries = indexed(a, prefix)
  if (entries.length === 0) return undefined
  return entries.map((e) => {
    const msg: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(e)) msg[k] = k === 'content' ? jsonValue(v) : v
    return msg
  })
}

const MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
}

/** The deprecated per-message events; their body's fields arrive as event attributes. */
function eventMessages(events: OtlpEvent[]): { input?: unknown[]; output?: unknown[] } {
  const input: unknown[] = []
  const output: unknown[] = []
  for (const e of events) {
    const role = MESSAGE_EVENTS[e.name]
    const body = (e.attributes['gen_ai.event.content'] ?? e.attributes.body) as AttrValue | undefined
    const parsed = jsonValue(body)
    const fields: Record<string, unknown> =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : Object.fromEntries(Object.entries(e.attributes).filter(([k]) => !k.startsWith('gen_ai.system')))
    if (role) input.push({ role: fields.role ?? role, ...fields })
    else if (e.name === 'gen_ai.choice') output.push(fields)
  }
  return { input: input.length ? input : undefined, output: output.length ? output : undefined }
}

export interface Content {
  input?: string
  output?: string
}

/** The span's input and output, from the first convention that has them. */
export function content(s: OtlpSpan): Content {
  const a = s.attributes
  const details = s.events.find((e) => e.name === 'gen_ai.client.inference.operation.details')
  const d = details?.attributes ?? {}
  const messagesIn = jsonValue(a['gen_ai.input.messages'] ?? d['gen_ai.input.messages'])
  const system = jsonValue(a['gen_ai.system_instructions'] ?? d['gen_ai.system_instructions'])
  const messagesOut = jsonValue(a['gen_ai.output.messages'] ?? d['gen_ai.output.messages'])
  const events = eventMessages(s.events)

  let input: unknown =
    messagesIn ??
    openInferenceMessages(a, 'llm.input_messages.') ??
    indexedMessages(a, 'gen_ai.prompt.') ??
    events.input ??
    jsonValue(a['ai.prompt.messages'] ?? a['ai.prompt']) ??
    jsonValue(a['gen_ai.tool.call.arguments'] ?? a['ai.toolCall.args']) ??
    jsonValue(a['input.value'] ?? a['traceloop.entity.input'] ?? a['gen_ai.prompt']) ??
    jsonValue(a['gen_ai.retrieval.query.text'])
  // System instructions are their own attribute in the current conventions; shown first,
  // as the system message they are.
  if (system !== undefined) {
    input = Array.isArray(input)
      ? [{ role: 'system', parts: system }, ...input]
      : { system_instructions: system, ...(input === undefined ? {} : { input }) }
  }
  const output: unknown =
    messagesOut ??
    openInferenceMessages(a, 'llm.output_messages.') ??
    indexedMessages(a, 'gen_ai.completion.') ??
    events.output ??
    jsonValue(a['ai.response.text'] ?? a['ai.response.object'] ?? a['ai.response.toolCalls']) ??
    jsonValue(a['gen_ai.tool.call.result'] ?? a['ai.toolCall.result']) ??
    jsonValue(a['output.value'] ?? a['traceloop.entity.output'] ?? a['gen_ai.completion']) ??
    jsonValue(a['gen_ai.retrieval.documents'])
  const out: Content = {}
  const i = asText(input)
  const o = asText(output)
  if (i !== undefined) out.input = i
  if (o !== undefined) out.output = o
  return out
}

/** Span events other than the content-bearing ones, kept (name, time, attributes) in metadata. */
export function otherEvents(s: OtlpSpan): { name: string; time_ms: number; attributes?: Attributes }[] {
  return s.events
    .filter(
      (e) =>
        !(e.name in MESSAGE_EVENTS) &&
        e.name !== 'gen_ai.choice' &&
        e.name !== 'gen_ai.client.inference.operation.details' &&
        e.name !== 'exception',
    )
    .map((e) => {
      const attrs = Object.fromEntries(Object.entries(e.attributes).filter(([k]) => !isContentKey(k)))
      return {
        name: e.name,
        time_ms: Number(e.timeNs / 1_000_000n),
        ...(Object.keys(attrs).length ? { attributes: attrs } : {}),
      }
    })
}
