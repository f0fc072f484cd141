/**
 * `wrapAnthropic(client)`: records `messages.create` of the official `@anthropic-ai/sdk`
 * client as generation spans, streaming or not. Anthropic counts cache reads and writes
 * apart from `input_tokens`; bloop's convention counts them in, so they are added here
 * (and also sent on their own). A stream's usage comes from `message_start` (input side)
 * and the last `message_delta` (cumulative output), so it is exact without extra options.
 */
import { asContent, type Usage } from './tracing'
import { interceptMethod, interceptPath, providerOf, recordCall, type WrapOptions } from './wrap'

export { bloopProxy } from './openai'
export type { WrapOptions } from './wrap'

interface AnthropicUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
}

export function anthropicUsage(u: AnthropicUsage | null | undefined): Usage {
  if (!u) return {}
  const read = u.cache_read_input_tokens ?? 0
  const write = u.cache_creation_input_tokens ?? 0
  return {
    inputTokens: typeof u.input_tokens === 'number' ? u.input_tokens + read + write : undefined,
    outputTokens: u.output_tokens ?? undefined,
    cacheReadTokens: u.cache_read_input_tokens ?? undefined,
    cacheWriteTokens: u.cache_creation_input_tokens ?? undefined,
  }
}

type Params = { model?: string; stream?: unknown; messages?: unknown; system?: unknown }
type Block = { type?: string; text?: string; name?: string; input?: unknown }
type Message = { model?: string; content?: Block[]; usage?: AnthropicUsage; stop_reason?: string }
type StreamEvent = {
  type?: string
  message?: Message
  delta?: { type?: string; text?: string; partial_json?: string }
  usage?: AnthropicUsage
}

function outputOf(content: Block[] | undefined): unknown {
  if (!content) return undefined
  if (content.every((b) => b.type === 'text')) return content.map((b) => b.text ?? '').join('')
  return content
}

export function wrapAnthropic<T extends object>(client: T, o: WrapOptions = {}): T {
  const provider = o.provider ?? providerOf((client as { baseURL?: unknown }).baseURL, 'anthropic')
  const create = recordCall<Params, Message, StreamEvent>(o, {
    span: (p) => ({
      spanType: 'generation',
      name: `${provider}.messages.create`,
      model: p.model,
      provider,
      input: asContent(p.messages),
    }),
    result: (m) => ({ usage: anthropicUsage(m?.usage), model: m?.model, output: outputOf(m?.content) }),
    stream: () => {
      let start: AnthropicUsage = {}
      let last: AnthropicUsage = {}
      let model: string | undefined
      let text = ''
      return {
        chunk(e) {
          if (e.type === 'message_start' && e.message) {
            model = e.message.model
            start = e.message.usage ?? {}
          } else if (e.type === 'message_delta' && e.usage) {
            last = e.usage
          } else if (e.type === 'content_block_delta') {
            if (e.delta?.type === 'text_delta' && e.delta.text) {
              text += e.delta.text
              return true
            }
            return e.delta?.type === 'input_json_delta'
          }
          return false
        },
        done: () => ({
          // message_delta's usage is cumulative and, on newer API versions, repeats the input side.
          usage: anthropicUsage({
            input_tokens: last.input_tokens ?? start.input_tokens,
            output_tokens: last.output_tokens ?? start.output_tokens,
            cache_read_input_tokens: last.cache_read_input_tokens ?? start.cache_read_input_tokens,
            cache_creation_input_tokens:
              last.cache_creation_input_tokens ?? start.cache_creation_input_tokens,
          }),
          model,
          output: text,
        }),
      }
    },
  })
  return interceptPath(client, ['messages'], (m) => interceptMethod(m, 'create', create))
}
