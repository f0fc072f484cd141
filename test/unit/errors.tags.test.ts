import { describe, expect, test } from 'bun:test'
import type { NormalizedEvent } from '../../src/errors/event'
import { MAX_TAG_VALUE_CHARS, MAX_TAGS_PER_EVENT, tagsOf } from '../../src/errors/tags'

const base: NormalizedEvent = {
  project_id: 'p',
  fingerprint: 'f',
  timestamp: 1,
  received_at: 1,
  source: 'node',
  environment: 'prod',
  release: '1.2.3',
  app_version: null,
  build_number: null,
  route_or_procedure: '/api/orders',
  screen: null,
  error_type: 'TypeError',
  message: 'x',
  stack: null,
  http_status: null,
  request_id: null,
  user_id_hash: null,
  device_id_hash: null,
  metadata: null,
  event_id: null,
  level: null,
}

describe("an event's tags", () => {
  test('built-ins (release and environment come from the aggregates), Sentry contexts, Sentry tags and scalar metadata keys, each key once', () => {
    const metadata = {
      sdk: 'sentry.javascript.node@11.12.0',
      tags: { tenant: 'acme', 'feature.flag': true, release: 'not-this' },
      contexts: {
        browser: { name: 'Chrome', version: '120.0' },
        os: { name: 'Linux', version: '6.1' },
        device: { family: 'Desktop' },
        runtime: { name: 'node', version: 'v22.1.0' },
      },
      extra: { ignored: 'yes' },
      plan: 'pro',
      retries: 3,
      nested: { a: 1 },
    }
    expect(tagsOf({ ...base, metadata: JSON.stringify(metadata) })).toEqual([
      ['source', 'node'],
      ['route', '/api/orders'],
      ['browser', 'Chrome 120.0'],
      ['os', 'Linux 6.1'],
      ['device', 'Desktop'],
      ['runtime', 'node v22.1.0'],
      ['tenant', 'acme'],
      ['feature.flag', 'true'],
      ['sdk', 'sentry.javascript.node@11.12.0'],
      ['plan', 'pro'],
      ['retries', '3'],
    ])
  })

  test(`at most ${MAX_TAGS_PER_EVENT} per event, values cut to ${MAX_TAG_VALUE_CHARS} characters`, () => {
    const tags = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, 'v'.repeat(300)]))
    const got = tagsOf({ ...base, route_or_procedure: null, metadata: JSON.stringify({ tags }) })
    expect(got).toHaveLength(MAX_TAGS_PER_EVENT)
    expect(got[1]).toEqual(['t0', `${'v'.repeat(MAX_TAG_VALUE_CHARS - 1)}…`])
  })
})
