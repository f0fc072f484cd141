/**
 * Which headers cross the proxy. Everything end-to-end passes both ways (the provider's
 * credentials, `OpenAI-*`, `anthropic-*`, `User-Agent`, `Accept`, idempotency and
 * request ids...), because SDKs rely on headers the proxy cannot know about. What does
 * not pass:
 * - the hop-by-hop headers of RFC 9110 section 7.6.1, and any header a `Connection`
 *   header names: they describe one connection, not the message;
 * - `Host` and `Content-Length`: the outgoing request gets its own;
 * - bloop's own `X-Bloop-*` headers: they are for bloop, and the key in `X-Bloop-Key`
 *   must not reach a third party.
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

function namedByConnection(headers: Headers): Set<string> {
  const named = new Set<string>()
  const value = headers.get('connection')
  if (value) for (const part of value.split(',')) named.add(part.trim().toLowerCase())
  return named
}

/** The headers to send upstream. */
export function upstreamRequestHeaders(incoming: Headers): Headers {
  const named = namedByConnection(incoming)
  const out = new Headers()
  incoming.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || named.has(name)) return
    if (name === 'host' || name === 'content-length' || name.startsWith('x-bloop-')) return
    out.append(name, value)
  })
  return out
}

/**
 * The upstream's response headers for the client. `decoded`: the body was decompressed
 * (or rewritten) on the way, so its encoding and length no longer describe it.
 */
export function clientResponseHeaders(upstream: Headers, decoded: boolean): Headers {
  const named = namedByConnection(upstream)
  const out = new Headers()
  upstream.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || named.has(name)) return
    if (decoded && (name === 'content-encoding' || name === 'content-length')) return
    out.append(name, value)
  })
  return out
}

/** The per-request headers that describe the trace; all optional. */
export interface BloopHeaders {
  traceId: string | null
  parentSpanId: string | null
  sessionId: string | null
  userId: string | null
  traceName: string | null
  promptName: string | null
  promptVersion: string | null
  /** Raw JSON text of X-Bloop-Metadata; checked by the caller. */
  metadata: string | null
  /** An experiment's id: the proxy assigns the call's variant (experiments/store.ts). */
  experiment: string | null
  /** The unit an experiment assigns by (a user or session id); defaults to the user, then the session. */
  unit: string | null
}

export function readBloopHeaders(h: Headers): BloopHeaders {
  const get = (name: string) => {
    const v = h.get(name)
    return v === null || v.trim() === '' ? null : v.trim()
  }
  return {
    traceId: get('x-bloop-trace-id'),
    parentSpanId: get('x-bloop-parent-span-id'),
    sessionId: get('x-bloop-session-id'),
    userId: get('x-bloop-user-id'),
    traceName: get('x-bloop-trace-name'),
    promptName: get('x-bloop-prompt-name'),
    promptVersion: get('x-bloop-prompt-version'),
    metadata: get('x-bloop-metadata'),
    experiment: get('x-bloop-experiment'),
    unit: get('x-bloop-unit'),
  }
}
