/**
 * The OpenAI wire format, also spoken by every OpenAI-compatible upstream: which calls
 * are traced, how a streamed chat asks for its usage, and what a response says.
 *
 * - Chat Completions and legacy Completions stream `data: {chunk}` events ending with
 *   `data: [DONE]`. Usage comes only in an extra last chunk (`choices: []`, or null from
 *   some compatible servers) and only with `stream_options.include_usage`; without it a
 *   streamed call has no usage at all. So the proxy turns it on when the client did not,
 *   and removes that chunk from what the client receives: a client that reads
 *   `choices[0]` of every chunk would crash on it. (The other chunks then carry
 *   `"usage": null`, which such clients ignore.)
 * - The Responses API streams typed events (`event: response.output_text.delta`); its
 *   usage is in `response.completed` (or `response.incomplete` / `response.failed`).
 * - Embeddings never stream; their usage is input tokens only.
 * Paths are matched by their ending, so Azure's
 * `/openai/deployments/<name>/chat/completions?api-version=...` is traced too.
 */
import { fromOpenAIChat, fromOpenAIEmbeddings, fromOpenAIResponses, type UsageResult } from '../../usage'
import {
  type CaptureResult,
  CONTENT,
  ContentBudget,
  contentText,
  type EventVerdict,
  isObject,
  KEEP,
  type Operation,
  outputOf,
  type PreparedRequest,
  parseJson,
  type ResponseCapture,
  type SseEvent,
  type ToolCall,
} from '../capture'

const UNKNOWN: UsageResult = fromOpenAIChat(null)

export function openaiOperation(method: string, path: string): Operation | null {
  if (method !== 'POST') return null
  if (path.endsWith('/chat/completions')) return 'chat'
  if (path.endsWith('/responses')) return 'responses'
  if (path.endsWith('/embeddings')) return 'embeddings'
  if (path.endsWith('/completions')) return 'completions'
  return null
}

const encoder = new TextEncoder()

/** Null when the body is not a JSON object: such a call is forwarded untraced. */
export function prepareOpenAI(
  op: Operation,
  bytes: Uint8Array,
  text: string,
  askUsage = true,
  keepPrompt = true,
): PreparedRequest | null {
  const body = parseJson(text)
  if (!isObject(body)) return null
  const stream = body.stream === true
  let out = bytes
  let addedUsage = false
  if (askUsage && stream && (op === 'chat' || op === 'completions')) {
    const options = body.stream_options
    if (!(isObject(options) && options.include_usage === true)) {
      addedUsage = true
      out = encoder.encode(withUsageOption(text, body))
    }
  }
  return {
    operation: op,
    model: typeof body.model === 'string' ? body.model : null,
    stream,
    body: out,
    addedUsage,
    input: keepPrompt ? promptOf(op, body) : null,
  }
}

/**
 * The body with `stream_options.include_usage: true`. When the client sent no
 * stream_options, the member is inserted after the opening brace and every other byte
 * is kept as sent; otherwise the object is written anew with the option set.
 */
function withUsageOption(text: string, body: Record<string, unknown>): string {
  if (body.stream_options === undefined) {
    const brace = text.indexOf('{')
    return `${text.slice(0, brace + 1)}"stream_options":{"include_usage":true},${text.slice(brace + 1)}`
  }
  const options = isObject(body.stream_options) ? body.stream_options : {}
  return JSON.stringify({ ...body, stream_options: { ...options, include_usage: true } })
}

function promptOf(op: Operation, body: Record<string, unknown>): string | null {
  switch (op) {
    case 'chat':
      return contentText(body.messages)
    case 'responses':
      return body.instructions === undefined
        ? contentText(body.input)
        : JSON.stringify({ instructions: body.instructions, input: body.input })
    case 'embeddings':
      return contentText(body.input)
    case 'completions':
      return contentText(body.prompt)
    default:
      return null
  }
}

export function openaiCapture(
  op: Operation,
  addedUsage: boolean,
  budget = new ContentBudget(Number.MAX_SAFE_INTEGER),
): ResponseCapture {
  if (op === 'responses') return new ResponsesCapture(budget)
  if (op === 'embeddings') return new EmbeddingsCapture()
  return new ChatCapture(op === 'completions', addedUsage, budget)
}

