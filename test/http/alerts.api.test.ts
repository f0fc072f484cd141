/**
 * The rules and channels API: shapes, validation naming the field (every cap at its
 * boundary), project scoping, partial updates, deletion, and the config fallbacks.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseChannel, parseRuleCreate } from '../../src/alerts/model'
import { DELIVERY_LOG_PER_RULE, deliveriesOf, insertDelivery } from '../../src/alerts/store'
import { ConfigError, loadConfig } from '../../src/config/load'
import { bearer, event, projectIn, signed, startRuntime, type TestRuntime, tempDir } from '../helpers'

type Json = Record<string, unknown>

let rt: TestRuntime
let token: string
let mobileToken: string

beforeAll(async () => {
  rt = await startRuntime({ alerting: { allow_private_urls: true } })
  await projectIn(rt.core.backend, { id: 'p-mobile', name: 'Mobile', slug: 'mobile' })
  token = rt.token(['alerts:read', 'alerts:write'])
  mobileToken = rt.token(['alerts:read', 'alerts:write'], 'p-mobile')
})
afterAll(() => rt.dispose())

async function call(
  method: string,
  path: string,
  body?: unknown,
  tok = token,
): Promise<{ status: number; body: Json }> {
  const res = await rt.fetch(path, {
    method,
    headers: { ...bearer(tok), 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

const threshold = { type: 'threshold', threshold: 10, window_secs: 60 }

async function create(over: Json = {}, tok = token): Promise<Json> {
  const r = await call(
    'POST',
    '/v1/alerts',
    { name: 'rule', project_id: 'default', config: threshold, ...over },
    tok,
  )
  expect(r.status).toBe(201)
  return r.body
}

async function rejects(body: Json, field: string, message: string) {
  const r = await call('POST', '/v1/alerts', body)
  expect(r).toEqual({ status: 400, body: { error: message, code: 'invalid_field', field } })
}

const base = { name: 'rule', project_id: 'default' }

describe('creating rules', () => {
  test('creates a threshold rule and answers 201 with the full rule', async () => {
    const r = await call('POST', '/v1/alerts', {
      name: 'Checkout errors',
      project_id: 'default',
      description: 'page the on-call',
      config: { type: 'threshold', threshold: 50, window_secs: 300, route: '/checkout' },
      environment_filter: 'production',
      source_filter: 'api',
    })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({
      id: expect.any(Number),
      project_id: 'default',
      name: 'Checkout errors',
      description: 'page the on-call',
      rule_type: 'threshold',
      config: { type: 'threshold', threshold: 50, window_secs: 300, route: '/checkout' },
      environment_filter: 'production',
      source_filter: 'api',
      enabled: true,
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      last_fired_at: null,
      channels: [],
    })
  })

  test('creates new-issue and spike rules, filling the spike floor default', async () => {
    expect((await create({ config: { type: 'new_issue', environment: 'production' } })).config).toEqual({
      type: 'new_issue',
      environment: 'production',
    })
    const spike = await create({
      config: { type: 'spike', multiplier: 2.5, baseline_window_secs: 3600, compare_window_secs: 300 },
      enabled: false,
    })
    expect(spike.rule_type).toBe('spike')
    expect(spike.enabled).toBe(false)
    expect(spike.config).toEqual({
      type: 'spike',
      multiplier: 2.5,
      baseline_window_secs: 3600,
      compare_window_secs: 300,
      min_events: 10,
    })
  })

  test('resolves project_id given as a slug to the project id', async () => {
    expect((await create({ project_id: 'mobile' }, mobileToken)).project_id).toBe('p-mobile')
  })

  test('rejects a missing or unknown rule type naming config.type', async () => {
    await rejects(
      { ...base, config: { type: 'tresh' } },
      'config.type',
      'field config.type: must be one of new_issue, threshold, spike, llm_cost_spike, llm_error_rate, llm_latency, llm_budget (got "tresh")',
    )
    await rejects(
      { ...base, config: {} },
      'config.type',
      'field config.type: must be one of new_issue, threshold, spike, llm_cost_spike, llm_error_rate, llm_latency, llm_budget (got nothing)',
    )
    await rejects({ ...base, config: 'threshold' }, 'config', 'field config: must be an object with a "type"')
    await rejects({ ...base }, 'config', 'field config: expected required property')
  })

  test('rejects invalid threshold options naming the field', async () => {
    await rejects(
      { ...base, config: { ...threshold, threshold: 0 } },
      'config.threshold',
      'field config.threshold: expected integer to be greater or equal to 1 (got 0)',
    )
    await rejects(
      { ...base, config: { ...threshold, window_secs: 1.5 } },
      'config.window_secs',
      'field config.window_secs: expected integer (got 1.5)',
    )
    await rejects(
      { ...base, config: { type: 'threshold', window_secs: 60 } },
      'config.threshold',
      'field config.threshold: expected required property',
    )
    await rejects(
      { ...base, config: { ...threshold, treshold: 5 } },
      'config.treshold',
      'field config.treshold: is not a known field (got 5)',
    )
  })

  test('accepts a window of exactly one day and rejects one second more', async () => {
    expect((await create({ config: { ...threshold, window_secs: 86_400 } })).config).toMatchObject({
      window_secs: 86_400,
    })
    await rejects(
      { ...base, config: { ...threshold, window_secs: 86_401 } },
      'config.window_secs',
      'field config.window_secs: expected integer to be less or equal to 86400 (got 86401)',
    )
  })

  test('accepts a spike baseline of exactly a week and rejects one second more', async () => {
    const spike = { type: 'spike', multiplier: 2, compare_window_secs: 60 }
    expect((await create({ config: { ...spike, baseline_window_secs: 604_800 } })).rule_type).toBe('spike')
    await rejects(
      { ...base, config: { ...spike, baseline_window_secs: 604_801 } },
      'config.baseline_window_secs',
      'field config.baseline_window_secs: expected integer to be less or equal to 604800 (got 604801)',
    )
    await rejects(
      { ...base, config: { ...spike, baseline_window_secs: 60, multiplier: 1 } },
      'config.multiplier',
      'field config.multiplier: expected number to be greater than 1 (got 1)',
    )
    await rejects(
      { ...base, config: { ...spike, baseline_window_secs: 60, min_events: 0 } },
      'config.min_events',
      'field config.min_events: expected integer to be greater or equal to 1 (got 0)',
    )
  })

  test('accepts a 200-character name and rejects 201', async () => {
    expect((await create({ name: 'n'.repeat(200) })).name).toBe('n'.repeat(200))
    await rejects(
      { ...base, name: 'n'.repeat(201), config: threshold },
      'name',
      `field name: expected string length less or equal to 200 (got "${'n'.repeat(79)})`,
    )
    await rejects(
      { ...base, name: '', config: threshold },
      'name',
      'field name: expected string length greater or equal to 1 (got "")',
    )
  })

  test('accepts a 32-character source filter and rejects 33, and rejects an empty environment filter', async () => {
    expect((await create({ source_filter: 's'.repeat(32) })).source_filter).toBe('s'.repeat(32))
    await rejects(
      { ...base, config: threshold, source_filter: 's'.repeat(33) },
      'source_filter',
      `field source_filter: expected string length less or equal to 32 (got "${'s'.repeat(33)}")`,
    )
    await rejects(
      { ...base, config: threshold, environment_filter: '' },
      'environment_filter',
      'field environment_filter: expected string length greater or equal to 1 (got "")',
    )
    expect((await create({ environment_filter: null, description: null })).environment_filter).toBeNull()
  })

  test('rejects unknown fields and bodies that are not JSON objects', async () => {
    await rejects(
      { ...base, config: threshold, colour: 'red' },
      'colour',
      'field colour: is not a known field (got "red")',
    )
    expect(await call('POST', '/v1/alerts', 'not json')).toMatchObject({
      status: 400,
      body: { code: 'invalid_json' },
    })
    expect(await call('POST', '/v1/alerts', '[1]')).toEqual({
      status: 400,
      body: { error: 'request body must be a JSON object', code: 'invalid_json' },
    })
  })

  test('answers 404 for a project the token cannot see', async () => {
    const r = await call('POST', '/v1/alerts', { ...base, project_id: 'mobile', config: threshold })
    expect(r).toEqual({ status: 404, body: { error: 'project mobile not found', code: 'not_found' } })
  })
})

describe('reading, changing and deleting rules', () => {
  test('lists only the rules of projects the caller can see', async () => {
    const mine = await create({ name: 'mine' })
    const theirs = await create({ name: 'theirs', project_id: 'mobile' }, mobileToken)
    const ids = ((await call('GET', '/v1/alerts')).body.items as Json[]).map((r) => r.id)
    expect(ids).toContain(mine.id)
    expect(ids).not.toContain(theirs.id)
    const mobile = (await call('GET', '/v1/alerts', undefined, mobileToken)).body.items as Json[]
    expect(mobile.every((r) => r.project_id === 'p-mobile')).toBe(true)
    expect(await call('GET', '/v1/alerts?project_id=mobile')).toMatchObject({ status: 404 })
  })

  test("answers 404 for another project's rule on every route", async () => {
    const theirs = await create({ name: 'private', project_id: 'mobile' }, mobileToken)
    const id = theirs.id as number
    const notFound = { status: 404, body: { error: `alert rule ${id} not found`, code: 'not_found' } }
    expect(await call('GET', `/v1/alerts/${id}`)).toEqual(notFound)
    expect(await call('PUT', `/v1/alerts/${id}`, { name: 'x' })).toEqual(notFound)
    expect(await call('DELETE', `/v1/alerts/${id}`)).toEqual(notFound)
    expect(await call('GET', `/v1/alerts/${id}/channels`)).toEqual(notFound)
    expect(
      await call('POST', `/v1/alerts/${id}/channels`, { config: { type: 'email', to: 'a@b.c' } }),
    ).toEqual(notFound)
    expect(await call('DELETE', `/v1/alerts/${id}/channels/1`)).toEqual(notFound)
    expect(await call('POST', `/v1/alerts/${id}/test`)).toEqual(notFound)
    expect(await call('GET', `/v1/alerts/${id}/deliveries`)).toEqual(notFound)
    expect((await call('GET', `/v1/alerts/${id}`, undefined, mobileToken)).status).toBe(200)
  })

  test('answers 400 for an id that is not a positive integer and 404 for an unknown one', async () => {
    expect(await call('GET', '/v1/alerts/abc')).toEqual({
      status: 400,
      body: { error: 'id must be a positive integer (got "abc")', code: 'invalid_field', field: 'id' },
    })
    expect(await call('GET', '/v1/alerts/0')).toMatchObject({ status: 400 })
    expect(await call('GET', '/v1/alerts/999999')).toMatchObject({ status: 404 })
  })

  test('updates only the fields given, can clear nullable fields, and can change the type', async () => {
    const rule = await create({ description: 'd', environment_filter: 'production' })
    const id = rule.id as number
    const renamed = await call('PUT', `/v1/alerts/${id}`, { name: 'renamed' })
    expect(renamed.body).toMatchObject({
      name: 'renamed',
      description: 'd',
      environment_filter: 'production',
      config: threshold,
    })
    const cleared = await call('PUT', `/v1/alerts/${id}`, {
      description: null,
      environment_filter: null,
      enabled: false,
    })
    expect(cleared.body).toMatchObject({
      name: 'renamed',
      description: null,
      environment_filter: null,
      enabled: false,
    })
    const retyped = await call('PUT', `/v1/alerts/${id}`, { config: { type: 'new_issue' } })
    expect(retyped.body).toMatchObject({ rule_type: 'new_issue', config: { type: 'new_issue' } })
    expect(retyped.body.updated_at as number).toBeGreaterThanOrEqual(rule.updated_at as number)
    expect(
      await call('PUT', `/v1/alerts/${id}`, {
        config: { type: 'spike', multiplier: 0.5, baseline_window_secs: 60, compare_window_secs: 60 },
      }),
    ).toMatchObject({
      status: 400,
      body: { field: 'config.multiplier' },
    })
    expect(
      await call('PUT', `/v1/alerts/${id}`, { project_id: 'default', name: 'same project' }),
    ).toMatchObject({
      status: 200,
    })
  })

  test('refuses to move a rule to another project', async () => {
    const rule = await create()
    const both = rt.token(['alerts:read', 'alerts:write'], 'p-mobile')
    const theirs = await create({ project_id: 'mobile' }, both)
    expect(await call('PUT', `/v1/alerts/${theirs.id}`, { project_id: 'default' }, both)).toEqual({
      status: 404,
      body: { error: 'project default not found', code: 'not_found' },
    })
    expect(await call('PUT', `/v1/alerts/${rule.id}`, { project_id: 'default' })).toMatchObject({
      status: 200,
    })
  })

  test('deletes a rule with its channels', async () => {
    const rule = await create()
    const id = rule.id as number
    await call('POST', `/v1/alerts/${id}/channels`, { config: { type: 'email', to: 'a@example.com' } })
    expect(await call('DELETE', `/v1/alerts/${id}`)).toEqual({ status: 200, body: { deleted: id } })
    expect((await call('GET', `/v1/alerts/${id}`)).status).toBe(404)
    const left = await rt.core.backend.get('SELECT count(*) AS n FROM alert_channels WHERE rule_id = ?', [id])
    expect(left).toEqual({ n: 0 })
  })

  test('shows when a rule last fired', async () => {
    const rule = await create({ name: 'fires', config: { type: 'new_issue' } })
    await rt.handle(
      signed('/v1/ingest', event({ error_type: 'LastFiredError', message: 'when did it fire' })),
    )
    const got = await call('GET', `/v1/alerts/${rule.id}`)
    expect(typeof got.body.last_fired_at).toBe('number')
  })
})

describe('channels', () => {
  test('creates each channel type and never echoes secrets', async () => {
    const id = (await create()).id as number
    const slack = await call('POST', `/v1/alerts/${id}/channels`, {
      config: { type: 'slack', webhook_url: 'https://hooks.slack.com/services/T000/B000/abcdefSECRET' },
    })
    expect(slack).toEqual({
      status: 201,
      body: {
        id: expect.any(Number),
        rule_id: id,
        channel_type: 'slack',
        config: { type: 'slack', webhook_url: 'https://hooks.slack.com/…CRET' },
        created_at: expect.any(Number),
      },
    })
    const hook = await call('POST', `/v1/alerts/${id}/channels`, {
      config: { type: 'webhook', url: 'https://example.com/hook?token=abc', secret: 's'.repeat(16) },
    })
    expect(hook.body.config).toEqual({ type: 'webhook', url: 'https://example.com/hook?…', has_secret: true })
    const mail = await call('POST', `/v1/alerts/${id}/channels`, {
      config: { type: 'email', to: 'ops@example.com' },
    })
    expect(mail.body.config).toEqual({ type: 'email', to: 'ops@example.com' })
    const list = await call('GET', `/v1/alerts/${id}/channels`)
    expect((list.body.items as Json[]).map((c) => c.channel_type)).toEqual(['slack', 'webhook', 'email'])
    expect(JSON.stringify(list.body)).not.toContain('SECRET')
    expect(JSON.stringify(list.body)).not.toContain('ssss')
    expect(((await call('GET', `/v1/alerts/${id}`)).body.channels as Json[]).length).toBe(3)
  })

  test('accepts a 16-character webhook secret and rejects 15', async () => {
    const id = (await create()).id as number
    const ok = await call('POST', `/v1/alerts/${id}/channels`, {
      config: { type: 'webhook', url: 'https://example.com/h', secret: 'x'.repeat(16) },
    })
    expect(ok.status).toBe(201)
    expect(
      await call('POST', `/v1/alerts/${id}/channels`, {
        config: { type: 'webhook', url: 'https://example.com/h', secret: 'x'.repeat(15) },
      }),
    ).toEqual({
      status: 400,
      body: {
        error: `field config.secret: expected string length greater or equal to 16 (got "${'x'.repeat(15)}")`,
        code: 'invalid_field',
        field: 'config.secret',
      },
    })
  })

  test('rejects bad channel configs naming the field', async () => {
    const id = (await create()).id as number
    const bad = async (config: Json) => (await call('POST', `/v1/alerts/${id}/channels`, { config })).body
    expect(await bad({ type: 'pager' })).toMatchObject({ field: 'config.type' })
    expect(await bad({ type: 'email', to: 'not-an-address' })).toMatchObject({ field: 'config.to' })
    expect(await bad({ type: 'email', to: 'a@b.com\r\nBcc: x@y.com' })).toMatchObject({ field: 'config.to' })
    expect(await bad({ type: 'webhook', url: 'ftp://example.com/x' })).toEqual({
      error: 'field config.url: must use http or https, not ftp',
      code: 'invalid_field',
      field: 'config.url',
    })
    expect(await bad({ type: 'slack', webhook_url: 'not a url' })).toMatchObject({
      field: 'config.webhook_url',
    })
    expect(await bad({ type: 'slack', url: 'https://x.y' })).toMatchObject({ field: 'config.webhook_url' })
  })

  test('deletes a channel, and answers 404 for a channel of another rule', async () => {
    const a = (await create()).id as number
    const b = (await create()).id as number
    const ch = await call('POST', `/v1/alerts/${a}/channels`, {
      config: { type: 'email', to: 'x@example.com' },
    })
    const cid = ch.body.id as number
    expect(await call('DELETE', `/v1/alerts/${b}/channels/${cid}`)).toEqual({
      status: 404,
      body: { error: `channel ${cid} not found on alert rule ${b}`, code: 'not_found' },
    })
    expect(await call('DELETE', `/v1/alerts/${a}/channels/${cid}`)).toEqual({
      status: 200,
      body: { deleted: cid },
    })
    expect((await call('GET', `/v1/alerts/${a}/channels`)).body.items).toEqual([])
  })
})

describe('deliveries query', () => {
  test('accepts a limit of 200 and rejects 201', async () => {
    const id = (await create()).id as number
    expect(await call('GET', `/v1/alerts/${id}/deliveries?limit=200`)).toEqual({
      status: 200,
      body: { items: [], limit: 200 },
    })
    expect(await call('GET', `/v1/alerts/${id}/deliveries?limit=201`)).toMatchObject({
      status: 400,
      body: { code: 'invalid_query', field: 'limit' },
    })
  })
})

describe('caps at their boundaries', () => {
  const rule =
    (over: Json, config: Json = threshold) =>
    () =>
      parseRuleCreate({ ...base, config, ...over })
  const spike = { type: 'spike', multiplier: 2, baseline_window_secs: 60, compare_window_secs: 60 }
  const cases: [string, () => unknown, () => unknown][] = [
    [
      'description 2000 characters',
      rule({ description: 'd'.repeat(2000) }),
      rule({ description: 'd'.repeat(2001) }),
    ],
    [
      'environment_filter 128',
      rule({ environment_filter: 'e'.repeat(128) }),
      rule({ environment_filter: 'e'.repeat(129) }),
    ],
    [
      'threshold 1e9',
      rule({}, { ...threshold, threshold: 1e9 }),
      rule({}, { ...threshold, threshold: 1e9 + 1 }),
    ],
    [
      'fingerprint 128',
      rule({}, { ...threshold, fingerprint: 'f'.repeat(128) }),
      rule({}, { ...threshold, fingerprint: 'f'.repeat(129) }),
    ],
    [
      'route 512',
      rule({}, { ...threshold, route: 'r'.repeat(512) }),
      rule({}, { ...threshold, route: 'r'.repeat(513) }),
    ],
    [
      'new_issue environment 128',
      rule({}, { type: 'new_issue', environment: 'e'.repeat(128) }),
      rule({}, { type: 'new_issue', environment: 'e'.repeat(129) }),
    ],
    [
      'compare_window_secs 86400',
      rule({}, { ...spike, compare_window_secs: 86_400 }),
      rule({}, { ...spike, compare_window_secs: 86_401 }),
    ],
    ['multiplier 1000', rule({}, { ...spike, multiplier: 1000 }), rule({}, { ...spike, multiplier: 1000.5 })],
    ['min_events 1', rule({}, { ...spike, min_events: 1 }), rule({}, { ...spike, min_events: 0 })],
    [
      'webhook secret 256',
      () => parseChannel({ config: { type: 'webhook', url: 'https://x.y/h', secret: 's'.repeat(256) } }),
      () => parseChannel({ config: { type: 'webhook', url: 'https://x.y/h', secret: 's'.repeat(257) } }),
    ],
    [
      'URL 2048 characters',
      () => parseChannel({ config: { type: 'webhook', url: `https://x.y/${'p'.repeat(2048 - 12)}` } }),
      () => parseChannel({ config: { type: 'webhook', url: `https://x.y/${'p'.repeat(2048 - 11)}` } }),
    ],
    [
      'email address 254 characters',
      () => parseChannel({ config: { type: 'email', to: `${'a'.repeat(242)}@example.com` } }),
      () => parseChannel({ config: { type: 'email', to: `${'a'.repeat(243)}@example.com` } }),
    ],
  ]
  for (const [what, atLimit, overLimit] of cases) {
    test(`accepts ${what} and rejects one more`, () => {
      expect(atLimit).not.toThrow()
      expect(overLimit).toThrow(/^field /)
    })
  }

  test('reads a 64 KB body and refuses one byte more with 413', async () => {
    const sized = (bytes: number) => {
      const head = JSON.stringify({ ...base, config: threshold, pad: '' })
      return `${head.slice(0, -2)}${'x'.repeat(bytes - head.length)}"}`
    }
    expect(sized(65_536).length).toBe(65_536)
    expect((await call('POST', '/v1/alerts', sized(65_536))).body).toMatchObject({
      code: 'invalid_field',
      field: 'pad',
    })
    expect(await call('POST', '/v1/alerts', sized(65_537))).toEqual({
      status: 413,
      body: { error: 'request body exceeds 65536 bytes', code: 'payload_too_large' },
    })
  })

  test(`keeps the newest ${DELIVERY_LOG_PER_RULE} delivery log rows of a rule`, async () => {
    const id = (await create()).id as number
    const row = (n: number) => ({
      rule_id: id,
      alert_id: `a-${n}`,
      kind: 'alert' as const,
      reason: 'threshold',
      fingerprint: null,
      issue_title: null,
      channel_id: null,
      channel_type: 'webhook' as const,
      target: 'https://x.y/h',
      outcome: 'delivered' as const,
      attempts: 1,
      status_code: 200,
      response: null,
      error: null,
      fired_at: n,
      finished_at: n,
    })
    const b = rt.core.backend
    for (let n = 1; n <= DELIVERY_LOG_PER_RULE; n++) await insertDelivery(b, row(n))
    expect(await deliveriesOf(b, id, 1000, undefined)).toHaveLength(DELIVERY_LOG_PER_RULE)
    await insertDelivery(b, row(DELIVERY_LOG_PER_RULE + 1))
    const kept = await deliveriesOf(b, id, 1000, undefined)
    expect(kept).toHaveLength(DELIVERY_LOG_PER_RULE)
    expect(kept[0]?.alert_id).toBe(`a-${DELIVERY_LOG_PER_RULE + 1}`)
    expect(kept.at(-1)?.alert_id).toBe('a-2')
    // Pagination: `before` is the id of the oldest row already seen.
    const page = await deliveriesOf(b, id, 2, kept[1]?.id)
    expect(page.map((d) => d.alert_id)).toEqual([
      `a-${DELIVERY_LOG_PER_RULE - 1}`,
      `a-${DELIVERY_LOG_PER_RULE - 2}`,
    ])
  })
})

describe('global fallback configuration', () => {
  const load = (env: Record<string, string>) => {
    const dir = tempDir()
    const path = join(dir, 'config.toml')
    writeFileSync(path, '')
    return loadConfig({ path, env })
  }

  test('reads BLOOP_SLACK_WEBHOOK_URL and BLOOP_WEBHOOK_URL into the alerting section', () => {
    const c = load({
      BLOOP_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x',
      BLOOP_WEBHOOK_URL: 'https://example.com/alerts',
    })
    expect(c.alerting.slack_webhook_url).toBe('https://hooks.slack.com/services/T/B/x')
    expect(c.alerting.webhook_url).toBe('https://example.com/alerts')
    expect(load({}).alerting.webhook_url).toBe('')
  })

  test('lets BLOOP__ALERTING__WEBHOOK_URL win over BLOOP_WEBHOOK_URL', () => {
    const c = load({
      BLOOP_WEBHOOK_URL: 'https://a.example/x',
      BLOOP__ALERTING__WEBHOOK_URL: 'https://b.example/y',
    })
    expect(c.alerting.webhook_url).toBe('https://b.example/y')
  })

  test('stops startup naming the variable when a fallback is not an http(s) URL', () => {
    expect(() => load({ BLOOP_WEBHOOK_URL: 'hooks.example.com/x' })).toThrow(ConfigError)
    expect(() => load({ BLOOP_SLACK_WEBHOOK_URL: 'ftp://x' })).toThrow(
      'alerting.slack_webhook_url (or BLOOP_SLACK_WEBHOOK_URL) must be an http(s) URL, got "ftp://x"',
    )
  })
})
