/**
 * Where a proxied call goes. `openai` and `anthropic` are built in (their base URLs are
 * config keys, so tests and private gateways can point them elsewhere); every named entry
 * of `llm_tracing.proxy.upstreams` is an OpenAI-compatible API (Azure OpenAI, Groq,
 * Together, OpenRouter, vLLM, Ollama...) traced with the OpenAI wire format. Pure.
 */
import type { Config } from '../../config/schema'

export type Dialect = 'openai' | 'anthropic'

export interface Upstream {
  /** The name in the URL, recorded as the span's provider. */
  name: string
  dialect: Dialect
  /** Without a trailing slash: the client's path is appended to it. */
  baseUrl: string
}

export type ProxyConfig = Config['llm_tracing']['proxy']

export const BUILT_IN = ['openai', 'anthropic'] as const

/**
 * Every upstream by name. A named upstream may not take a built-in name: a config that
 * silently sent `openai` calls somewhere else would surprise whoever reads the URL.
 */
export function upstreamTable(c: ProxyConfig): Map<string, Upstream> {
  const table = new Map<string, Upstream>([
    ['openai', { name: 'openai', dialect: 'openai', baseUrl: trimSlash(c.openai_base_url) }],
    ['anthropic', { name: 'anthropic', dialect: 'anthropic', baseUrl: trimSlash(c.anthropic_base_url) }],
  ])
  for (const [name, url] of Object.entries(c.upstreams)) {
    if (table.has(name))
      throw new Error(
        `llm_tracing.proxy.upstreams.${name}: "${name}" is built in; set llm_tracing.proxy.${name}_base_url instead`,
      )
    table.set(name, { name, dialect: 'openai', baseUrl: trimSlash(url) })
  }
  for (const u of table.values()) {
    let parsed: URL
    try {
      parsed = new URL(u.baseUrl)
    } catch {
      throw new Error(`the base URL of proxy upstream ${u.name} is not a URL: "${u.baseUrl}"`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new Error(`the base URL of proxy upstream ${u.name} must be http(s), got "${u.baseUrl}"`)
  }
  return table
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