/** Chat Completions and legacy Completions: the same chunk stream, `delta` vs `text`. */
class ChatCapture implements ResponseCapture {
  private model: string | null = null
  private text: string | null = null
  private tools: ToolCall[] = []
  private usage: UsageResult = UNKNOWN
  private finish: string | null = null
  private error: string | null = null
  private done = false

  constructor(
    private readonly legacy: boolean,
    private readonly addedUsage: boolean,
    private readonly budget: ContentBudget,
  ) {}

  body(json: unknown): void {
    this.done = true
    if (!isObject(json)) return
    if (typeof json.model === 'string') this.model = json.model
    this.usage = fromOpenAIChat(json.usage)
    const choice = firstChoice(json.choices)
    if (!choice) return
    if (typeof choice.finish_reason === 'string') this.finish = choice.finish_reason
    if (this.legacy) {
      this.text = typeof choice.text === 'string' ? choice.text : null
      return
    }
    const message = isObject(choice.message) ? choice.message : {}
    this.text = typeof message.content === 'string' ? message.content : null
    if (Array.isArray(message.tool_calls))
      for (const t of message.tool_calls) {
        if (!isObject(t)) continue
        const fn = isObject(t.function) ? t.function : {}
        this.tools.push({
          id: typeof t.id === 'string' ? t.id : null,
          name: typeof fn.name === 'string' ? fn.name : null,
          arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
        })
      }
  }

  event(e: SseEvent): EventVerdict {
    if (e.data === '[DONE]') {
      this.done = true
      return KEEP
    }
    const chunk = parseJson(e.data)
    if (!isObject(chunk)) {
      this.error = `the upstream sent an event that is not JSON: ${e.data.slice(0, 120)}`
      return KEEP
    }
    if (chunk.error !== undefined) {
      const err = chunk.error
      this.error = isObject(err) && typeof err.message === 'string' ? err.message : JSON.stringify(err)
      return KEEP
    }
    if (typeof chunk.model === 'string') this.model = chunk.model
    const choices = chunk.choices
    const usageOnly =
      choices === null || choices === undefined || (Array.isArray(choices) && choices.length === 0)
    if (chunk.usage !== null && chunk.usage !== undefined) {
      this.usage = fromOpenAIChat(chunk.usage)
      if (usageOnly && this.addedUsage) return { content: false, drop: true }
    }
    const choice = firstChoice(choices)
    if (!choice) return KEEP
    if (typeof choice.finish_reason === 'string') this.finish = choice.finish_reason
    let content = false
    if (this.legacy) {
      if (typeof choice.text === 'string' && choice.text !== '') {
        this.text = this.budget.append(this.text, choice.text)
        content = true
      }
      return content ? CONTENT : KEEP
    }
    const delta = isObject(choice.delta) ? choice.delta : {}
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.text = this.budget.append(this.text, delta.content)
      content = true
    }
    if (typeof delta.refusal === 'string' && delta.refusal !== '') content = true
    // Reasoning text of compatible servers (DeepSeek, vLLM): the first token all the same.
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') content = true
    if (Array.isArray(delta.tool_calls)) {
      for (const t of delta.tool_calls) {
        if (!isObject(t)) continue
        const index = typeof t.index === 'number' ? t.index : this.tools.length
        const call = this.tools[index] ?? { id: null, name: null, arguments: '' }
        this.tools[index] = call
        const fn = isObject(t.function) ? t.function : {}
        if (typeof t.id === 'string') call.id = t.id
        if (typeof fn.name === 'string') call.name = fn.name
        if (typeof fn.arguments === 'string')
          call.arguments = this.budget.append(call.arguments, fn.arguments) ?? ''
        content = true
      }
    }
    return content ? CONTENT : KEEP
  }

  result(): CaptureResult {
    const tools = this.tools.filter(Boolean)
    return {
      model: this.model,
      output: this.budget.output(outputOf(this.text, tools)),
      usage: this.usage,
      finishReason: this.finish,
      error: this.error,
      complete: this.done,
      facts: tools.length > 0 ? { tool_calls: tools.length } : {},
    }
  }
}

