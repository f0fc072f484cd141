/**
 * One HTTP delivery attempt for the Slack and webhook channels: the URL policy (ssrf.ts)
 * is checked first, redirects are never followed, the whole exchange is bounded by the
 * delivery timeout.
 *
 * Of the receiver's answer only the status is kept. Its body and headers never reach the
 * delivery log or the test endpoint: with `allow_private_urls` a token holding
 * `alerts:write` could otherwise point a channel at an intranet page and read it back.
 * The start of a failed answer goes to the server log only, for the operator.
 */
import { checkUrl, type Resolver } from '../ssrf'

export interface AttemptResult {
  ok: boolean
  /** The URL policy refused the target; retrying cannot help. */
  refused: boolean
  /** A later attempt may succeed (network error, timeout, 5xx, 429, SMTP 4xx). */
  retryable: boolean
  /** HTTP status, or SMTP reply code. */
  status_code: number | null
  /** The SMTP server's reply line; null for HTTP, whose answer is not kept. */
  response: string | null
  error: string | null
  /** What a failing HTTP receiver said (the start of its body, or where it redirected): server log only. */
  receiverSaid?: string | null
}

export interface HttpOptions {
  timeoutMs: number
  allowPrivate: boolean
  /** Aborts the attempt when the server shuts down. */
  signal: AbortSignal
  resolve?: Resolver
}

const EXCERPT_BYTES = 512

export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: HttpOptions,
): Promise<AttemptResult> {
  const checked = await checkUrl(url, {
    allowPrivate: opts.allowPrivate,
    resolve: opts.resolve,
    timeoutMs: opts.timeoutMs,
  })
  if (!checked.ok) return failure(`URL ${checked.error}`, { refused: true, retryable: false })
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  try {
    const res = await fetch(checked.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      redirect: 'manual',
      signal: AbortSignal.any([timeout, opts.signal]),
    })
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {})
      return {
        ok: true,
        refused: false,
        retryable: false,
        status_code: res.status,
        response: null,
        error: null,
      }
    }
    const redirect = res.status >= 300 && res.status < 400
    const receiverSaid = redirect
      ? `location: ${res.headers.get('location') ?? '(none)'}`
      : await readExcerpt(res)
    if (redirect) await res.body?.cancel().catch(() => {})
    return {
      ok: false,
      refused: false,
      retryable: res.status >= 500 || res.status === 429 || res.status === 408,
      status_code: res.status,
      response: null,
      error: redirect
        ? `receiver answered ${res.status}, a redirect (not followed)`
        : `receiver answered ${res.status}`,
      receiverSaid,
    }
  } catch (err) {
    if (opts.signal.aborted) return failure('abandoned: the server is shutting down', { retryable: false })
    if (timeout.aborted) return failure(`no answer within ${opts.timeoutMs} ms`, { retryable: true })
    return failure(`request failed: ${(err as Error).message}`, { retryable: true })
  }
}

export function failure(
  error: string,
  o: { refused?: boolean; retryable: boolean; status_code?: number | null; response?: string | null },
): AttemptResult {
  return {
    ok: false,
    refused: o.refused ?? false,
    retryable: o.retryable,
    status_code: o.status_code ?? null,
    response: o.response ?? null,
    error,
  }
}

/** Reads at most EXCERPT_BYTES of the body (for the log), so a hostile receiver cannot fill memory. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    while (total < EXCERPT_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      total += value.byteLength
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, EXCERPT_BYTES)).trim()
  return text === '' ? null : text
}
