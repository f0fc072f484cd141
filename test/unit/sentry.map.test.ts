/** Mapping Sentry event payloads onto bloop events (pure). */
import { describe, expect, test } from 'bun:test'
import { computeFingerprint, hash64 } from '../../src/errors/fingerprint'
import { utf8Length } from '../../src/errors/ingest/validate'
import { buildMetadata, mapEvent, normalizeEventId, truncateUtf8 } from '../../src/sentry/map'
import { sentryEvent } from '../sentry.helpers'

const CAPS = { max_stack_bytes: 8192, max_metadata_bytes: 4096, max_message_bytes: 2048 }
const RECEIVED = 1_700_000_100_000
const EVENT_ID = '0123456789abcdef0123456789abcdef'
const map = (e: Record<string, unknown>, caps = CAPS) =>
  mapEvent(e, { projectId: 'p1', eventId: EVENT_ID, receivedAt: RECEIVED, caps })

const frame = (fn: string | null, path: string, lineno?: number, colno?: number, inApp?: boolean) => ({
  ...(fn === null ? {} : { function: fn }),
  abs_path: path,
  ...(lineno === undefined ? {} : { lineno }),
  ...(colno === undefined ? {} : { colno }),
  ...(inApp === undefined ? {} : { in_app: inApp }),
})
const withFrames = (frames: unknown[], over: Record<string, unknown> = {}) =>
  sentryEvent({
    exception: { values: [{ type: 'TypeError', value: 'boom', stacktrace: { frames } }] },
    ...over,
  })

describe('type, message and stack', () => {
  test('an exception maps to its type, value and a V8-style stack, newest frame first', () => {
    const e = map(sentryEvent())
    expect(e.error_type).toBe('TypeError')
    expect(e.message).toBe('x is not a function')
    expect(e.stack).toBe(
      [
        'TypeError: x is not a function',
        '    at checkout (https://app.example.com/main.js:42:7)',
        '    at main (https://app.example.com/main.js:10:3)',
      ].join('\n'),
    )
    expect(e.event_id).toBe(EVENT_ID)
    expect(e.project_id).toBe('p1')
    expect(e.received_at).toBe(RECEIVED)
    expect(e.timestamp).toBe(1_700_000_000_500)
  })

  test('of a chain, the last exception (the one thrown) is the event; the chain goes to metadata', () => {
    const e = map(
      sentryEvent({
        exception: {
          values: [
            { type: 'ConnectionError', value: 'refused' },
            { type: 'QueryError', value: 'select failed', mechanism: { type: 'chained', handled: true } },
          ],
        },
      }),
    )
    expect(e.error_type).toBe('QueryError')
    expect(e.message).toBe('select failed')
    expect(e.stack).toBeNull()
    expect(JSON.parse(e.metadata as string)).toMatchObject({
      exception_chain: ['ConnectionError: refused', 'QueryError: select failed'],
      mechanism: { type: 'chained', handled: true },
    })
  })

  test('the legacy exception array form is read too', () => {
    const e = map(sentryEvent({ exception: [{ type: 'KeyError', value: "'id'" }] }))
    expect([e.error_type, e.message]).toEqual(['KeyError', "'id'"])
  })

  test('a message event is a Message with the formatted logentry, else the message string', () => {
    const base = sentryEvent({ exception: undefined })
    expect(
      map({ ...base, logentry: { message: 'user %s', formatted: 'user 42', params: [42] } }),
    ).toMatchObject({
      error_type: 'Message',
      message: 'user 42',
    })
    expect(map({ ...base, message: 'disk almost full' })).toMatchObject({
      error_type: 'Message',
      message: 'disk almost full',
    })
    expect(map({ ...base, message: { message: 'raw %s' } }).message).toBe('raw %s')
    expect(map(base)).toMatchObject({ error_type: 'Error', message: '(no message)', stack: null })
  })

  test('a message with an attached stack (a synthetic exception without type) stays a Message', () => {
    const e = map(
      sentryEvent({
        message: 'slow checkout',
        exception: {
          values: [{ value: 'slow checkout', stacktrace: { frames: [frame('go', '/a.js', 1, 2)] } }],
        },
      }),
    )
    expect([e.error_type, e.message]).toEqual(['Message', 'slow checkout'])
    expect(e.stack).toBe('Message: slow checkout\n    at go (/a.js:1:2)')
    expect(e.metadata).toBeNull()
  })

  test('a log message next to an exception is kept in metadata', () => {
    const e = map(sentryEvent({ logentry: { formatted: 'payment failed for order 7' } }))
    expect(e.message).toBe('x is not a function')
    expect(JSON.parse(e.metadata as string).log_message).toBe('payment failed for order 7')
  })

  test('message events take their frames from the top-level stacktrace or the crashed thread', () => {
    const base = sentryEvent({ exception: undefined, message: 'hi' })
    expect(map({ ...base, stacktrace: { frames: [frame('a', '/x.py', 3)] } }).stack).toBe(
      'Message: hi\n    at a (/x.py:3)',
    )
    const threads = {
      values: [
        { id: 1, stacktrace: { frames: [frame('idle', '/t.py', 1)] } },
        { id: 2, crashed: true, stacktrace: { frames: [frame('crash', '/t.py', 9)] } },
      ],
    }
    expect(map({ ...base, threads }).stack).toBe('Message: hi\n    at crash (/t.py:9)')
  })

  test('frames without function, column, line or path render as V8 does', () => {
    const e = map(
      withFrames([
        { filename: 'rel.js', lineno: 5 },
        { module: 'app.core', function: 'run' },
        frame('?', 'https://x/y.js', 1, 1),
        frame(null, 'https://x/y.js', 2, 9),
      ]),
    )
    expect(e.stack).toBe(
      [
        'TypeError: boom',
        '    at https://x/y.js:2:9',
        '    at https://x/y.js:1:1',
        '    at run (app.core)',
        '    at rel.js:5',
      ].join('\n'),
    )
  })
})

