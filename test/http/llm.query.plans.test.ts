/**
 * The trace list reads a selective filter from its own index and walks the window for a
 * dense one (src/llm/query/traces.ts); both roads must give the same page. Thresholds
 * set to 0 force the walk on the small fixture, and a total cap of 1 shows the capped
 * count.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { listSessions } from '../../src/llm/query/sessions'
import { listTraces, TUNING } from '../../src/llm/query/traces'
import { windowOf } from '../../src/llm/query/window'
import type { TestRuntime } from '../helpers'
import { TRACES } from '../llm.query.fixture'
import { llmRuntime, NOW, store } from '../llm.query.helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await llmRuntime()
  await store(rt, 'default', TRACES)
})
afterAll(() => rt.dispose())

const base = { sort: 'newest' as const, limit: 50, offset: 0 }
const FILTERS = [
  {},
  { sort: 'oldest' as const },
  { sort: 'most_expensive' as const },
  { sort: 'slowest' as const, offset: 1 },
  { session_id: 's-1' },
  { user_id: 'u-2', sort: 'most_expensive' as const },
  { prompt_name: 'greet' },
  { prompt_name: 'greet', prompt_version: 'v2' },
  { status: 'completed' as const },
  { status: 'error' as const, sort: 'slowest' as const },
  { has_error: 'true' as const },
  { has_error: 'false' as const, sort: 'most_expensive' as const },
  { provider: 'openai' },
  { min_cost_micros: 2500 },
  { min_latency_ms: 1500 },
  { model: 'gpt-4o' },
  { model: 'gpt-4o-mini' },
  { model: 'gpt-4o', min_cost_micros: 100, sort: 'most_expensive' as const },
  { min_latency_ms: 400, sort: 'oldest' as const, limit: 1, offset: 1 },
  { search: 'vector_search' },
  { search: 'rate limit', sort: 'slowest' as const },
  { search: 'gpt-4o call', model: 'gpt-4o' },
  { search: 'chat', session_id: 's-1', user_id: 'u-1' },
]

describe('the trace list', () => {
  for (const f of FILTERS) {
    test(`gives the same page from the filter's index and from the window walk: ${JSON.stringify(f)}`, async () => {
      const w = windowOf(48, NOW)
      const q = { ...base, ...f }
      const driven = await listTraces(rt.core.backend, ['default'], w, q)
      const walked = await listTraces(rt.core.backend, ['default'], w, q, { ...TUNING, driverRows: 0 })
      expect(walked).toEqual(driven)
      expect(driven.traces.length).toBeGreaterThan(0)
      // And a threshold that drives from every filter (the most selective one).
      expect(
        await listTraces(rt.core.backend, ['default'], w, q, { ...TUNING, driverRows: 1_000_000 }),
      ).toEqual(driven)
    })
  }

  test('stops a walking count at the cap and says it is not exact', async () => {
    const page = await listTraces(
      rt.core.backend,
      ['default'],
      windowOf(48, NOW),
      { ...base, model: 'gpt-4o' },
      {
        driverRows: 0,
        totalCap: 1,
      },
    )
    expect(page.traces.map((t) => t.id)).toEqual(['tr-running-4', 'tr-chat-1', 'tr-agent-2'])
    expect([page.total, page.total_exact]).toEqual([1, false])
    const exact = await listTraces(
      rt.core.backend,
      ['default'],
      windowOf(48, NOW),
      { ...base, model: 'gpt-4o' },
      {
        driverRows: 0,
        totalCap: 3,
      },
    )
    expect([exact.total, exact.total_exact]).toEqual([3, true])
  })

  test('counts sessions up to the cap', async () => {
    const capped = await listSessions(
      rt.core.backend,
      ['default'],
      windowOf(24, NOW),
      { limit: 50, offset: 0 },
      1,
    )
    expect(capped.sessions.map((s) => s.session_id)).toEqual(['s-2', 's-1'])
    expect([capped.total, capped.total_exact]).toEqual([1, false])
  })
})
