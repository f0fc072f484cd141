/**
 * The relay and the event splitter on their own: the recorded streams cut at every
 * chunk size from 1 byte up, so boundaries fall inside events, inside `data:` lines and
 * inside multi-byte UTF-8 characters; what the client gets and what is captured must
 * not depend on where the cuts are.
 */
import { describe, expect, test } from 'bun:test'
import { anthropicCapture } from '../../src/llm/proxy/providers/anthropic'
import { openaiCapture } from '../../src/llm/proxy/providers/openai'
import { EventSplitter, mayBeUsageChunk, relay } from '../../src/llm/proxy/relay'
import { fixture } from '../llm.proxy.fake'

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close()
      c.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

async function run(
  name: string,
  size: number,
  o: { filter: boolean; anthropic?: boolean; op?: 'chat' | 'responses' },
) {
  const capture = o.anthropic ? anthropicCapture() : openaiCapture(o.op ?? 'chat', o.filter)
  const r = relay({
    body: chunked(fixture(name), size),
    sse: true,
    filter: o.filter,
    capture,
    collectLimit: 0,
    idleMs: 5_000,
    abort: () => {},
    clock: () => performance.now(),
  })
  const text = await new Response(r.stream).text()
  const end = await r.ended
  return { text, end, result: capture.result() }
}

const decoder = new TextDecoder()
/** Whether cutting at `size` splits some multi-byte character of the fixture. */
function splitsACharacter(bytes: Uint8Array, size: number): boolean {
  for (let at = size; at < bytes.length; at += size) if (((bytes[at] as number) & 0xc0) === 0x80) return true
  return false
}

describe('relay', () => {
  const chat = fixture('openai-chat-stream-usage.sse')
  const sizes = Array.from({ length: 64 }, (_, i) => i + 1)

  test('the cuts exercised include some inside a UTF-8 character', () => {
    expect(sizes.filter((n) => splitsACharacter(chat, n)).length).toBeGreaterThanOrEqual(5)
  })

  test('a chat stream passes unchanged and is captured the same at every chunk size', async () => {
    for (const size of sizes) {
      const { text, end, result } = await run('openai-chat-stream-usage.sse', size, { filter: false })
      expect(text).toBe(decoder.decode(chat))
      expect(end.reason).toBe('complete')
      expect(result).toMatchObject({
        output: 'Bonjour, café ☕ — prêt ?',
        complete: true,
        error: null,
        usage: { ok: true, usage: { input_tokens: 1000, output_tokens: 50, cache_read_tokens: 200 } },
      })
    }
  })

  test('with the usage chunk removed, every other byte still passes, at every chunk size', async () => {
    const events = decoder.decode(chat).split('\n\n')
    const expected = events.filter((e) => !e.includes('"choices":[]')).join('\n\n')
    for (const size of sizes) {
      const { text, result } = await run('openai-chat-stream-usage.sse', size, { filter: true })
      expect(text).toBe(expected)
      expect(result.usage).toMatchObject({ ok: true, usage: { input_tokens: 1000 } })
    }
  })

  test('Anthropic and Responses streams are captured the same at every chunk size', async () => {
    for (const size of [1, 2, 3, 5, 7, 13, 64, 4096]) {
      const a = await run('anthropic-messages-stream.sse', size, { filter: false, anthropic: true })
      expect(a.text).toBe(decoder.decode(fixture('anthropic-messages-stream.sse')))
      expect(a.result.usage).toMatchObject({ ok: true, usage: { input_tokens: 1300, output_tokens: 300 } })
      expect(a.result.complete).toBe(true)
      const r = await run('openai-responses-stream.sse', size, { filter: false, op: 'responses' })
      expect(r.result).toMatchObject({ output: 'Hi there, ünïcödé 🦄!', complete: true })
    }
  })

  test('the first content event sets the time to first token, never before the first byte', async () => {
    const { end } = await run('openai-chat-stream-usage.sse', 4096, { filter: false })
    expect(end.firstContentAt).not.toBeNull()
    expect(end.firstByteAt as number).toBeLessThanOrEqual(end.firstContentAt as number)
  })
})

