/**
 * Delivery against real peers on loopback: HTTP receivers (Bun.serve) for Slack and
 * webhooks, a real SMTP server (smtp-server) for email, receivers that fail, redirect or
 * never answer. Events go through the real ingest route, writer thread and commit hook.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { Mailer } from '../../src/alerts/channels/email'
import { Dispatcher, MAX_CONCURRENT, MAX_PENDING } from '../../src/alerts/dispatch'
import { testPayload } from '../../src/alerts/message'
import type { DeliveryRecord } from '../../src/alerts/store'
import { testConfig } from '../../src/config/load'
import { createLogger, memoryLogger } from '../../src/ops/log'
import { Registry } from '../../src/ops/metrics'
import { bearer, event, signed, startRuntime, type TestRuntime } from '../helpers'

interface Received {
  path: string
  headers: Record<string, string>
  raw: string
}

/** One HTTP receiver whose behaviour depends on the path. */
function startReceiver() {
  const got: Received[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname
      got.push({ path, headers: Object.fromEntries(req.headers), raw: await req.text() })
      if (path === '/fail') return new Response('upstream exploded', { status: 500 })
      if (path === '/gone') return new Response('no such hook', { status: 404 })
      if (path === '/redirect') return new Response(null, { status: 302, headers: { location: '/target' } })
      return new Response('ok')
    },
  })
  return {
    got,
    server,
    url: (path: string) => `http://127.0.0.1:${server.port}${path}`,
    on: (p: string) => got.filter((g) => g.path === p),
  }
}

interface Mail {
  from: string
  to: string[]
  raw: Buffer
}

async function startSmtp() {
  const mails: Mail[] = []
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        })
        done()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.server.address() as AddressInfo).port
  return { mails, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const end = performance.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(5)
  }
}

type Json = Record<string, unknown>

/** A word unique per n: grouping replaces digits, so distinct issues need distinct letters. */
export function word(n: number): string {
  let s = ''
  do {
    s = String.fromCharCode(97 + (n % 26)) + s
    n = Math.floor(n / 26)
  } while (n > 0)
  return s
}

