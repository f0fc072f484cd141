/**
 * Maps a Sentry event payload (develop.sentry.dev/sdk/data-model/event-payloads) into a
 * bloop NormalizedEvent. Pure: the event, the project, the event id, the receive time and
 * the caps in; the event out. It never rejects: a Sentry SDK cannot shorten what it sends,
 * so over-long fields are truncated to the same caps as bloop ingest (with a marker), where
 * bloop's own endpoint answers 400.
 *
 * - error_type and message: the last exception of `exception.values` (Sentry orders a
 *   chain oldest to newest, the last one is what was thrown), else the message / logentry.
 * - stack: the frames rendered in V8 style, newest first (`    at fn (abs_path:line:col)`),
 *   under a `Type: message` line, so source maps apply to browser frames exactly as they do
 *   to bloop events, and the grouping's top-frame rule reads them like any JS stack.
 * - grouping: the default fingerprint is bloop's (`computeFingerprint`) over the in-app
 *   frames only (`in_app: false` frames are skipped; when no frame is in-app, all count, as
 *   in Sentry). The route part is the `transaction` name only: the request URL path is
 *   stored as the route but not grouped on, because concrete paths carry ids
 *   (`/orders/123`) that would split one bug into many issues. An SDK `fingerprint` array
 *   is honoured, with `{{ default }}` standing for the default fingerprint.
 * - source: the event's platform (`javascript`, `node`, `python`, ...), else the SDK name;
 *   environment defaults to "production" (the SDK convention), release to "unknown".
 * - user_id_hash: SHA-256 of the user's id (or email, or username): no raw identifier is stored.
 * - breadcrumbs: the event's (an array or `{values}`), kept within errors' caps
 *   (errors/breadcrumbs.ts: the newest 100, long messages cut, oversized data marked).
 * - metadata: SDK, mechanism, logger, tags, contexts (with `browser` and `os` read from
 *   the request's User-Agent when the SDK sent none, as Sentry's server does) and extra, added in that order while
 *   the compact JSON stays within the metadata cap; whatever does not fit is counted in
 *   `"_truncated": n`.
 */
import { createHash } from 'node:crypto'
import {
  type Caps,
  computeFingerprint,
  hash64,
  MAX_SHORT_FIELD_BYTES,
  MAX_SOURCE_CHARS,
  type NormalizedEvent,
  sentryBreadcrumbs,
} from '../errors'
import { utf8Length } from '../http/validate'
import { parseUserAgent } from './useragent'

type Obj = Record<string, unknown>

export interface MapInput {
  projectId: string
  /** Already resolved by the caller (envelope header first, then the payload, else generated). */
  eventId: string
  receivedAt: number
  caps: Caps
}

const SECONDS_BELOW = 100_000_000_000
const MAX_TIMESTAMP_MS = 253_402_300_799_999
/** Sentry's own limit on tag keys and values. */
const MAX_TAG_CHARS = 200
const TRUNCATED = '…'
/** Room kept for `,"_truncated":<n>` so the marker always fits. */
const MARKER_RESERVE = 24
const DEFAULT_TOKEN = /^\{\{\s*default\s*\}\}$/

const LEVELS: Record<string, string> = {
  fatal: 'fatal',
  critical: 'fatal',
  error: 'error',
  warning: 'warning',
  warn: 'warning',
  info: 'info',
  log: 'info',
  debug: 'debug',
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Cuts `s` to at most `maxBytes` UTF-8 bytes, ending with "…" when cut. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s
  const room = maxBytes - utf8Length(TRUNCATED)
  if (room <= 0) return ''
  const bytes = encoder.encode(s)
  let cut = room
  // Never split a multi-byte character: back up to the start of the one at the cut.
  while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--
  return decoder.decode(bytes.subarray(0, cut)) + TRUNCATED
}

