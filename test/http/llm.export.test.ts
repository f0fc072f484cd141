/**
 * The LangSmith export, checked with the langsmith package itself: its RunTree rebuilds
 * every run's dotted order and trace id from the parent chain, and must agree with ours.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Client, RunTree } from 'langsmith'
import { convertToDottedOrderFormat } from 'langsmith/run_trees'
import type { LangSmithRun } from '../../src/llm/export/langsmith'
import { spanRunId, traceRunId, uuidv5 } from '../../src/llm/export/langsmith'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace } from '../llm.helpers'
import { REPO } from '../process'

let rt: TestRuntime
let read: string
const NOW = Date.now()
const T0 = NOW - 3_600_000

beforeAll(async () => {
  rt = await startRuntime({ llm_tracing: { default_content_storage: 'full' } })
  read = rt.token(['llm:read'])
  const sdk = {
    id: 'trace-export-1',
    name: 'support-chat',
    status: 'error',
    session_id: 's-1',
    user_id: 'u-1',
    input: 'hello',
    output: '{"answer":"hi"}',
    metadata: { team: 'core' },
    tags: ['prod'],
    prompt_name: 'support',
    prompt_version: '3',
    started_at: T0,
    ended_at: T0 + 2000,
    spans: [
      { id: 'plan', span_type: 'custom', name: 'plan', started_at: T0, ended_at: T0 + 1900, status: 'ok' },
      {
        id: 'llm-1',
        parent_span_id: 'plan',
        span_type: 'generation',
        name: 'gpt-4o call',
        model: 'gpt-4o',
        provider: 'openai',
        input_tokens: 1200,
        output_tokens: 300,
        cache_read_tokens: 1000,
        reasoning_tokens: 50,
        input: '[{"role":"user","content":"hello"}]',
        output: 'hi',
        time_to_first_token_ms: 120,
        started_at: T0 + 10,
        ended_at: T0 + 900,
      },
      { id: 'search', parent_span_id: 'plan', span_type: 'retrieval', name: 'search', started_at: T0 + 1000 },
      { id: 'tool', parent_span_id: 'llm-1', span_type: 'tool', name: 'lookup', started_at: T0 + 500 },
      {
        id: 'orphan',
        parent_span_id: 'not-sent',
        span_type: 'generation',
        name: 'late',
        model: 'gpt-4o',
        input_tokens: 5,
        status: 'error',
        error_message: 'rate limited',
        started_at: T0 + 1500,
      },
    ],
  }
  expect((await rt.handle(signedTrace('/v1/traces', sdk))).status).toBe(200)
  const old = { id: 'trace-old', name: 'old', started_at: NOW - 48 * 3_600_000, spans: [] }
  expect((await rt.handle(signedTrace('/v1/traces', old))).status).toBe(200)
})
afterAll(() => rt.dispose())

async function exportRuns(query: string, token = read) {
  const res = await rt.fetch(`/v1/llm/export/langsmith${query}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(res.status).toBe(200)
  return (await res.json()) as {
    runs: LangSmithRun[]
    count: number
    traces: number
    next_offset: number | null
  }
}

describe('GET /v1/llm/export/langsmith', () => {
  test('one root run per trace plus one run per span, with LangSmith run types', async () => {
    const body = await exportRuns('?trace_ids=trace-export-1')
    expect(body.traces).toBe(1)
    expect(body.count).toBe(6)
    expect(body.runs.length).toBe(6)
    const rootId = traceRunId('default', 'trace-export-1')
    const byName = Object.fromEntries(body.runs.map((r) => [r.name, r]))
    expect(byName['support-chat']).toMatchObject({
      id: rootId,
      trace_id: rootId,
      parent_run_id: null,
      run_type: 'chain',
      inputs: { input: 'hello' },
      outputs: { answer: 'hi' },
      error: 'rate limited',
      tags: ['prod'],
      start_time: new Date(T0).toISOString(),
      end_time: new Date(T0 + 2000).toISOString(),
    })
    expect(byName['support-chat']?.extra.metadata).toMatchObject({
      team: 'core',
      session_id: 's-1',
      user_id: 'u-1',
      prompt_name: 'support',
      prompt_version: '3',
      bloop_trace_id: 'trace-export-1',
    })
    expect(Object.fromEntries(body.runs.map((r) => [r.name, r.run_type]))).toEqual({
      'support-chat': 'chain',
      plan: 'chain',
      'gpt-4o call': 'llm',
      search: 'retriever',
      lookup: 'tool',
      late: 'llm',
    })
    const llm = byName['gpt-4o call'] as LangSmithRun
    expect(llm.inputs).toEqual({ messages: [{ role: 'user', content: 'hello' }] })
    // gpt-4o: (200 x 2.50 + 1000 x 1.25 + 300 x 10) / 1e6 dollars
    expect(llm.outputs).toEqual({
      output: 'hi',
      usage_metadata: {
        input_tokens: 1200,
        output_tokens: 300,
        total_tokens: 1500,
        input_token_details: { cache_read: 1000 },
        output_token_details: { reasoning: 50 },
        total_cost: 0.00475,
      },
    })
    expect(llm.extra.metadata).toMatchObject({ ls_provider: 'openai', ls_model_name: 'gpt-4o' })
    expect(llm.events).toEqual([{ name: 'new_token', time: new Date(T0 + 10 + 120).toISOString() }])
    // Only one count known: no usage_metadata (LangSmith needs both), the count kept in metadata.
    const late = byName.late as LangSmithRun
    expect(late.outputs).toBeNull()
    expect(late.error).toBe('rate limited')
    expect(late.extra.metadata.bloop_input_tokens).toBe(5)
  })

  test('ids are deterministic UUIDs, and every parent is in the export (an orphan hangs from the root)', async () => {
    const a = await exportRuns('?trace_ids=trace-export-1')
    const b = await exportRuns('?trace_ids=trace-export-1')
    expect(a.runs.map((r) => r.id)).toEqual(b.runs.map((r) => r.id))
    const ids = new Set(a.runs.map((r) => r.id))
    for (const r of a.runs) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      if (r.parent_run_id !== null) expect(ids.has(r.parent_run_id)).toBe(true)
    }
    const root = traceRunId('default', 'trace-export-1')
    const byName = Object.fromEntries(a.runs.map((r) => [r.name, r]))
    expect(byName.late?.parent_run_id).toBe(root)
    expect(byName.lookup?.parent_run_id).toBe(spanRunId('default', 'trace-export-1', 'llm-1'))
    expect(byName.plan?.parent_run_id).toBe(root)
  })

  test("the langsmith client's RunTree rebuilds the same dotted order and trace id from the nesting", async () => {
    const { runs } = await exportRuns('?trace_ids=trace-export-1')
    const client = new Client({ apiKey: 'unused', apiUrl: 'http://127.0.0.1:9' })
    const trees = new Map<string, RunTree>()
    // Dotted order sorts parents before children: building in that order always finds the parent.
    for (const r of [...runs].sort((x, y) => (x.dotted_order < y.dotted_order ? -1 : 1))) {
      const parent = r.parent_run_id === null ? undefined : trees.get(r.parent_run_id)
      expect(r.parent_run_id === null || parent !== undefined).toBe(true)
      const tree = new RunTree({
        id: r.id,
        name: r.name,
        run_type: r.run_type,
        start_time: Date.parse(r.start_time),
        inputs: r.inputs,
        parent_run: parent,
        client,
        tracingEnabled: false,
      })
      expect(tree.dotted_order).toBe(r.dotted_order)
      expect(tree.trace_id).toBe(r.trace_id)
      trees.set(r.id, tree)
      const own = convertToDottedOrderFormat(Date.parse(r.start_time), r.id).dottedOrder
      expect(r.dotted_order.endsWith(own)).toBe(true)
    }
    expect(trees.size).toBe(runs.length)
  })

  test('the window: hours selects by start time; paging by trace with next_offset', async () => {
    const day = await exportRuns('?hours=24')
    expect(day.runs.some((r) => r.name === 'old')).toBe(false)
    const two = await exportRuns('?hours=72&limit=1')
    expect(two.traces).toBe(1)
    expect(two.next_offset).toBe(1)
    const next = await exportRuns('?hours=72&limit=1&offset=1')
    expect(next.runs[0]?.name).toBe('old')
    const end = await exportRuns('?hours=72&limit=1&offset=2')
    expect(end).toEqual({ runs: [], count: 0, traces: 0, next_offset: null })
  })

  test('bad parameters are 400 naming the parameter; trace_ids capped at 100 (100 ok, 101 refused)', async () => {
    const get = (q: string) =>
      rt.fetch(`/v1/llm/export/langsmith${q}`, { headers: { authorization: `Bearer ${read}` } })
    for (const q of ['?hours=0', '?hours=721', '?limit=1001', '?trace_ids=,,']) {
      const res = await get(q)
      expect(res.status).toBe(400)
    }
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`).join(',')
    expect((await get(`?trace_ids=${ids(100)}`)).status).toBe(200)
    const over = await get(`?trace_ids=${ids(101)}`)
    expect(over.status).toBe(400)
    expect((await over.json()).field).toBe('trace_ids')
  })

  test("the langsmith Python package's pydantic models accept every run", async () => {
    const res = await rt.fetch('/v1/llm/export/langsmith?hours=72', {
      headers: { authorization: `Bearer ${read}` },
    })
    const text = await res.text()
    const python = process.env.BLOOP_TEST_PYTHON ?? join(REPO, '.venv-ci', 'bin', 'python')
    const proc = Bun.spawn([python, join(REPO, 'test/fixtures/langsmith_validate.py')], {
      stdin: new TextEncoder().encode(text),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await proc.exited
    const out = (await new Response(proc.stdout).text()).trim()
    const err = await new Response(proc.stderr).text()
    expect({ code, out, err: code === 0 ? '' : err.slice(-1500) }).toEqual({
      code: 0,
      out: String(JSON.parse(text).runs.length),
      err: '',
    })
  })

  test('uuidv5 matches the RFC 9562 test vector', () => {
    // RFC 9562 appendix A.4: the DNS namespace and "www.example.com".
    const dns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex')
    expect(uuidv5('www.example.com', dns)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2')
  })
})