function api(rt: TestRuntime, token: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await rt.fetch(path, {
      method,
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }
  return {
    call,
    async rule(config: Json, channels: Json[], over: Json = {}): Promise<number> {
      const r = await call('POST', '/v1/alerts', {
        name: 'deliveries',
        project_id: 'default',
        config,
        ...over,
      })
      expect(r.status).toBe(201)
      const id = r.body.id as number
      for (const c of channels)
        expect((await call('POST', `/v1/alerts/${id}/channels`, { config: c })).status).toBe(201)
      return id
    },
    async deliveries(id: number, n: number): Promise<Json[]> {
      return until(`${n} deliveries of rule ${id}`, async () => {
        const items = (await call('GET', `/v1/alerts/${id}/deliveries`)).body.items as Json[]
        return items.length >= n ? items : undefined
      })
    },
  }
}

describe('delivery to real receivers', () => {
  let rt: TestRuntime
  let rx: ReturnType<typeof startReceiver>
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let a: ReturnType<typeof api>
  let n = 0
  /** A brand-new error (unique message, so a unique fingerprint). */
  const fresh = (over: Json = {}) => event({ message: `boom ${word(++n)}`, ...over })

  beforeAll(async () => {
    rx = startReceiver()
    smtp = await startSmtp()
    rt = await startRuntime({
      alerting: { allow_private_urls: true, retry_backoff_ms: 20, delivery_timeout_secs: 2 },
      smtp: { enabled: true, host: '127.0.0.1', port: smtp.port, starttls: false, from: 'bloop@example.com' },
      auth: { rp_origin: 'https://bloop.example.com' },
    })
    a = api(rt, rt.token(['alerts:read', 'alerts:write']))
  })
  afterAll(async () => {
    await rt.dispose()
    rx.server.stop(true)
    await smtp.close()
  })
  // Every new issue fires every enabled new-issue rule of the project: keep tests apart by
  // disabling each test's rules and letting its deliveries finish.
  afterEach(async () => {
    for (const r of (await a.call('GET', '/v1/alerts')).body.items as Json[]) {
      if (r.enabled) await a.call('PUT', `/v1/alerts/${r.id}`, { enabled: false })
    }
    await until('deliveries to finish', () =>
      rt.features.alerts.alerting.dispatcher.pending === 0 ? true : undefined,
    )
  })

  test('posts the versioned payload to a webhook, signed with X-Bloop-Signature', async () => {
    const secret = 'whsec-0123456789abcdef'
    const id = await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: rx.url('/signed'), secret }])
    const stack = 'TypeError: boom\n    at handler (src/api.ts:10:5)'
    const res = await rt.handle(
      signed(
        '/v1/ingest',
        fresh({ message: 'Cannot read id', stack, http_status: 500, request_id: 'req-1' }),
      ),
    )
    expect(res.status).toBe(200)
    const hit = await until('the webhook', () => rx.on('/signed')[0])
    expect(hit.headers['content-type']).toBe('application/json')
    expect(hit.headers['x-bloop-event']).toBe('alert.fired')
    expect(hit.headers['x-bloop-signature']).toBe(createHmac('sha256', secret).update(hit.raw).digest('hex'))
    const body = JSON.parse(hit.raw)
    expect(hit.headers['x-bloop-delivery']).toBe(body.alert_id)
    const fp = body.issue.fingerprint as string
    expect(fp).toMatch(/^[0-9a-f]{16}$/)
    expect(body).toEqual({
      version: 1,
      event: 'alert.fired',
      alert_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      fired_at: expect.any(Number),
      reason: 'new_issue',
      summary: 'New issue in default: TypeError: Cannot read id',
      rule: {
        id,
        name: 'deliveries',
        type: 'new_issue',
        config: { type: 'new_issue' },
        environment_filter: null,
        source_filter: null,
      },
      project: { id: 'default', slug: 'default', name: 'Default' },
      trigger: { type: 'new_issue' },
      issue: {
        fingerprint: fp,
        url: `https://bloop.example.com/issues/${fp}?project=default`,
        error_type: 'TypeError',
        message: 'Cannot read id',
        source: 'api',
        route_or_procedure: '/api/users',
        status: 'unresolved',
        assignee: null,
        total_count: 1,
        first_seen: expect.any(Number),
        last_seen: expect.any(Number),
        events_in_batch: 1,
        environments: ['production'],
        releases: ['1.0.0'],
        latest_event: {
          received_at: expect.any(Number),
          timestamp: 1_700_000_000_000,
          environment: 'production',
          release: '1.0.0',
          source: 'api',
          route_or_procedure: '/api/users',
          http_status: 500,
          request_id: 'req-1',
          stack,
        },
      },
    })
    const [log] = await a.deliveries(id, 1)
    expect(log).toMatchObject({
      alert_id: body.alert_id,
      kind: 'alert',
      reason: 'new_issue',
      fingerprint: fp,
      channel_type: 'webhook',
      target: rx.url('/signed'),
      outcome: 'delivered',
      attempts: 1,
      status_code: 200,
      response: null,
      error: null,
    })
  })

  test('sends no signature header when the webhook has no secret', async () => {
    await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: rx.url('/unsigned') }])
    await rt.handle(signed('/v1/ingest', fresh()))
    const hit = await until('the webhook', () => rx.on('/unsigned')[0])
    expect(hit.headers['x-bloop-signature']).toBeUndefined()
    expect(JSON.parse(hit.raw).event).toBe('alert.fired')
  })

  test('posts a readable Slack message with counts, release, environment and the issue link', async () => {
    await a.rule({ type: 'new_issue' }, [{ type: 'slack', webhook_url: rx.url('/slack') }], {
      name: 'Prod <errors>',
    })
    await rt.handle(
      signed('/v1/ingest', fresh({ message: 'a < b & c', release: '2.4.1', environment: 'staging' })),
    )
    const hit = await until('the Slack hook', () => rx.on('/slack')[0])
    const body = JSON.parse(hit.raw) as {
      text: string
      blocks: { type: string; text: { type: string; text: string } }[]
    }
    const fp = /issues\/([0-9a-f]{16})\?/.exec(body.text)?.[1]
    expect(body.text).toBe(
      [
        ':rotating_light: *New issue* in *Default* (rule "Prod &lt;errors&gt;")',
        `*TypeError*: a &lt; b &amp; c`,
        'first seen; 1 event in total',
        'Release 2.4.1 · environment staging · /api/users',
        `<https://bloop.example.com/issues/${fp}?project=default|Open the issue in bloop>`,
      ].join('\n'),
    )
    expect(body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: body.text } }])
  })

  test('emails through the SMTP relay with a subject and matching text and HTML bodies', async () => {
    const id = await a.rule({ type: 'new_issue' }, [{ type: 'email', to: 'oncall@example.com' }], {
      name: 'Mail me',
    })
    await rt.handle(
      signed('/v1/ingest', fresh({ error_type: 'RangeError', message: 'index <7> out of range' })),
    )
    const mail = await until('the email', () => smtp.mails[0])
    expect(mail.from).toBe('bloop@example.com')
    expect(mail.to).toEqual(['oncall@example.com'])
    const parsed = await simpleParser(mail.raw)
    expect(parsed.subject).toBe('[bloop] New issue in default: RangeError: index <7> out of range')
    expect(parsed.from?.text).toBe('bloop@example.com')
    expect(parsed.headers.get('x-bloop-event')).toBe('alert.fired')
    const fp = /issues\/([0-9a-f]{16})/.exec(parsed.text ?? '')?.[1] as string
    const link = `https://bloop.example.com/issues/${fp}?project=default`
    expect(parsed.text).toBe(
      [
        'New issue in default: RangeError: index <7> out of range',
        '',
        'Project: Default',
        'Rule: Mail me',
        'Error: RangeError: index <7> out of range',
        'Counts: first seen; 1 event in total',
        'Release: 1.0.0',
        'Environment: production',
        'Source: api',
        'Route: /api/users',
        `Fingerprint: ${fp}`,
        '',
        `Open the issue: ${link}`,
        '',
        'You receive this because the bloop alert rule "Mail me" has an email channel.',
        '',
      ].join('\n'),
    )
    const html = parsed.html as string
    expect(html).toContain(`<a href="${link}">Open the issue in bloop</a>`)
    expect(html).toContain('<td>RangeError: index &lt;7&gt; out of range</td>')
    expect(html).not.toContain('<7>')
    const [log] = await a.deliveries(id, 1)
    expect(log).toMatchObject({
      channel_type: 'email',
      target: 'oncall@example.com',
      outcome: 'delivered',
      status_code: 250,
    })
    expect(String(log?.response)).toStartWith('250 ')
  })

  test('retries a failing receiver three times, then records the failure', async () => {
    const id = await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: rx.url('/fail') }])
    await rt.handle(signed('/v1/ingest', fresh()))
    const [log] = await a.deliveries(id, 1)
    expect(rx.on('/fail')).toHaveLength(3)
    expect(log).toMatchObject({
      outcome: 'failed',
      attempts: 3,
      status_code: 500,
      response: null,
      error: 'receiver answered 500',
    })
  })

  test('does not retry a 404', async () => {
    const id = await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: rx.url('/gone') }])
    await rt.handle(signed('/v1/ingest', fresh()))
    const [log] = await a.deliveries(id, 1)
    expect(log).toMatchObject({ outcome: 'failed', attempts: 1, status_code: 404 })
    expect(rx.on('/gone')).toHaveLength(1)
  })

  test('does not follow redirects', async () => {
    const id = await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: rx.url('/redirect') }])
    await rt.handle(signed('/v1/ingest', fresh()))
    const [log] = await a.deliveries(id, 1)
    expect(log).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      status_code: 302,
      error: 'receiver answered 302, a redirect (not followed)',
    })
    expect(rx.on('/target')).toHaveLength(0)
  })

  test('retries a receiver that refuses connections, then records the failure', async () => {
    const closed = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
    const url = `http://127.0.0.1:${closed.port}/hook`
    closed.stop(true)
    const id = await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url }])
    await rt.handle(signed('/v1/ingest', fresh()))
    const [log] = await a.deliveries(id, 1)
    expect(log).toMatchObject({ outcome: 'failed', attempts: 3, status_code: null })
    expect(String(log?.error)).toStartWith('request failed: ')
  })

  test('the test endpoint delivers to every channel and answers with each result', async () => {
    const id = await a.rule(
      { type: 'threshold', threshold: 100, window_secs: 60 },
      [
        { type: 'webhook', url: rx.url('/test-hook'), secret: 'test-secret-0123456789' },
        { type: 'slack', webhook_url: rx.url('/test-slack') },
        { type: 'email', to: 'team@example.com' },
        { type: 'webhook', url: rx.url('/fail') },
      ],
      { name: 'Checkout' },
    )
    const failsBefore = rx.on('/fail').length
    const mailsBefore = smtp.mails.length
    const r = await a.call('POST', `/v1/alerts/${id}/test`)
    expect(r.status).toBe(200)
    const results = r.body.results as Json[]
    expect(r.body.rule_id).toBe(id)
    expect(results.map((x) => [x.channel_type, x.target, x.outcome, x.attempts, x.status_code])).toEqual([
      ['webhook', rx.url('/test-hook'), 'delivered', 1, 200],
      ['slack', `http://127.0.0.1:${rx.server.port}/…lack`, 'delivered', 1, 200],
      ['email', 'team@example.com', 'delivered', 1, 250],
      ['webhook', rx.url('/fail'), 'failed', 1, 500],
    ])
    // One attempt each: the answer is not held back by retries.
    expect(rx.on('/fail').length - failsBefore).toBe(1)
    const hook = JSON.parse((rx.on('/test-hook')[0] as Received).raw)
    expect(hook).toMatchObject({
      version: 1,
      event: 'alert.test',
      reason: 'test',
      trigger: null,
      issue: null,
    })
    expect(hook.summary).toBe('Test notification from bloop alert rule "Checkout" in default')
    expect(JSON.parse((rx.on('/test-slack')[0] as Received).raw).text).toBe(
      ':bell: *Test notification from bloop alert rule "Checkout" in default*\nIf you can read this, the channel works.',
    )
    const mail = await simpleParser((smtp.mails[mailsBefore] as Mail).raw)
    expect(mail.subject).toBe('[bloop] Test notification from bloop alert rule "Checkout" in default')
    const log = await a.deliveries(id, 4)
    expect(log.map((d) => `${d.kind}/${d.reason}/${d.channel_type}/${d.outcome}`).sort()).toEqual([
      'test/test/email/delivered',
      'test/test/slack/delivered',
      'test/test/webhook/delivered',
      'test/test/webhook/failed',
    ])
  })

  test('the test endpoint answers 400 for a rule with no channel and no fallback', async () => {
    const id = await a.rule({ type: 'new_issue' }, [])
    const r = await a.call('POST', `/v1/alerts/${id}/test`)
    expect(r).toEqual({
      status: 400,
      body: {
        error: `alert rule ${id} has no channel, and no global fallback (BLOOP_SLACK_WEBHOOK_URL, BLOOP_WEBHOOK_URL) is set`,
        code: 'bad_request',
      },
    })
  })
})

