/**
 * Evaluation inside the running server with an injected clock: events go through the real
 * ingest route and writer thread, the commit hook evaluates, and a real webhook receiver
 * gets the alerts. Also: triage through the errors API (mute, ignore, resolve) and a
 * restart on the same database file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { createLogger } from '../../src/ops/log'
import { buildRuntime, type Runtime } from '../../src/server'
import { createToken } from '../../src/tokens/store'
import { BASE, bearer, event, signed, TEST_SECRET, tempDir } from '../helpers'

type Json = Record<string, unknown>
const T0 = 1_800_000_000_000
const SEC = 1000

let clock = T0
const receiver = { payloads: [] as Json[], server: null as ReturnType<typeof Bun.serve> | null }

beforeAll(() => {
  receiver.server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      receiver.payloads.push((await req.json()) as Json)
      return new Response('ok')
    },
  })
})
afterAll(() => receiver.server?.stop(true))

/** A runtime on `dir`'s database (kept across restarts). */
async function open(dir: string): Promise<Runtime> {
  const config = testConfig({
    database: { path: join(dir, 'bloop.db') },
    auth: { hmac_secret: TEST_SECRET },
    log: { level: 'error' },
    alerting: { allow_private_urls: true, cooldown_secs: 900 },
  })
  return buildRuntime(config, { now: () => clock, log: createLogger('error') })
}

class Harness {
  dirs: string[] = []
  rt!: Runtime
  token!: string

  async start(dir = tempDir()): Promise<this> {
    this.dirs.push(dir)
    this.rt = await open(dir)
    this.token = (
      await createToken(this.rt.core.backend, {
        projectId: 'default',
        name: 'engine',
        scopes: ['alerts:read', 'alerts:write', 'errors:read', 'errors:write'],
      })
    ).token
    return this
  }

  async restart(): Promise<void> {
    await this.rt.close()
    this.rt = await open(this.dirs[0] as string)
  }

  async call(method: string, path: string, body?: unknown): Promise<Json> {
    const res = await this.rt.handle(
      new Request(BASE + path, {
        method,
        headers: { ...bearer(this.token), 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
    const json = (await res.json()) as Json
    if (res.status >= 300)
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`)
    return json
  }

  async rule(config: Json, over: Json = {}): Promise<number> {
    const r = await this.call('POST', '/v1/alerts', {
      name: `r-${config.type}`,
      project_id: 'default',
      config,
      ...over,
    })
    const id = r.id as number
    await this.call('POST', `/v1/alerts/${id}/channels`, {
      config: { type: 'webhook', url: `http://127.0.0.1:${receiver.server?.port}/hook` },
    })
    return id
  }

  /** Sends `n` events of one issue in a single batch request. */
  async send(n: number, over: Json = {}): Promise<void> {
    const events = Array.from({ length: n }, () => event({ fingerprint: 'fp-checkout', ...over }))
    const res = await this.rt.handle(signed('/v1/ingest/batch', { events }))
    expect(res.status).toBe(200)
    expect(((await res.json()) as Json).accepted).toBe(n)
  }

  /** Waits for every fired alert to be delivered, then returns (and forgets) the payloads. */
  async alerts(): Promise<Json[]> {
    const alerts = this.rt.features.alerts.alerting
    for (let i = 0; alerts && alerts.dispatcher.pending > 0 && i < 2000; i++) await Bun.sleep(5)
    return receiver.payloads.splice(0)
  }

  async dispose(): Promise<void> {
    await this.rt.close()
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true })
  }
}

let h: Harness
afterEach(async () => {
  await h?.dispose()
  receiver.payloads.length = 0
  clock = T0
})

const reasons = (alerts: Json[]) => alerts.map((a) => `${(a.rule as Json).id}:${a.reason}`)

describe('threshold rules in the server', () => {
  test('fire on the batch that reaches the threshold, counting across requests', async () => {
    h = await new Harness().start()
    const id = await h.rule({ type: 'threshold', threshold: 3, window_secs: 60 })
    await h.send(2)
    expect(await h.alerts()).toEqual([])
    clock += 30 * SEC
    await h.send(1)
    const [alert, ...rest] = await h.alerts()
    expect(rest).toEqual([])
    expect(alert).toMatchObject({
      reason: 'threshold',
      rule: { id },
      trigger: { type: 'threshold', count: 3, threshold: 3, window_secs: 60 },
      issue: { fingerprint: 'fp-checkout', total_count: 3, events_in_batch: 1 },
    })
  })

  test('forget events once they leave the window', async () => {
    h = await new Harness().start()
    await h.rule({ type: 'threshold', threshold: 3, window_secs: 60 })
    await h.send(2)
    clock += 60 * SEC
    await h.send(1)
    expect(await h.alerts()).toEqual([])
  })

  test('count events stored before the rule was created, exactly once', async () => {
    h = await new Harness().start()
    await h.send(4)
    clock += 10 * SEC
    await h.rule({ type: 'threshold', threshold: 5, window_secs: 60 })
    await h.send(1)
    expect((await h.alerts()).map((a) => a.trigger)).toEqual([
      { type: 'threshold', count: 5, threshold: 5, window_secs: 60 },
    ])
  })
})