describe('the idle timeout', () => {
  const paced = (chunks: string[], gapMs: number) => {
    const enc = new TextEncoder()
    let i = 0
    return new ReadableStream<Uint8Array>(
      {
        async pull(c) {
          if (i > 0) await Bun.sleep(gapMs)
          const next = chunks[i++]
          if (next === undefined) c.close()
          else c.enqueue(enc.encode(next))
        },
        // Pulled only when read, like a socket: the gap starts when the relay asks.
      },
      { highWaterMark: 0 },
    )
  }
  const start = (body: ReadableStream<Uint8Array>, aborted: string[]) =>
    relay({
      body,
      sse: false,
      filter: false,
      capture: null,
      collectLimit: 1 << 20,
      idleMs: 100,
      abort: (reason) => aborted.push(reason),
      clock: () => performance.now(),
    })

  test('counts only the wait for the upstream: a client slower than idleMs is not an idle upstream', async () => {
    const aborted: string[] = []
    const r = start(paced(['a', 'b', 'c', 'd'], 60), aborted)
    const reader = (r.stream as ReadableStream<Uint8Array>).getReader()
    let text = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
      await Bun.sleep(70)
    }
    expect(text).toBe('abcd')
    expect((await r.ended).reason).toBe('complete')
    expect(aborted).toEqual([])
  })

  test('an upstream silent for idleMs ends the stream with an error and aborts the request', async () => {
    const aborted: string[] = []
    const r = start(paced(['a', 'b'], 250), aborted)
    const read = await new Response(r.stream).text().then(
      () => 'ended',
      () => 'failed',
    )
    expect(read).toBe('failed')
    expect(await r.ended).toMatchObject({
      reason: 'idle_timeout',
      detail: 'the upstream sent nothing for 0.1 s',
    })
    expect(aborted.length).toBe(1)
  })
})

describe('EventSplitter', () => {
  const enc = new TextEncoder()
  const split = (parts: string[]) => {
    const s = new EventSplitter()
    const out = parts.flatMap((p) => s.push(enc.encode(p)).map((e) => decoder.decode(e)))
    const rest = s.rest()
    return { out, rest: rest ? decoder.decode(rest) : null }
  }

  test('cuts at blank lines with LF, CRLF and CR line ends, across pushes', () => {
    expect(split(['data: a\n\nda', 'ta: b\n', '\n'])).toEqual({
      out: ['data: a\n\n', 'data: b\n\n'],
      rest: null,
    })
    expect(split(['data: a\r\n\r\ndata: b\r', '\n\r', '\n'])).toEqual({
      out: ['data: a\r\n\r\n', 'data: b\r\n\r\n'],
      rest: null,
    })
    expect(split(['data: a\r\rdata: b'])).toEqual({ out: ['data: a\r\r'], rest: 'data: b' })
  })
})

describe('mayBeUsageChunk', () => {
  const enc = new TextEncoder()
  const may = (s: string) => mayBeUsageChunk(enc.encode(s))

  test('says no for a chunk whose usage is null, with or without spaces, and for one without usage', () => {
    expect(may('data: {"choices":[{"delta":{"content":"Hi"}}],"usage":null}\n\n')).toBe(false)
    expect(may('data: {"choices":[],"usage" :\t null }\n\n')).toBe(false)
    expect(may('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n')).toBe(false)
    expect(may('data: [DONE]\n\n')).toBe(false)
    expect(may('')).toBe(false)
  })

  test('says maybe for a usage object, for "usage" as a value, and for a cut-off usage member', () => {
    expect(may('data: {"choices":[],"usage":{"prompt_tokens":9}}\n\n')).toBe(true)
    expect(may('data: {"choices":[],"usage": {"total_tokens":1}}\n\n')).toBe(true)
    expect(may('data: {"choices":[{"delta":{"content":"usage"}}],"usage":null}\n\n')).toBe(true)
    expect(may('data: {"usage":nul')).toBe(true)
    expect(may('data: {"usage"')).toBe(true)
  })

  test('says maybe when a later usage is not null, even after a null one', () => {
    expect(may('data: {"usage":null,"x":{"usage":{"a":1}}}\n\n')).toBe(true)
  })
})
