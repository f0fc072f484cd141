/**
 * The proxy joins a call to a prompt experiment (`X-Bloop-Experiment`): the variant is the
 * one `GET /v1/llm/experiments/:id/assign` gives the same unit, it is answered in headers,
 * and the trace is recorded under the experiment's prompt and the variant's version, so
 * compare counts it. Refusals happen before anything reaches the upstream.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createToken } from '../../src/tokens/store'
import { type FakeUpstream, startFakeUpstream } from '../llm.proxy.fake'
import { type Bloop, PROVIDER_KEY, serveBloop, spanOf, traceRow } from '../llm.proxy.helpers'

let fake: FakeUpstream
let bloop: Bloop
let token: string
let experimentId: string

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${bloop.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const chat = (headers: Record<string, string>) =>
  fetch(`${bloop.url}/v1/proxy/openai/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${PROVIDER_KEY}`,
      'content-type': 'application/json',
      'x-bloop-key': bloop.key,
      ...headers,
    },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  })

beforeAll(async () => {
  fake = startFakeUpstream()
  bloop = await serveBloop(fake.url)
  token = (
    await createToken(bloop.served.runtime.core.backend, {
      projectId: 'default',
      name: 'exp',
      scopes: ['llm:read', 'llm:write'],
    })
  ).token
  const res = await api('POST', '/v1/llm/experiments', {
    name: 'proxy-split',
    prompt_name: 'support',
    variants: [
      { name: 'control', version: 'v1', prompt_template: 'You are helpful.', traffic_percentage: 50 },
      { name: 'expert', version: 'v2', prompt_template: 'You are an expert.', traffic_percentage: 50 },
    ],
  })
  expect(res.status).toBe(201)
  experimentId = ((await res.json()) as { id: string }).id
})
afterAll(async () => {
  await bloop.stop()
  fake.stop()
})

describe('X-Bloop-Experiment', () => {
  test('each unit gets the variant assign gives it, in headers and in the recorded trace', async () => {
    const seen = new Set<string>()
    for (const unit of ['user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'user-7', 'user-8']) {
      const assigned = (await (
        await api('GET', `/v1/llm/experiments/${experimentId}/assign?unit=${unit}`)
      ).json()) as {
        variant: { name: string; version: string }
      }
      const res = await chat({ 'x-bloop-experiment': experimentId, 'x-bloop-user-id': unit })
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      expect(res.headers.get('x-bloop-experiment-variant')).toBe(assigned.variant.name)
      expect(res.headers.get('x-bloop-prompt-version')).toBe(assigned.variant.version)
      const traceId = res.headers.get('x-bloop-trace-id')
      await spanOf(bloop, traceId)
      const row = traceRow(bloop, traceId as string)
      expect(row?.prompt_name).toBe('support')
      expect(row?.prompt_version).toBe(assigned.variant.version)
      seen.add(assigned.variant.version)
    }
    // Eight units over a 50/50 split land in both arms (fixed by the hash, not by chance each run).
    expect([...seen].sort()).toEqual(['v1', 'v2'])
  })

  test('X-Bloop-Unit wins over the user id, and the same unit always gets the same variant', async () => {
    const first = await chat({
      'x-bloop-experiment': experimentId,
      'x-bloop-unit': 'team-9',
      'x-bloop-user-id': 'x',
    })
    const second = await chat({
      'x-bloop-experiment': experimentId,
      'x-bloop-unit': 'team-9',
      'x-bloop-user-id': 'y',
    })
    await first.arrayBuffer()
    await second.arrayBuffer()
    const assigned = (await (
      await api('GET', `/v1/llm/experiments/${experimentId}/assign?unit=team-9`)
    ).json()) as {
      variant: { version: string }
    }
    expect(first.headers.get('x-bloop-prompt-version')).toBe(assigned.variant.version)
    expect(second.headers.get('x-bloop-prompt-version')).toBe(assigned.variant.version)
  })

  test('without a unit: 400 naming the headers; nothing sent upstream', async () => {
    const before = fake.received.length
    const res = await chat({ 'x-bloop-experiment': experimentId })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toContain('X-Bloop-Unit')
    expect(fake.received.length).toBe(before)
  })

  test('an experiment this project does not have is 404; nothing sent upstream', async () => {
    const before = fake.received.length
    const res = await chat({ 'x-bloop-experiment': 'no-such-experiment', 'x-bloop-user-id': 'u' })
    expect(res.status).toBe(404)
    expect(fake.received.length).toBe(before)
  })

  test('a call without the header is recorded with no prompt and answers no variant', async () => {
    const res = await chat({})
    await res.arrayBuffer()
    expect(res.headers.get('x-bloop-experiment-variant')).toBeNull()
    const traceId = res.headers.get('x-bloop-trace-id') as string
    await spanOf(bloop, traceId)
    expect(traceRow(bloop, traceId)?.prompt_name).toBeNull()
  })
})
