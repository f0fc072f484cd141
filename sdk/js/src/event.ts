/**
 * The bloop event (the server's POST /v1/ingest contract, docs/sdk.md) and the client-side
 * trimming that keeps every event inside the server's caps. The server rejects an event
 * over a cap with a 400; an SDK that let that happen would lose the one report of a crash
 * because its stack was deep, so the SDK trims first: stack frames are dropped from the
 * middle (the top says where it broke, the bottom who called), strings are cut on a UTF-8
 * boundary, metadata loses its long strings, then its largest keys, and breadcrumbs keep
 * the server's per-crumb caps and lose the oldest first when the event is too large.
 * Every trim is visible in the event (a marker line, `_truncated`).
 */

export interface BloopEvent {
  timestamp: number
  source: string
  environment: string
  release: string
  error_type: string
  message: string
  stack?: string
  app_version?: string
  build_number?: string
  route_or_procedure?: string
  screen?: string
  http_status?: number
  request_id?: string
  user_id_hash?: string
  device_id_hash?: string
  fingerprint?: string
  metadata?: Record<string, unknown>
  /** Oldest first; the server's `breadcrumbs` field (docs/decisions.md, "Breadcrumbs"). */
  breadcrumbs?: WireBreadcrumb[]
}

export interface WireBreadcrumb {
  timestamp?: number
  type?: string
  category?: string
  level?: 'fatal' | 'error' | 'warning' | 'info' | 'debug'
  message?: string
  data?: Record<string, unknown>
}

/** The server's breadcrumb caps: crumbs per event, message and data bytes, label characters. */
export const BREADCRUMB_CAPS = { count: 100, messageBytes: 1024, dataBytes: 2048, labelChars: 64 } as const
const LEVELS = new Set(['fatal', 'error', 'warning', 'info', 'debug'])

/** The server's caps (its `[ingest]` defaults); lower them if your server's are lower. */
export interface Caps {
  maxMessageBytes: number
  maxStackBytes: number
  maxMetadataBytes: number
  maxPayloadBytes: number
}

export const DEFAULT_CAPS: Caps = {
  maxMessageBytes: 2048,
  maxStackBytes: 8192,
  maxMetadataBytes: 4096,
  maxPayloadBytes: 32768,
}

/** The server's bound on short descriptive fields (release, ids, route...). */
const MAX_SHORT_BYTES = 512
const MAX_SOURCE_CHARS = 32
const MAX_FINGERPRINT_CHARS = 128
/** Long metadata strings are cut to this before keys are dropped. */
const METADATA_STRING_BYTES = 256

/** UTF-8 byte length, counted without allocating (surrogate pairs are 4 bytes). */
export function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** `s` cut to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  if (s.length <= max / 3 || utf8Length(s) <= max) return s
  let bytes = 0
  let end = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + n > max) break
    bytes += n
    end += ch.length
  }
  return s.slice(0, end)
}

/** A marked cut: the end says how much was removed, so a reader knows it is not the whole. */
function cut(s: string, max: number): string {
  if (utf8Length(s) <= max) return s
  const marker = '…[truncated]'
  return truncateUtf8(s, Math.max(0, max - utf8Length(marker))) + marker
}

/**
 * A stack within `max` bytes: the header line, as many top and bottom frames as fit
 * (alternating, so both ends survive), and one line saying how many were omitted.
 */
export function trimStack(stack: string, max: number): string {
  if (utf8Length(stack) <= max) return stack
  const lines = stack.split('\n')
  const header = lines[0] as string
  const frames = lines.slice(1)
  const top: string[] = []
  const bottom: string[] = []
  let budget = max - utf8Length(header) - 48
  let i = 0
  let j = frames.length - 1
  let fromTop = true
  while (i <= j) {
    const line = (fromTop ? frames[i] : frames[j]) as string
    const cost = utf8Length(line) + 1
    if (cost > budget) break
    budget -= cost
    if (fromTop) top.push(frames[i++] as string)
    else bottom.unshift(frames[j--] as string)
    fromTop = !fromTop
  }
  const omitted = frames.length - top.length - bottom.length
  const out = [header, ...top, `    ... ${omitted} frames omitted ...`, ...bottom].join('\n')
  return utf8Length(out) <= max ? out : cut(stack, max)
}

/** JSON that cannot throw: cycles, BigInt, functions and Errors become plain values. */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>()
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) => {
        if (typeof v === 'bigint') return v.toString()
        if (typeof v === 'function' || typeof v === 'symbol') return undefined
        if (v instanceof Error) return { name: v.name, message: v.message }
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]'
          seen.add(v)
        }
        return v
      }) ?? 'null'
    )
  } catch {
    return '"[unserializable]"'
  }
}

