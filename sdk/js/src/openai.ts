/**
 * `wrapOpenAI(client)`: records `chat.completions.create`, `responses.create` and
 * `embeddings.create` of the official `openai` client as generation spans, streaming or
 * not, with the usage the API reports (prompt tokens include cached ones and completion
 * tokens include reasoning ones, which is bloop's convention already) and the time to the
 * first token. The app gets back exactly what the client returns. A stream reports usage
 * only when the app asks for it (`stream_options: {include_usage: true}`); the wrapper
 * does not add that option, since it changes the chunks the app receives, so such a
 * stream's tokens stay unknown and are sent as absent, not 0.
 *
 * `bloopProxy('openai', options)` is the other road: client options that send the calls
 * through the bloop server's LLM proxy, which records them itself.
 */
import type { Client } from './client'
import { getClient } from './global'
import { asContent, type SpanEnd, type Usage } from './tracing'
import { interceptMethod, interceptPath, providerOf, recordCall, type WrapOptions } from './wrap'

export type { WrapOptions } from './wrap'

interface ChatUsage {
  prompt_tokens?: number
  completion_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number } | null
  completion_tokens_details?: { reasoning_tokens?: number } | null
}
interface ResponsesUsage {
  input_tokens?: number
  output_tokens?: number
  input_tokens_details?: { cached_tokens?: number } | null
  output_tokens_details?: { reasoning_tokens?: number } | null
}

export function chatUsage(u: ChatUsage | null | undefined): Usage {
  if (!u) return {}
  return {
    inputTokens: u.prompt_tokens,
    outputTokens: u.completion_tokens,
    cacheReadTokens: u.prompt_tokens_details?.cached_tokens,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens,
  }
}

export function responsesUsage(u: ResponsesUsage | null | undefined): Usage {
  if (!u) return {}
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadTokens: u.input_tokens_details?.cached_tokens,
    reasoningTokens: u.output_tokens_details?.reasoning_tokens,
  }
}

type Params = { model?: string; stream?: unknown; messages?: unknown; input?: unknown }
type ChatResult = {
  model?: string
  choices?: { message?: { content?: string | null; tool_calls?: unknown } }[]
  usage?: ChatUsage
}
type ChatChunk = {
  model?: string
  choices?: { delta?: { content?: string | null; tool_calls?: unknown } }[]
  usage?: ChatUsage | null
}

function chatOutput(m: { content?: string | null; tool_calls?: unknown } | undefined): unknown {
  if (!m) return undefined
  if (m.tool_calls) return { content: m.content ?? null, tool_calls: m.tool_calls }
  return m.content ?? undefined
}

export function wrapOpenAI<T extends object>(client: T, o: WrapOptions = {}): T {
  const provider = o.provider ?? providerOf((client as { baseURL?: unknown }).baseURL, 'openai')
  const span = (kind: string) => (p: Params) => ({
    spanType: 'generation' as const,
    name: `${provider}.${kind}`,
    model: p.model,
    provider,
    input: asContent(p.messages ?? p.input),
  })

  const chat = recordCall<Params, ChatResult, ChatChunk>(o, {
    span: span('chat.completions.create'),
    result: (r): SpanEnd => ({
      usage: chatUsage(r?.usage),
      model: r?.model,
      output: chatOutput(r?.choices?.[0]?.message),
    }),
    stream: () => {
      let text = ''
      let usage: Usage = {}
      let model: string | undefined
      const tools: unknown[] = []
      return {
        chunk(c) {
          if (c.model) model = c.model
          if (c.usage) usage = chatUsage(c.usage)
          const delta = c.choices?.[0]?.delta
          if (delta?.tool_calls) tools.push(delta.tool_calls)
          if (delta?.content) {
            text += delta.content
            return true
          }
          return Boolean(delta?.tool_calls)
        },
        done: () => ({
          usage,
          model,
          output: tools.length ? { content: text, tool_call_deltas: tools } : text,
        }),
      }
    },
  })

  type ResponsesResult = { model?: string; output_text?: string; output?: unknown; usage?: ResponsesUsage }
  type ResponsesEvent = { type?: string; delta?: string; response?: ResponsesResult }
  const responses = recordCall<Params, ResponsesResult, ResponsesEvent>(o, {
    span: span('responses.create'),
    result: (r) => ({
      usage: responsesUsage(r?.usage),
      model: r?.model,
      output: r?.output_text ?? r?.output,
    }),
    stream: () => {
      let text = ''
      let final: ResponsesResult | undefined
      return {
        chunk(e) {
          if (e.type === 'response.completed' && e.response) final = e.response
          if (e.type === 'response.output_text.delta' && e.delta) {
            text += e.delta
            return true
          }
          return false
        },
        done: () => ({ usage: responsesUsage(final?.usage), model: final?.model, output: text }),
      }
    },
  })

  type EmbeddingResult = { model?: string; usage?: { prompt_tokens?: number } }
  const embeddings = recordCall<Params, EmbeddingResult, never>(o, {
    span: span('embeddings.create'),
    // An embedding produces no tokens: output is a known 0, not unknown.
    result: (r) => ({ usage: { inputTokens: r?.usage?.prompt_tokens, outputTokens: 0 }, model: r?.model }),
    stream: () => ({ chunk: () => false, done: () => ({}) }),
  })

  let out = interceptPath(client, ['chat', 'completions'], (c) => interceptMethod(c, 'create', chat))
  out = interceptPath(out, ['responses'], (r) => interceptMethod(r, 'create', responses))
  out = interceptPath(out, ['embeddings'], (e) => interceptMethod(e, 'create', embeddings))
  return out
}

/**
 * Client options that route an LLM client through the bloop proxy
 * (`new OpenAI({ apiKey, ...bloopProxy('openai') })`): the provider key still goes to
 * the provider, and `X-Bloop-Key` names the project the calls are recorded under.
 */
export function bloopProxy(
  provider: 'openai' | 'anthropic',
  o: { endpoint?: string; projectKey?: string; bloop?: Client } = {},
): { baseURL: string; defaultHeaders: Record<string, string> } {
  const c = o.bloop ?? getClient()
  const endpoint = (o.endpoint ?? c?.options.endpoint ?? '').replace(/\/+$/, '')
  const key = o.projectKey ?? c?.options.projectKey ?? ''
  // The proxy maps /v1/proxy/<provider>/<path> onto the provider's API root, the same root
  // each client's own default base URL names (OpenAI's with /v1, Anthropic's without).
  return { baseURL: `${endpoint}/v1/proxy/${provider}`, defaultHeaders: { 'x-bloop-key': key } }
}
