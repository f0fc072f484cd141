/**
 * The Sentry endpoints in-process against a real runtime (either backend of the test pass): an
 * envelope corpus covering encodings, item framing, item types, every auth form, bad keys,
 * caps, bombs, duplicates and backpressure.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { validateEvent } from '../../src/errors/ingest/validate'
import { rotateSentryKey, sentryProjectOf } from '../../src/sentry/store'
import { openDatabase } from '../../src/storage/db'
import { bearer, event, projectIn, startRuntime, type TestRuntime } from '../helpers'
import { envelope, issueOf, sentryEvent } from '../sentry.helpers'

let rt: TestRuntime
let key: string
let otherKey: string
let read: string

const dsn = (k = key, id = 1) => `http://${k}@localhost/${id}`
const get = (path: string) => rt.fetch(path, { headers: bearer(read) })
const post = (path: string, body: Uint8Array | string, headers: Record<string, string> = {}) =>
  rt.fetch(path, { method: 'POST', body: body as BodyInit, headers })
const authHeader = (k = key) => ({
  'x-sentry-auth': `Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=${k}`,
})
const rawCount = async () =>
  ((await rt.core.backend.get('SELECT count(*) AS n FROM raw_events')) as { n: number }).n
const eventEnvelope = (e: Record<string, unknown>, headers: Record<string, unknown> = {}) =>
  envelope({ event_id: e.event_id, dsn: dsn(), ...headers }, [{ type: 'event', payload: e }])
const metric = async (line: string) => {
  const text = await (await rt.fetch('/metrics')).text()
  const found = text.split('\n').find((l) => l.startsWith(`${line} `))
  return found === undefined ? 0 : Number(found.slice(line.length + 1))
}
async function stored(eventId: string) {
  return (await rt.core.backend.get(
    'SELECT error_type, message, release, environment, source, level FROM raw_events WHERE event_id = ?',
    [eventId],
  )) as Record<string, unknown> | null
}

/**
 * Holds `r`'s writer until the returned function is called: SQLite's write lock from another
 * connection to its file; on PostgreSQL a lock on raw_events in a transaction of its own
 * pooled connection, which the commit's INSERT waits for.
 */
async function holdWriter(r: TestRuntime): Promise<() => Promise<void>> {
  if (r.core.backend.kind === 'sqlite') {
    const lock = openDatabase(join(r.dir, 'bloop.db'))
    lock.run('BEGIN IMMEDIATE')
    return async () => {
      if (lock.inTransaction) lock.run('ROLLBACK')
      lock.close()
    }
  }
  let locked = () => {}
  const held = new Promise<void>((resolve) => {
    locked = resolve
  })
  let unlock = () => {}
  const released = new Promise<void>((resolve) => {
    unlock = resolve
  })
  const done = r.core.backend.transaction(async (tx) => {
    await tx.run('LOCK TABLE raw_events IN EXCLUSIVE MODE')
    locked()
    await released
  })
  await Promise.race([held, done])
  return async () => {
    unlock()
    await done
  }
}

beforeAll(async () => {
  rt = await startRuntime()
  key = (await sentryProjectOf(rt.core.backend, 'default'))?.sentry_public_key as string
  const other = await projectIn(rt.core.backend, { name: 'Other', slug: 'other' })
  otherKey = (await sentryProjectOf(rt.core.backend, other.id))?.sentry_public_key as string
  read = rt.token(['errors:read'])
})
afterAll(() => rt.dispose())

describe('DSN keys', () => {
  test('every project has a distinct 32-hex public key, new projects included', () => {
    expect(key).toMatch(/^[0-9a-f]{32}$/)
    expect(otherKey).toMatch(/^[0-9a-f]{32}$/)
    expect(otherKey).not.toBe(key)
  })
})

