/**
 * Validation of one bloop event (docs/decisions.md, "Ingest"). Pure: takes the parsed JSON value, the caps and
 * the receive time, and returns either a normalized event or a message naming the field.
 *
 * Tolerance rules, so the official SDKs work as shipped: any non-empty `source` up to 32
 * characters; a missing or empty `release` becomes "unknown"; unknown fields are ignored;
 * a `timestamp` below 10^11 is seconds and is scaled to ms; a missing timestamp is the
 * receive time. Caps are counted in UTF-8 bytes.
 */

import { utf8Length } from '../../http/validate'
import { CrumbError, validateBreadcrumbs } from '../breadcrumbs'
import type { NormalizedEvent } from '../event'
import { computeFingerprint } from '../fingerprint'

export interface Caps {
  max_stack_bytes: number
  max_metadata_bytes: number
  max_message_bytes: number
}

export const MAX_SOURCE_CHARS = 32
export const MAX_FINGERPRINT_CHARS = 128
/** Short descriptive fields (release, environment, ids...). Generous, but bounded. */
export const MAX_SHORT_FIELD_BYTES = 512
const SECONDS_BELOW = 100_000_000_000
/** 9999-12-31 in ms: later values are garbage, not timestamps. */
const MAX_TIMESTAMP_MS = 253_402_300_799_999

export { utf8Length }

export type FieldError = { field: string; error: string }
export type Validated = { ok: true; event: NormalizedEvent } | ({ ok: false } & FieldError)

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message)
  }
}

type Obj = Record<string, unknown>

function optString(o: Obj, field: string, maxBytes = MAX_SHORT_FIELD_BYTES): string | null {
  const v = o[field]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new Invalid(field, `${field} must be a string`)
  if (utf8Length(v) > maxBytes) throw new Invalid(field, `${field} exceeds ${maxBytes} bytes`)
  return v === '' ? null : v
}

function reqString(o: Obj, field: string, maxBytes = MAX_SHORT_FIELD_BYTES): string {
  const v = optString(o, field, maxBytes)
  if (v === null) throw new Invalid(field, `${field} is required`)
  return v
}

function optInt(o: Obj, field: string, min: number, max: number): number | null {
  const v = o[field]
  if (v === undefined || v === null) return null
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Invalid(field, `${field} must be an integer`)
  if (v < min || v > max) throw new Invalid(field, `${field} must be between ${min} and ${max}`)
  return v
}

function timestampOf(o: Obj, receivedAt: number): number {
  const v = o.timestamp
  if (v === undefined || v === null) return receivedAt
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Invalid('timestamp', 'timestamp must be a number (epoch ms or s)')
  if (v < 0) throw new Invalid('timestamp', 'timestamp must not be negative')
  const ms = v < SECONDS_BELOW ? v * 1000 : v
  if (ms > MAX_TIMESTAMP_MS) throw new Invalid('timestamp', 'timestamp is out of range (after year 9999)')
  return Math.floor(ms)
}

function metadataOf(o: Obj, maxBytes: number): string | null {
  const v = o.metadata
  if (v === undefined || v === null) return null
  let text: string
  try {
    text = JSON.stringify(v)
  } catch {
    throw new Invalid('metadata', 'metadata cannot be serialized')
  }
  const size = utf8Length(text)
  if (size > maxBytes)
    throw new Invalid('metadata', `metadata exceeds ${maxBytes} bytes (compact JSON is ${size} bytes)`)
  return text
}

function capped(o: Obj, field: string, maxBytes: number, required: boolean): string | null {
  const v = o[field]
  if (v === undefined || v === null || v === '') {
    if (required) throw new Invalid(field, `${field} is required`)
    return null
  }
  if (typeof v !== 'string') throw new Invalid(field, `${field} must be a string`)
  const size = utf8Length(v)
  if (size > maxBytes) throw new Invalid(field, `${field} exceeds ${maxBytes} bytes (got ${size})`)
  return v
}

/**
 * The per-event cap inside a batch: an event is measured as its compact JSON in UTF-8
 * bytes, what it would weigh sent alone without whitespace, so the indentation of a
 * pretty-printed batch does not count against it. Returns the error, or null when it fits.
 */
export function oversizedEvent(input: unknown, maxBytes: number): FieldError | null {
  let text: string
  try {
    text = JSON.stringify(input) ?? ''
  } catch {
    return { field: '(event)', error: 'event cannot be serialized (nested too deeply)' }
  }
  // Every UTF-16 unit is at most 3 UTF-8 bytes, so most events fit without being counted.
  if (text.length * 3 <= maxBytes) return null
  const size = utf8Length(text)
  if (size <= maxBytes) return null
  return { field: '(event)', error: `event exceeds ${maxBytes} bytes (compact JSON is ${size} bytes)` }
}

/** Validates one event for `projectId`. Never throws. */
export function validateEvent(input: unknown, projectId: string, caps: Caps, receivedAt: number): Validated {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new Invalid('(event)', 'event must be a JSON object')
    }
    const o = input as Obj
    const message = capped(o, 'message', caps.max_message_bytes, true) as string
    const stack = capped(o, 'stack', caps.max_stack_bytes, false)
    const metadata = metadataOf(o, caps.max_metadata_bytes)
    const source = reqString(o, 'source')
    if (source.length > MAX_SOURCE_CHARS)
      throw new Invalid('source', `source exceeds ${MAX_SOURCE_CHARS} characters`)
    const environment = reqString(o, 'environment')
    const release = optString(o, 'release') ?? 'unknown'
    const error_type = reqString(o, 'error_type')
    const route_or_procedure = optString(o, 'route_or_procedure')
    const clientFingerprint = optString(o, 'fingerprint')
    if (clientFingerprint !== null && clientFingerprint.length > MAX_FINGERPRINT_CHARS) {
      throw new Invalid('fingerprint', `fingerprint exceeds ${MAX_FINGERPRINT_CHARS} characters`)
    }
    const timestamp = timestampOf(o, receivedAt)
    const event: NormalizedEvent = {
      project_id: projectId,
      fingerprint:
        clientFingerprint ?? computeFingerprint({ source, error_type, route_or_procedure, message, stack }),
      timestamp,
      received_at: receivedAt,
      source,
      environment,
      release,
      app_version: optString(o, 'app_version'),
      build_number: optString(o, 'build_number'),
      route_or_procedure,
      screen: optString(o, 'screen'),
      error_type,
      message,
      stack,
      http_status: optInt(o, 'http_status', 0, 65535),
      request_id: optString(o, 'request_id'),
      user_id_hash: optString(o, 'user_id_hash'),
      device_id_hash: optString(o, 'device_id_hash'),
      metadata,
      event_id: null,
      level: null,
      breadcrumbs: validateBreadcrumbs(o.breadcrumbs, timestamp),
    }
    return { ok: true, event }
  } catch (err) {
    if (err instanceof Invalid || err instanceof CrumbError)
      return { ok: false, field: err.field, error: err.message }
    throw err
  }
}
