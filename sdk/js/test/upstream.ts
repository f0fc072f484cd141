/**
 * A fake LLM provider on loopback that replays recorded OpenAI and Anthropic responses
 * byte for byte (test/fixtures): JSON for plain calls, server-sent events for streams,
 * with `firstChunkDelayMs` before the first event so time-to-first-token is measurable.
 * Requests are recorded so tests can check what the real client sent upstream.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const FIXTURES = join(import.meta.dir, 'fixtures')
export const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')

export interface Upstream {
  url: string
  requests: { path: string; body: Record<string, unknown>; headers: Headers }[]
  stop(): void
}

export function fakeUpstream(firstChunkDelayMs = 120): Upstream {
  const requests: Upstream['requests'] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname
      const body = (await req.json()) as Record<string, unknown>
      requests.push({ path, body, headers: req.headers })
      const stream = body.stream === true
      const headers = { 'x-request-id': 'req_fake_1' }
      if (path.startsWith('/missing/')) {
        return Response.json(
          { error: { message: `no fixture for ${path}`, type: 'invalid_request_error' } },
          { status: 404 },
        )
      }
      if (path.endsWith('/chat/completions')) {
        if (!stream)
          return new Response(fixture('openai-chat.json'), {
            headers: { ...headers, 'content-type': 'application/json' },
          })
        // OpenAI sends the usage chunk (empty choices) only when the client asks for it.
        const wantsUsage =
          (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
        const events = fixture('openai-chat-stream.sse')
          .split('\n\n')
          .filter((e) => wantsUsage || !e.includes('"choices":[]'))
          .map((e) => (wantsUsage ? e : e.replace(',"usage":null', '')))
        return sse(events.join('\n\n'), firstChunkDelayMs, headers)
      }
      if (path.endsWith('/messages')) {
        if (!stream)
          return new Response(fixture('anthropic-message.json'), {
            headers: { ...headers, 'content-type': 'application/json' },
          })
        return sse(fixture('anthropic-stream.sse'), firstChunkDelayMs, headers)
      }
      if (path.endsWith('/embeddings')) {
        return Response.json({
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, 0.015797347] }],
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 8, total_tokens: 8 },
        })
      }
      return Response.json({ error: { message: `no fixture for ${path}` } }, { status: 404 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) }
}

/** Streams the recorded events one by one, the first after a delay. */
function sse(text: string, delayMs: number, headers: Record<string, string>): Response {
  const events = text
    .split('\n\n')
    .filter((e) => e.trim() !== '')
    .map((e) => `${e}\n\n`)
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      await Bun.sleep(delayMs)
      for (const e of events) {
        controller.enqueue(encoder.encode(e))
        await Bun.sleep(5)
      }
      controller.close()
    },
  })
  return new Response(body, {
    headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}
