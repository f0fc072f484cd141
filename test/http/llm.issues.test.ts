/** Error spans become bloop issues (source llm), exactly once however often the trace is re-sent. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, span, trace } from '../llm.helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime()
})
afterAll(() => rt.dispose())

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await read()
    if (ok(v) || Date.now() > end) return v
    await Bun.sleep(10)
  }
}

const llmIssues = (r: TestRuntime = rt) =>
  r.core.backend.all(
    "SELECT error_type, message, source, route_or_procedure, total_count FROM issues WHERE source = 'llm'",
  )
const llmEvents = (r: TestRuntime = rt) =>
  r.core.backend.all<{ metadata: string; event_id: string }>(
    "SELECT metadata, event_id FROM raw_events WHERE source = 'llm' ORDER BY id",
  )

const failing = (id: string) =>
  trace({
    id,
    status: 'error',
    spans: [
      span({ id: 'ok-span', status: 'ok' }),
      span({
        id: 'bad-span',
        name: 'openai.chat.completions.create',
        status: 'error',
        error_message: 'Rate limit reached for gpt-4o',
      }),
    ],
  })

describe('errors as issues', () => {
  test('an error span is an error event with the trace and model in its metadata', async () => {
    expect((await rt.handle(signedTrace('/v1/traces', failing('fail-1')))).status).toBe(200)
    const issues = await until(
      () => llmIssues(),
      (v) => v.length > 0,
    )
    expect(issues).toEqual([
      {
        error_type: 'LLMError',
        message: 'Rate limit reached for gpt-4o',
        source: 'llm',
        route_or_procedure: 'openai.chat.completions.create',
        total_count: 1,
      },
    ])
    expect(JSON.parse(((await llmEvents())[0] as { metadata: string }).metadata)).toEqual({
      trace_id: 'fail-1',
      span_id: 'bad-span',
      model: 'gpt-4o',
      provider: 'openai',
    })
  })

  test('re-sending the trace, or a PUT, never counts the failure twice; another trace does', async () => {
    await rt.handle(signedTrace('/v1/traces', failing('fail-1')))
    await rt.handle(signedTrace('/v1/traces/fail-1', { status: 'error' }, { method: 'PUT' }))
    await rt.handle(signedTrace('/v1/traces/batch', { traces: [failing('fail-1'), failing('fail-2')] }))
    const issues = await until(
      () => llmIssues(),
      (v) => (v[0] as { total_count: number }).total_count >= 2,
    )
    expect(issues).toHaveLength(1)
    await Bun.sleep(100)
    expect(((await llmIssues())[0] as { total_count: number }).total_count).toBe(2)
    expect((await llmEvents()).map((e) => JSON.parse(e.metadata).trace_id)).toEqual(['fail-1', 'fail-2'])
    const metrics = await (await rt.fetch('/metrics')).text()
    expect(metrics).toContain('bloop_llm_error_events_total{outcome="stored"} 2')
    expect(metrics).toContain('bloop_events_accepted_total{endpoint="llm"} 2')
  })

  test("the trace's failed span names its issue, which the errors API answers; other spans name none", async () => {
    const token = rt.token(['llm:read', 'errors:read'])
    const auth = { headers: { authorization: `Bearer ${token}` } }
    const detail = (await (await rt.fetch('/v1/llm/traces/fail-1', auth)).json()) as {
      spans: { id: string; issue_fingerprint: string | null }[]
    }
    const byId = Object.fromEntries(detail.spans.map((s) => [s.id, s.issue_fingerprint]))
    const stored = (
      await rt.core.backend.get<{ fingerprint: string }>(
        "SELECT fingerprint FROM issues WHERE source = 'llm'",
      )
    )?.fingerprint
    expect(byId).toEqual({ 'ok-span': null, 'bad-span': stored as string })
    const issue = await rt.fetch(`/v1/errors/${stored}`, auth)
    expect(issue.status).toBe(200)
    expect(((await issue.json()) as { error_type: string }).error_type).toBe('LLMError')
  })

  test('llm_tracing.errors_as_issues = false keeps error spans out of the issues', async () => {
    const off = await startRuntime({ llm_tracing: { errors_as_issues: false } })
    try {
      await off.handle(signedTrace('/v1/traces', failing('fail-off')))
      await Bun.sleep(150)
      expect(await llmIssues(off)).toEqual([])
      // No issue, so no link from the failed span.
      const t = off.token(['llm:read'])
      const detail = (await (
        await off.fetch('/v1/llm/traces/fail-off', { headers: { authorization: `Bearer ${t}` } })
      ).json()) as { spans: { id: string; issue_fingerprint: string | null }[] }
      expect(detail.spans.map((s) => s.issue_fingerprint)).toEqual([null, null])
      expect(await off.core.backend.get("SELECT status FROM llm_spans WHERE id = 'bad-span'")).toEqual({
        status: 'error',
      })
    } finally {
      await off.dispose()
    }
  })
})