describe('a stored event is acknowledged only after commit', () => {
  test('a length-prefixed envelope answers {"id"} and the event is readable at once', async () => {
    const e = sentryEvent({
      exception: { values: [{ type: 'CommitError', value: 'stored before the answer' }] },
    })
    const res = await post('/api/1/envelope/', eventEnvelope(e), {
      'content-type': 'application/x-sentry-envelope',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: e.event_id })
    const issue = await issueOf(get, 'CommitError')
    expect(issue.message).toBe('stored before the answer')
    expect(issue.samples[0]?.event_id).toBe(e.event_id as string)
  })

  test('newline-delimited items without length are read to the next newline', async () => {
    const e = sentryEvent({ exception: { values: [{ type: 'ImplicitLength', value: 'no length header' }] } })
    const body = envelope({ dsn: dsn() }, [
      { type: 'session', payload: { sid: 'a', status: 'ok' }, length: false },
      { type: 'event', payload: e, length: false },
    ])
    const res = await post('/api/1/envelope', body)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: e.event_id })
    expect((await stored(e.event_id as string))?.message).toBe('no length header')
  })

  test('the envelope header event_id wins over the payload one', async () => {
    const headerId = crypto.randomUUID()
    const e = sentryEvent({ exception: { values: [{ type: 'HeaderId', value: 'x' }] } })
    const res = await post('/api/1/envelope/', eventEnvelope(e, { event_id: headerId }))
    const plain = headerId.replaceAll('-', '')
    expect(await res.json()).toEqual({ id: plain })
    expect(await stored(plain)).not.toBeNull()
    expect(await stored(e.event_id as string)).toBeNull()
  })

  test('a resent event_id is answered 200 with its id but stored once', async () => {
    const e = sentryEvent({ exception: { values: [{ type: 'Resent', value: 'twice' }] } })
    const before = await rawCount()
    for (let i = 0; i < 2; i++) {
      const res = await post('/api/1/envelope/', eventEnvelope(e))
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ id: e.event_id })
    }
    expect(await rawCount()).toBe(before + 1)
    expect((await issueOf(get, 'Resent')).total_count).toBe(1)
  })
})

