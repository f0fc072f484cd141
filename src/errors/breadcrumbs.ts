/**
 * Breadcrumbs: what happened before the error, stored with each event (docs/decisions.md,
 * "Breadcrumbs"). Pure. Two doors, one stored shape:
 *
 * - bloop's own contract, the event's top-level `breadcrumbs` array, is checked against
 *   the caps and refused with a 400 naming the crumb (`breadcrumbs[3].message`), like
 *   every other field of bloop ingest: its SDKs trim before sending.
 * - Sentry events (`breadcrumbs` as an array or as `{values: [...]}`) are never refused:
 *   a Sentry SDK cannot shorten what it sends, so the newest crumbs within the count are
 *   kept, long messages are cut and oversized data is replaced by a marker.
 *
 * Stored as compact JSON, oldest first (the order both contracts send), each crumb
 * `{timestamp, type?, category?, level, message?, data?}` with the empty fields left out.
 */
import { utf8Length } from '../http/validate'

/** Crumbs per event. Sentry's SDKs keep 100 by default; bloop's keep 30. */
export const MAX_BREADCRUMBS = 100
export const MAX_CRUMB_MESSAGE_BYTES = 1024
/** A crumb's `data`, as compact JSON. */
export const MAX_CRUMB_DATA_BYTES = 2048
/** `category` and `type`. */
export const MAX_CRUMB_LABEL_CHARS = 64

export const CRUMB_LEVELS = ['fatal', 'error', 'warning', 'info', 'debug'] as const
export type CrumbLevel = (typeof CRUMB_LEVELS)[number]
const LEVEL_ALIASES: Record<string, CrumbLevel> = { critical: 'fatal', warn: 'warning', log: 'info' }

export interface Breadcrumb {
  /** Epoch ms (a value below 10^11 is read as seconds, as the event's timestamp). */
  timestamp: number
  type?: string
  category?: string
  level: CrumbLevel
  message?: string
  data?: Record<string, unknown>
}

const SECONDS_BELOW = 100_000_000_000
const MAX_TIMESTAMP_MS = 253_402_300_799_999
const TRUNCATED = '…'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

export class CrumbError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message)
  }
}

function levelOf(v: unknown): CrumbLevel | null {
  if (v === undefined || v === null) return 'info'
  if (typeof v !== 'string') return null
  const l = v.toLowerCase()
  return (CRUMB_LEVELS as readonly string[]).includes(l) ? (l as CrumbLevel) : (LEVEL_ALIASES[l] ?? null)
}

function timeOf(v: unknown, fallback: number): number | null {
  if (v === undefined || v === null) return fallback
  let ms: number
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = v < SECONDS_BELOW ? v * 1000 : v
  else if (typeof v === 'string') ms = Date.parse(v)
  else return null
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMESTAMP_MS ? Math.floor(ms) : null
}

const jsonOf = (v: unknown): string | null => {
  try {
    return JSON.stringify(v) ?? null
  } catch {
    return null
  }
}

/**
 * bloop ingest: the top-level `breadcrumbs` value checked against every cap, as compact
 * JSON (null when absent or empty). Throws CrumbError naming the field at fault.
 */
