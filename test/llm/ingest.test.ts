import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, span, trace } from './helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime({ llm_tracing: { default_content_storage: 'full' } })
})
afterAll(() => rt.dispose())

const row = (id: string) =>
  rt.core.db.query('SELECT * FROM llm_traces WHERE id = ?').get(id) as Record<string, unknown>
const spans = (id: string) =>
  rt.core.db.query('SELECT * FROM llm_spans WHERE trace_id = ? ORDER BY seq').all(id) as Record<
    string,
    unknown
  >[]

describe('POST /v1/traces', () => {
  test('stores the seed example trace with its span, answered only after commit', async () => {
    const res = await rt.handle(signedTrace('/v1/traces', trace()))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'accepted' })
    const t = row('trace-001')
    expect(t).toMatchObject({
      project_id: 'default',
      name: 'chat-completion',
      status: 'completed',
      source: 'sdk',
      input: 'User prompt text',
      metadata: '{"key":"value"}',
      span_count: 1,
      input_tokens: 100,
      output_tokens: 50,
      total_tokens: 150,
      cost_micros: 2500,
      duration_ms: 1200,
      models: ' gpt-4o ',
    })
    expect(spans('trace-001')[0]).toMatchObject({
      cost_source: 'client',
      cost_micros: 2500,
      latency_ms: 1200,
    })
  })
})
