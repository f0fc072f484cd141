/**
 * The proxy benchmark's load generator, its own process (pinned by the caller). Sends chat
 * completions to `--url` (bloop's proxy or the upstream directly): open loop at `--rate`
 * per second (latency from the scheduled time, so a stall is not hidden), or closed loop
 * with `--connections` workers when no rate is given. `--stream` reads each event stream
 * to its end.
 *
 * Prints one JSON line: counts, rate, and latency percentiles (ms) of the first byte, of
 * the first token as a client sees it (the first chunk holding a non-empty content delta;
 * the first byte for a non-streamed answer), of the whole answer, and of bloop's own
 * X-Bloop-Overhead-Ms when present; plus this process's CPU seconds, so the caller can
 * tell whether the load side itself ran out of core.
 */
import { parseArgs } from 'node:util'
import { percentile } from './lib'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rate: { type: 'string' },
    stream: { type: 'boolean', default: false },
    /** The client asks for usage itself: the proxy then forwards chunks as they come. */
    'include-usage': { type: 'boolean', default: false },
    key: { type: 'string', default: '' },
    /**
     * Closed loop only: each connection starts after a random wait of up to this many ms,
     * so equal-length streams do not answer in step (bursts of every stream's chunks at once).
     */
    stagger: { type: 'string', default: '0' },
  },
})
const seconds = Number(values.seconds)
const connections = Number(values.connections)
const body = JSON.stringify({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hello?' }],
  ...(values.stream ? { stream: true } : {}),
  ...(values['include-usage'] ? { stream_options: { include_usage: true } } : {}),
})
const headers: Record<string, string> = {
  'content-type': 'application/json',
  authorization: 'Bearer sk-bench-provider-key',
  ...(values.key ? { 'x-bloop-key': values.key } : {}),
}
const total: number[] = []
const firstByte: number[] = []
const firstToken: number[] = []
const overhead: number[] = []
const errors: Record<string, number> = {}
let ok = 0

// A content delta with text: `"content":"` followed by anything but the closing quote. The
// fixture's first event is the role with an empty content, as OpenAI sends it.
const CONTENT = /"content":"[^"]/
const decoder = new TextDecoder()

async function send(at: number): Promise<void> {
  const res = await fetch(values.url as string, { method: 'POST', headers, body })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  let first = true
  let token = !values.stream
  for (;;) {
    const { done, value } = await reader.read()
    const now = performance.now()
    if (first) {
      firstByte.push(now - at)
      if (token) firstToken.push(now - at)
      first = false
    }
    if (done) break
    if (!token && CONTENT.test(decoder.decode(value))) {
      firstToken.push(now - at)
      token = true
    }
  }
  total.push(performance.now() - at)
  const o = res.headers.get('x-bloop-overhead-ms')
  if (o !== null) overhead.push(Number(o))
  if (res.status === 200) ok++
  else errors[res.status] = (errors[res.status] ?? 0) + 1
}

const fail = (e: { code?: string; message?: string }) => {
  const k = String(e.code ?? e.message)
  errors[k] = (errors[k] ?? 0) + 1
}
const cpu0 = process.cpuUsage()
const started = performance.now()
const deadline = started + seconds * 1000
if (values.rate) {
  const interval = 1000 / Number(values.rate)
  let scheduled = started
  const inflight = new Set<Promise<void>>()
  while (scheduled < deadline) {
    const now = performance.now()
    if (scheduled > now) await Bun.sleep(Math.max(0, scheduled - now))
    const p: Promise<void> = send(scheduled)
      .catch(fail)
      .then(() => {
        inflight.delete(p)
      })
    inflight.add(p)
    scheduled += interval
    while (inflight.size >= connections) await Promise.race(inflight)
  }
  await Promise.all(inflight)
} else {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const stagger = Number(values.stagger)
      if (stagger > 0) await Bun.sleep(Math.random() * stagger)
      while (performance.now() < deadline) await send(performance.now()).catch(fail)
    }),
  )
}
const elapsed = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpu0)
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? 0 }
}
console.log(
  JSON.stringify({
    requests: total.length,
    ok,
    errors,
    seconds: elapsed,
    rps: ok / elapsed,
    total: stats(total),
    first_byte: stats(firstByte),
    first_token: stats(firstToken),
    overhead: stats(overhead),
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
  }),
)