export function validateBreadcrumbs(v: unknown, eventTime: number): string | null {
  if (v === undefined || v === null) return null
  if (!Array.isArray(v)) throw new CrumbError('breadcrumbs', 'breadcrumbs must be an array')
  if (v.length > MAX_BREADCRUMBS)
    throw new CrumbError('breadcrumbs', `breadcrumbs exceeds ${MAX_BREADCRUMBS} entries (got ${v.length})`)
  if (v.length === 0) return null
  const out: Breadcrumb[] = []
  v.forEach((c, i) => {
    const at = `breadcrumbs[${i}]`
    if (!isObj(c)) throw new CrumbError(at, `${at} must be an object`)
    const crumb: Breadcrumb = { timestamp: 0, level: 'info' }
    const timestamp = timeOf(c.timestamp, eventTime)
    if (timestamp === null) throw new CrumbError(`${at}.timestamp`, `${at}.timestamp must be epoch ms or s`)
    crumb.timestamp = timestamp
    for (const f of ['type', 'category'] as const) {
      const s = c[f]
      if (s === undefined || s === null || s === '') continue
      if (typeof s !== 'string') throw new CrumbError(`${at}.${f}`, `${at}.${f} must be a string`)
      if (s.length > MAX_CRUMB_LABEL_CHARS)
        throw new CrumbError(`${at}.${f}`, `${at}.${f} exceeds ${MAX_CRUMB_LABEL_CHARS} characters`)
      crumb[f] = s
    }
    const level = levelOf(c.level)
    if (level === null)
      throw new CrumbError(`${at}.level`, `${at}.level must be one of ${CRUMB_LEVELS.join(', ')}`)
    crumb.level = level
    if (c.message !== undefined && c.message !== null && c.message !== '') {
      if (typeof c.message !== 'string')
        throw new CrumbError(`${at}.message`, `${at}.message must be a string`)
      const size = utf8Length(c.message)
      if (size > MAX_CRUMB_MESSAGE_BYTES)
        throw new CrumbError(
          `${at}.message`,
          `${at}.message exceeds ${MAX_CRUMB_MESSAGE_BYTES} bytes (got ${size})`,
        )
      crumb.message = c.message
    }
    if (c.data !== undefined && c.data !== null) {
      if (!isObj(c.data)) throw new CrumbError(`${at}.data`, `${at}.data must be an object`)
      const text = jsonOf(c.data)
      if (text === null) throw new CrumbError(`${at}.data`, `${at}.data cannot be serialized`)
      const size = utf8Length(text)
      if (size > MAX_CRUMB_DATA_BYTES)
        throw new CrumbError(
          `${at}.data`,
          `${at}.data exceeds ${MAX_CRUMB_DATA_BYTES} bytes (compact JSON is ${size} bytes)`,
        )
      if (size > 2) crumb.data = c.data
    }
    out.push(crumb)
  })
  return JSON.stringify(out)
}

function cutUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s
  let cut = s.slice(0, maxBytes)
  while (utf8Length(cut) + utf8Length(TRUNCATED) > maxBytes) cut = cut.slice(0, -1)
  return cut + TRUNCATED
}

/**
 * A Sentry event's breadcrumbs (an array or `{values: [...]}`), never refused: the newest
 * MAX_BREADCRUMBS objects, messages cut to the cap, data over the cap replaced by
 * `{"_truncated": <its size>}`, unknown levels read as `info`. Null when there are none.
 */
export function sentryBreadcrumbs(v: unknown, eventTime: number): string | null {
  const values = Array.isArray(v) ? v : isObj(v) && Array.isArray(v.values) ? v.values : []
  const crumbs = values.filter(isObj).slice(-MAX_BREADCRUMBS)
  if (crumbs.length === 0) return null
  const out = crumbs.map((c): Breadcrumb => {
    const crumb: Breadcrumb = {
      timestamp: timeOf(c.timestamp, eventTime) ?? eventTime,
      level: levelOf(c.level) ?? 'info',
    }
    for (const f of ['type', 'category'] as const) {
      const s = c[f]
      if (typeof s === 'string' && s !== '')
        crumb[f] =
          s.length > MAX_CRUMB_LABEL_CHARS ? `${s.slice(0, MAX_CRUMB_LABEL_CHARS - 1)}${TRUNCATED}` : s
    }
    if (typeof c.message === 'string' && c.message !== '')
      crumb.message = cutUtf8(c.message, MAX_CRUMB_MESSAGE_BYTES)
    if (isObj(c.data)) {
      const text = jsonOf(c.data)
      const size = text === null ? 0 : utf8Length(text)
      if (text !== null && size > 2) crumb.data = size <= MAX_CRUMB_DATA_BYTES ? c.data : { _truncated: size }
    }
    return crumb
  })
  return JSON.stringify(out)
}