describe('caps: truncated to the bloop ingest numbers, never rejected', () => {
  test('a message of exactly the cap is kept whole; one byte over is cut with a marker within the cap', () => {
    const at = 'é'.repeat(1024) // 2048 bytes
    expect(map(withFrames([], { exception: { values: [{ type: 'E', value: at }] } })).message).toBe(at)
    const over = `${at}x`
    const cut = map(withFrames([], { exception: { values: [{ type: 'E', value: over }] } })).message
    expect(cut.endsWith('…')).toBe(true)
    expect(utf8Length(cut)).toBeLessThanOrEqual(2048)
    expect(cut.startsWith('é'.repeat(1022))).toBe(true)
  })

  test('truncateUtf8 never splits a character', () => {
    expect(truncateUtf8('aé€😀', 100)).toBe('aé€😀')
    expect(truncateUtf8('aé€😀', 9)).toBe('aé€…')
    expect(truncateUtf8('😀😀', 6)).toBe('…')
    expect(truncateUtf8('😀😀', 7)).toBe('😀…')
  })

  test('a stack of exactly the cap is kept whole; one byte more drops the oldest frames with a marker', () => {
    const frames = Array.from({ length: 300 }, (_, i) => frame(`fn${i}`, `/src/mod${i}.js`, i + 1, 1))
    const full = map(withFrames(frames), { ...CAPS, max_stack_bytes: 1_000_000 }).stack as string
    const size = utf8Length(full)
    expect(map(withFrames(frames), { ...CAPS, max_stack_bytes: size }).stack).toBe(full)
    const cut = map(withFrames(frames), { ...CAPS, max_stack_bytes: size - 1 }).stack as string
    expect(utf8Length(cut)).toBeLessThanOrEqual(size - 1)
    const lines = cut.split('\n')
    expect(lines[1]).toBe('    at fn299 (/src/mod299.js:300:1)')
    expect(lines.at(-1)).toMatch(/^ {4}\.\.\. \d+ more frames?$/)
    const hidden = Number((lines.at(-1) as string).split(' ')[5])
    expect(lines.length - 2 + hidden).toBe(300)
  })

  test('a stack under the default 8 KB cap keeps the newest frames', () => {
    const frames = Array.from({ length: 1000 }, (_, i) => frame(`fn${i}`, `/src/mod${i}.js`, i + 1, 1))
    const stack = map(withFrames(frames)).stack as string
    expect(utf8Length(stack)).toBeLessThanOrEqual(8192)
    expect(stack.split('\n')[1]).toBe('    at fn999 (/src/mod999.js:1000:1)')
  })

  test('metadata over its cap keeps what fits in priority order and counts the rest', () => {
    const tags = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`tag${i}`, `value-${i}`]))
    const e = map(sentryEvent({ tags, contexts: { os: { name: 'Linux' } } }))
    const text = e.metadata as string
    expect(utf8Length(text)).toBeLessThanOrEqual(4096)
    const meta = JSON.parse(text)
    expect(meta.tags.tag0).toBe('value-0')
    expect(meta._truncated).toBe(400 + 1 - Object.keys(meta.tags).length - (meta.contexts ? 1 : 0))
    expect(meta._truncated).toBeGreaterThan(0)
  })

  test('buildMetadata: computed sizes match the JSON exactly, at the cap and one byte under', () => {
    const entries = [
      { section: null, key: 'sdk', value: 'sentry.python@2.0.0' },
      { section: 'tags', key: 'région', value: 'eu-ouest' },
      { section: 'tags', key: 'b', value: 'x'.repeat(10) },
      { section: 'contexts', key: 'os', value: { name: 'Linux', version: '6.1' } },
    ]
    const all = buildMetadata(entries, 100_000) as string
    const size = utf8Length(all)
    // The marker reserve means an exact fit needs its 24 bytes of room.
    expect(buildMetadata(entries, size + 24)).toBe(all)
    const less = JSON.parse(buildMetadata(entries, size + 23) as string)
    expect(less._truncated).toBe(1)
    expect(less.contexts).toBeUndefined()
    expect(buildMetadata([], 4096)).toBeNull()
    expect(buildMetadata(entries, 10)).toBeNull()
  })

  test('tags as [key, value] pairs and long tag values are accepted, values cut at 200 characters', () => {
    const meta = JSON.parse(
      map(sentryEvent({ tags: [['a', 'b'], ['long', 'v'.repeat(300)], ['bad']] })).metadata as string,
    )
    expect(meta.tags.a).toBe('b')
    expect(meta.tags.long).toHaveLength(200)
    expect(meta.tags.bad).toBeUndefined()
  })
})

