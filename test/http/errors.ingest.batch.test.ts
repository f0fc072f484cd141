/**
 * Batch size caps: a batch body has its own cap (`ingest.max_batch_bytes`, 4 MiB), so the
 * 100 events the Python and Ruby SDKs flush at once fit even at the per-event cap; each
 * event in it is still held to `ingest.max_payload_bytes` (its compact JSON), and one that
 * is over is reported by index instead of failing the whole batch.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, testConfig, validateConfig } from '../../src/config/load'
import { sign } from '../../src/errors/ingest/hmac'
import { createLogger } from '../../src/ops/log'
import { serve } from '../../src/server'
import { event, signed, startRuntime, TEST_SECRET, type TestRuntime, tempDir } from '../helpers'

const MiB = 1024 * 1024

/**
 * An event whose compact JSON is exactly `bytes` long: large ones carry a message, stack
 * and metadata near their caps, and every one is padded with a field bloop ignores.
 */
function eventOf(bytes: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const large =
    bytes > 16_000
      ? { message: 'm'.repeat(2000), stack: 's'.repeat(8000), metadata: { note: 'n'.repeat(4000) } }
      : {}
  const base = event({ ...large, ...over, padding: '' })
  const pad = bytes - JSON.stringify(base).length
  if (pad < 0) throw new Error(`expected room for padding, the event alone is ${-pad} bytes over ${bytes}`)
  const e = { ...base, padding: 'b'.repeat(pad) }
  expect(JSON.stringify(e).length).toBe(bytes)
  return e
}

/** A batch body of exactly `bytes`, the events followed by whitespace (valid JSON). */
function batchBody(events: unknown[], bytes: number): string {
  const tight = JSON.stringify({ events })
  const pad = bytes - tight.length
  if (pad < 0) throw new Error(`expected the events to fit in ${bytes} bytes, got ${tight.length}`)
  return `${tight.slice(0, -1)}${' '.repeat(pad)}}`
}

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime({ rate_limit: { per_second: 100000, burst_size: 100000 } })
})
afterAll(() => rt.dispose())

const rawCount = async () =>
  ((await rt.core.backend.get('SELECT count(*) AS n FROM raw_events')) as { n: number }).n

describe('POST /v1/ingest/batch body cap', () => {
  test('100 events of 30 KB each (3 MB) are all accepted', async () => {
    const events = Array.from({ length: 100 }, (_, i) => eventOf(30 * 1024, { request_id: `big-${i}` }))
    const before = await rawCount()
    const res = await rt.handle(signed('/v1/ingest/batch', { events }))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 100, dropped: 0, errors: [] })
    expect(await rawCount()).toBe(before + 100)
  })

  test('a body of exactly max_batch_bytes (4 MiB) is accepted; one byte more is 413', async () => {
    expect(rt.config.ingest.max_batch_bytes).toBe(4 * MiB)
    const events = Array.from({ length: 100 }, (_, i) => eventOf(32 * 1024, { request_id: `edge-${i}` }))
    const exact = batchBody(events, 4 * MiB)
    expect(new TextEncoder().encode(exact).byteLength).toBe(4 * MiB)
    const ok = await rt.handle(signed('/v1/ingest/batch', null, { raw: exact }))
    expect(await ok.json()).toEqual({ accepted: 100, dropped: 0, errors: [] })

    const before = await rawCount()
    const over = await rt.handle(signed('/v1/ingest/batch', null, { raw: batchBody(events, 4 * MiB + 1) }))
    expect(over.status).toBe(413)
    expect(await over.json()).toEqual({
      error: `request body exceeds ${4 * MiB} bytes`,
      code: 'payload_too_large',
    })
    expect(await rawCount()).toBe(before)
  })

  test('an event over 32 KB inside a batch is dropped with its index; the rest are stored', async () => {
    const events = [
      eventOf(1000, { request_id: 'small' }),
      eventOf(32768 + 1, { request_id: 'over' }),
      eventOf(32768, { request_id: 'at-cap' }),
      eventOf(40000, { request_id: 'far-over' }),
    ]
    const before = await rawCount()
    const res = await rt.handle(signed('/v1/ingest/batch', { events }))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      accepted: 2,
      dropped: 2,
      errors: [
        { index: 1, field: '(event)', error: 'event exceeds 32768 bytes (compact JSON is 32769 bytes)' },
        { index: 3, field: '(event)', error: 'event exceeds 32768 bytes (compact JSON is 40000 bytes)' },
      ],
    })
    expect(await rawCount()).toBe(before + 2)
    const ids = (
      await rt.core.backend.all<{ request_id: string }>(
        'SELECT request_id FROM raw_events ORDER BY id DESC LIMIT 2',
      )
    ).map((r) => r.request_id)
    expect(ids).toEqual(['at-cap', 'small'])
  })

  test('an event counts as its compact JSON: multi-byte characters by their UTF-8 bytes, whitespace not at all', async () => {
    // 10,923 "€" are 32,769 bytes in UTF-8 though only 10,923 characters.
    const euro = eventOf(1000)
    euro.padding = '€'.repeat(10923)
    const spaced = eventOf(32768, { request_id: 'spaced' })
    const body = `{"events":[${JSON.stringify(euro)},${JSON.stringify(spaced, null, 8)}]}`
    const res = await rt.handle(signed('/v1/ingest/batch', null, { raw: body }))
    const answer = (await res.json()) as { accepted: number; errors: { index: number; error: string }[] }
    expect(answer.accepted).toBe(1)
    expect(answer.errors.map((e) => e.index)).toEqual([0])
    expect(answer.errors[0]?.error).toStartWith('event exceeds 32768 bytes (compact JSON is ')
  })

  test('an event nested too deeply to measure is dropped by index, never a 500', async () => {
    const e = JSON.stringify(event())
    const deep = e.replace('{', `{"metadata":${'['.repeat(500_000)}${']'.repeat(500_000)},`)
    const res = await rt.handle(signed('/v1/ingest/batch', null, { raw: `{"events":[${deep},${e}]}` }))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      accepted: 1,
      dropped: 1,
      errors: [{ index: 0, field: '(event)', error: 'event cannot be serialized (nested too deeply)' }],
    })
  })

  test('a single event keeps the 32 KB body cap', async () => {
    const res = await rt.handle(signed('/v1/ingest', eventOf(32768 + 1)))
    expect(res.status).toBe(413)
    expect(((await res.json()) as { code: string }).code).toBe('payload_too_large')
  })

  test('the rejected metric counts events dropped for size as validation', async () => {
    const text = await (await rt.fetch('/metrics')).text()
    expect(text).toMatch(/bloop_events_rejected_total\{reason="validation"\} [1-9]/)
  })
})

