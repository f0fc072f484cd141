/**
 * Per-client-IP limits on /auth/* and on failed credentials, over real sockets: the key is
 * the socket address, and X-Forwarded-For counts only when the socket is a trusted proxy.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import type { Backend } from '../../src/storage/backend'
import { createToken, revokeToken } from '../../src/tokens/store'
import { TEST_SECRET, tempDir } from '../helpers'

let served: Served | null = null
let dir = ''
afterEach(async () => {
  await served?.stop()
  served = null
  rmSync(dir, { recursive: true, force: true })
})

async function start(trusted: string[]) {
  dir = tempDir()
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0, trusted_proxies: trusted },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      // One token per 1000 s: nothing refills while the test runs.
      rate_limit: { auth_per_second: 1, auth_burst_size: 2 },
    }),
    { log: memoryLogger('error'), now: () => 1_800_000_000_000 },
  )
  return `http://127.0.0.1:${served.port}`
}

const statusFrom = async (url: string, ip: string, init: RequestInit = {}) =>
  (
    await fetch(url, {
      ...init,
      headers: { 'x-forwarded-for': ip, ...(init.headers as Record<string, string>) },
    })
  ).status

describe('rate limits per client address', () => {
  test('behind a trusted proxy, each forwarded client has its own /auth bucket', async () => {
    const base = await start(['127.0.0.1'])
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push(await statusFrom(`${base}/auth/status`, '203.0.113.1'))
    expect(statuses).toEqual([200, 200, 429])
    expect(await statusFrom(`${base}/auth/status`, '203.0.113.2')).toBe(200)
  })

  test('without trusted proxies, X-Forwarded-For is ignored and the socket address is the key', async () => {
    const base = await start([])
    expect(await statusFrom(`${base}/auth/status`, '203.0.113.1')).toBe(200)
    expect(await statusFrom(`${base}/auth/status`, '203.0.113.2')).toBe(200)
    expect(await statusFrom(`${base}/auth/status`, '203.0.113.3')).toBe(429)
  })

  test('failed tokens lock out only the address that sent them', async () => {
    const base = await start(['127.0.0.1'])
    const bad = (c: string) => ({ authorization: `Bearer bloop_tk_${c.repeat(43)}` })
    const from = (ip: string, c: string) => statusFrom(`${base}/v1/errors`, ip, { headers: bad(c) })
    expect([
      await from('198.51.100.7', 'A'),
      await from('198.51.100.7', 'B'),
      await from('198.51.100.7', 'C'),
    ]).toEqual([401, 401, 429])
    expect(await from('198.51.100.8', 'D')).toBe(401)
  })

  test('a revoked token keeps failing from many addresses: that token is locked out, valid ones are not', async () => {
    const base = await start(['127.0.0.1'])
    const backend = served?.runtime.core.backend as Backend
    const revoked = await createToken(backend, {
      projectId: 'default',
      name: 'old-ci',
      scopes: ['errors:read'],
    })
    await revokeToken(backend, revoked.row.id)
    const valid = (await createToken(backend, { projectId: 'default', name: 'ci', scopes: ['errors:read'] }))
      .token
    const send = (ip: string, token: string) =>
      statusFrom(`${base}/v1/errors`, ip, { headers: { authorization: `Bearer ${token}` } })
    // CI runners on three addresses still use the revoked token; each address fails once.
    expect([
      await send('203.0.113.1', revoked.token),
      await send('203.0.113.2', revoked.token),
      await send('203.0.113.3', revoked.token),
    ]).toEqual([401, 401, 429])
    const res = await fetch(`${base}/v1/errors`, {
      headers: { 'x-forwarded-for': '203.0.113.4', authorization: `Bearer ${revoked.token}` },
    })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect((await res.json()).error).toBe(
      'this credential was refused too many times (revoked, expired or mistyped?); retry in 1s',
    )
    // The addresses are not locked out, and neither are other credentials.
    expect(await send('203.0.113.3', `bloop_tk_${'E'.repeat(43)}`)).toBe(401)
    expect(await send('203.0.113.1', valid)).toBe(200)
  })
})
