/**
 * LLM alert rules end to end over real sockets: rules created through the alerts API,
 * traces signed and posted to a listening bloop, alerts delivered to a real webhook
 * receiver on loopback, with cooldowns, the delivery log and the test endpoint.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { sign } from '../../src/errors/ingest/hmac'
import { createLogger } from '../../src/ops/log'
import { type Served, serve } from '../../src/server'
import { createToken } from '../../src/tokens/store'
import { TEST_SECRET, tempDir } from '../helpers'

let served: Served
let dir: string
let receiver: ReturnType<typeof Bun.serve>
const received: Record<string, unknown>[] = []
let headers: Record<string, string>

beforeAll(async () => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      received.push((await req.json()) as Record<string, unknown>)
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
  const token = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'llm-alerts',
      scopes: ['alerts:read', 'alerts:write', 'llm:read', 'llm:write'],
    })
  ).token
  headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
})
afterAll(async () => {
  await served.stop()
  receiver.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

const api = (path: string, method = 'GET', body?: unknown) =>
  fetch(new URL(path, served.url), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })

async function rule(name: string, config: Record<string, unknown>): Promise<number> {
  const res = await api('/v1/alerts', 'POST', { name, project_id: 'default', config })
  expect(res.status).toBe(201)
  const { id } = (await res.json()) as { id: number }
  const ch = await api(`/v1/alerts/${id}/channels`, 'POST', {
    config: { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/hook` },
  })
  expect(ch.status).toBe(201)
  return id
}

async function sendTraces(traces: unknown[]) {
  const body = JSON.stringify({ traces })
  const res = await fetch(new URL('/v1/traces/batch', served.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
    body,
  })
  expect(res.status).toBe(200)
}

const span = (over: Record<string, unknown>) => ({
  started_at: Date.now(),
  status: 'ok',
  latency_ms: 100,
  ...over,
})

async function waitFor(n: number, ms = 4000) {
  const end = Date.now() + ms
  while (received.length < n && Date.now() < end) await Bun.sleep(20)
}
const byRule = (id: number) => received.filter((p) => (p.rule as { id: number }).id === id)

describe('LLM alert rules', () => {
  test('an invalid LLM rule config is a 400 naming the field', async () => {
    const res = await api('/v1/alerts', 'POST', {
      name: 'bad',
      project_id: 'default',
      config: { type: 'llm_error_rate', threshold_rate: 2 },
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { field: string }).field).toBe('config.threshold_rate')
  })

  test('cost, error rate, latency and budget rules fire once each to the webhook', async () => {
    const cost = await rule('LLM cost', {
      type: 'llm_cost_spike',
      threshold_micros: 1_000_000,
      window_hours: 1,
    })
    const errors = await rule('LLM errors', {
      type: 'llm_error_rate',
      threshold_rate: 0.5,
      min_spans: 4,
      model: 'flaky-model',
    })
    const latency = await rule('LLM p90', {
      type: 'llm_latency',
      percentile: 0.9,
      threshold_ms: 5000,
      model: 'slow-model',
    })
    const budget = await rule('LLM budget', { type: 'llm_budget' })
    expect(
      (await api('/v1/llm/budget', 'PUT', { monthly_budget_micros: 2_000_000, budget_alert_rate: 0.5 }))
        .status,
    ).toBe(200)

    // Below every line: nothing fires.
    await sendTraces([{ id: 'quiet', spans: [span({ id: 'a', model: 'gpt-4o', cost: 0.1 })] }])
    await Bun.sleep(400)
    expect(received).toEqual([])

    await sendTraces([
      { id: 'pricey', spans: [span({ id: 'a', model: 'gpt-4o', cost: 1.4 })] },
      {
        id: 'flaky',
        spans: [
          span({ id: 'f1', model: 'flaky-model', status: 'error', error_message: 'boom' }),
          span({ id: 'f2', model: 'flaky-model', status: 'error', error_message: 'boom' }),
          span({ id: 'f3', model: 'flaky-model', status: 'error', error_message: 'boom' }),
          span({ id: 'f4', model: 'flaky-model' }),
        ],
      },
      {
        id: 'slow',
        spans: Array.from({ length: 10 }, (_, i) =>
          span({ id: `s${i}`, model: 'slow-model', latency_ms: 9000 + i }),
        ),
      },
    ])
    await waitFor(4)
    expect(byRule(cost)).toHaveLength(1)
    expect(byRule(cost)[0]).toMatchObject({
      event: 'alert.fired',
      reason: 'llm_cost_spike',
      issue: null,
      trigger: {
        type: 'llm_cost_spike',
        cost_micros: 1_500_000,
        threshold_micros: 1_000_000,
        window_hours: 1,
        model: null,
      },
      summary: 'LLM cost alert in default: $1.5000 spent in the last hour (threshold $1.0000)',
    })
    expect(byRule(errors)[0]).toMatchObject({
      trigger: {
        type: 'llm_error_rate',
        error_rate: 0.75,
        error_count: 3,
        span_count: 4,
        model: 'flaky-model',
      },
    })
    const lat = byRule(latency)[0]?.trigger as { latency_ms: number; span_count: number }
    // p90 of 9000..9009 is 9008 (nearest rank); the sketch answers within 1%.
    expect(Math.abs(lat.latency_ms - 9008) / 9008).toBeLessThanOrEqual(0.01)
    expect(lat.span_count).toBe(10)
    expect(byRule(budget)[0]).toMatchObject({
      trigger: {
        type: 'llm_budget',
        spend_micros: 1_500_000,
        budget_micros: 2_000_000,
        used_rate: 0.75,
        threshold_rate: 0.5,
      },
    })

    // More of the same inside the cooldown (and the same month for the budget): nothing new.
    await sendTraces([{ id: 'pricey-2', spans: [span({ id: 'a', model: 'gpt-4o', cost: 2 })] }])
    await Bun.sleep(500)
    expect(received).toHaveLength(4)

    // The delivery log records each; the test endpoint works for an LLM rule.
    let log: { outcome: string; reason: string }[] = []
    for (let i = 0; i < 50 && log.length === 0; i++) {
      log = ((await (await api(`/v1/alerts/${cost}/deliveries`)).json()) as { items: typeof log }).items
      if (log.length === 0) await Bun.sleep(20)
    }
    expect(log[0]).toMatchObject({ outcome: 'delivered', reason: 'llm_cost_spike' })
    const tested = await api(`/v1/alerts/${budget}/test`, 'POST')
    expect(tested.status).toBe(200)
    await waitFor(5)
    expect(received[4]).toMatchObject({ event: 'alert.test', rule: { id: budget, type: 'llm_budget' } })
  })
})