describe('the listening server', () => {
  test('takes a 3 MB batch even when every other body cap is small', async () => {
    const dir = tempDir()
    const served = await serve(
      testConfig({
        server: { host: '127.0.0.1', port: 0 },
        database: { path: join(dir, 'bloop.db') },
        auth: { hmac_secret: TEST_SECRET },
        // The other routes' caps at their minimum: only the batch cap can size the server's limit.
        sourcemaps: { max_bytes: 1024 },
        sentry: { max_envelope_bytes: 1024 },
      }),
      { log: createLogger('error') },
    )
    try {
      const body = JSON.stringify({
        events: Array.from({ length: 100 }, (_, i) => eventOf(30 * 1024, { request_id: `srv-${i}` })),
      })
      const res = await fetch(`${served.url}v1/ingest/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
        body,
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ accepted: 100, dropped: 0, errors: [] })
    } finally {
      await served.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('ingest.max_batch_bytes in the config', () => {
  test('defaults to 4 MiB, room for 100 events at the 32 KB cap', () => {
    const c = validateConfig({})
    expect(c.ingest.max_batch_bytes).toBe(4 * MiB)
    expect(c.ingest.max_batch_bytes).toBeGreaterThan(c.ingest.max_batch_size * c.ingest.max_payload_bytes)
  })

  test('is refused above its 64 MiB ceiling, naming the key', () => {
    expect(validateConfig({ ingest: { max_batch_bytes: 64 * MiB } }).ingest.max_batch_bytes).toBe(64 * MiB)
    expect(() => validateConfig({ ingest: { max_batch_bytes: 64 * MiB + 1 } })).toThrow(
      'ingest.max_batch_bytes: Expected integer to be less or equal to 67108864',
    )
  })

  test('is refused below max_payload_bytes: a batch must hold its largest event', () => {
    expect(() => validateConfig({ ingest: { max_batch_bytes: 16384 } })).toThrow(ConfigError)
    expect(() => validateConfig({ ingest: { max_batch_bytes: 16384 } })).toThrow(
      'ingest.max_batch_bytes (16384) must be at least ingest.max_payload_bytes (32768)',
    )
    expect(
      validateConfig({ ingest: { max_batch_bytes: 16384, max_payload_bytes: 16384 } }).ingest,
    ).toMatchObject({
      max_batch_bytes: 16384,
    })
  })
})
