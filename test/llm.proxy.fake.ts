/**
 * A fake OpenAI and Anthropic on loopback: replays the recorded wire formats in
 * test/fixtures/llm-proxy byte for byte, in small chunks (so chunk boundaries fall inside
 * SSE events and inside UTF-8 characters), and records every request it receives.
 * `x-fake-scenario` (an end-to-end header, forwarded by the proxy) picks a failure.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const DIR = join(import.meta.dir, 'fixtures/llm-proxy')
export const fixture = (name: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(readFileSync(join(DIR, name)))
export const fixtureText = (name: string) => readFileSync(join(DIR, name), 'utf8')

export interface Received {
  method: string
  /** Path and query string, as received. */
  url: string
  headers: Record<string, string>
  body: string
}

export interface FakeUpstream {
  url: string
  received: Received[]
  /** Streams the client (the proxy) stopped reading before their end, and hung requests it gave up. */
  cancelled: number
  stop(): void
}

/** Bytes per chunk: a prime, so boundaries land everywhere in the events. */
export const CHUNK = 13

export function startFakeUpstream(o: { firstByteMs?: number; chunkMs?: number } = {}): FakeUpstream {
  const state: FakeUpstream = { url: '', received: [], cancelled: 0, stop: () => {} }
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 30,
    async fetch(req) {
      const url = new URL(req.url)
      const body = req.method === 'GET' ? '' : await req.text()
      const headers: Record<string, string> = {}
      req.headers.forEach((v, k) => {
        headers[k] = v
      })
      state.received.push({ method: req.method, url: url.pathname + url.search, headers, body })
      const scenario = req.headers.get('x-fake-scenario') ?? ''
      const json = body.startsWith('{') ? (JSON.parse(body) as Record<string, unknown>) : {}
      const stream = json.stream === true
      const usage = (json.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
      const first = scenario === 'slow' ? 50 : (o.firstByteMs ?? 20)
      const gap = scenario === 'slow' ? 10 : (o.chunkMs ?? 1)
      if (scenario === 'hang') {
        req.signal.addEventListener('abort', () => state.cancelled++, { once: true })
        await Bun.sleep(5_000)
      }
      // Longer than Bun's default idle timeout (10 s) before anything is sent.
      if (scenario === 'think') await Bun.sleep(11_000)
      const path = url.pathname
      if (path === '/v1/models')
        return Response.json({ object: 'list', data: [{ id: 'gpt-4o', object: 'model' }] })
      if (path === '/v1/chat/completions') {
        if (scenario === '429')
          return raw(fixture('openai-error-429.json'), 429, {
            'content-type': 'application/json',
            'retry-after': '1',
            'x-ratelimit-remaining-tokens': '0',
          })
        if (scenario === '500')
          return raw(fixture('openai-error-500.json'), 500, { 'content-type': 'application/json' })
        if (!stream && scenario === 'gzip')
          return raw(new Uint8Array(Bun.gzipSync(fixture('openai-chat.json'))), 200, {
            ...openaiHeaders('application/json'),
            'content-encoding': 'gzip',
          })
        if (!stream) return raw(fixture('openai-chat.json'), 200, openaiHeaders('application/json'))
        const name =
          scenario === 'cut'
            ? 'openai-chat-stream-cut.sse'
            : scenario === 'malformed'
              ? 'openai-chat-stream-malformed.sse'
              : scenario === 'tools'
                ? 'openai-chat-tools-stream-usage.sse'
                : usage || scenario === 'slow' || scenario === 'silent'
                  ? 'openai-chat-stream-usage.sse'
                  : 'openai-chat-stream.sse'
        return sse(state, fixture(name), first, gap, scenario === 'silent', scenario === 'pause')
      }
      if (path === '/v1/responses')
        return stream
          ? sse(state, fixture('openai-responses-stream.sse'), first, gap)
          : raw(fixture('openai-responses.json'), 200, openaiHeaders('application/json'))
      if (path === '/v1/completions')
        return raw(fixture('openai-completions.json'), 200, openaiHeaders('application/json'))
      if (path === '/v1/embeddings')
        return raw(fixture('openai-embeddings.json'), 200, openaiHeaders('application/json'))
      if (path === '/v1/messages') {
        if (scenario === '529')
          return raw(fixture('anthropic-error-529.json'), 529, {
            'content-type': 'application/json',
            'x-should-retry': 'true',
          })
        if (!stream)
          return raw(fixture('anthropic-messages.json'), 200, {
            'content-type': 'application/json',
            'request-id': 'req_018EeWyXxfu5pfWkrYcMdjWG',
          })
        const name =
          scenario === 'error' ? 'anthropic-messages-stream-error.sse' : 'anthropic-messages-stream.sse'
        return sse(state, fixture(name), first, gap)
      }
      return Response.json({ error: { message: `fake upstream: no route ${path}` } }, { status: 404 })
    },
  })
  state.url = `http://127.0.0.1:${server.port}`
  state.stop = () => server.stop(true)
  return state
}

function openaiHeaders(type: string): Record<string, string> {
  return {
    'content-type': type,
    'x-request-id': 'req_8f4c2b7a',
    'openai-processing-ms': '412',
    'openai-version': '2020-10-01',
  }
}

function raw(bytes: Uint8Array<ArrayBuffer>, status: number, headers: Record<string, string>): Response {
  return new Response(bytes, { status, headers })
}

/**
 * The fixture in CHUNK-byte pieces, `gap` ms apart; `silent` stops after two pieces and
 * hangs; `pause` waits 11 s (longer than Bun's default idle timeout) after the first event.
 */
function sse(
  state: FakeUpstream,
  bytes: Uint8Array,
  first: number,
  gap: number,
  silent = false,
  pause = false,
): Response {
  const firstEvent = new TextDecoder().decode(bytes).indexOf('\n\n') + 2
  let at = 0
  let pieces = 0
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await Bun.sleep(at === 0 ? first : gap)
      if (silent && pieces >= 2) {
        await Bun.sleep(10_000)
        return
      }
      if (at >= bytes.length) {
        controller.close()
        return
      }
      if (pause && at === 0) {
        controller.enqueue(bytes.slice(0, firstEvent))
        at = firstEvent
        return
      }
      if (pause && at === firstEvent) await Bun.sleep(11_000)
      controller.enqueue(bytes.slice(at, at + CHUNK))
      at += CHUNK
      pieces++
    },
    cancel() {
      state.cancelled++
    },
  })
  return new Response(body, {
    headers: { ...openaiHeaders('text/event-stream; charset=utf-8'), 'cache-control': 'no-cache' },
  })
}
