/**
 * The official JS SDK's wire format, as recorded in test/fixtures/sdk-wire (its packages
 * are not on a registry CI reaches; `.body` files, so no formatter reflows the bytes):
 * always /v1/ingest/batch for events, millisecond timestamps, `metadata.mechanism` from
 * its global handlers, and `null` for every unset trace and span field. The exact bytes
 * are signed and sent to a real server, then read back through the API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { type SdkServer, sdkServer } from '../sdk.helpers'
import type { Sample } from '../sentry.helpers'

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'sdk-wire')
let dir: string
let server: SdkServer

beforeAll(async () => {
  dir = tempDir('bloop-sdk-wire-')
  server = await sdkServer(dir, { llm_tracing: { default_content_storage: 'full' } })
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function send(path: string, fixture: string): Promise<Response> {
  const body = readFileSync(join(FIXTURES, fixture))
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-project-key': server.projectKey,
      'x-signature': createHmac('sha256', server.projectKey).update(body).digest('hex'),
    },
    body,
  })
}

describe("the official JS SDK's recorded payloads", () => {
  test('its event batch is stored whole, fields and handler metadata intact', async () => {
    const res = await send('/v1/ingest/batch', 'official-js-events.body')
    expect(await res.json()).toEqual({ accepted: 2, dropped: 0, errors: [] })
    const issue = await server.issue('TypeError')
    expect(issue.message).toBe("Cannot read properties of null (reading 'email')")
    expect(issue.route_or_procedure).toBe('/api/users/42')
    const sample = issue.samples[0] as Sample & { http_status?: number; request_id?: string }
    expect(sample.metadata as unknown).toEqual({ unhandled: true, mechanism: 'uncaughtException' })
    expect(sample.stack?.split('\n')[1]).toBe('    at getUser (/srv/app/dist/users.js:18:22)')
  })

  test('its trace batch, with null for every unset field, is stored and reads back', async () => {
    const res = await send('/v1/traces/batch', 'official-js-traces.body')
    expect(res.status).toBe(200)
    const t = (await (await server.get('/v1/llm/traces/js-trace-0001')).json()) as {
      name: string
      status: string
      total_tokens: number
      cost_micros: number
      session_id: string | null
      spans: {
        id: string
        status: string
        error_message: string | null
        input_tokens: number | null
        cost_micros: number | null
      }[]
    }
    expect([t.name, t.status, t.total_tokens, t.cost_micros, t.session_id]).toEqual([
      'chat-completion',
      'completed',
      150,
      2500,
      null,
    ])
    expect(t.spans.map((s) => [s.id, s.status, s.error_message, s.input_tokens, s.cost_micros])).toEqual([
      ['js-span-0001', 'ok', null, 100, 2500],
      ['js-span-0002', 'error', 'lookup failed', null, null],
    ])
  })
})
