/**
 * End to end over real sockets: a listening bloop (port 0) and a webhook receiver. The
 * time from the POST of a brand-new error to the receiver holding the alert is measured,
 * printed, and must stay under the five seconds bloop promises.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { sign } from '../../src/errors/ingest/hmac'
import { createLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { createToken } from '../../src/tokens/store'
import { event, TEST_SECRET, tempDir } from '../helpers'

const PROMISE_MS = 5000

let served: Served
let dir: string
let receiver: ReturnType<typeof Bun.serve>
let arrived: (at: number, body: Record<string, unknown>) => void = () => {}

beforeAll(async () => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const at = performance.now()
      arrived(at, (await req.json()) as Record<string, unknown>)
      return new Response('ok')
    },
  })
  dir = tempDir()
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
      alerting: { allow_private_urls: true },
    }),
    { log: createLogger('error') },
  )
})
afterAll(async () => {
  await served.stop()
  receiver.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

test('a brand-new error reaches the webhook receiver in under 5 seconds', async () => {
  const token = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'e2e',
      scopes: ['alerts:read', 'alerts:write'],
    })
  ).token
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const rule = await fetch(new URL('/v1/alerts', served.url), {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'Every new error', project_id: 'default', config: { type: 'new_issue' } }),
  })
  expect(rule.status).toBe(201)
  const { id } = (await rule.json()) as { id: number }
  const channel = await fetch(new URL(`/v1/alerts/${id}/channels`, served.url), {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ config: { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/alerts` } }),
  })
  expect(channel.status).toBe(201)

  const got = new Promise<{ at: number; body: Record<string, unknown> }>((resolve) => {
    arrived = (at, body) => resolve({ at, body })
  })
  const body = JSON.stringify(event({ error_type: 'DeployRegression', message: 'checkout total is NaN' }))
  const started = performance.now()
  const res = await fetch(new URL('/v1/ingest', served.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
    body,
  })
  const ackMs = performance.now() - started
  expect(res.status).toBe(200)
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no alert within ${PROMISE_MS} ms`)), PROMISE_MS),
  )
  const alert = await Promise.race([got, timeout])
  const ms = alert.at - started
  console.log(
    `new error -> webhook alert: ${ms.toFixed(1)} ms (ingest acknowledged after ${ackMs.toFixed(1)} ms)`,
  )
  expect(alert.body).toMatchObject({
    event: 'alert.fired',
    reason: 'new_issue',
    rule: { id, name: 'Every new error' },
    issue: { error_type: 'DeployRegression', message: 'checkout total is NaN' },
  })
  expect(ms).toBeLessThan(PROMISE_MS)
})