function shortenStrings(v: unknown, max: number): unknown {
  if (typeof v === 'string') return cut(v, max)
  if (Array.isArray(v)) return v.map((x) => shortenStrings(x, max))
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = shortenStrings(x, max)
    return out
  }
  return v
}

/** Metadata as a plain JSON object within `max` bytes of compact JSON. */
export function trimMetadata(metadata: Record<string, unknown>, max: number): Record<string, unknown> {
  let m = JSON.parse(safeJson(metadata)) as Record<string, unknown>
  const size = () => utf8Length(JSON.stringify(m))
  if (size() <= max) return m
  m = shortenStrings(m, METADATA_STRING_BYTES) as Record<string, unknown>
  m._truncated = true
  while (size() > max) {
    const keys = Object.keys(m).filter((k) => k !== '_truncated')
    if (keys.length === 0) return { _truncated: true }
    let largest = keys[0] as string
    for (const k of keys) if (safeJson(m[k]).length > safeJson(m[largest]).length) largest = k
    delete m[largest]
  }
  return m
}

const SHORT_FIELDS = [
  'environment',
  'release',
  'error_type',
  'app_version',
  'build_number',
  'route_or_procedure',
  'screen',
  'request_id',
  'user_id_hash',
  'device_id_hash',
] as const

/** Breadcrumbs within the server's per-crumb caps: the newest `count`, long fields cut. */
export function fitBreadcrumbs(crumbs: WireBreadcrumb[]): WireBreadcrumb[] {
  const c = BREADCRUMB_CAPS
  return crumbs.slice(-c.count).map((b) => {
    const out: WireBreadcrumb = {}
    if (typeof b.timestamp === 'number' && Number.isFinite(b.timestamp) && b.timestamp >= 0)
      out.timestamp = b.timestamp
    for (const f of ['type', 'category'] as const) {
      const v = b[f]
      if (typeof v === 'string' && v !== '') out[f] = v.slice(0, c.labelChars)
    }
    if (typeof b.level === 'string' && LEVELS.has(b.level)) out.level = b.level
    if (typeof b.message === 'string' && b.message !== '') out.message = cut(b.message, c.messageBytes)
    if (typeof b.data === 'object' && b.data !== null && !Array.isArray(b.data)) {
      const data = JSON.parse(safeJson(b.data)) as Record<string, unknown>
      out.data = utf8Length(JSON.stringify(data)) <= c.dataBytes ? data : { _truncated: true }
    }
    return out
  })
}

/** The event within every cap of the server; never throws. */
export function fitEvent(e: BloopEvent, caps: Caps): BloopEvent {
  const out: BloopEvent = { ...e }
  out.message = cut(e.message || '(no message)', caps.maxMessageBytes)
  out.source = (e.source || 'javascript').slice(0, MAX_SOURCE_CHARS)
  for (const f of SHORT_FIELDS) {
    const v = out[f]
    if (typeof v === 'string') out[f] = truncateUtf8(v, MAX_SHORT_BYTES)
  }
  if (!out.environment) out.environment = 'production'
  if (!out.error_type) out.error_type = 'Error'
  if (out.fingerprint) out.fingerprint = out.fingerprint.slice(0, MAX_FINGERPRINT_CHARS)
  if (out.stack) out.stack = trimStack(out.stack, caps.maxStackBytes)
  if (out.metadata) out.metadata = trimMetadata(out.metadata, caps.maxMetadataBytes)
  if (out.http_status !== undefined && !(Number.isInteger(out.http_status) && out.http_status >= 0)) {
    delete out.http_status
  }
  if (out.breadcrumbs) {
    out.breadcrumbs = fitBreadcrumbs(out.breadcrumbs)
    // Oldest first: the last steps before the error explain it best.
    while (out.breadcrumbs.length > 0 && utf8Length(JSON.stringify(out)) > caps.maxPayloadBytes)
      out.breadcrumbs.shift()
    if (out.breadcrumbs.length === 0) delete out.breadcrumbs
  }
  // The fields above fit their own caps; only a lowered payload cap can still be exceeded.
  if (utf8Length(JSON.stringify(out)) > caps.maxPayloadBytes) delete out.stack
  if (utf8Length(JSON.stringify(out)) > caps.maxPayloadBytes) delete out.metadata
  return out
}

/** Type, message and stack of anything thrown. */
export function describeError(err: unknown): { error_type: string; message: string; stack?: string } {
  if (
    err instanceof Error ||
    (typeof err === 'object' && err !== null && 'message' in err && 'stack' in err)
  ) {
    const e = err as Error
    const type = e.name && e.name !== 'Error' ? e.name : (e.constructor?.name ?? 'Error')
    return { error_type: type || 'Error', message: String(e.message ?? ''), stack: e.stack || undefined }
  }
  if (typeof err === 'string') return { error_type: 'Error', message: err }
  return { error_type: 'NonError', message: `non-Error thrown: ${safeJson(err)}` }
}
