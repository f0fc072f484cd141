/**
 * The official Python SDK, `bloop-sdk` from PyPI (pinned in test/requirements.txt), in a
 * child Python process against a real bloop server: `capture` with single and batched
 * flushes, `trace`/`span` context managers (an exception marks both as errors), and its
 * `wrap_openai` around the real Python `openai` client calling a fake provider that
 * replays recorded responses. Everything it sends is read back through the API.
 *
 * The interpreter is BLOOP_TEST_PYTHON, else the repository's .venv-ci (made by
 * `npm test`'s pretest step); without one the tests fail and say how to make it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fakeUpstream, type Upstream } from '../../sdk/js/test/upstream'
import { tempDir } from '../helpers'
import { type SdkServer, sdkServer } from '../sdk.helpers'
import type { Sample } from '../sentry.helpers'

const PYTHON = process.env.BLOOP_TEST_PYTHON ?? join(import.meta.dir, '..', '..', '.venv-ci', 'bin', 'python')
const APP = join(import.meta.dir, '..', 'fixtures', 'bloop_python_app.py')

let dir: string
let server: SdkServer
let up: Upstream

beforeAll(async () => {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `no Python at ${PYTHON}: run \`npm test\` (its pretest makes .venv-ci from test/requirements.txt) or set BLOOP_TEST_PYTHON`,
    )
  }
  dir = tempDir('bloop-sdk-python-')
  server = await sdkServer(dir, { llm_tracing: { default_content_storage: 'full' } })
  up = fakeUpstream(50)
}, 60_000)

afterAll(async () => {
  up?.stop()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function python(mode: string): Promise<Record<string, string>> {
  const child = Bun.spawn([PYTHON, APP, mode], {
    env: {
      PATH: process.env.PATH ?? '',
      BLOOP_URL: server.url,
      BLOOP_KEY: server.projectKey,
      UPSTREAM_URL: up.url,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (code !== 0) throw new Error(`python ${mode} exited ${code}: ${err}`)
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

interface Detail {
  name: string
  status: string
  session_id: string | null
  user_id: string | null
  prompt_name: string | null
  prompt_version: string | null
  input: string | null
  total_tokens: number | null
  cost_micros: number | null
  spans: {
    id: string
    name: string
    status: string
    error_message: string | null
    parent_span_id: string | null
    model: string | null
    input_tokens: number | null
    output_tokens: number | null
    cost_micros: number | null
    cost_source: string
    output: string | null
    time_to_first_token_ms: number | null
  }[]
}
const trace = async (id: string) => {
  const res = await server.get(`/v1/llm/traces/${id}`)
  expect(res.status).toBe(200)
  return (await res.json()) as Detail
}

describe('the official Python SDK (bloop-sdk) against bloop', () => {
  test('capture: a single flush and a batched flush are stored and read back', async () => {
    await python('errors')
    const single = await server.issue('ValueError')
    expect(single.message).toBe("invalid literal for int() with base 10: 'x'")
    expect(single.source).toBe('python')
    expect(single.route_or_procedure).toBe('/import')
    expect(single.releases).toEqual(['py@1.0.0'])
    expect(single.environments).toEqual(['ci'])
    const sample = single.samples[0] as Sample
    expect(sample.metadata).toEqual({ row: 3 })
    expect(sample.stack?.split('\n')[0]).toBe('Traceback (most recent call last):')
    const batch = await server.issue('KeyError')
    expect(batch.total_count).toBe(3)
  })

  test('trace and span context managers: usage, client cost, nesting and errors', async () => {
    const ids = await python('traces')
    const chat = await trace(ids.chat as string)
    expect([chat.name, chat.status, chat.session_id, chat.user_id]).toEqual([
      'py-chat',
      'completed',
      'py-sess',
      'py-user',
    ])
    expect([chat.prompt_name, chat.prompt_version, chat.input]).toEqual(['triage', '1.2.0', 'hello'])
    const draft = chat.spans.find((s) => s.name === 'draft')
    expect([draft?.model, draft?.input_tokens, draft?.output_tokens, draft?.output]).toEqual([
      'gpt-4o',
      100,
      50,
      'hi there',
    ])
    expect([draft?.cost_micros, draft?.cost_source]).toEqual([2500, 'client'])
    const step = chat.spans.find((s) => s.name === 'agent-step')
    expect(chat.spans.find((s) => s.name === 'lookup')?.parent_span_id).toBe(step?.id as string)
    const fail = await trace(ids.fail as string)
    expect(fail.status).toBe('error')
    expect(fail.spans.map((s) => [s.name, s.status, s.error_message])).toEqual([
      ['explode', 'error', 'tool crashed'],
    ])
  })

  test('wrap_openai around the Python openai client records real usage; its cost 0 is priced by the server', async () => {
    const out = await python('openai')
    expect(out.content).toBe('Your order ships on Tuesday.')
    expect(out.streamed).toBe('Refund approved.')
    const list = (await (await server.get('/v1/llm/traces?hours=24&limit=50')).json()) as {
      traces: { id: string; name: string }[]
    }
    // The SDK names a trace "<provider>/<model>", the provider being the first label of a
    // host it does not know: "127" for the loopback fake provider.
    const plain = list.traces.find((t) => t.name === '127/gpt-4o')
    const streamed = list.traces.find((t) => t.name === '127/gpt-4o-mini')
    const a = (await trace(plain?.id as string)).spans[0]
    // The SDK sends cost 0 for every call; with tokens, bloop reads that as "price it".
    expect([a?.model, a?.input_tokens, a?.output_tokens, a?.cost_source]).toEqual([
      'gpt-4o-2024-08-06',
      1200,
      80,
      'table',
    ])
    expect(a?.cost_micros as number).toBeGreaterThan(0)
    const b = (await trace(streamed?.id as string)).spans[0]
    expect([b?.input_tokens, b?.output_tokens]).toEqual([52, 3])
    // bloop-sdk 0.3.0 measures TTFT but its set_latency() then resets it to None, so a
    // stream arrives without one: recorded as unknown, which is what was sent.
    expect(b?.time_to_first_token_ms).toBeNull()
  })
})
