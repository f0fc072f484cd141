/**
 * The official Python `openai` client (pinned in test/requirements.txt) through the proxy:
 * a plain and a streamed chat completion, what it received and what was recorded.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type FakeUpstream, startFakeUpstream } from '../llm.proxy.fake'
import { type Bloop, PROVIDER_KEY, serveBloop, spanOf } from '../llm.proxy.helpers'

const LOCAL_PYTHON = join(import.meta.dir, '../../.venv-ci/bin/python')
const python = process.env.BLOOP_TEST_PYTHON || LOCAL_PYTHON

let fake: FakeUpstream
let bloop: Bloop
beforeAll(async () => {
  fake = startFakeUpstream()
  bloop = await serveBloop(fake.url)
})
afterAll(async () => {
  await bloop.stop()
  fake.stop()
})

test('the Python openai client gets the same completion through bloop, and both calls are recorded', async () => {
  if (python.includes('/') && !existsSync(python))
    throw new Error(
      `${python} does not exist: run \`npm test\` (its pretest makes .venv-ci) or set BLOOP_TEST_PYTHON`,
    )
  const proc = Bun.spawn([python, join(import.meta.dir, '../llm.proxy_client.py')], {
    stdin: new TextEncoder().encode(
      JSON.stringify({
        base_url: `${bloop.url}/v1/proxy/openai`,
        bloop_key: bloop.key,
        api_key: PROVIDER_KEY,
      }),
    ),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`python client failed (${code}):\n${err}`)
  const seen = JSON.parse(out) as {
    plain: { content: string; trace_id: string }
    stream: { content: string; choice_counts: number[]; trace_id: string }
  }
  expect(seen.plain.content).toBe('Bonjour, café ☕ — prêt ?')
  expect(seen.stream.content).toBe('Bonjour, café ☕ — prêt ?')
  // The usage chunk the proxy asked for never reaches the client.
  expect(seen.stream.choice_counts.every((n) => n === 1)).toBe(true)
  expect(fake.received.at(-1)?.headers['user-agent']).toStartWith('OpenAI/Python')
  for (const id of [seen.plain.trace_id, seen.stream.trace_id]) {
    const span = await spanOf(bloop, id)
    expect(span).toMatchObject({ status: 'ok', input_tokens: 1000, output_tokens: 50, cost_micros: 2750 })
  }
  expect((await spanOf(bloop, seen.stream.trace_id)).time_to_first_token_ms).toBeGreaterThanOrEqual(19)
})
