import { afterEach, describe, expect, test } from 'bun:test'
import { backoffMs, retryAfterMs } from '../src/channel'
import { Client, type Options } from '../src/client'
import { type Receiver, receiver, sign, until } from './receiver'

const KEY = 'project-key-for-tests'
let r: Receiver
let clients: Client[] = []

function client(o: Partial<Options> = {}): Client {
  const c = new Client({ endpoint: r.url, projectKey: KEY, environment: 'test', release: '1.0.0', ...o })
  clients.push(c)
  return c
}

afterEach(async () => {
  for (const c of clients) await c.close(100)
  clients = []
  r?.stop()
})

class MemoryStore {
  data = new Map<string, string>()
  getItem = (k: string) => this.data.get(k) ?? null
  setItem = (k: string, v: string) => void this.data.set(k, v)
  removeItem = (k: string) => void this.data.delete(k)
}

describe('delivery', () => {
  test('one event goes to /v1/ingest as the whole body, signed over its exact bytes', async () => {
    r = receiver()
    const c = client()
    c.captureException(new RangeError('out of range'))
    expect(await c.flush()).toBe(true)
    expect(r.requests.length).toBe(1)
    const req = r.requests[0] as (typeof r.requests)[0]
    expect(req.path).toBe('/v1/ingest')
    expect(req.headers.get('x-project-key')).toBe(KEY)
    expect(req.headers.get('content-type')).toBe('application/json')
    expect(req.headers.get('x-signature')).toBe(sign(KEY, req.body))
    const e = req.json as Record<string, unknown>
    expect(e.error_type).toBe('RangeError')
    expect(e.message).toBe('out of range')
    expect(e.environment).toBe('test')
    expect(e.release).toBe('1.0.0')
    expect(e.source).toBe('javascript')
    expect((e.metadata as Record<string, unknown>).sdk).toBe('bloop-js@0.1.0')
  })

  test('a size trigger sends a full batch at once; no request holds more than batchSize events', async () => {
    r = receiver()
    const c = client({ batchSize: 10, flushIntervalMs: 60_000 })
    for (let i = 0; i < 25; i++) c.captureMessage(`m${i}`)
    // The size trigger starts a drain, which sends what is left behind it without waiting
    // for the interval (60 s here).
    await until(() => r.requests.length >= 3)
    expect(r.requests.map((q) => (q.json as { events: unknown[] }).events.length)).toEqual([10, 10, 5])
    expect(r.requests[0]?.path).toBe('/v1/ingest/batch')
    const messages = r.requests.flatMap((q) =>
      (q.json as { events: { message: string }[] }).events.map((e) => e.message),
    )
    expect(messages).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`))
  })

  test('batchSize is held to the server maximum of 100 events per request', async () => {
    r = receiver()
    const c = client({ batchSize: 500, flushIntervalMs: 60_000 })
    for (let i = 0; i < 101; i++) c.captureMessage(`m${i}`)
    expect(await c.flush()).toBe(true)
    expect(r.requests.map((q) => (q.json as { events?: unknown[] }).events?.length ?? 1)).toEqual([100, 1])
  })

  test('the interval trigger flushes what is buffered', async () => {
    r = receiver()
    const c = client({ flushIntervalMs: 50 })
    c.captureMessage('later')
    await until(() => r.requests.length === 1, 2000)
  })

  test('429 with Retry-After is waited out, then the same batch is delivered', async () => {
    r = receiver()
    r.script.push({ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } })
    const c = client()
    c.captureMessage('a')
    c.captureMessage('b')
    expect(await c.flush(5000)).toBe(true)
    expect(r.requests.length).toBe(2)
    expect(r.requests[1]?.body).toBe(r.requests[0]?.body as string)
    const waited = (r.requests[1]?.at as number) - (r.requests[0]?.at as number)
    expect(waited).toBeGreaterThanOrEqual(990)
  })

  test('503 is retried with backoff; a 400 is dropped without a retry', async () => {
    r = receiver()
    r.script.push({ status: 503 }, { status: 200 })
    const c = client()
    c.captureMessage('x')
    expect(await c.flush(5000)).toBe(true)
    expect(r.requests.length).toBe(2)
    r.script.push({ status: 400, body: { error: 'bad', code: 'invalid_field' } })
    c.captureMessage('y')
    expect(await c.flush(5000)).toBe(true)
    expect(r.requests.length).toBe(3)
    expect(c.stats().events.dropped).toBe(1)
  })

  test('a flush that cannot wait out the backoff reports false and keeps the events', async () => {
    r = receiver()
    r.script.push({ status: 429, headers: { 'retry-after': '30' } })
    const c = client()
    c.captureMessage('kept')
    expect(await c.flush(200)).toBe(false)
    expect(c.stats().events.queued).toBe(1)
  })

  test('a batch refused by 5xx is given up after maxAttempts', async () => {
    r = receiver()
    r.script.push(
      { status: 500, headers: { 'retry-after': '0' } },
      { status: 500, headers: { 'retry-after': '0' } },
    )
    const c = client({ maxAttempts: 2 })
    c.captureMessage('doomed')
    expect(await c.flush(3000)).toBe(true)
    expect(r.requests.length).toBe(2)
    expect(c.stats().events.dropped).toBe(1)
  })

  test('events the server rejects inside a 200 batch are counted as dropped', async () => {
    r = receiver()
    r.script.push({
      status: 200,
      body: { accepted: 1, dropped: 1, errors: [{ index: 1, field: 'x', error: 'y' }] },
    })
    const c = client()
    c.captureMessage('a')
    c.captureMessage('b')
    await c.flush()
    expect(c.stats().events).toEqual({ queued: 0, sent: 2, dropped: 1 })
  })

  test('unreachable server: the queue is saved offline and replayed by the next client', async () => {
    r = receiver()
    const store = new MemoryStore()
    const down = client({ endpoint: 'http://127.0.0.1:9', storage: store })
    down.captureMessage('while offline', { tags: { k: 'v' } })
    expect(await down.flush(300)).toBe(false)
    await down.close(50)
    expect(JSON.parse(store.data.get('bloop:queue:events') as string)[0].message).toBe('while offline')
    const up = client({ storage: store })
    await until(() => r.requests.length === 1)
    expect((r.requests[0] as { json: { message: string } }).json.message).toBe('while offline')
    await up.flush()
    expect(store.data.has('bloop:queue:events')).toBe(false)
  })

  test('the offline queue keeps the newest events within its storage budget', async () => {
    r = receiver()
    const store = new MemoryStore()
    const c = client({
      endpoint: 'http://127.0.0.1:9',
      storage: store,
      maxOfflineChars: 1500,
      flushIntervalMs: 60_000,
    })
    for (let i = 0; i < 10; i++) c.captureMessage(`offline ${i} ${'x'.repeat(200)}`)
    await c.flush(200)
    await c.close(50)
    const saved = store.data.get('bloop:queue:events') as string
    expect(saved.length).toBeLessThanOrEqual(1500)
    const messages = (JSON.parse(saved) as { message: string }[]).map((e) => e.message.split(' ')[1])
    expect(messages.length).toBeGreaterThan(0)
    expect(messages.at(-1)).toBe('9')
    expect(messages).toEqual(
      Array.from({ length: messages.length }, (_, i) => String(10 - messages.length + i)),
    )
  })

  test('a full queue drops the oldest events and counts them', async () => {
    r = receiver()
    const c = client({ endpoint: 'http://127.0.0.1:9', maxQueueSize: 3, flushIntervalMs: 60_000 })
    for (let i = 0; i < 5; i++) c.captureMessage(`m${i}`)
    await Bun.sleep(20)
    expect(c.stats().events).toEqual({ queued: 3, sent: 0, dropped: 2 })
  })

  test('beforeSend scrubs or drops; sampleRate 0 sends nothing; captures after close are ignored', async () => {
    r = receiver()
    const c = client({
      beforeSend: (e) => (e.message.includes('secret') ? null : { ...e, message: e.message.toUpperCase() }),
    })
    c.captureMessage('has secret')
    c.captureMessage('fine')
    await c.flush()
    expect(r.requests.map((q) => (q.json as { message: string }).message)).toEqual(['FINE'])
    const none = client({ sampleRate: 0 })
    none.captureMessage('sampled out')
    await none.flush()
    await c.close()
    c.captureMessage('after close')
    await Bun.sleep(20)
    expect(r.requests.length).toBe(1)
  })

  test('context: hashed user, tags, route, breadcrumbs ring and capture context reach the event', async () => {
    r = receiver()
    let t = 1_700_000_000_000
    const c = client({ maxBreadcrumbs: 2, now: () => t++ })
    c.setUser('user-42')
    c.setTags({ region: 'eu' })
    c.setRoute('/checkout')
    c.setContext('cart', { items: 3 })
    for (const m of ['one', 'two', 'three']) c.addBreadcrumb({ category: 'ui', message: m })
    c.captureException(new Error('boom'), { tags: { step: 'pay' }, httpStatus: 502, requestId: 'req-1' })
    await c.flush()
    const e = r.requests[0]?.json as Record<string, any>
    expect(e.user_id_hash).toBe(new Bun.CryptoHasher('sha256').update('user-42').digest('hex'))
    expect(e.route_or_procedure).toBe('/checkout')
    expect(e.http_status).toBe(502)
    expect(e.request_id).toBe('req-1')
    expect(e.metadata.tags).toEqual({ region: 'eu', step: 'pay' })
    expect(e.metadata.cart).toEqual({ items: 3 })
    expect(e.metadata.breadcrumbs).toBeUndefined()
    expect(e.breadcrumbs).toEqual([
      { timestamp: 1_700_000_000_001, category: 'ui', message: 'two' },
      { timestamp: 1_700_000_000_002, category: 'ui', message: 'three' },
    ])
  })

  test('nothing the app passes makes the SDK throw', async () => {
    r = receiver()
    const c = client({
      beforeSend: () => {
        throw new Error('scrubber bug')
      },
    })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => c.captureException(cyclic)).not.toThrow()
    expect(() => c.captureException(undefined)).not.toThrow()
    expect(() => c.captureMessage(null as unknown as string)).not.toThrow()
    expect(() => c.addBreadcrumb(null as never)).not.toThrow()
    expect(await c.flush()).toBe(true)
  })
})

describe('retry timing', () => {
  test('Retry-After is read as seconds or an HTTP date', () => {
    expect(retryAfterMs('2', 0)).toBe(2000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000)
    expect(retryAfterMs('soon', 0)).toBeUndefined()
    expect(retryAfterMs(null, 0)).toBeUndefined()
  })

  test('backoff doubles from 1 s to a 60 s ceiling with ±25% jitter', () => {
    expect(backoffMs(1, 0.5)).toBe(1000)
    expect(backoffMs(2, 0.5)).toBe(2000)
    expect(backoffMs(4, 0.5)).toBe(8000)
    expect(backoffMs(20, 0.5)).toBe(60_000)
    expect(backoffMs(1, 0)).toBe(750)
    expect(backoffMs(1, 1)).toBe(1250)
  })
})
