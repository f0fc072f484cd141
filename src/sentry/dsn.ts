/**
 * Sentry DSNs and credentials (docs/decisions.md, "Sentry SDK compatibility"). Pure: no storage, no request objects.
 *
 * A DSN is `http(s)://<public key>@<host>/<project numeric id>`; SDKs derive the ingest URL
 * `<origin>/api/<id>/envelope/` from it and authenticate with the public key in one of
 * three places: the `X-Sentry-Auth` header (`Sentry sentry_key=..., sentry_version=7, ...`),
 * the `sentry_key` query parameter (browsers, to avoid a CORS preflight), or the `dsn`
 * header of the envelope itself. Old SDKs may send a `sentry_secret`, or a DSN with a
 * `:secret` password part; Sentry ignores secrets since 2018 and so does bloop.
 */

/** Sentry public keys are 32 lowercase hex characters (a UUID without dashes). */
export const PUBLIC_KEY = /^[0-9a-f]{32}$/

export interface Dsn {
  publicKey: string
  /** The project's numeric id: the last path segment of the DSN. */
  projectId: number
  /** `http(s)://host[:port]` plus any path prefix before the project id. */
  origin: string
}

export function formatDsn(publicKey: string, numericId: number, origin: string): string {
  const url = new URL(origin)
  const prefix = url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//${publicKey}@${url.host}${prefix}/${numericId}`
}

/** Parses a DSN string; null when it is not one. */
export function parseDsn(text: string): Dsn | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  const publicKey = decodeURIComponent(url.username)
  if (publicKey === '') return null
  const segments = url.pathname.split('/').filter(Boolean)
  const last = segments.pop()
  if (last === undefined || !/^\d{1,15}$/.test(last)) return null
  const prefix = segments.length > 0 ? `/${segments.join('/')}` : ''
  return { publicKey, projectId: Number(last), origin: `${url.protocol}//${url.host}${prefix}` }
}

/**
 * Parses an `X-Sentry-Auth` (or `Authorization: Sentry ...`) value into its key/value
 * pairs. Returns null when the value is not in the Sentry scheme.
 */
export function parseAuthHeader(value: string): Record<string, string> | null {
  const m = /^\s*Sentry\s+(.*)$/is.exec(value)
  if (!m) return null
  const out: Record<string, string> = {}
  for (const part of (m[1] as string).split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const k = part.slice(0, eq).trim().toLowerCase()
    const v = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
    if (k !== '') out[k] = v
  }
  return out
}

/** Where a key was presented; named in error messages so a user knows what to fix. */
export type KeySource = 'X-Sentry-Auth header' | 'sentry_key query parameter' | 'envelope dsn header'

export interface PresentedKey {
  key: string
  source: KeySource
  /** The project id named alongside the key (only an envelope's DSN names one). */
  projectId?: number
}

/**
 * The keys a request presents before its body is read: the auth header (or an
 * `Authorization: Sentry ...` header, which some older SDKs send) and the query parameter.
 */
export function keysFromRequest(headers: Headers, query: URLSearchParams): PresentedKey[] {
  const out: PresentedKey[] = []
  const header = headers.get('x-sentry-auth') ?? headers.get('authorization')
  if (header !== null) {
    const key = parseAuthHeader(header)?.sentry_key
    if (key !== undefined) out.push({ key, source: 'X-Sentry-Auth header' })
  }
  const q = query.get('sentry_key')
  if (q !== null) out.push({ key: q, source: 'sentry_key query parameter' })
  return out
}

/** The key and project an envelope's `dsn` header names, or null when it has none. */
export function keyFromEnvelopeDsn(dsn: unknown): PresentedKey | 'malformed' | null {
  if (dsn === undefined || dsn === null) return null
  if (typeof dsn !== 'string') return 'malformed'
  const parsed = parseDsn(dsn)
  if (!parsed) return 'malformed'
  return { key: parsed.publicKey, source: 'envelope dsn header', projectId: parsed.projectId }
}