describe('grouping', () => {
  const inApp = frame('checkout', '/app/src/cart.js', 10, 2, true)
  const lib = (n: number) => frame(`libFn${n}`, `/app/vendor/lib${n}.js`, n, 1, false)

  test('the default fingerprint is bloop grouping over the in-app frames', () => {
    const e = map(withFrames([lib(1), inApp, lib(2)]))
    const expected = computeFingerprint({
      source: 'javascript',
      error_type: 'TypeError',
      route_or_procedure: null,
      message: 'boom',
      stack: '    at checkout (/app/src/cart.js:10:2)',
    })
    expect(e.fingerprint).toBe(expected)
  })

  test('frames with in_app false do not change the group; in-app frames do', () => {
    const a = map(withFrames([lib(1), inApp, lib(2)]))
    const b = map(withFrames([lib(7), inApp, lib(8), lib(9)]))
    const c = map(withFrames([lib(1), frame('pay', '/app/src/pay.js', 3, 1, true), lib(2)]))
    expect(b.fingerprint).toBe(a.fingerprint)
    expect(c.fingerprint).not.toBe(a.fingerprint)
    // The stored stack still shows every frame.
    expect((b.stack as string).split('\n')).toHaveLength(5)
  })

  test('when no frame is in-app, all frames count (as in Sentry)', () => {
    const a = map(withFrames([lib(1), lib(2)]))
    const b = map(withFrames([lib(1), lib(3)]))
    expect(a.fingerprint).not.toBe(b.fingerprint)
  })

  test('the transaction is part of the group; a URL path is stored but not grouped on', () => {
    const t1 = map(sentryEvent({ transaction: 'GET /orders/:id' }))
    const t2 = map(sentryEvent({ transaction: 'GET /users/:id' }))
    expect(t1.route_or_procedure).toBe('GET /orders/:id')
    expect(t1.fingerprint).not.toBe(t2.fingerprint)
    const u1 = map(sentryEvent({ request: { url: 'https://shop.example.com/orders/123?x=1' } }))
    const u2 = map(sentryEvent({ request: { url: 'https://shop.example.com/orders/456' } }))
    expect(u1.route_or_procedure).toBe('/orders/123')
    expect(u2.route_or_procedure).toBe('/orders/456')
    expect(u1.fingerprint).toBe(u2.fingerprint)
  })

  test('an SDK fingerprint is honoured, {{ default }} standing for the default one', () => {
    const plain = map(sentryEvent())
    expect(map(sentryEvent({ fingerprint: ['{{ default }}'] })).fingerprint).toBe(plain.fingerprint)
    expect(map(sentryEvent({ fingerprint: ['{{default}}'] })).fingerprint).toBe(plain.fingerprint)
    expect(map(sentryEvent({ fingerprint: [] })).fingerprint).toBe(plain.fingerprint)
    const custom = map(sentryEvent({ fingerprint: ['database-unavailable'] })).fingerprint
    expect(custom).toBe(hash64('sentry-fingerprint:["database-unavailable"]'))
    const other = map(
      sentryEvent({
        fingerprint: ['database-unavailable'],
        exception: { values: [{ type: 'X', value: 'y' }] },
      }),
    )
    expect(other.fingerprint).toBe(custom)
    const extended = map(sentryEvent({ fingerprint: ['{{ default }}', 'eu', 7] })).fingerprint
    expect(extended).toBe(hash64(`sentry-fingerprint:${JSON.stringify([plain.fingerprint, 'eu', '7'])}`))
  })
})