describe('Content-Encoding', () => {
  const cases = {
    gzip: (b: Uint8Array) => zlib.gzipSync(b),
    deflate: (b: Uint8Array) => zlib.deflateSync(b),
    br: (b: Uint8Array) => zlib.brotliCompressSync(b),
  }
  for (const [encoding, compress] of Object.entries(cases)) {
    test(`a ${encoding} envelope is decoded and stored`, async () => {
      const e = sentryEvent({
        exception: { values: [{ type: `Enc_${encoding}`, value: `via ${encoding}` }] },
      })
      const res = await post('/api/1/envelope/', compress(eventEnvelope(e)), { 'content-encoding': encoding })
      expect(res.status).toBe(200)
      expect((await stored(e.event_id as string))?.message).toBe(`via ${encoding}`)
    })
  }

  test('an unknown encoding is 415 and corrupt data 400', async () => {
    const body = eventEnvelope(sentryEvent())
    expect((await post('/api/1/envelope/', body, { 'content-encoding': 'compress' })).status).toBe(415)
    const res = await post('/api/1/envelope/', body, { 'content-encoding': 'gzip' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toStartWith('body is not valid gzip data')
  })
})

describe('item types', () => {
  test('unknown item types are skipped and the event still stored', async () => {
    const e = sentryEvent({ exception: { values: [{ type: 'WithUnknown', value: 'kept' }] } })
    const before = await metric('bloop_sentry_items_total{type="other"}')
    const body = envelope({ dsn: dsn() }, [
      { type: 'hologram', payload: new Uint8Array([0, 10, 13, 10]) },
      { type: 'event', payload: e },
      { type: 'telepathy', payload: 'x', length: false },
    ])
    const res = await post('/api/1/envelope/', body)
    expect(res.status).toBe(200)
    expect((await stored(e.event_id as string))?.message).toBe('kept')
    expect(await metric('bloop_sentry_items_total{type="other"}')).toBe(before + 2)
  })

  test('transactions, attachments and the rest are accepted and ignored', async () => {
    const before = await rawCount()
    const tx = sentryEvent({ type: 'transaction', transaction: '/checkout' })
    const body = envelope({ dsn: dsn(), event_id: tx.event_id }, [
      { type: 'transaction', payload: tx },
      { type: 'attachment', payload: 'log line\r\n', headers: { filename: 'app.log' } },
      { type: 'profile', payload: {} },
      { type: 'replay_event', payload: {} },
      { type: 'check_in', payload: { status: 'ok' } },
    ])
    const res = await post('/api/1/envelope/', body)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: tx.event_id })
    expect(await rawCount()).toBe(before)
  })

  test('a transaction sent to the legacy store endpoint is accepted and not stored', async () => {
    const before = await rawCount()
    const res = await post(
      '/api/1/store/',
      JSON.stringify(sentryEvent({ type: 'transaction' })),
      authHeader(),
    )
    expect(res.status).toBe(200)
    expect(await rawCount()).toBe(before)
  })

  test('an envelope holding only a session is accepted and counted', async () => {
    const before = await metric('bloop_sentry_items_total{type="session"}')
    const res = await post(
      '/api/1/envelope/',
      envelope({ sent_at: '2024-01-01T00:00:00Z' }, [
        { type: 'session', payload: { sid: 's1', init: true, status: 'ok', attrs: { release: 'a@1' } } },
      ]),
      authHeader(),
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
    expect(await metric('bloop_sentry_items_total{type="session"}')).toBe(before + 1)
  })

  test('client reports show SDK-side loss in /metrics, unknown labels as "other"', async () => {
    const report = {
      timestamp: 1_700_000_000,
      discarded_events: [
        { reason: 'queue_overflow', category: 'error', quantity: 3 },
        { reason: 'ratelimit_backoff', category: 'transaction', quantity: 5 },
        { reason: 'made_up_reason', category: 'weird', quantity: 2 },
        { reason: 'before_send', category: 'error', quantity: -4 },
      ],
    }
    const body = envelope({}, [
      { type: 'client_report', payload: report },
      { type: 'sessions', payload: { aggregates: [{ started: '2024-01-01T00:00:00Z', exited: 4 }] } },
    ])
    const res = await post(`/api/1/envelope/?sentry_key=${key}`, body)
    expect(res.status).toBe(200)
    const m = 'bloop_sentry_client_discarded_events_total'
    expect(await metric(`${m}{reason="queue_overflow",category="error"}`)).toBe(3)
    expect(await metric(`${m}{reason="ratelimit_backoff",category="transaction"}`)).toBe(5)
    expect(await metric(`${m}{reason="other",category="other"}`)).toBe(2)
    expect(await metric(`${m}{reason="before_send",category="error"}`)).toBe(0)
    expect(await metric('bloop_sentry_items_total{type="sessions"}')).toBe(1)
  })
})

describe('the legacy store endpoint', () => {
  for (const path of ['/api/1/store/', '/api/1/store']) {
    test(`stores a JSON event at ${path}`, async () => {
      const e = sentryEvent({ exception: { values: [{ type: `Store${path.length}`, value: 'legacy' }] } })
      const res = await post(path, JSON.stringify(e), { ...authHeader(), 'content-type': 'application/json' })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ id: e.event_id })
      expect((await stored(e.event_id as string))?.message).toBe('legacy')
    })
  }

  test('accepts a gzip body and generates an id when the event has none', async () => {
    const e = sentryEvent({ event_id: undefined, exception: { values: [{ type: 'StoreGzip', value: 'z' }] } })
    const res = await post(`/api/1/store/?sentry_key=${key}`, zlib.gzipSync(JSON.stringify(e)), {
      'content-encoding': 'gzip',
      'content-type': 'text/plain;charset=UTF-8',
    })
    expect(res.status).toBe(200)
    const { id } = (await res.json()) as { id: string }
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect((await stored(id))?.error_type).toBe('StoreGzip')
  })

  test('a store body that is not a JSON object is 400, an envelope content type is read as an envelope', async () => {
    expect((await post('/api/1/store/', '[1]', authHeader())).status).toBe(400)
    const e = sentryEvent({ exception: { values: [{ type: 'StoreEnvelope', value: 'e' }] } })
    const res = await post('/api/1/store/', eventEnvelope(e), {
      'content-type': 'application/x-sentry-envelope',
    })
    expect(res.status).toBe(200)
    expect((await stored(e.event_id as string))?.message).toBe('e')
  })
})

