/** The envelope parser against the examples of the envelope spec and malformed inputs. */
import { describe, expect, test } from 'bun:test'
import { type Envelope, jsonPayload, parseEnvelope } from '../../src/sentry/envelope'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

function parse(s: string | Uint8Array): Envelope {
  const r = parseEnvelope(typeof s === 'string' ? bytes(s) : s)
  if (!r.ok) throw new Error(`expected a valid envelope, got: ${r.error}`)
  return r.envelope
}
function error(s: string): string {
  const r = parseEnvelope(bytes(s))
  if (r.ok) throw new Error('expected a malformed envelope')
  return r.error
}

const HEAD =
  '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"}\n'
const ATTACHMENT = '{"type":"attachment","length":10,"content_type":"text/plain","filename":"hello.txt"}\n'
const EVENT = '{"type":"event","length":41,"content_type":"application/json","filename":"application.log"}\n'

describe('the envelope spec examples', () => {
  test('two items with lengths, the attachment keeping its BOM and Windows newline', () => {
    const e = parse(
      `${HEAD}${ATTACHMENT}\u{feff}Hello\r\n\n${EVENT}{"message":"hello world","level":"error"}\n`,
    )
    expect(e.headers.event_id).toBe('9ec79c33ec9942ab8353589fcb2e04dc')
    expect(e.items.map((i) => i.type)).toEqual(['attachment', 'event'])
    expect(Array.from(e.items[0]?.payload ?? [])).toEqual([0xef, 0xbb, 0xbf, 72, 101, 108, 108, 111, 13, 10])
    expect(jsonPayload(e.items[1]?.payload as Uint8Array)).toEqual({ message: 'hello world', level: 'error' })
    expect(e.items[0]?.headers.filename).toBe('hello.txt')
  })

  test('the same envelope with the last newline omitted', () => {
    const e = parse(
      `${HEAD}${ATTACHMENT}\u{feff}Hello\r\n\n${EVENT}{"message":"hello world","level":"error"}`,
    )
    expect(e.items).toHaveLength(2)
    expect(text(e.items[1]?.payload as Uint8Array)).toBe('{"message":"hello world","level":"error"}')
  })

  test('two empty attachments, with and without the final newline', () => {
    const h = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n'
    const item = '{"type":"attachment","length":0}\n'
    for (const s of [`${h}${item}\n${item}\n`, `${h}${item}\n${item}`]) {
      const e = parse(s)
      expect(e.items.map((i) => i.payload.byteLength)).toEqual([0, 0])
    }
  })

  test('an item with implicit length ends at the newline or at the end of the body', () => {
    const h = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"attachment"}\n'
    expect(text(parse(`${h}helloworld\n`).items[0]?.payload as Uint8Array)).toBe('helloworld')
    expect(text(parse(`${h}helloworld`).items[0]?.payload as Uint8Array)).toBe('helloworld')
  })

  test('empty headers and a session with implicit length terminated by the end', () => {
    const e = parse(
      '{}\n{"type":"session"}\n{"started": "2020-02-07T14:16:00Z","attrs":{"release":"sentry-test@1.0.0"}}',
    )
    expect(e.headers).toEqual({})
    expect(e.items[0]?.type).toBe('session')
    expect(jsonPayload(e.items[0]?.payload as Uint8Array)?.attrs).toEqual({ release: 'sentry-test@1.0.0' })
  })

  test('an envelope may hold no items at all', () => {
    expect(parse('{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}').items).toEqual([])
    expect(parse('{}\n').items).toEqual([])
  })
})

describe('newlines and carriage returns', () => {
  test('a \\r before the newline of an implicit-length item belongs to its payload', () => {
    const e = parse('{}\n{"type":"attachment"}\nabc\r\n{"type":"attachment"}\nxyz\r\n')
    expect(e.items.map((i) => text(i.payload))).toEqual(['abc\r', 'xyz\r'])
  })

  test('a length-prefixed payload may contain newlines', () => {
    const e = parse('{}\n{"type":"attachment","length":6}\na\nb\r\nc\n{"type":"event","length":2}\n{}\n')
    expect(text(e.items[0]?.payload as Uint8Array)).toBe('a\nb\r\nc')
    expect(e.items[1]?.type).toBe('event')
  })

  test('blank lines between items are skipped', () => {
    const e = parse(
      '{}\n\n{"type":"session","length":2}\n{}\n\n\r\n{"type":"client_report","length":2}\n{}\n\n',
    )
    expect(e.items.map((i) => i.type)).toEqual(['session', 'client_report'])
  })

  test('items of unknown types are returned with their payload for the caller to skip', () => {
    const e = parse('{}\n{"type":"hologram","length":3}\n\u0000\u0001\u0002\n{"type":"event","length":2}\n{}')
    expect(e.items.map((i) => i.type)).toEqual(['hologram', 'event'])
    expect(Array.from(e.items[0]?.payload ?? [])).toEqual([0, 1, 2])
  })
})

describe('malformed envelopes', () => {
  test('an empty body has no header', () => {
    expect(error('')).toBe('envelope is empty; expected a header line')
  })

  test('a header that is not a JSON object', () => {
    expect(error('not json\n')).toBe('envelope header is not a JSON object on one line')
    expect(error('[1,2]\n')).toBe('envelope header must be a JSON object')
    expect(error('{}\n{"type":"event"\n{}')).toBe('item 1 header is not a JSON object on one line')
  })

  test('an item without a type', () => {
    expect(error('{}\n{"length":2}\n{}')).toBe('item 1 header has no "type"')
    expect(error('{}\n{"type":"session","length":2}\n{}\n{"type":""}\n{}')).toBe(
      'item 2 header has no "type"',
    )
  })

  test('a length that is not a non-negative integer', () => {
    expect(error('{}\n{"type":"event","length":-1}\n{}')).toBe(
      'item 1 "length" must be a non-negative integer',
    )
    expect(error('{}\n{"type":"event","length":"2"}\n{}')).toBe(
      'item 1 "length" must be a non-negative integer',
    )
    expect(error('{}\n{"type":"event","length":1.5}\n{}')).toBe(
      'item 1 "length" must be a non-negative integer',
    )
  })

  test('a length running past the end of the body', () => {
    expect(error('{}\n{"type":"event","length":10}\n{}')).toBe(
      'item 1 declares 10 bytes but only 2 remain (truncated envelope)',
    )
  })

  test('a length-prefixed payload followed by anything but a newline', () => {
    expect(error('{}\n{"type":"event","length":2}\n{} \n')).toBe(
      'item 1 payload is not followed by a newline after its 2 bytes',
    )
  })
})