describe('the test endpoint and a receiver on the intranet', () => {
  // With allow_private_urls a channel may point anywhere inside; what the page says must
  // not come back to the token holder, through the test answer or the delivery log.
  const PAGE = 'PAYROLL 2026: alice 120000, bob 95000'
  const SSO = 'https://sso.corp.internal/login?session=abc123'
  let receiver: ReturnType<typeof Bun.serve>
  let rt: TestRuntime
  let log: ReturnType<typeof memoryLogger>
  const url = (path: string) => `http://127.0.0.1:${receiver.port}${path}`

  beforeAll(async () => {
    receiver = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        await req.text()
        const path = new URL(req.url).pathname
        if (path === '/page') return new Response(PAGE, { headers: { 'content-type': 'text/html' } })
        if (path === '/broken') return new Response(PAGE, { status: 500 })
        return new Response(PAGE, { status: 302, headers: { location: SSO } })
      },
    })
    log = memoryLogger('warn')
    rt = await startRuntime({ alerting: { allow_private_urls: true, retry_backoff_ms: 0 } }, { log })
  })
  afterAll(async () => {
    await rt.dispose()
    receiver.stop(true)
  })

  test('answers with status and timing only, and logs what the receiver said for the operator', async () => {
    const a = api(rt, rt.token(['alerts:read', 'alerts:write']))
    const id = await a.rule({ type: 'new_issue' }, [
      { type: 'webhook', url: url('/page') },
      { type: 'webhook', url: url('/broken') },
      { type: 'webhook', url: url('/sso') },
    ])
    const channels = ((await a.call('GET', `/v1/alerts/${id}/channels`)).body.items as Json[]).map(
      (c) => c.id,
    )
    const r = await a.call('POST', `/v1/alerts/${id}/test`)
    const result = (i: number, path: string, outcome: string, status: number, error: string | null) => ({
      channel_id: channels[i],
      channel_type: 'webhook',
      target: url(path),
      outcome,
      attempts: 1,
      status_code: status,
      error,
      duration_ms: expect.any(Number),
    })
    expect(r).toEqual({
      status: 200,
      body: {
        rule_id: id,
        results: [
          result(0, '/page', 'delivered', 200, null),
          result(1, '/broken', 'failed', 500, 'receiver answered 500'),
          result(2, '/sso', 'failed', 302, 'receiver answered 302, a redirect (not followed)'),
        ],
      },
    })
    const deliveries = await a.deliveries(id, 3)
    expect(deliveries.map((d) => [d.status_code, d.response]).sort()).toEqual([
      [200, null],
      [302, null],
      [500, null],
    ])
    for (const text of [JSON.stringify(r.body), JSON.stringify(deliveries)]) {
      expect(text).not.toContain('PAYROLL')
      expect(text).not.toContain('sso.corp')
    }
    const said = log.lines
      .filter((l) => l.msg === 'alert delivery failed')
      .map((l) => [l.target, l.receiver_said])
      .sort()
    expect(said).toEqual([
      [url('/broken'), PAGE],
      [url('/sso'), `location: ${SSO}`],
    ])
  })
})