describe('spike rules in the server', () => {
  test('fire when the last minute reaches the multiplier and the floor of 10 events', async () => {
    h = await new Harness().start()
    await h.rule({ type: 'spike', multiplier: 3, baseline_window_secs: 3600, compare_window_secs: 60 })
    for (let m = 0; m < 6; m++) {
      clock = T0 + m * 600 * SEC
      await h.send(1)
    }
    expect(await h.alerts()).toEqual([])
    clock = T0 + 3630 * SEC
    await h.send(9)
    expect(await h.alerts()).toEqual([])
    await h.send(1)
    expect((await h.alerts()).map((a) => a.trigger)).toEqual([
      {
        type: 'spike',
        compare_count: 10,
        baseline_count: 6,
        compare_window_secs: 60,
        baseline_window_secs: 3600,
        multiplier: 3,
        min_events: 10,
      },
    ])
  })
})

describe('triage and alerts', () => {
  test('a muted issue neither alerts nor counts towards a threshold', async () => {
    h = await new Harness().start()
    const th = await h.rule({ type: 'threshold', threshold: 2, window_secs: 600 })
    const ni = await h.rule({ type: 'new_issue' })
    await h.send(1)
    expect(reasons(await h.alerts())).toEqual([`${ni}:new_issue`])
    await h.call('POST', '/v1/errors/fp-checkout/mute')
    await h.send(5)
    expect(await h.alerts()).toEqual([])
    await h.call('POST', '/v1/errors/fp-checkout/unresolve')
    // The first event counted, the muted five did not: one more reaches 2.
    clock += SEC
    await h.send(1)
    expect((await h.alerts()).map((a) => [a.reason, (a.trigger as Json).count])).toEqual([['threshold', 2]])
    expect(th).toBeGreaterThan(0)
  })

  test('an ignored issue never alerts', async () => {
    h = await new Harness().start()
    await h.rule({ type: 'threshold', threshold: 1, window_secs: 60 })
    await h.send(1, { fingerprint: 'fp-noise' })
    expect((await h.alerts()).length).toBe(1)
    await h.call('POST', '/v1/errors/fp-noise/ignore')
    clock += 1000 * SEC
    await h.send(3, { fingerprint: 'fp-noise' })
    expect(await h.alerts()).toEqual([])
  })

  test('an event on a resolved issue fires the new-issue rule as a regression', async () => {
    h = await new Harness().start()
    const ni = await h.rule({ type: 'new_issue' })
    await h.send(1)
    expect(reasons(await h.alerts())).toEqual([`${ni}:new_issue`])
    await h.send(1)
    expect(await h.alerts()).toEqual([])
    await h.call('POST', '/v1/errors/fp-checkout/resolve')
    clock += 5 * SEC // well inside the 15-minute cooldown
    await h.send(1, { release: '1.0.1' })
    const [alert] = await h.alerts()
    expect(alert).toMatchObject({
      reason: 'regression',
      summary: 'Regression in default: TypeError: Cannot read properties of undefined',
      issue: { status: 'unresolved', total_count: 3, releases: ['1.0.1'] },
    })
  })
})

describe('restarts', () => {
  test('a restart on the same database neither re-fires nor forgets', async () => {
    h = await new Harness().start()
    const th = await h.rule({ type: 'threshold', threshold: 5, window_secs: 60 })
    const ni = await h.rule({ type: 'new_issue' })
    await h.send(3)
    expect(reasons(await h.alerts())).toEqual([`${ni}:new_issue`])

    // The half-full window survives: two more events reach five.
    await h.restart()
    clock += 10 * SEC
    await h.send(2)
    expect((await h.alerts()).map((a) => [(a.rule as Json).id, a.reason, (a.trigger as Json).count])).toEqual(
      [[th, 'threshold', 5]],
    )

    // The cooldown survives: the rule stays quiet, and the known issue is not new again.
    await h.restart()
    clock += 10 * SEC
    await h.send(5)
    expect(await h.alerts()).toEqual([])

    // Once the cooldown has passed, the next full window fires again.
    clock += 900 * SEC
    await h.send(5)
    expect(reasons(await h.alerts())).toEqual([`${th}:threshold`])
  })
})