function firstChoice(choices: unknown): Record<string, unknown> | null {
  if (!Array.isArray(choices)) return null
  // Choice 0 is the completion stored; with n > 1 the others are not kept.
  const c = choices.find((x) => isObject(x) && (x.index === 0 || x.index === undefined))
  return isObject(c) ? c : null
}

class ResponsesCapture implements ResponseCapture {
  private model: string | null = null
  private text: string | null = null
  private tools: ToolCall[] = []
  private usage: UsageResult = UNKNOWN
  private finish: string | null = null
  private error: string | null = null
  private done = false

  constructor(private readonly budget: ContentBudget) {}

  body(json: unknown): void {
    this.done = true
    if (isObject(json)) this.fromResponse(json)
  }

  event(e: SseEvent): EventVerdict {
    const ev = parseJson(e.data)
    if (!isObject(ev)) {
      this.error = `the upstream sent an event that is not JSON: ${e.data.slice(0, 120)}`
      return KEEP
    }
    const type = typeof ev.type === 'string' ? ev.type : (e.event ?? '')
    if (type === 'response.output_text.delta' && typeof ev.delta === 'string') {
      this.text = this.budget.append(this.text, ev.delta)
      return ev.delta === '' ? KEEP : CONTENT
    }
    if (type === 'response.created' && isObject(ev.response) && typeof ev.response.model === 'string')
      this.model = ev.response.model
    if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      this.done = true
      if (isObject(ev.response)) this.fromResponse(ev.response, this.text)
      return KEEP
    }
    if (type === 'error') {
      this.error = typeof ev.message === 'string' ? ev.message : JSON.stringify(ev).slice(0, 500)
      return KEEP
    }
    // Other deltas (function-call arguments, reasoning summaries, refusals) are generated tokens too.
    return type.endsWith('.delta') ? CONTENT : KEEP
  }

  /** The final response object: model, usage, status, and the output when not streamed. */
  private fromResponse(r: Record<string, unknown>, streamedText: string | null = null): void {
    if (typeof r.model === 'string') this.model = r.model
    this.usage = fromOpenAIResponses(r.usage)
    if (r.status === 'failed') {
      const err = r.error
      this.error = isObject(err) && typeof err.message === 'string' ? err.message : 'the response failed'
    }
    if (r.status === 'incomplete') {
      const details = r.incomplete_details
      this.finish = isObject(details) && typeof details.reason === 'string' ? details.reason : 'incomplete'
    } else if (typeof r.status === 'string') this.finish = r.status
    let text: string | null = null
    this.tools = []
    if (Array.isArray(r.output))
      for (const item of r.output) {
        if (!isObject(item)) continue
        if (item.type === 'message' && Array.isArray(item.content))
          for (const part of item.content)
            if (isObject(part) && part.type === 'output_text' && typeof part.text === 'string')
              text = (text ?? '') + part.text
        if (item.type === 'function_call')
          this.tools.push({
            id: typeof item.call_id === 'string' ? item.call_id : null,
            name: typeof item.name === 'string' ? item.name : null,
            arguments: typeof item.arguments === 'string' ? item.arguments : '',
          })
      }
    this.text = text ?? streamedText
  }

  result(): CaptureResult {
    return {
      model: this.model,
      output: this.budget.output(outputOf(this.text, this.tools)),
      usage: this.usage,
      finishReason: this.finish,
      error: this.error,
      complete: this.done,
      facts: this.tools.length > 0 ? { tool_calls: this.tools.length } : {},
    }
  }
}

/** Embeddings: the vectors are not content anyone reads, so only their count is kept. */
class EmbeddingsCapture implements ResponseCapture {
  private model: string | null = null
  private usage: UsageResult = UNKNOWN
  private count: number | null = null
  private done = false

  body(json: unknown): void {
    this.done = true
    if (!isObject(json)) return
    if (typeof json.model === 'string') this.model = json.model
    this.usage = fromOpenAIEmbeddings(json.usage)
    if (Array.isArray(json.data)) this.count = json.data.length
  }

  event(): EventVerdict {
    return KEEP
  }

  result(): CaptureResult {
    return {
      model: this.model,
      output: null,
      usage: this.usage,
      finishReason: null,
      error: null,
      complete: this.done,
      facts: this.count === null ? {} : { embeddings: this.count },
    }
  }
}
