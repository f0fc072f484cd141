/**
 * The Anthropic Messages wire format. Only `POST /v1/messages` is traced (token counting
 * and batches are forwarded untraced). A stream is typed events: `message_start` carries
 * the model and the input and cache counts, `content_block_*` the content (text,
 * `tool_use` with its input as JSON fragments, thinking), `message_delta` the stop reason
 * and the cumulative output count, `message_stop` the end; `error` may arrive mid-stream
 * (`overloaded_error`). Usage is converted to bloop's convention by usage.ts, since
 * Anthropic's input_tokens leaves out cache reads and writes.
 */
import { fromAnthropic, fromAnthropicStream, type UsageResult } from '../../usage'
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

export function anthropicOperation(method: string, path: string): Operation | null {
  return method === 'POST' && path === '/v1/messages' ? 'messages' : null
}

export function prepareAnthropic(
  op: Operation,
  bytes: Uint8Array,
  text: string,
  keepPrompt = true,
): PreparedRequest | null {
  const body = parseJson(text)
  if (!isObject(body)) return null
  return {
    operation: op,
    model: typeof body.model === 'string' ? body.model : null,
    stream: body.stream === true,
    body: bytes,
    addedUsage: false,
    input: !keepPrompt
      ? null
      : body.system === undefined
        ? contentText(body.messages)
        : JSON.stringify({ system: body.system, messages: body.messages }),
  }
}

export function anthropicCapture(budget = new ContentBudget(Number.MAX_SAFE_INTEGER)): ResponseCapture {
  return new MessagesCapture(budget)
}

interface Block {
  type: string
  text: string
  tool: ToolCall | null
}

class MessagesCapture implements ResponseCapture {
  private model: string | null = null
  private blocks: Block[] = []
  private usage: UsageResult = fromAnthropic(null)
  private start: unknown = null
  private lastDelta: unknown = null
  private finish: string | null = null
  private error: string | null = null
  private done = false

  constructor(private readonly budget: ContentBudget) {}

  body(json: unknown): void {
    this.done = true
    if (!isObject(json)) return
    if (typeof json.model === 'string') this.model = json.model
    if (typeof json.stop_reason === 'string') this.finish = json.stop_reason
    this.usage = fromAnthropic(json.usage)
    if (Array.isArray(json.content))
      for (const c of json.content) {
        if (!isObject(c)) continue
        if (c.type === 'text' && typeof c.text === 'string')
          this.blocks.push({ type: 'text', text: c.text, tool: null })
        if (c.type === 'tool_use')
          this.blocks.push({
            type: 'tool_use',
            text: '',
            tool: {
              id: typeof c.id === 'string' ? c.id : null,
              name: typeof c.name === 'string' ? c.name : null,
              arguments: JSON.stringify(c.input ?? {}),
            },
          })
      }
  }

  event(e: SseEvent): EventVerdict {
    const ev = parseJson(e.data)
    if (!isObject(ev)) {
      this.error = `the upstream sent an event that is not JSON: ${e.data.slice(0, 120)}`
      return KEEP
    }
    switch (ev.type) {
      case 'message_start':
        this.start = ev
        if (isObject(ev.message) && typeof ev.message.model === 'string') this.model = ev.message.model
        return KEEP
      case 'content_block_start': {
        const block = isObject(ev.content_block) ? ev.content_block : {}
        const index = typeof ev.index === 'number' ? ev.index : this.blocks.length
        const type = typeof block.type === 'string' ? block.type : 'unknown'
        this.blocks[index] = {
          type,
          text: typeof block.text === 'string' ? block.text : '',
          tool:
            type === 'tool_use'
              ? {
                  id: typeof block.id === 'string' ? block.id : null,
                  name: typeof block.name === 'string' ? block.name : null,
                  arguments: '',
                }
              : null,
        }
        return KEEP
      }
      case 'content_block_delta': {
        const delta = isObject(ev.delta) ? ev.delta : {}
        const index = typeof ev.index === 'number' ? ev.index : this.blocks.length - 1
        const block = this.blocks[index] ?? { type: 'text', text: '', tool: null }
        this.blocks[index] = block
        if (delta.type === 'text_delta' && typeof delta.text === 'string')
          block.text = this.budget.append(block.text, delta.text) ?? ''
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && block.tool)
          block.tool.arguments = this.budget.append(block.tool.arguments, delta.partial_json) ?? ''
        return CONTENT
      }
      case 'message_delta':
        this.lastDelta = ev
        if (isObject(ev.delta) && typeof ev.delta.stop_reason === 'string') this.finish = ev.delta.stop_reason
        return KEEP
      case 'message_stop':
        this.done = true
        return KEEP
      case 'error': {
        const err = ev.error
        this.error =
          isObject(err) && typeof err.message === 'string' ? err.message : JSON.stringify(ev).slice(0, 500)
        return KEEP
      }
      default:
        return KEEP
    }
  }

  result(): CaptureResult {
    const streamed = this.start !== null || this.lastDelta !== null
    const usage = streamed ? fromAnthropicStream([this.start, this.lastDelta]) : this.usage
    const blocks = this.blocks.filter(Boolean)
    const texts = blocks.filter((b) => b.type === 'text').map((b) => b.text)
    const tools = blocks.flatMap((b) => (b.tool ? [b.tool] : []))
    return {
      model: this.model,
      output: this.budget.output(outputOf(texts.length > 0 ? texts.join('') : null, tools)),
      usage,
      finishReason: this.finish,
      error: this.error,
      complete: this.done,
      facts: tools.length > 0 ? { tool_calls: tools.length } : {},
    }
  }
}
