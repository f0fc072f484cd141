/**
 * The payloads the official SDKs send, byte for byte (test/fixtures/llm/): the JS SDK's
 * nulls for every unset span field (error spans without usage, spans never ended), the
 * Python SDK's omitted fields and json.dumps spacing in chunks of 50 with a
 * context-manager error, the Ruby SDK's compact JSON, and a trace sent running and then
 * completed. Each is signed with the project key the way the SDK signs it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { findProject } from '../../src/projects'
import { BASE, startRuntime, type TestRuntime } from '../helpers'

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'llm')
const fixture = (name: string) => Bun.file(join(FIXTURES, name)).text()

let rt: TestRuntime
let key: string
beforeAll(async () => {
  rt = await startRuntime({ llm_tracing: { default_content_storage: 'full' } })
  key = ((await findProject(rt.core.backend, 'default')) as { api_key: string }).api_key
})
afterAll(() => rt.dispose())

async function sendAsSdk(body: string) {
  const res = await rt.handle(
    new Request(`${BASE}/v1/traces/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': sign(key, body), 'X-Project-Key': key },
      body,
    }),
  )
  return { status: res.status, body: await res.json() }
}
const traceRow = (id: string) =>
  rt.core.backend.get<Record<string, unknown>>('SELECT * FROM llm_traces WHERE id = ?', [id])
const spanRows = (id: string) =>
  rt.core.backend.all<Record<string, unknown>>('SELECT * FROM llm_spans WHERE trace_id = ? ORDER BY seq', [
    id,
  ])

describe('the JS SDK', () => {
  test('nulls for unset fields, an error span without usage and a never-ended span are all stored', async () => {
    expect(await sendAsSdk(await fixture('js-batch.json'))).toEqual({
      status: 200,
      body: { accepted: 3, dropped: 0, errors: [] },
    })
    // 0.0000625 dollars = 62.5 micros, half away from zero
    expect(await traceRow('0b9a3c64-1f0e-4a7b-9c1d-2e3f4a5b6c7d')).toMatchObject({
      status: 'completed',
      cost_micros: 63,
      total_tokens: 13,
    })
    expect((await spanRows('0b9a3c64-1f0e-4a7b-9c1d-2e3f4a5b6c7d'))[0]).toMatchObject({
      cost_source: 'client',
      ended_at: 1764670000811,
    })
    expect(await traceRow('2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b')).toMatchObject({
      status: 'error',
      error_count: 1,
      cost_micros: null,
    })
    expect((await spanRows('2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b'))[0]).toMatchObject({
      status: 'error',
      error_message: '429 Rate limit reached for gpt-4o',
      input_tokens: null,
      output_tokens: null,
      cost_micros: null,
      cost_source: 'unknown',
      latency_ms: 27,
    })
    const [tool, generation] = await spanRows('4a5b6c7d-8e9f-4a0b-1c2d-3e4f5a6b7c8d')
    expect(tool).toMatchObject({
      span_type: 'tool',
      name: 'tool',
      status: 'running',
      latency_ms: null,
      ended_at: null,
    })
    // cost 0 with tokens: priced by the server, claude-sonnet-4-5 $3/M in, $15/M out: 1200 x 3 + 300 x 15
    expect(generation).toMatchObject({ cost_micros: 8100, cost_source: 'table' })
    expect(await traceRow('4a5b6c7d-8e9f-4a0b-1c2d-3e4f5a6b7c8d')).toMatchObject({
      session_id: 'js-session',
      user_id: 'js-user',
      metadata: '{"plan":"pro"}',
      prompt_name: 'agent',
      prompt_version: '1.2.0',
      span_count: 2,
      cost_micros: 8100,
    })
  })
})

describe('the Python SDK', () => {
  test('a chunk of 50 traces with omitted fields and a context-manager error', async () => {
    const body = await fixture('python-batch-50.json')
    expect(body).toContain('"cost": 3.6e-05')
    expect(await sendAsSdk(body)).toEqual({ status: 200, body: { accepted: 50, dropped: 0, errors: [] } })
    const failed = await traceRow('7d1f2a9c-0000-4000-8000-000000000007')
    expect(failed).toMatchObject({
      status: 'error',
      output: 'upstream timed out',
      error_count: 1,
      session_id: 'py-session',
    })
    expect((await spanRows('7d1f2a9c-0000-4000-8000-000000000007'))[0]).toMatchObject({
      status: 'error',
      error_message: 'upstream timed out',
      input: 'What is bloop?',
    })
    // Never ended: Python sends status "ok" and no latency.
    expect((await spanRows('7d1f2a9c-0000-4000-8000-000000000008'))[0]).toMatchObject({
      span_type: 'tool',
      name: 'search_docs',
      status: 'ok',
      latency_ms: null,
    })
    expect(await traceRow('7d1f2a9c-0000-4000-8000-000000000000')).toMatchObject({
      cost_micros: 36,
      prompt_name: 'support',
      prompt_version: '3',
      user_id: 'u-42',
    })
    const usage = await rt.core.backend.all(
      "SELECT span_count, error_count, cost_micros, cost_unknown_count, latency_count FROM llm_usage_hourly WHERE model = 'gpt-4o-mini'",
    )
    expect(usage).toEqual([
      { span_count: 49, error_count: 1, cost_micros: 48 * 36, cost_unknown_count: 1, latency_count: 49 },
    ])
  })

  test('running then completed: one trace, its final usage counted once', async () => {
    expect((await sendAsSdk(await fixture('python-running.json'))).body).toEqual({
      accepted: 1,
      dropped: 0,
      errors: [],
    })
    expect(await traceRow('py-long-run')).toMatchObject({
      status: 'running',
      input_tokens: 10,
      cost_micros: null,
    })
    expect((await sendAsSdk(await fixture('python-completed.json'))).body).toEqual({
      accepted: 1,
      dropped: 0,
      errors: [],
    })
    // claude-haiku-4-5 $1/M in, $5/M out: 1000 x 1 + 200 x 5
    expect(await traceRow('py-long-run')).toMatchObject({
      status: 'completed',
      output: 'final',
      span_count: 1,
      input_tokens: 1000,
      output_tokens: 200,
      cost_micros: 2000,
      duration_ms: 2500,
    })
    expect(
      await rt.core.backend.all(
        "SELECT span_count, input_tokens, cost_micros, cost_unknown_count FROM llm_usage_hourly WHERE model = 'claude-haiku-4-5'",
      ),
    ).toEqual([{ span_count: 1, input_tokens: 1000, cost_micros: 2000, cost_unknown_count: 0 }])
  })
})

describe('the Ruby SDK', () => {
  test('compact JSON with omitted fields, priced by the server, and a rescued error', async () => {
    expect(await sendAsSdk(await fixture('ruby-batch.json'))).toEqual({
      status: 200,
      body: { accepted: 2, dropped: 0, errors: [] },
    })
    // gpt-4o $2.50/M in, $10/M out: 500 x 2.50 + 100 x 10
    expect(await traceRow('9b1f6d2e-3c4a-4b5d-8e6f-7a8b9c0d1e2f')).toMatchObject({
      cost_micros: 2250,
      user_id: 'rb-user',
    })
    expect((await spanRows('c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f'))[0]).toMatchObject({
      status: 'error',
      error_message: 'Net::ReadTimeout with #<TCPSocket:(closed)>',
    })
  })
})