describe('auth', () => {
  const accepted = async (path: string, headers: Record<string, string>, withDsn: boolean) => {
    const e = sentryEvent()
    const body = envelope(withDsn ? { dsn: dsn() } : {}, [{ type: 'event', payload: e }])
    const res = await post(path, body, headers)
    expect(res.status).toBe(200)
    expect(await stored(e.event_id as string)).not.toBeNull()
  }

  test('the X-Sentry-Auth header', () => accepted('/api/1/envelope/', authHeader(), false))
  test('an Authorization: Sentry header', () =>
    accepted('/api/1/envelope/', { authorization: `Sentry sentry_key=${key}, sentry_version=7` }, false))
  test('the sentry_key query parameter', () =>
    accepted(`/api/1/envelope/?sentry_version=7&sentry_key=${key}`, {}, false))
  test('the envelope dsn header', () => accepted('/api/1/envelope/', {}, true))
  test('all three at once when they agree', () =>
    accepted(`/api/1/envelope/?sentry_key=${key}`, authHeader(), true))
  test('a key in upper case', () => accepted('/api/1/envelope/', authHeader(key.toUpperCase()), false))

  const refused = async (path: string, body: Uint8Array | string, headers: Record<string, string> = {}) => {
    const res = await post(path, body, headers)
    expect(res.status).toBe(403)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const json = (await res.json()) as { error: string; code: string }
    expect(json.code).toBe('forbidden')
    expect(res.headers.get('x-sentry-error')).toBe(json.error)
    return json.error
  }
  const bare = envelope({}, [{ type: 'event', payload: sentryEvent() }])

  test('no credentials at all is 403 naming the three ways to send them', async () => {
    expect(await refused('/api/1/envelope/', bare)).toBe(
      'missing Sentry credentials: send the X-Sentry-Auth header, the sentry_key query parameter or a dsn envelope header (Sentry SDKs do when given the DSN)',
    )
  })

  test("another project's key is 403 with the DSN that would work", async () => {
    expect(await refused('/api/1/envelope/', bare, authHeader(otherKey))).toBe(
      `Sentry key ${otherKey} does not belong to project 1; it belongs to project 2: use the DSN http://${otherKey}@localhost/2`,
    )
  })

  test('an unknown key is 403 pointing at the project settings, revealing no key', async () => {
    const unknown = 'f'.repeat(32)
    const msg = await refused('/api/1/envelope/', bare, authHeader(unknown))
    expect(msg).toBe(
      `Sentry key ${unknown} (from the X-Sentry-Auth header) does not belong to project 1; it may have been rotated: check the DSN shown in the project's settings (GET /v1/projects/<slug> returns it as "dsn")`,
    )
    expect(msg).not.toContain(key)
    expect(await refused('/api/2/envelope/', bare, authHeader(unknown))).not.toContain(otherKey)
  })

  test('a valid key for an unknown project is 403 with its own DSN', async () => {
    expect(await refused('/api/999/envelope/', bare, authHeader())).toBe(
      `Sentry key ${key} does not belong to project 999; it belongs to project 1: use the DSN http://${key}@localhost/1`,
    )
  })

  test('something that is not a key is 403 saying what a key looks like', async () => {
    expect(await refused('/api/1/envelope/?sentry_key=abc', bare)).toBe(
      `"abc" (from the sentry_key query parameter) is not a Sentry public key (32 hex characters); copy the DSN shown in the project's settings`,
    )
  })

  test('an envelope dsn naming another project than the URL is 403', async () => {
    const body = envelope({ dsn: dsn(key, 2) }, [{ type: 'event', payload: sentryEvent() }])
    expect(await refused('/api/1/envelope/', body)).toBe(
      'the envelope dsn header names project 2 but the URL names project 1',
    )
  })

  test('a header key and a dsn key that differ are 403', async () => {
    const body = envelope({ dsn: dsn(otherKey, 1) }, [{ type: 'event', payload: sentryEvent() }])
    expect(await refused('/api/1/envelope/', body, authHeader())).toBe(
      'the X-Sentry-Auth header and the envelope dsn header name different Sentry keys',
    )
  })

  test('a bad key is refused before the body is read, even a broken one', async () => {
    expect(await refused('/api/1/envelope/', 'not an envelope', authHeader(otherKey))).toContain(
      'belongs to project 2',
    )
  })

  test('a malformed dsn header is 400 and a non-numeric project id 404', async () => {
    const body = envelope({ dsn: 'not a dsn' }, [])
    expect((await post('/api/1/envelope/', body)).status).toBe(400)
    expect((await post('/api/default/envelope/', bare, authHeader())).status).toBe(404)
  })

  test('after rotation the old key is refused and the new one accepted', async () => {
    const rt2 = await startRuntime()
    try {
      const old = (await sentryProjectOf(rt2.core.backend, 'default'))?.sentry_public_key as string
      const fresh = (await rotateSentryKey(rt2.core.backend, 'default')) as string
      expect(fresh).toMatch(/^[0-9a-f]{32}$/)
      expect(fresh).not.toBe(old)
      const send = (k: string) =>
        rt2.fetch('/api/1/envelope/', { method: 'POST', body: bare as BodyInit, headers: authHeader(k) })
      const res = await send(old)
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: string }).error).toContain('it may have been rotated')
      expect((await send(fresh)).status).toBe(200)
    } finally {
      await rt2.dispose()
    }
  })

  test('rotating through the API needs a signed-in admin', async () => {
    const url = '/v1/projects/default/sentry-key/rotate'
    expect((await rt.fetch(url, { method: 'POST' })).status).toBe(401)
    expect(
      (await rt.fetch(url, { method: 'POST', headers: bearer(rt.token(['errors:write'])) })).status,
    ).toBe(403)
  })
})

