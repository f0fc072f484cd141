/**
 * The outbound URL policy: address classes, resolved names, and both enforcement points
 * (channel creation answers 400; delivery refuses and logs, the receiver gets nothing).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { checkUrl, isPrivateAddress } from '../../src/alerts/ssrf'
import { insertChannel } from '../../src/alerts/store'
import { bearer, event, signed, startRuntime, type TestRuntime } from '../helpers'

const PRIVATE = [
  '127.0.0.1',
  '127.255.255.254',
  '10.0.0.1',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '::',
  'fd00::1',
  'fc00::1',
  'fe80::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '64:ff9b::a00:1',
  '2002:a00:1::1',
  // IPv4-mapped (::ffff:0:0/96): judged as the IPv4 address, in every spelling
  '::ffff:7f00:1',
  '0:0:0:0:0:ffff:127.0.0.1',
  '::FFFF:10.0.0.1',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '::ffff:192.168.0.1',
  '::ffff:192.88.99.1',
  // IPv4-translated (::ffff:0:0:0/96), public or not: a translator forwards to the IPv4 address
  '::ffff:0:127.0.0.1',
  '::ffff:0:7f00:1',
  '::ffff:0:10.0.0.1',
  '::ffff:0:a9fe:a9fe',
  '::ffff:0:8.8.8.8',
  '0:0:0:0:ffff:0:c0a8:101',
  // NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48) of private ranges
  '64:ff9b::127.0.0.1',
  '64:ff9b::7f00:1',
  '64:ff9b::10.0.0.1',
  '64:ff9b::192.168.1.1',
  '64:ff9b::169.254.169.254',
  '64:ff9b::8.8.8.8',
  '64:ff9b:1::a00:1',
  // the 6to4 relay anycast range, and 6to4 of it
  '192.88.99.0',
  '192.88.99.1',
  '192.88.99.255',
  '2002:c058:6301::1',
]
const PUBLIC = [
  '93.184.216.34',
  '8.8.8.8',
  '172.32.0.1',
  '172.15.255.255',
  '::ffff:8.8.8.8',
  '::ffff:808:808',
  '192.88.98.255',
  '192.88.100.1',
  '2606:4700::1111',
  '2a00:1450::1',
]

describe('address classes', () => {
  for (const ip of PRIVATE) test(`refuses ${ip}`, () => expect(isPrivateAddress(ip)).toBe(true))
  for (const ip of PUBLIC) test(`allows ${ip}`, () => expect(isPrivateAddress(ip)).toBe(false))
})

describe('checkUrl', () => {
  const policy = { allowPrivate: false, resolve: async () => ['93.184.216.34'] }

  test('accepts a public https URL', async () => {
    const r = await checkUrl('https://hooks.example.com/x', policy)
    expect(r.ok).toBe(true)
  })

  test('refuses schemes other than http and https, even with private URLs allowed', async () => {
    expect(await checkUrl('ftp://example.com/x', { allowPrivate: true })).toEqual({
      ok: false,
      error: 'must use http or https, not ftp',
    })
    expect(await checkUrl('file:///etc/passwd', { allowPrivate: true })).toEqual({
      ok: false,
      error: 'must use http or https, not file',
    })
  })

  test('refuses literal private addresses in every spelling the URL parser accepts', async () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]:8080/',
      'http://[::ffff:7f00:1]/',
      'http://[::ffff:0:7f00:1]/',
      'http://[::ffff:0:127.0.0.1]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://192.88.99.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[fd12:3456::1]/',
    ]) {
      const r = await checkUrl(url, policy)
      expect(r.ok, url).toBe(false)
    }
  })

  test('refuses a name when any of its addresses is private (IPv4 or IPv6)', async () => {
    const r = await checkUrl('https://mixed.example.com/', {
      allowPrivate: false,
      resolve: async () => ['93.184.216.34', 'fd00::5'],
    })
    expect(r).toEqual({
      ok: false,
      error:
        'points to a private, loopback or reserved address (mixed.example.com -> fd00::5); set alerting.allow_private_urls = true to allow it',
    })
  })

  test('refuses localhost through the real resolver', async () => {
    const r = await checkUrl('http://localhost:9/', { allowPrivate: false })
    expect(r.ok).toBe(false)
  })

  test('allows private addresses when allow_private_urls is set', async () => {
    expect((await checkUrl('http://127.0.0.1:1/', { allowPrivate: true })).ok).toBe(true)
  })

  test('refuses a name that does not resolve', async () => {
    const r = await checkUrl('https://nowhere.invalid/', {
      allowPrivate: false,
      resolve: async () => {
        throw new Error('ENOTFOUND')
      },
    })
    expect(r).toEqual({ ok: false, error: 'host nowhere.invalid cannot be resolved (ENOTFOUND)' })
  })
})

describe('enforcement', () => {
  let rt: TestRuntime
  let token: string
  let hits = 0
  let receiver: ReturnType<typeof Bun.serve>
  // A name that resolves to a public address when the channel is created and to loopback
  // afterwards (DNS rebinding).
  let rebound = false

  beforeAll(async () => {
    receiver = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch() {
        hits++
        return new Response('ok')
      },
    })
    rt = await startRuntime(
      { alerting: { allow_private_urls: false, retry_backoff_ms: 0 } },
      {
        resolve: async (host) => {
          if (host === 'hooks.rebind.test') return rebound ? ['127.0.0.1'] : ['93.184.216.34']
          throw new Error('ENOTFOUND')
        },
      },
    )
    token = rt.token(['alerts:read', 'alerts:write'])
  })
  afterAll(async () => {
    await rt.dispose()
    receiver.stop(true)
  })

  const post = (path: string, body: unknown) =>
    rt.fetch(path, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  async function newRule(): Promise<number> {
    const res = await post('/v1/alerts', { name: 'r', project_id: 'default', config: { type: 'new_issue' } })
    expect(res.status).toBe(201)
    return ((await res.json()) as { id: number }).id
  }

  test('channel creation answers 400 naming the field for loopback, private and unique-local URLs', async () => {
    const id = await newRule()
    for (const [config, field] of [
      [{ type: 'webhook', url: 'http://127.0.0.1:9/x' }, 'config.url'],
      [{ type: 'webhook', url: 'http://[::1]/x' }, 'config.url'],
      [{ type: 'webhook', url: 'http://10.1.2.3/x' }, 'config.url'],
      [{ type: 'slack', webhook_url: 'http://[fd00::1]/services/x' }, 'config.webhook_url'],
      [{ type: 'slack', webhook_url: 'http://169.254.169.254/latest' }, 'config.webhook_url'],
    ] as const) {
      const res = await post(`/v1/alerts/${id}/channels`, { config })
      expect(res.status).toBe(400)
      const body = (await res.json()) as { code: string; field: string; error: string }
      expect(body.code).toBe('invalid_field')
      expect(body.field).toBe(field)
      expect(body.error).toContain('private, loopback or reserved address')
    }
    const listed = await rt.fetch(`/v1/alerts/${id}/channels`, { headers: bearer(token) })
    expect(await listed.json()).toEqual({ items: [] })
  })

  test('delivery checks again and refuses a URL that now resolves to loopback', async () => {
    const id = await newRule()
    const created = await post(`/v1/alerts/${id}/channels`, {
      config: { type: 'webhook', url: `http://hooks.rebind.test:${receiver.port}/x` },
    })
    expect(created.status).toBe(201)
    rebound = true
    const res = await rt.handle(signed('/v1/ingest', event({ message: 'rebinding target' })))
    expect(res.status).toBe(200)
    const log = await waitForDeliveries(id, 1)
    expect(log[0]).toMatchObject({ outcome: 'refused', attempts: 1, status_code: null })
    expect(log[0]?.error).toBe(
      'URL points to a private, loopback or reserved address (hooks.rebind.test -> 127.0.0.1); set alerting.allow_private_urls = true to allow it',
    )
    expect(hits).toBe(0)
  })

  test('delivery refuses a stored loopback URL that bypassed creation', async () => {
    const id = await newRule()
    await insertChannel(
      rt.core.backend,
      id,
      { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/x` },
      Date.now(),
    )
    await rt.handle(signed('/v1/ingest', event({ message: 'stored loopback' })))
    const log = await waitForDeliveries(id, 1)
    expect(log[0]?.outcome).toBe('refused')
    expect(hits).toBe(0)
  })

  async function waitForDeliveries(id: number, n: number) {
    for (let i = 0; i < 200; i++) {
      const res = await rt.fetch(`/v1/alerts/${id}/deliveries`, { headers: bearer(token) })
      const body = (await res.json()) as { items: Record<string, unknown>[] }
      if (body.items.length >= n) return body.items
      await Bun.sleep(10)
    }
    throw new Error(`expected ${n} deliveries of rule ${id}`)
  }
})
