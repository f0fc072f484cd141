/**
 * The one fetch wrapper of the dashboard. Every call goes to this origin with the session
 * cookie. A 401 means the session ended: the browser goes to the sign-in page, which comes
 * back here afterwards (`next`). Any other failure is thrown as an ApiError carrying the
 * server's `{error, code, field}` body (the class is shared with the sign-in page), for
 * the page to show. The calls themselves sit next to the pages that make them
 * (pages/<name>/api.ts).
 */
import { ApiError } from '../../web/browser/api'

export type Query = Record<string, string | number | boolean | null | undefined>

export interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Query
  /** A JSON body, or FormData for uploads. */
  body?: unknown
}

/** `path?query`, leaving out empty values. */
export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    qs.set(k, String(v))
  }
  const text = qs.toString()
  return text ? `${path}?${text}` : path
}

export function signInUrl(): string {
  return `/auth/login?next=${encodeURIComponent(location.pathname + location.search)}`
}

export async function api<T>(path: string, call: Call = {}): Promise<T> {
  const method = call.method ?? (call.body === undefined ? 'GET' : 'POST')
  const headers: Record<string, string> = { accept: 'application/json' }
  let body: BodyInit | undefined
  if (call.body instanceof FormData) body = call.body
  else if (call.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(call.body)
  }
  const res = await fetch(withQuery(path, call.query), {
    method,
    headers,
    body,
    credentials: 'same-origin',
  })
  const data: unknown = await res.json().catch(() => null)
  if (res.status === 401) {
    location.assign(signInUrl())
    throw new ApiError(401, 'unauthorized', 'your session ended; signing in again')
  }
  if (!res.ok) throw ApiError.of(res.status, data)
  return data as T
}

/** A readable line for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}
