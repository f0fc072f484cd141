/**
 * What the proxy learns from one call, whatever the provider: the shape every provider
 * module (providers/*.ts) fills from the request it forwards and the response it passes
 * back. Pure data and small helpers; no I/O.
 */
import { utf8Length } from '../../http/validate'
import { truncateContent } from '../ingest/contract'
import type { UsageResult } from '../usage'

/** The traced operations; anything else is forwarded without a trace. */
export type Operation = 'chat' | 'responses' | 'embeddings' | 'completions' | 'messages'

export interface PreparedRequest {
  operation: Operation
  /** The model the client asked for (a response's own model name wins when it has one). */
  model: string | null
  stream: boolean
  /** The body to send upstream: the client's bytes, or them with usage reporting turned on. */
  body: Uint8Array
  /**
   * The proxy turned on `stream_options.include_usage`, which the client did not ask for:
   * the usage-only chunk it adds is removed from what the client receives.
   */
  addedUsage: boolean
  /** The prompt as stored content (JSON text of the messages); null when the policy keeps none. */
  input: string | null
}

export interface ToolCall {
  id: string | null
  name: string | null
  arguments: string
}

/** One SSE event as eventsource-parser gives it. */
export interface SseEvent {
  event?: string | undefined
  data: string
}

export interface EventVerdict {
  /** The event carried generated content (text, a tool call, reasoning): TTFT is taken at the first. */
  content: boolean
  /** The client must not see this event (the usage chunk the proxy asked for). */
  drop: boolean
}

/** The response side of one call: fed a whole body, or the events of a stream. */
export interface ResponseCapture {
  /** A non-streamed 2xx body, parsed JSON (null when it was not JSON). */
  body(json: unknown): void
  /** One event of a streamed 2xx response. */
  event(e: SseEvent): EventVerdict
  /** What was captured; `complete` is false for a stream that never sent its end event. */
  result(): CaptureResult
}

export interface CaptureResult {
  model: string | null
  /** The completion as stored content: its text, or JSON when it holds tool calls. */
  output: string | null
  usage: UsageResult
  finishReason: string | null
  /** An error the provider reported inside a 2xx answer (a stream's error event). */
  error: string | null
  complete: boolean
  /** How many embeddings, tool calls...: small facts for the span's metadata. */
  facts: Record<string, unknown>
}

export const KEEP: EventVerdict = { content: false, drop: false }
export const CONTENT: EventVerdict = { content: true, drop: false }

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Content as text: a string as it is, anything else as compact JSON, absent as null. */
export function contentText(v: unknown): string | null {
  if (v === undefined || v === null) return null
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** The stored completion: its text, or `{content, tool_calls}` as JSON when tools were called. */
export function outputOf(text: string | null, tools: ToolCall[]): string | null {
  if (tools.length === 0) return text
  return JSON.stringify({ content: text, tool_calls: tools })
}

/**
 * The provider's own message from an error body: OpenAI's `{"error":{"message"}}`,
 * Anthropic's `{"type":"error","error":{"type","message"}}`, or a bare `{"message"}` (some
 * compatible servers); the status line otherwise.
 */
export function providerErrorMessage(status: number, text: string): string {
  const parsed = parseJson(text)
  if (isObject(parsed)) {
    const err = parsed.error
    if (isObject(err) && typeof err.message === 'string' && err.message !== '') return err.message
    if (typeof err === 'string' && err !== '') return err
    if (typeof parsed.message === 'string' && parsed.message !== '') return parsed.message
  }
  const head = text.trim().slice(0, 200)
  return head === '' ? `upstream answered ${status}` : `upstream answered ${status}: ${head}`
}

const decoder = new TextDecoder()
export const decodeUtf8 = (b: Uint8Array) => decoder.decode(b)

/**
 * How much generated text one capture keeps while a stream brings it: `limit` UTF-8 bytes
 * (llm_tracing.max_content_bytes), or none (0) when the project's content policy stores no
 * content, so a long completion holds a bounded amount of memory for its whole stream.
 * Past the limit deltas are only counted; `output` cuts the text as parseTrace cuts any
 * content over the cap, counting the bytes streamed in its marker (for tool calls,
 * whose output is JSON, the count is of the bytes kept plus those dropped, unescaped).
 */
export class ContentBudget {
  private used = 0
  private dropped = 0

  constructor(readonly limit: number) {}

  get keeps(): boolean {
    return this.limit > 0
  }

  /** `text + delta` while the budget lasts; `text` once it is spent. */
  append(text: string | null, delta: string): string | null {
    if (!this.keeps) return null
    const n = utf8Length(delta)
    if (this.used > this.limit) {
      this.dropped += n
      return text
    }
    this.used += n
    return (text ?? '') + delta
  }

  /** The stored output: null when nothing is kept, within the cap (cut with its marker) otherwise. */
  output(full: string | null): string | null {
    if (!this.keeps || full === null) return null
    return truncateContent(full, this.limit, this.dropped === 0 ? undefined : utf8Length(full) + this.dropped)
  }
}