describe('content types and CORS', () => {
  test('text/plain and application/json envelopes are accepted; other types are 415', async () => {
    for (const type of ['text/plain;charset=UTF-8', 'application/json']) {
      const res = await post('/api/1/envelope/', eventEnvelope(sentryEvent()), { 'content-type': type })
      expect(res.status).toBe(200)
    }
    const res = await post('/api/1/envelope/', eventEnvelope(sentryEvent()), { 'content-type': 'image/png' })
    expect(res.status).toBe(415)
  })

  test('OPTIONS answers the preflight with the headers SDKs send, on both endpoints', async () => {
    for (const path of ['/api/1/envelope/', '/api/1/store/', '/api/1/envelope']) {
      const res = await rt.fetch(path, { method: 'OPTIONS' })
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      const allowed = (res.headers.get('access-control-allow-headers') as string).toLowerCase()
      for (const h of ['content-type', 'content-encoding', 'x-sentry-auth', 'sentry-trace', 'baggage']) {
        expect(allowed).toContain(h)
      }
      expect(res.headers.get('access-control-expose-headers')).toBe(
        'X-Sentry-Error, X-Sentry-Rate-Limits, Retry-After',
      )
    }
  })
})

describe('broken envelopes are 400', () => {
  const cases: [string, string][] = [
    ['a header that is not JSON', 'hello\n'],
    ['an item without a type', `{"dsn":"${'DSN'}"}\n{"length":2}\n{}`],
    ['a truncated length-prefixed item', `{"dsn":"DSN"}\n{"type":"event","length":99}\n{}`],
    ['two event items', `{"dsn":"DSN"}\n{"type":"event"}\n{}\n{"type":"event"}\n{}`],
    ['an event payload that is not JSON', `{"dsn":"DSN"}\n{"type":"event"}\n{oops`],
  ]
  for (const [name, body] of cases) {
    test(name, async () => {
      const res = await post('/api/1/envelope/', body.replaceAll('DSN', dsn()), authHeader())
      expect(res.status).toBe(400)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
    })
  }
})

