/** /metrics counts LLM traces and spans accepted, rejected and dropped by reason, the queue and unknown models. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, span, trace } from '../llm.helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime()
})
afterAll(() => rt.dispose())

test('accepted, rejected by reason, queue gauges and unknown models appear in /metrics', async () => {
  await rt.handle(
    signedTrace('/v1/traces/batch', {
      traces: [
        trace({
          id: 'm1',
          spans: [span({ id: 'a' }), span({ id: 'b', model: 'mystery-1', cost: undefined })],
        }),
        trace({ id: 'x'.repeat(129) }),
        trace({ id: 'm3', spans: Array.from({ length: 101 }, (_, i) => span({ id: `s${i}` })) }),
      ],
    }),
  )
  await rt.handle(signedTrace('/v1/traces/batch', { traces: Array.from({ length: 51 }, () => trace()) }))
  await rt.handle(new Request('http://localhost/v1/traces', { method: 'POST', body: '{}' }))
  const text = await (await rt.fetch('/metrics')).text()
  const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix))
  expect(line('bloop_llm_traces_accepted_total{source="sdk"}')).toBe(
    'bloop_llm_traces_accepted_total{source="sdk"} 1',
  )
  expect(line('bloop_llm_spans_accepted_total{source="sdk"}')).toBe(
    'bloop_llm_spans_accepted_total{source="sdk"} 2',
  )
  expect(line('bloop_llm_traces_rejected_total{reason="validation"}')).toBe(
    'bloop_llm_traces_rejected_total{reason="validation"} 1',
  )
  expect(line('bloop_llm_traces_rejected_total{reason="too_many_spans"}')).toBe(
    'bloop_llm_traces_rejected_total{reason="too_many_spans"} 1',
  )
  expect(line('bloop_llm_traces_rejected_total{reason="batch_too_large"}')).toBe(
    'bloop_llm_traces_rejected_total{reason="batch_too_large"} 1',
  )
  expect(line('bloop_llm_traces_rejected_total{reason="missing_signature"}')).toBe(
    'bloop_llm_traces_rejected_total{reason="missing_signature"} 1',
  )
  expect(line('bloop_llm_unknown_model_spans_total')).toBe('bloop_llm_unknown_model_spans_total 1')
  expect(line('bloop_llm_queue_depth')).toBe('bloop_llm_queue_depth 0')
  expect(line('bloop_llm_queue_capacity')).toBe('bloop_llm_queue_capacity 4096')
})