describe('global fallbacks and SMTP settings', () => {
  test('rules without channels alert the global Slack and webhook fallbacks', async () => {
    const rx = startReceiver()
    const rt = await startRuntime({
      alerting: {
        allow_private_urls: true,
        slack_webhook_url: rx.url('/fb-slack'),
        webhook_url: rx.url('/fb-hook'),
      },
    })
    try {
      const a = api(rt, rt.token(['alerts:read', 'alerts:write']))
      const id = await a.rule({ type: 'new_issue' }, [])
      await rt.handle(signed('/v1/ingest', event({ message: 'fallback please' })))
      const log = await a.deliveries(id, 2)
      expect(log.map((d) => [d.channel_id, d.channel_type, d.outcome]).sort()).toEqual([
        [null, 'slack', 'delivered'],
        [null, 'webhook', 'delivered'],
      ])
      expect(JSON.parse((rx.on('/fb-hook')[0] as Received).raw).issue.message).toBe('fallback please')
      expect(JSON.parse((rx.on('/fb-slack')[0] as Received).raw).text).toContain('fallback please')
      // A rule with its own channel does not use the fallbacks.
      const own = await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: rx.url('/own') }])
      const before = rx.got.length
      await rt.handle(signed('/v1/ingest', event({ message: 'own channel' })))
      await a.deliveries(own, 1)
      await a.deliveries(id, 4)
      expect(
        rx.got
          .slice(before)
          .map((g) => g.path)
          .sort(),
      ).toEqual(['/fb-hook', '/fb-slack', '/own'])
    } finally {
      await rt.dispose()
      rx.server.stop(true)
    }
  })

  test('an email channel reports that SMTP is not configured when smtp.enabled is false', async () => {
    const rt = await startRuntime()
    try {
      const a = api(rt, rt.token(['alerts:read', 'alerts:write']))
      const id = await a.rule({ type: 'new_issue' }, [{ type: 'email', to: 'ops@example.com' }])
      const r = await a.call('POST', `/v1/alerts/${id}/test`)
      expect((r.body.results as Json[])[0]).toMatchObject({
        outcome: 'failed',
        attempts: 1,
        error: 'email is not configured: set [smtp] enabled = true and the relay settings',
      })
    } finally {
      await rt.dispose()
    }
  })
})