describe('caps', () => {
  let small: TestRuntime
  let smallKey: string
  const MAX = 2048
  const MAX_DECODED = 4096
  beforeAll(async () => {
    small = await startRuntime({ sentry: { max_envelope_bytes: MAX, max_decompressed_bytes: MAX_DECODED } })
    smallKey = (await sentryProjectOf(small.core.backend, 'default'))?.sentry_public_key as string
  })
  afterAll(() => small.dispose())

  /** A valid envelope of exactly `size` bytes: an event plus a padding attachment. */
  function sized(size: number): Uint8Array {
    const e = sentryEvent()
    for (let pad = 0; ; pad++) {
      const body = envelope(
        {},
        [
          { type: 'event', payload: e },
          { type: 'attachment', payload: 'a'.repeat(pad) },
        ],
        false,
      )
      if (body.byteLength === size) return body
      if (body.byteLength > size) throw new Error(`cannot build an envelope of ${size} bytes`)
    }
  }
  const send = (body: Uint8Array, headers: Record<string, string> = {}) =>
    small.fetch('/api/1/envelope/', {
      method: 'POST',
      body: body as BodyInit,
      headers: { ...authHeader(smallKey), ...headers },
    })

  test('a body of exactly the envelope cap is accepted; one byte more is 413', async () => {
    expect((await send(sized(MAX))).status).toBe(200)
    const res = await send(sized(MAX + 1))
    expect(res.status).toBe(413)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  test('a body that inflates to exactly the decompressed cap is accepted; one byte more is 413', async () => {
    const at = zlib.gzipSync(sized(MAX_DECODED))
    expect(at.byteLength).toBeLessThan(MAX)
    expect((await send(at, { 'content-encoding': 'gzip' })).status).toBe(200)
    const res = await send(zlib.gzipSync(sized(MAX_DECODED + 1)), { 'content-encoding': 'gzip' })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: string }).error).toBe(
      'body exceeds 4096 bytes after gzip decompression',
    )
  })

  test('a decompression bomb within the envelope cap is refused with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024))
    expect(bomb.byteLength).toBeLessThan(MAX)
    expect((await send(bomb, { 'content-encoding': 'gzip' })).status).toBe(413)
    const br = zlib.brotliCompressSync(Buffer.alloc(8 * 1024 * 1024))
    expect(br.byteLength).toBeLessThan(MAX)
    expect((await send(br, { 'content-encoding': 'br' })).status).toBe(413)
  })

  test('fields over the event caps are truncated, not rejected', async () => {
    const e = sentryEvent({
      exception: { values: [{ type: 'HugeFields', value: 'm'.repeat(5000) }] },
      tags: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`t${i}`, 'v'.repeat(50)])),
    })
    const res = await rt.fetch('/api/1/envelope/', { method: 'POST', body: eventEnvelope(e) as BodyInit })
    expect(res.status).toBe(200)
    const sample = (await issueOf(get, 'HugeFields')).samples[0]
    expect(sample?.metadata?._truncated).toBeGreaterThan(0)
    const row = await stored(e.event_id as string)
    expect(String(row?.message).length).toBe(2046)
  })
})

describe('backpressure', () => {
  test('a full queue answers 429 with Retry-After and X-Sentry-Rate-Limits, and nothing is lost', async () => {
    const busy = await startRuntime({ ingest: { channel_capacity: 2 } })
    let release: (() => Promise<void>) | null = null
    try {
      const k = (await sentryProjectOf(busy.core.backend, 'default'))?.sentry_public_key as string
      const v = validateEvent(event(), 'default', busy.config.ingest, Date.now())
      if (!v.ok) throw new Error(v.error)
      // Hold the writer so its first commit waits, then fill the queue behind it.
      release = await holdWriter(busy)
      const first = busy.features.errors.queue.submit([v.event])
      await Promise.resolve()
      const rest = busy.features.errors.queue.submit([v.event, v.event])
      expect(busy.features.errors.queue.depth).toBe(2)
      const res = await busy.fetch('/api/1/envelope/', {
        method: 'POST',
        body: envelope({}, [{ type: 'event', payload: sentryEvent() }]) as BodyInit,
        headers: authHeader(k),
      })
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(res.headers.get('x-sentry-rate-limits')).toBe('1::organization:queue_full')
      expect(res.headers.get('access-control-expose-headers')).toContain('X-Sentry-Rate-Limits')
      await release()
      release = null
      expect(await first).toMatchObject({ stored: 1 })
      expect(await rest).toMatchObject({ stored: 2 })
    } finally {
      await release?.()
      await busy.dispose()
    }
  })

  test('the per-IP rate limit answers 429 with the Sentry headers too', async () => {
    // A stopped clock (no refill between the two requests), at a realistic time: the event
    // is stored, on PostgreSQL in today's partition of raw_events.
    const frozen = Date.now()
    const limited = await startRuntime(
      { rate_limit: { per_second: 1, burst_size: 1 } },
      { now: () => frozen },
    )
    try {
      const k = (await sentryProjectOf(limited.core.backend, 'default'))?.sentry_public_key as string
      const send = () =>
        limited.fetch('/api/1/envelope/', {
          method: 'POST',
          body: envelope({}, [{ type: 'event', payload: sentryEvent() }]) as BodyInit,
          headers: authHeader(k),
        })
      expect((await send()).status).toBe(200)
      const res = await send()
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(res.headers.get('x-sentry-rate-limits')).toBe('1::organization:rate_limited')
    } finally {
      await limited.dispose()
    }
  })
})
