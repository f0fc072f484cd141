/**
 * The Sentry envelope format (develop.sentry.dev/sdk/data-model/envelopes). Pure: bytes in,
 * headers and items out, or an error message for the 400 answer.
 *
 *   Envelope = Headers { "\n" Item } [ "\n" ]
 *   Item     = Headers "\n" Payload
 *
 * - Headers are one line of JSON (an object); the envelope header is required, `{}` is valid.
 * - An item header must name its `type`. With a `length`, the payload is exactly that many
 *   bytes and must be followed by "\n" or the end; without one, it runs to the next "\n"
 *   or the end. Only "\n" is a newline: a "\r" before it belongs to the payload.
 * - Items of any type are returned; choosing what to do with each type (and skipping the
 *   unknown ones) is the caller's business.
 *
 * Leniency: blank lines where an item header is expected are skipped (the spec forbids
 * them, but they carry nothing and some hand-written clients emit a trailing blank line).
 * Payloads are views into the input, never copies.
 */

export interface EnvelopeItem {
  type: string
  headers: Record<string, unknown>
  payload: Uint8Array
}

export interface Envelope {
  headers: Record<string, unknown>
  items: EnvelopeItem[]
}

export type ParsedEnvelope = { ok: true; envelope: Envelope } | { ok: false; error: string }

const NEWLINE = 10
const decoder = new TextDecoder()

class Malformed extends Error {}

function headerAt(
  bytes: Uint8Array,
  start: number,
  what: string,
): { headers: Record<string, unknown>; next: number } {
  let end = bytes.indexOf(NEWLINE, start)
  if (end < 0) end = bytes.length
  const line = decoder.decode(bytes.subarray(start, end))
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new Malformed(`${what} is not a JSON object on one line`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Malformed(`${what} must be a JSON object`)
  }
  return { headers: value as Record<string, unknown>, next: Math.min(end + 1, bytes.length) }
}

function isBlankLine(bytes: Uint8Array, start: number): number {
  // Returns the index after a line holding only whitespace, or -1.
  let i = start
  while (i < bytes.length) {
    const b = bytes[i] as number
    if (b === NEWLINE) return i + 1
    if (b !== 32 && b !== 9 && b !== 13) return -1
    i++
  }
  return i
}

export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope {
  try {
    if (bytes.length === 0) throw new Malformed('envelope is empty; expected a header line')
    const head = headerAt(bytes, 0, 'envelope header')
    const items: EnvelopeItem[] = []
    let at = head.next
    while (at < bytes.length) {
      const blank = isBlankLine(bytes, at)
      if (blank >= 0) {
        at = blank
        continue
      }
      const n = items.length + 1
      const { headers, next } = headerAt(bytes, at, `item ${n} header`)
      const type = headers.type
      if (typeof type !== 'string' || type === '') {
        throw new Malformed(`item ${n} header has no "type"`)
      }
      const length = headers.length
      let payload: Uint8Array
      // A header at the very end has no newline after it: its payload is empty.
      const start = next > at && bytes[next - 1] === NEWLINE ? next : bytes.length
      if (length !== undefined && length !== null) {
        if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
          throw new Malformed(`item ${n} "length" must be a non-negative integer`)
        }
        const end = start + length
        if (end > bytes.length) {
          throw new Malformed(
            `item ${n} declares ${length} bytes but only ${bytes.length - start} remain (truncated envelope)`,
          )
        }
        payload = bytes.subarray(start, end)
        if (end < bytes.length && bytes[end] !== NEWLINE) {
          throw new Malformed(`item ${n} payload is not followed by a newline after its ${length} bytes`)
        }
        at = end + 1
      } else {
        let end = bytes.indexOf(NEWLINE, start)
        if (end < 0) end = bytes.length
        payload = bytes.subarray(start, end)
        at = end + 1
      }
      items.push({ type, headers, payload })
    }
    return { ok: true, envelope: { headers: head.headers, items } }
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, error: err.message }
    throw err
  }
}

/** Parses an item payload as a JSON object; null when it is not one. */
export function jsonPayload(payload: Uint8Array): Record<string, unknown> | null {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(payload))
  } catch {
    return null
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}
