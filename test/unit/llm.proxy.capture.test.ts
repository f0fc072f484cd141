/**
 * What a proxied call's capture keeps while its stream runs: generated text within the
 * content cap (stored exactly as the trace contract would store the whole text), and
 * nothing when the project's content policy stores no content.
 */
import { describe, expect, test } from 'bun:test'
import { parseTrace, truncateContent } from '../../src/llm/ingest/contract'
import { ContentBudget } from '../../src/llm/proxy/capture'
import { anthropicCapture, prepareAnthropic } from '../../src/llm/proxy/providers/anthropic'
import { openaiCapture, prepareOpenAI } from '../../src/llm/proxy/providers/openai'
import { fixture } from '../llm.proxy.fake'

const chunk = (content: string) =>
  JSON.stringify({ model: 'gpt-4o', choices: [{ index: 0, delta: { content }, finish_reason: null }] })
const feed = (budget: ContentBudget, deltas: string[]) => {
  const c = openaiCapture('chat', false, budget)
  for (const d of deltas) c.event({ data: chunk(d) })
  c.event({ data: '[DONE]' })
  return c.result()
}

describe('the content budget of a capture', () => {
  test('keeps a completion within the cap whole', () => {
    expect(feed(new ContentBudget(64), ['Hello', ', ', 'world'])).toMatchObject({
      output: 'Hello, world',
      complete: true,
    })
  })

  test('stops keeping a completion past the cap, and stores what the contract stores for the whole text', () => {
    const deltas = Array.from({ length: 500 }, (_, i) => `tok${i} é€😀 `)
    const whole = deltas.join('')
    const cap = 1024
    const out = feed(new ContentBudget(cap), deltas).output as string
    expect(out).toBe(truncateContent(whole, cap))
    expect(out.endsWith(`…[truncated by bloop: ${new TextEncoder().encode(whole).length} bytes]`)).toBe(true)
    // The trace contract leaves it as it is: it already fits the cap with its marker.
    const parsed = parseTrace({ spans: [{ output: out }] }, {
      max_spans_per_trace: 1,
      max_content_bytes: cap,
      max_batch_size: 1,
    } as never)
    expect(parsed.ok && parsed.trace.spans[0]?.output).toBe(out)
  })

  test('a text of exactly the cap is kept; one byte more is cut', () => {
    const exact = feed(new ContentBudget(10), ['12345', '67890'])
    expect(exact.output).toBe('1234567890')
    const over = feed(new ContentBudget(10), ['12345', '67890', 'x'])
    expect(over.output).toBe(truncateContent('1234567890x', 10))
  })

  test('keeps nothing when the policy stores no content, and still reads usage, model and the end', () => {
    const c = openaiCapture('chat', false, new ContentBudget(0))
    const text = new TextDecoder().decode(fixture('openai-chat-stream-usage.sse'))
    for (const block of text.split('\n\n')) {
      const data = block.startsWith('data: ') ? block.slice(6) : null
      if (data) c.event({ data })
    }
    const r = c.result()
    expect(r.output).toBeNull()
    expect(r.complete).toBe(true)
    expect(r.model).toStartWith('gpt-4o')
    expect(r.usage.ok).toBe(true)
  })

  test('an Anthropic stream keeps no text or tool input at a budget of 0', () => {
    const c = anthropicCapture(new ContentBudget(0))
    const text = new TextDecoder().decode(fixture('anthropic-messages-stream.sse'))
    for (const block of text.split('\n\n')) {
      const data = block.split('\n').find((l) => l.startsWith('data: '))
      if (data) c.event({ data: data.slice(6) })
    }
    const r = c.result()
    expect(r.output).toBeNull()
    expect(r.complete).toBe(true)
    expect(r.usage.ok).toBe(true)
  })
})

describe('the prompt of a proxied call', () => {
  const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'secret prompt' }] })
  const bytes = new TextEncoder().encode(body)

  test('is kept for a project that stores content', () => {
    expect(prepareOpenAI('chat', bytes, body, true, true)?.input).toBe(
      '[{"role":"user","content":"secret prompt"}]',
    )
    expect(prepareAnthropic('messages', bytes, body, true)?.input).toBe(
      '[{"role":"user","content":"secret prompt"}]',
    )
  })

  test('is not even built for one that does not', () => {
    expect(prepareOpenAI('chat', bytes, body, true, false)?.input).toBeNull()
    expect(prepareAnthropic('messages', bytes, body, false)?.input).toBeNull()
  })
})