describe('a receiver that never answers', () => {
  test('does not hold back ingest: every event is acknowledged while its alert is still pending', async () => {
    let connections = 0
    const silent = Bun.listen({
      hostname: '127.0.0.1',
      port: 0,
      socket: {
        open() {
          connections++
        },
        data() {},
      },
    })
    const rt = await startRuntime({ alerting: { allow_private_urls: true, delivery_timeout_secs: 30 } })
    try {
      const a = api(rt, rt.token(['alerts:read', 'alerts:write']))
      await a.rule({ type: 'new_issue' }, [{ type: 'webhook', url: `http://127.0.0.1:${silent.port}/hook` }])
      const alerts = rt.features.alerts.alerting
      if (!alerts) throw new Error('expected alerting to be wired')
      const started = performance.now()
      for (let i = 0; i < 20; i++) {
        const res = await rt.handle(signed('/v1/ingest', event({ message: `never answered ${word(i)}` })))
        expect(res.status).toBe(200)
      }
      const ms = performance.now() - started
      // Twenty alerts fired and none has finished: ingest did not wait for any of them. A
      // firing reads its project and channels before it reaches the dispatcher, so the
      // last ones may still be on their way (a network round trip on PostgreSQL).
      await until('the twenty firings to reach the dispatcher', () =>
        alerts.dispatcher.pending >= 20 ? true : undefined,
      )
      expect(alerts.dispatcher.pending).toBe(20)
      await until('the silent receiver to be contacted', () => (connections > 0 ? true : undefined))
      console.log(`20 new-issue events acknowledged in ${ms.toFixed(0)} ms with 20 deliveries hanging`)
      // Shutdown abandons them (after a short grace) and logs every one.
      await alerts.close()
      expect(alerts.dispatcher.pending).toBe(0)
      const rows = await rt.core.backend.all<{ outcome: string; attempts: number; error: string }>(
        'SELECT outcome, attempts, error FROM alert_deliveries',
      )
      expect(rows).toHaveLength(20)
      for (const r of rows) {
        expect(r.outcome).toBe('failed')
        expect(r.error).toBe('abandoned: the server is shutting down')
      }
      // Eight were connecting or waiting for an answer; the rest never got a slot.
      expect(rows.filter((r) => r.attempts === 1)).toHaveLength(8)
      expect(rows.filter((r) => r.attempts === 0)).toHaveLength(12)
    } finally {
      await rt.dispose()
      silent.stop(true)
    }
  })
})

