import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sign } from '../../src/errors/ingest/hmac'
import { BASE, bearer, event, signed, startRuntime, TEST_SECRET, type TestRuntime } from '../helpers'

let rt: TestRuntime
let readToken: string
beforeAll(async () => {
  rt = await startRuntime({ rate_limit: { per_second: 100000, burst_size: 100000 } })
  readToken = rt.token(['errors:read'])
})
afterAll(() => rt.dispose())

const send = (req: Request) => rt.handle(req)
const rawCount = async () =>
  ((await rt.core.backend.get('SELECT count(*) AS n FROM raw_events')) as { n: number }).n
const lastRaw = async () =>
  (await rt.core.backend.get('SELECT * FROM raw_events ORDER BY id DESC LIMIT 1')) as Record<string, unknown>

async function expectError(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toContain('application/json')
  const body = (await res.json()) as { error: string; code: string; field?: string }
  expect(body.code).toBe(code)
  expect(typeof body.error).toBe('string')
  if (field) expect(body.field).toBe(field)
  return body
}

describe('POST /v1/ingest', () => {
  test('stores a signed event before answering 200', async () => {
    const before = await rawCount()
    const res = await send(signed('/v1/ingest', event({ request_id: 'req-store-1' })))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'accepted' })
    // The row is committed by the time the answer arrives: no waiting, no polling.
    expect(await rawCount()).toBe(before + 1)
    expect((await lastRaw()).request_id).toBe('req-store-1')
    expect((await lastRaw()).project_id).toBe('default')
  })

  test('accepts a signature in upper-case hex', async () => {
    const body = JSON.stringify(event({ request_id: 'req-upper' }))
    const res = await send(
      new Request(`${BASE}/v1/ingest`, {
        method: 'POST',
        headers: { 'x-signature': sign(TEST_SECRET, body).toUpperCase() },
        body,
      }),
    )
    expect(res.status).toBe(200)
  })

  test('signs with the project key when X-Project-Key is sent, and files under that project', async () => {
    const key = (
      (await rt.core.backend.get("SELECT api_key FROM projects WHERE id = 'default'")) as { api_key: string }
    ).api_key
    expect(key).toBe(TEST_SECRET) // the default project's key is the configured secret
    const res = await send(signed('/v1/ingest', event({ request_id: 'req-key' }), { key }))
    expect(res.status).toBe(200)
    expect((await lastRaw()).request_id).toBe('req-key')
  })

  test('tolerates what the official SDKs send', async () => {
    for (const source of ['python', 'ruby', 'web', 'react-native']) {
      const res = await send(signed('/v1/ingest', event({ source, request_id: `src-${source}` })))
      expect(res.status).toBe(200)
      expect((await lastRaw()).source).toBe(source)
    }
    // Missing and empty release are stored as "unknown"; unknown fields are ignored.
    for (const release of [undefined, '']) {
      const e = event({ request_id: 'rel', extra_field: { nested: true }, sdk: 'bloop-python/0.2.0' })
      if (release === undefined) delete e.release
      else e.release = release
      const res = await send(signed('/v1/ingest', e))
      expect(res.status).toBe(200)
      expect((await lastRaw()).release).toBe('unknown')
    }
  })

  test('reads a timestamp below 10^11 as seconds and a missing one as the receive time', async () => {
    await send(signed('/v1/ingest', event({ timestamp: 1_700_000_000 })))
    expect((await lastRaw()).timestamp).toBe(1_700_000_000_000)
    await send(signed('/v1/ingest', event({ timestamp: 1_700_000_000_123 })))
    expect((await lastRaw()).timestamp).toBe(1_700_000_000_123)
    const e = event()
    delete e.timestamp
    const before = Date.now()
    await send(signed('/v1/ingest', e))
    const row = await lastRaw()
    expect(row.timestamp).toBe(row.received_at as number)
    expect(row.received_at as number).toBeGreaterThanOrEqual(before)
  })

  test('stores metadata as compact JSON and answers CORS preflight for browsers', async () => {
    await send(signed('/v1/ingest', event({ metadata: { user: { plan: 'pro' }, tags: ['a', 'b'] } })))
    expect((await lastRaw()).metadata).toBe('{"user":{"plan":"pro"},"tags":["a","b"]}')
    const pre = await rt.fetch('/v1/ingest', { method: 'OPTIONS' })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')).toBe('Content-Type, X-Signature, X-Project-Key')
  })
})