const truncateChars = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}${TRUNCATED}`)

/** A 32-hex event id (dashes removed, lowercased), or null when `v` is not a UUID. */
export function normalizeEventId(v: unknown): string | null {
  if (typeof v !== 'string') return null
  const hex = v.replaceAll('-', '').toLowerCase()
  return /^[0-9a-f]{32}$/.test(hex) ? hex : null
}

interface Frame {
  function: string | null
  location: string
  lineno: number | null
  colno: number | null
  inApp: boolean
}

function framesOf(stacktrace: unknown): Frame[] {
  if (!isObj(stacktrace) || !Array.isArray(stacktrace.frames)) return []
  const out: Frame[] = []
  for (const f of stacktrace.frames) {
    if (!isObj(f)) continue
    const fn = str(f.function)
    const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null)
    out.push({
      function: fn === '?' ? null : fn,
      location: str(f.abs_path) ?? str(f.filename) ?? str(f.module) ?? '<unknown>',
      lineno: int(f.lineno),
      colno: int(f.colno),
      inApp: f.in_app !== false,
    })
  }
  return out
}

function frameLine(f: Frame): string {
  const pos =
    f.lineno === null ? f.location : `${f.location}:${f.lineno}${f.colno === null ? '' : `:${f.colno}`}`
  return f.function ? `    at ${f.function} (${pos})` : `    at ${pos}`
}

/**
 * V8-style stack, newest frame first, within `maxBytes`; null when there are no frames.
 * When not every frame fits, the oldest are dropped and counted in a last line.
 */
export function renderStack(header: string | null, frames: Frame[], maxBytes: number): string | null {
  if (frames.length === 0) return null
  const lines: string[] = []
  if (header !== null) lines.push(truncateUtf8(header, Math.min(512, maxBytes)))
  for (let i = frames.length - 1; i >= 0; i--) lines.push(frameLine(frames[i] as Frame))
  const whole = lines.join('\n')
  if (utf8Length(whole) <= maxBytes) return whole
  // Keep room for the "... n more frames" line.
  const budget = maxBytes - 32
  const kept: string[] = []
  let size = -1
  for (const line of lines) {
    const cost = utf8Length(line) + 1
    if (size + cost > budget) break
    kept.push(line)
    size += cost
  }
  const hidden = lines.length - kept.length
  const marker = `    ... ${hidden} more frame${hidden === 1 ? '' : 's'}`
  if (size + utf8Length(marker) + 1 <= maxBytes) kept.push(marker)
  return kept.length > 0 ? kept.join('\n') : null
}

function exceptionsOf(event: Obj): Obj[] {
  const ex = event.exception
  const values = Array.isArray(ex) ? ex : isObj(ex) && Array.isArray(ex.values) ? ex.values : []
  return values.filter(isObj)
}

function messageOf(event: Obj): string | null {
  const entry = isObj(event.logentry) ? event.logentry : isObj(event.message) ? event.message : null
  if (entry) return str(entry.formatted) ?? str(entry.message)
  return str(event.message)
}

/** Frames of the thread that crashed (or the current one): where message events keep theirs. */
function threadStacktrace(event: Obj): unknown {
  const t = event.threads
  const values = Array.isArray(t) ? t : isObj(t) && Array.isArray(t.values) ? t.values : []
  const threads = values.filter(isObj)
  const pick =
    threads.find((x) => x.crashed === true) ?? threads.find((x) => x.current === true) ?? threads[0]
  return pick?.stacktrace
}

function timestampOf(v: unknown, receivedAt: number): number {
  let ms: number
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = v < SECONDS_BELOW ? v * 1000 : v
  else if (typeof v === 'string') ms = Date.parse(v)
  else return receivedAt
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMESTAMP_MS ? Math.floor(ms) : receivedAt
}

function routeOf(event: Obj): string | null {
  const tx = str(event.transaction)
  if (tx) return tx
  const url = isObj(event.request) ? str(event.request.url) : null
  if (!url) return null
  try {
    return new URL(url).pathname
  } catch {
    return url.split(/[?#]/)[0] || null
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

function userHash(event: Obj): string | null {
  if (!isObj(event.user)) return null
  const id = str(event.user.id) ?? str(event.user.email) ?? str(event.user.username)
  return id ? sha256(id) : null
}

function tagsOf(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) {
    return v
      .filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length === 2)
      .flatMap(([k, val]) => {
        const key = str(k)
        return key ? [[key, val] as [string, unknown]] : []
      })
  }
  return isObj(v) ? Object.entries(v) : []
}

/**
 * Builds metadata within `maxBytes` of compact JSON. Sizes are added up exactly as
 * JSON.stringify would write them, so no entry is serialised more than once.
 */
export function buildMetadata(
  entries: { section: string | null; key: string; value: unknown }[],
  maxBytes: number,
): string | null {
  const out: Obj = {}
  const sectionHasEntries = new Map<string, boolean>()
  let size = 2 // {}
  let dropped = 0
  const budget = maxBytes - MARKER_RESERVE
  const json = (v: unknown) => {
    try {
      return JSON.stringify(v)
    } catch {
      return undefined
    }
  }
  for (const { section, key, value } of entries) {
    const valueJson = json(value)
    if (valueJson === undefined) continue
    const topComma = Object.keys(out).length > 0 ? 1 : 0
    if (section === null) {
      const cost = topComma + utf8Length(JSON.stringify(key)) + 1 + utf8Length(valueJson)
      if (key in out || size + cost > budget) {
        dropped++
        continue
      }
      out[key] = value
      size += cost
      continue
    }
    let cost = 0
    const open = sectionHasEntries.get(section)
    if (open === undefined) cost += topComma + utf8Length(JSON.stringify(section)) + 1 + 2
    else if (open) cost += 1
    cost += utf8Length(JSON.stringify(key)) + 1 + utf8Length(valueJson)
    const target = out[section] as Obj | undefined
    if ((target && key in target) || size + cost > budget) {
      dropped++
      continue
    }
    if (!target) out[section] = {}
    ;(out[section] as Obj)[key] = value
    sectionHasEntries.set(section, true)
    size += cost
  }
  if (dropped > 0) {
    const cost = (Object.keys(out).length > 0 ? 1 : 0) + utf8Length(`"_truncated":${dropped}`)
    if (size + cost <= maxBytes) out._truncated = dropped
  }
  if (Object.keys(out).length === 0) return null
  return JSON.stringify(out)
}

function metadataEntries(event: Obj, primary: Obj | undefined, chain: Obj[], logMessage: string | null) {
  const entries: { section: string | null; key: string; value: unknown }[] = []
  const top = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) entries.push({ section: null, key, value })
  }
  if (isObj(event.sdk)) {
    const name = str(event.sdk.name)
    const version = str(event.sdk.version)
    if (name) top('sdk', version ? `${name}@${version}` : name)
  }
  if (primary && isObj(primary.mechanism)) {
    const m = primary.mechanism
    top('mechanism', { type: str(m.type), handled: typeof m.handled === 'boolean' ? m.handled : null })
  }
  top('logger', str(event.logger))
  top('server_name', str(event.server_name))
  top('dist', str(event.dist))
  top('log_message', logMessage)
  if (chain.length > 1) {
    top(
      'exception_chain',
      chain.map((e) => truncateChars(`${str(e.type) ?? 'Error'}: ${str(e.value) ?? ''}`, MAX_TAG_CHARS)),
    )
  }
  for (const [k, v] of tagsOf(event.tags)) {
    const value = str(v) ?? (typeof v === 'boolean' ? String(v) : null)
    if (value !== null)
      entries.push({
        section: 'tags',
        key: truncateChars(k, MAX_TAG_CHARS),
        value: truncateChars(value, MAX_TAG_CHARS),
      })
  }
  if (isObj(event.contexts)) {
    for (const [k, v] of Object.entries(event.contexts))
      entries.push({ section: 'contexts', key: k, value: v })
  }
  // Browser SDKs leave the browser and OS to the server, which reads the User-Agent.
  const contexts = isObj(event.contexts) ? event.contexts : {}
  const ua = userAgentOf(event)
  if (ua !== null && (!contexts.browser || !contexts.os)) {
    const parsed = parseUserAgent(ua)
    if (!contexts.browser && parsed.browser)
      entries.push({ section: 'contexts', key: 'browser', value: parsed.browser })
    if (!contexts.os && parsed.os) entries.push({ section: 'contexts', key: 'os', value: parsed.os })
  }
  if (isObj(event.extra)) {
    for (const [k, v] of Object.entries(event.extra)) entries.push({ section: 'extra', key: k, value: v })
  }
  return entries
}

function userAgentOf(event: Obj): string | null {
  const headers = isObj(event.request) && isObj(event.request.headers) ? event.request.headers : null
  if (!headers) return null
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'user-agent') return str(v)
  return null
}

function fingerprintOf(event: Obj, defaultFingerprint: string): string {
  const fp = event.fingerprint
  if (!Array.isArray(fp) || fp.length === 0) return defaultFingerprint
  const parts = fp.map((p) => {
    const s = str(p) ?? (typeof p === 'boolean' ? String(p) : '')
    return DEFAULT_TOKEN.test(s) ? defaultFingerprint : s
  })
  if (parts.length === 1 && parts[0] === defaultFingerprint) return defaultFingerprint
  return hash64(`sentry-fingerprint:${JSON.stringify(parts)}`)
}

function level(v: unknown): string {
  return (typeof v === 'string' && LEVELS[v.toLowerCase()]) || 'error'
}

function intIn(v: unknown, min: number, max: number): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null
}

export function mapEvent(event: Obj, input: MapInput): NormalizedEvent {
  const { caps } = input
  const chain = exceptionsOf(event)
  const primary = chain.at(-1)
  const logMessage = messageOf(event)
  const type = primary ? str(primary.type) : null
  const error_type = truncateUtf8(type ?? (logMessage ? 'Message' : 'Error'), 512)
  const rawMessage = (primary ? str(primary.value) : null) ?? logMessage ?? type ?? '(no message)'
  const message = truncateUtf8(rawMessage, caps.max_message_bytes)

  let frames = framesOf(primary?.stacktrace)
  if (frames.length === 0) frames = framesOf(event.stacktrace)
  if (frames.length === 0) frames = framesOf(threadStacktrace(event))
  const firstLine = message.split('\n', 1)[0] as string
  const stack = renderStack(`${error_type}: ${firstLine}`, frames, caps.max_stack_bytes)
  const inApp = frames.filter((f) => f.inApp)
  const groupingStack = renderStack(null, inApp.length > 0 ? inApp : frames, Number.MAX_SAFE_INTEGER)

  const contexts = isObj(event.contexts) ? event.contexts : {}
  const app = isObj(contexts.app) ? contexts.app : {}
  const response = isObj(contexts.response) ? contexts.response : {}
  const sdkName = isObj(event.sdk) ? str(event.sdk.name) : null
  const source = truncateChars(str(event.platform) ?? sdkName ?? 'sentry', MAX_SOURCE_CHARS)
  const route = routeOf(event)
  const short = (v: unknown) => {
    const s = str(v)
    return s === null ? null : truncateUtf8(s, MAX_SHORT_FIELD_BYTES)
  }
  const transaction = short(event.transaction)

  const timestamp = timestampOf(event.timestamp, input.receivedAt)
  const defaultFingerprint = computeFingerprint({
    source,
    error_type,
    route_or_procedure: transaction,
    message,
    stack: groupingStack,
  })

  return {
    project_id: input.projectId,
    fingerprint: fingerprintOf(event, defaultFingerprint),
    timestamp,
    received_at: input.receivedAt,
    source,
    environment: short(event.environment) ?? 'production',
    release: short(event.release) ?? 'unknown',
    app_version: short(app.app_version),
    build_number: short(app.app_build),
    route_or_procedure: route === null ? null : truncateUtf8(route, MAX_SHORT_FIELD_BYTES),
    screen: null,
    error_type,
    message,
    stack,
    http_status: intIn(response.status_code, 0, 65535),
    request_id: null,
    user_id_hash: userHash(event),
    device_id_hash: null,
    metadata: buildMetadata(
      metadataEntries(event, primary, chain, primary && logMessage !== rawMessage ? logMessage : null),
      caps.max_metadata_bytes,
    ),
    event_id: input.eventId,
    level: level(event.level),
    breadcrumbs: sentryBreadcrumbs(event.breadcrumbs, timestamp),
  }
}