describe('the dispatcher under an alert storm', () => {
  test(`keeps at most ${MAX_PENDING} deliveries pending and drops the next with a metric`, async () => {
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const rows: DeliveryRecord[] = []
    const deliveries = new Registry().counter('deliveries', 'test')
    const d = new Dispatcher({
      log: createLogger('error'),
      now: () => 1,
      record: (r) => void rows.push(r),
      mailer: new Mailer(testConfig().smtp, 1000),
      timeoutMs: 30_000,
      backoffMs: 0,
      allowPrivate: true,
      userAgent: 'test',
      deliveries,
    })
    const rule = {
      id: 1,
      project_id: 'p',
      name: 'storm',
      rule_type: 'new_issue' as const,
      config: { type: 'new_issue' as const },
      environment_filter: null,
      source_filter: null,
      enabled: true,
    }
    const payload = testPayload({ alertId: 'a', now: 1, rule, project: { id: 'p', slug: 'p', name: 'P' } })
    const target = {
      channel_id: 1,
      config: { type: 'webhook' as const, url: `http://127.0.0.1:${silent.port}/` },
    }
    for (let i = 0; i < MAX_PENDING; i++) d.enqueue(1, payload, [target])
    expect(d.pending).toBe(MAX_PENDING)
    d.enqueue(1, payload, [target])
    expect(d.pending).toBe(MAX_PENDING)
    expect(deliveries.get({ channel: 'webhook', outcome: 'dropped' })).toBe(1)
    await d.close(0)
    silent.stop(true)
    expect(rows).toHaveLength(MAX_PENDING)
    expect(rows.filter((r) => r.attempts === 1)).toHaveLength(MAX_CONCURRENT)
    expect(
      rows.every((r) => r.outcome === 'failed' && r.error === 'abandoned: the server is shutting down'),
    ).toBe(true)
  })
})