describe('caps at their exact boundary (UTF-8 bytes)', () => {
  // "é" is 2 bytes, "€" 3 bytes, "😀" 4 bytes in UTF-8.
  const exactly = (bytes: number, unit: string, unitBytes: number) =>
    unit.repeat(Math.floor(bytes / unitBytes)) + 'a'.repeat(bytes % unitBytes)
  const cases: [string, number, (n: number) => Record<string, unknown>][] = [
    ['message', 2048, (n) => ({ message: exactly(n, '€', 3) })],
    ['stack', 8192, (n) => ({ stack: exactly(n, '😀', 4) })],
    ['metadata', 4096, (n) => ({ metadata: { k: exactly(n - '{"k":""}'.length, 'é', 2) } })],
  ]
  for (const [field, cap, make] of cases) {
    test(`${field} of exactly ${cap} bytes is accepted, ${cap + 1} bytes is refused with 400`, async () => {
      expect((await send(signed('/v1/ingest', event(make(cap))))).status).toBe(200)
      const body = await expectError(
        await send(signed('/v1/ingest', event(make(cap + 1)))),
        400,
        'invalid_field',
        field,
      )
      expect(body.error).toContain(`${field} exceeds ${cap} bytes`)
    })
  }

  test('a multi-byte character straddling the message cap counts all its bytes', async () => {
    // 2046 ASCII bytes + one 3-byte "€" = 2049 bytes, though only 2047 characters.
    const res = await send(signed('/v1/ingest', event({ message: `${'a'.repeat(2046)}€` })))
    await expectError(res, 400, 'invalid_field', 'message')
  })

  test('a body of exactly 32768 bytes is accepted; one byte more is 413', async () => {
    const base = JSON.stringify(event({ metadata: null, pad: '' }))
    const pad = 'x'.repeat(32768 - base.length)
    const ok = JSON.stringify(event({ metadata: null, pad }))
    expect(ok.length).toBe(32768)
    expect((await send(signed('/v1/ingest', null, { raw: ok }))).status).toBe(200)
    const over = JSON.stringify(event({ metadata: null, pad: `${pad}x` }))
    await expectError(await send(signed('/v1/ingest', null, { raw: over })), 413, 'payload_too_large')
  })

  test('a client fingerprint of 128 characters is used verbatim; 129 is refused', async () => {
    const fp = 'f'.repeat(128)
    expect((await send(signed('/v1/ingest', event({ fingerprint: fp })))).status).toBe(200)
    expect((await lastRaw()).fingerprint).toBe(fp)
    await expectError(
      await send(signed('/v1/ingest', event({ fingerprint: `${fp}f` }))),
      400,
      'invalid_field',
      'fingerprint',
    )
  })

  test('a source of 32 characters is accepted; 33 is refused', async () => {
    expect((await send(signed('/v1/ingest', event({ source: 's'.repeat(32) })))).status).toBe(200)
    await expectError(
      await send(signed('/v1/ingest', event({ source: 's'.repeat(33) }))),
      400,
      'invalid_field',
      'source',
    )
  })
})

