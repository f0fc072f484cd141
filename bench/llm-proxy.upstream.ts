/**
 * The benchmark's fake OpenAI: every answer starts after a fixed delay (`--delay`, ms),
 * like a model's time to first token. A chat completion replays the recorded JSON; a
 * streamed one the recorded event stream (with usage), one event every `--gap` ms.
 * Prints bloop's "listening" line shape so bench/lib.ts startPinned can read the port.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { delay: { type: 'string', default: '50' }, gap: { type: 'string', default: '2' } },
})
const delay = Number(values.delay)
const gap = Number(values.gap)
const dir = join(import.meta.dir, '../test/fixtures/llm-proxy')
const json = readFileSync(join(dir, 'openai-chat.json'))
const enc = new TextEncoder()
const events = readFileSync(join(dir, 'openai-chat-stream-usage.sse'), 'utf8')
  .split('\n\n')
  .filter((e) => e !== '')
  .map((e) => enc.encode(`${e}\n\n`))

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  idleTimeout: 60,
  async fetch(req) {
    const body = (await req.json()) as { stream?: boolean }
    await Bun.sleep(delay)
    if (!body.stream) return new Response(json, { headers: { 'content-type': 'application/json' } })
    let i = 0
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          if (i > 0) await Bun.sleep(gap)
          const e = events[i++]
          if (e) c.enqueue(e)
          else c.close()
        },
      }),
      { headers: { 'content-type': 'text/event-stream; charset=utf-8' } },
    )
  },
})
console.log(JSON.stringify({ msg: 'listening', port: server.port }))
