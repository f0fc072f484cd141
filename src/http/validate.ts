/**
 * Parses untrusted input against a TypeBox schema and answers 400 naming the first field
 * at fault. Query strings are converted first ("50" -> 50) so schemas stay typed.
 */
import { type Static, Type as T, type TInteger, type TObject, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { AppError } from './errors'

/**
 * Deeper than any page a bloop database has (a billion rows); SQLite steps over skipped
 * rows one by one, so a deep page is slow long before this.
 */
export const MAX_OFFSET = 1_000_000_000
/** The last instant a JavaScript Date can hold (year 275760): the bound of epoch-ms parameters. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000

/**
 * An integer query parameter, bounded on both sides. Every query integer ends up in SQL,
 * and a number past SQLite's 64-bit integers (`offset=9223372036854775807` reads as a
 * float) fails there as "datatype mismatch", a 500; so each has a maximum, and a value
 * outside the range is a 400 naming the parameter. `parseQuery` accepts only decimal
 * digits for it: "1e3", "0x10" or "1.5" are refused, not reinterpreted.
 */
export function QueryInt(o: { minimum: number; maximum: number; default?: number }): TInteger {
  if (!Number.isSafeInteger(o.minimum) || !Number.isSafeInteger(o.maximum) || o.minimum > o.maximum) {
    throw new Error(`expected safe integer bounds with minimum <= maximum, got ${o.minimum}..${o.maximum}`)
  }
  return T.Integer(o)
}

export const Offset = QueryInt({ minimum: 0, maximum: MAX_OFFSET, default: 0 })
export const EpochMs = QueryInt({ minimum: 0, maximum: MAX_EPOCH_MS })

const DIGITS = /^[-+]?[0-9]+$/

/** Integer properties of a query schema; each must carry the bounds QueryInt gives it. */
const integersOf = new WeakMap<TSchema, [string, TInteger][]>()
function queryIntegers(schema: TSchema): [string, TInteger][] {
  let found = integersOf.get(schema)
  if (found) return found
  found = []
  for (const [key, prop] of Object.entries((schema as TObject).properties ?? {})) {
    if (prop.type === 'number')
      throw new Error(`expected query parameter ${key} to be a QueryInt, got a number`)
    if (prop.type !== 'integer') continue
    if (!Number.isSafeInteger(prop.minimum) || !Number.isSafeInteger(prop.maximum)) {
      throw new Error(
        `expected query parameter ${key} to be a QueryInt with both bounds, got ${JSON.stringify(prop)}`,
      )
    }
    found.push([key, prop as TInteger])
  }
  integersOf.set(schema, found)
  return found
}

export function parseQuery<S extends TSchema>(schema: S, query: Record<string, unknown>): Static<S> {
  const raw: Record<string, unknown> = { ...query }
  for (const [key, prop] of queryIntegers(schema)) {
    const text = raw[key]
    if (typeof text !== 'string') continue
    const n = DIGITS.test(text) ? Number(text) : Number.NaN
    if (!(n >= (prop.minimum as number) && n <= (prop.maximum as number))) {
      throw new AppError(
        'invalid_query',
        `query parameter ${key}: expected an integer from ${prop.minimum} to ${prop.maximum} (got ${JSON.stringify(text.slice(0, 80))})`,
        { field: key },
      )
    }
    raw[key] = n
  }
  return check(schema, Value.Default(schema, Value.Convert(schema, raw)), 'query parameter', 'invalid_query')
}

export function parseBody<S extends TSchema>(schema: S, body: unknown): Static<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('invalid_json', 'request body must be a JSON object')
  }
  return check(schema, Value.Default(schema, structuredClone(body)), 'field', 'invalid_field')
}

function check<S extends TSchema>(
  schema: S,
  value: unknown,
  what: string,
  code: 'invalid_query' | 'invalid_field',
): Static<S> {
  const first = Value.Errors(schema, value).First()
  if (!first) return value as Static<S>
  const field = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)'
  const shown = JSON.stringify(first.value)
  const detail =
    first.message === 'Unexpected property' ? 'is not a known field' : `${first.message.toLowerCase()}`
  throw new AppError(
    code,
    `${what} ${field}: ${detail}${shown === undefined ? '' : ` (got ${shown.slice(0, 80)})`}`,
    {
      field,
    },
  )
}

/** Reads a JSON body of a non-ingest route; a broken body is a 400, never a 500. */
export async function readJson(request: Request, maxBytes = 1024 * 1024): Promise<unknown> {
  const text = await readBodyText(request, maxBytes)
  if (text.trim() === '') throw new AppError('invalid_json', 'request body is empty; expected a JSON object')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new AppError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`)
  }
}

/**
 * Bodies read before routing by a hook that had to look at them (the OTLP import tells its
 * bodies from the trace contract's on the shared POST /v1/traces), kept for the route's own
 * `readBodyBytes`: a body can be read once, and reading a clone instead tees it through
 * JavaScript streams, which cost more than the read itself.
 */
const readAhead = new WeakMap<Request, Uint8Array>()

/**
 * Reads a body whose length is declared and within `maxBytes`, keeping the bytes for the
 * route's `readBodyBytes`; null (nothing read) for any other body, which the caller reads
 * from a clone if it must.
 */
export async function readBodyAhead(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (!Number.isFinite(declared) || declared > maxBytes) return null
  const body = await readBodyBytes(request, maxBytes)
  readAhead.set(request, body)
  return body
}

/** Reads at most `maxBytes` of the body; a larger body is refused with 413 without reading it all. */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes)
  const ahead = readAhead.get(request)
  if (ahead) {
    if (ahead.byteLength > maxBytes) throw tooLarge(maxBytes)
    return ahead
  }
  if (!request.body) return new Uint8Array(0)
  if (Number.isFinite(declared)) {
    // Declared and within the cap (the server also refuses bodies longer than declared):
    // one read, much cheaper than pulling the stream chunk by chunk.
    const body = new Uint8Array(await request.arrayBuffer())
    if (body.byteLength > maxBytes) throw tooLarge(maxBytes)
    return body
  }
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(request, maxBytes))
}

const tooLarge = (max: number) => new AppError('payload_too_large', `request body exceeds ${max} bytes`)

const encoder = new TextEncoder()

/** Bytes of `s` in UTF-8, without encoding it when it is short. */
export function utf8Length(s: string): number {
  // Every UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding.
  if (s.length * 3 <= 4096) {
    let n = 0
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c < 0x80) n += 1
      else if (c < 0x800) n += 2
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          n += 4
          i++
        } else n += 3
      } else n += 3
    }
    return n
  }
  return encoder.encode(s).byteLength
}