describe('descriptive fields', () => {
  test('environment defaults to production and release to unknown', () => {
    const e = map(sentryEvent({ environment: undefined, release: '' }))
    expect([e.environment, e.release]).toEqual(['production', 'unknown'])
  })

  test('source is the platform, else the SDK name, at most 32 characters', () => {
    expect(map(sentryEvent({ platform: 'python' })).source).toBe('python')
    expect(map(sentryEvent({ platform: undefined, sdk: { name: 'sentry.cocoa' } })).source).toBe(
      'sentry.cocoa',
    )
    expect(map(sentryEvent({ platform: undefined })).source).toBe('sentry')
    const long = map(sentryEvent({ platform: 'p'.repeat(40) })).source
    expect(long).toHaveLength(32)
  })

  test('the user id is stored only as its SHA-256; email or username stand in for a missing id', () => {
    const sha = (s: string) => new Bun.CryptoHasher('sha256').update(s).digest('hex')
    expect(map(sentryEvent({ user: { id: 42, email: 'a@b.c' } })).user_id_hash).toBe(sha('42'))
    expect(map(sentryEvent({ user: { email: 'a@b.c', ip_address: '1.2.3.4' } })).user_id_hash).toBe(
      sha('a@b.c'),
    )
    expect(map(sentryEvent({ user: { ip_address: '1.2.3.4' } })).user_id_hash).toBeNull()
    expect(JSON.stringify(map(sentryEvent({ user: { id: 'u-9', email: 'a@b.c' } })))).not.toContain('a@b.c')
  })

  test('levels are normalised the way Sentry does, defaulting to error', () => {
    const level = (l: unknown) => map(sentryEvent({ level: l })).level
    expect([level('warning'), level('warn'), level('critical'), level('log'), level('FATAL')]).toEqual([
      'warning',
      'warning',
      'fatal',
      'info',
      'fatal',
    ])
    expect([level(undefined), level('loud'), level(3)]).toEqual(['error', 'error', 'error'])
  })

  test('timestamps in RFC 3339 or seconds are read; missing or invalid ones are the receive time', () => {
    const ts = (t: unknown) => map(sentryEvent({ timestamp: t })).timestamp
    expect(ts('2024-03-01T10:00:00.250Z')).toBe(Date.UTC(2024, 2, 1, 10, 0, 0, 250))
    expect(ts(1_700_000_000)).toBe(1_700_000_000_000)
    expect(ts(1_700_000_000_123)).toBe(1_700_000_000_123)
    expect([ts(undefined), ts('yesterday'), ts(-5), ts(1e20)]).toEqual([
      RECEIVED,
      RECEIVED,
      RECEIVED,
      RECEIVED,
    ])
  })

  test('app version, build and HTTP status come from the app and response contexts', () => {
    const e = map(
      sentryEvent({
        contexts: { app: { app_version: '3.1.0', app_build: '310' }, response: { status_code: 502 } },
      }),
    )
    expect([e.app_version, e.build_number, e.http_status]).toEqual(['3.1.0', '310', 502])
  })

  test('event ids are normalised to 32 lowercase hex characters', () => {
    expect(normalizeEventId('9EC79C33-EC99-42AB-8353-589FCB2E04DC')).toBe('9ec79c33ec9942ab8353589fcb2e04dc')
    expect(normalizeEventId('xyz')).toBeNull()
    expect(normalizeEventId(12)).toBeNull()
  })
})