describe('bad input never gets a 500', () => {
  const body = JSON.stringify(event())
  const cases: [string, () => Request, number, string][] = [
    ['empty body', () => signed('/v1/ingest', null, { raw: '' }), 400, 'invalid_json'],
    ['not JSON', () => signed('/v1/ingest', null, { raw: '{"source": ' }), 400, 'invalid_json'],
    ['JSON that is not an object', () => signed('/v1/ingest', [1, 2]), 400, 'invalid_field'],
    ['a JSON string', () => signed('/v1/ingest', 'hello'), 400, 'invalid_field'],
    [
      'missing signature',
      () => new Request(`${BASE}/v1/ingest`, { method: 'POST', body }),
      401,
      'missing_signature',
    ],
    [
      'garbled signature',
      () =>
        new Request(`${BASE}/v1/ingest`, { method: 'POST', body, headers: { 'x-signature': 'zz-not-hex' } }),
      401,
      'invalid_signature',
    ],
    [
      'signature of another body',
      () =>
        new Request(`${BASE}/v1/ingest`, {
          method: 'POST',
          body,
          headers: { 'x-signature': sign(TEST_SECRET, `${body} `) },
        }),
      401,
      'invalid_signature',
    ],
    [
      'signed with the wrong secret',
      () => signed('/v1/ingest', event(), { secret: 'w'.repeat(40) }),
      401,
      'invalid_signature',
    ],
    [
      'unknown project key',
      () => signed('/v1/ingest', event(), { key: 'bloop_unknown' }),
      401,
      'invalid_project_key',
    ],
    ['missing message', () => signed('/v1/ingest', event({ message: undefined })), 400, 'invalid_field'],
    ['empty error_type', () => signed('/v1/ingest', event({ error_type: '' })), 400, 'invalid_field'],
    ['missing environment', () => signed('/v1/ingest', event({ environment: null })), 400, 'invalid_field'],
    ['message of the wrong type', () => signed('/v1/ingest', event({ message: 42 })), 400, 'invalid_field'],
    [
      'timestamp as a string',
      () => signed('/v1/ingest', event({ timestamp: '1700000000000' })),
      400,
      'invalid_field',
    ],
    [
      'timestamp of 2^63',
      () => signed('/v1/ingest', null, { raw: body.replace('1700000000000', '9223372036854775808') }),
      400,
      'invalid_field',
    ],
    ['negative timestamp', () => signed('/v1/ingest', event({ timestamp: -5 })), 400, 'invalid_field'],
    [
      'http_status of 2^63',
      () =>
        signed('/v1/ingest', null, {
          raw: body.replace('"source"', '"http_status":9223372036854775807,"source"'),
        }),
      400,
      'invalid_field',
    ],
    [
      'http_status as a float',
      () => signed('/v1/ingest', event({ http_status: 500.5 })),
      400,
      'invalid_field',
    ],
    [
      'route as an object',
      () => signed('/v1/ingest', event({ route_or_procedure: { a: 1 } })),
      400,
      'invalid_field',
    ],
    [
      'deeply nested metadata over the cap',
      () => signed('/v1/ingest', event({ metadata: JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) })),
      400,
      'invalid_field',
    ],
    [
      'metadata nested 16,000 levels deep (the most a 32 KB body can hold)',
      () =>
        signed('/v1/ingest', null, {
          raw: body.replace('{', `{"metadata":${'['.repeat(16000)}${']'.repeat(16000)},`),
        }),
      400,
      'invalid_field',
    ],
    ['batch that is an array', () => signed('/v1/ingest/batch', [event()]), 400, 'invalid_json'],
    ['batch without events', () => signed('/v1/ingest/batch', { items: [] }), 400, 'invalid_field'],
    [
      'batch with events not an array',
      () => signed('/v1/ingest/batch', { events: 'x' }),
      400,
      'invalid_field',
    ],
    [
      'batch over its cap of 100',
      () => signed('/v1/ingest/batch', { events: Array.from({ length: 101 }, () => event()) }),
      400,
      'batch_too_large',
    ],
  ]
  for (const [name, make, status, code] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const before = await rawCount()
      await expectError(await send(make()), status, code)
      expect(await rawCount()).toBe(before)
    })
  }

  test('null for every optional field is accepted', async () => {
    const e = event({
      app_version: null,
      build_number: null,
      route_or_procedure: null,
      screen: null,
      stack: null,
      http_status: null,
      request_id: null,
      user_id_hash: null,
      device_id_hash: null,
      fingerprint: null,
      metadata: null,
      timestamp: null,
      release: null,
    })
    expect((await send(signed('/v1/ingest', e))).status).toBe(200)
    expect((await lastRaw()).release).toBe('unknown')
  })

  test('deeply nested metadata within the cap is stored as sent', async () => {
    const deep = JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`)
    expect((await send(signed('/v1/ingest', event({ metadata: deep })))).status).toBe(200)
    expect((await lastRaw()).metadata).toBe(JSON.stringify(deep))
  })

  test('an unknown route is a JSON 404', async () => {
    await expectError(await rt.fetch('/v1/nope'), 404, 'not_found')
  })
})

describe('POST /v1/ingest/batch', () => {
  test('stores valid events and reports invalid ones by index', async () => {
    const before = await rawCount()
    const res = await send(
      signed('/v1/ingest/batch', {
        events: [event({ request_id: 'b0' }), event({ message: '' }), event({ request_id: 'b2' }), 'junk'],
      }),
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      accepted: 2,
      dropped: 2,
      errors: [
        { index: 1, field: 'message', error: 'message is required' },
        { index: 3, field: '(event)', error: 'event must be a JSON object' },
      ],
    })
    expect(await rawCount()).toBe(before + 2)
  })

  test('accepts exactly max_batch_size events', async () => {
    const before = await rawCount()
    const res = await send(
      signed('/v1/ingest/batch', {
        events: Array.from({ length: 100 }, (_, i) => event({ request_id: `m${i}` })),
      }),
    )
    expect(await res.json()).toEqual({ accepted: 100, dropped: 0, errors: [] })
    expect(await rawCount()).toBe(before + 100)
  })

  test('an empty batch is fine', async () => {
    const res = await send(signed('/v1/ingest/batch', { events: [] }))
    expect(await res.json()).toEqual({ accepted: 0, dropped: 0, errors: [] })
  })
})

describe('metrics', () => {
  test('count accepted and rejected events by reason', async () => {
    const text = await (await rt.fetch('/metrics')).text()
    expect(text).toMatch(/bloop_events_accepted_total\{endpoint="ingest"\} \d+/)
    expect(text).toMatch(/bloop_events_rejected_total\{reason="invalid_signature"\} [1-9]/)
    expect(text).toMatch(/bloop_events_rejected_total\{reason="validation"\} [1-9]/)
    const list = await rt.fetch('/v1/errors', { headers: bearer(readToken) })
    expect(list.status).toBe(200)
  })
})
