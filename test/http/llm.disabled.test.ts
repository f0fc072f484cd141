/** llm_tracing.enabled = false: no LLM route exists (404), error ingest is untouched. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { event, signed, startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, trace } from '../llm.helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime({ llm_tracing: { enabled: false } })
})
afterAll(() => rt.dispose())

test('trace ingest and the LLM write API answer 404; events still go in', async () => {
  expect((await rt.handle(signedTrace('/v1/traces', trace()))).status).toBe(404)
  expect((await rt.handle(signedTrace('/v1/traces/batch', { traces: [trace()] }))).status).toBe(404)
  const token = rt.token(['llm:read'])
  expect((await rt.fetch('/v1/llm/settings', { headers: { authorization: `Bearer ${token}` } })).status).toBe(
    404,
  )
  expect((await rt.handle(signed('/v1/ingest', event()))).status).toBe(200)
  expect(await rt.core.backend.get('SELECT count(*) AS n FROM llm_traces')).toEqual({ n: 0 })
})
