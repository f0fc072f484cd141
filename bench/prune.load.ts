/**
 * The retention benchmark's ingest load generator, run as its own process (so it can be pinned to its own core):
 *
 *   bun bench/prune.load.ts max  <url> <secret> <concurrency> <seconds> <out.csv>
 *   bun bench/prune.load.ts rate <url> <secret> <requests/s>  <seconds> <out.csv>
 *
 * Each request is one signed event to POST /v1/ingest (what most SDKs send). `max` is a
 * closed loop of `concurrency` senders: the capacity. `rate` is an open loop: request i
 * is due at start + i/rate whatever happened to earlier ones, and its latency is counted
 * from when it was due, so a stalled server shows up in the figures instead of slowing
 * the generator down (no coordinated omission). Ends after `seconds` or on SIGTERM,
 * writes one line per request (`due_ms,latency_ms,status`, due as epoch ms) and a JSON
 * summary on stdout.
 */
import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'

const [mode, url, secret, amountArg, secondsArg, outFile] = process.argv.slice(2)
if ((mode !== 'max' && mode !== 'rate') || !url || !secret || !amountArg || !secondsArg || !outFile) {
  console.error(
    'usage: bun bench/prune.load.ts max|rate <url> <secret> <concurrency|rate> <seconds> <out.csv>',
  )
  process.exit(2)
}
const amount = Number(amountArg)
const seconds = Number(secondsArg)
const endpoint = `${url}/v1/ingest`
const MAX_IN_FLIGHT = 4096

// A realistic event: a 10-frame browser stack, about 1 KB.
const frames = Array.from(
  { length: 10 },
  (_, i) => `    at fn${i} (https://cdn.example.com/assets/app.4f2a9c.min.js:1:${1000 + i * 137})`,
).join('\n')
const bodies = Array.from({ length: 256 }, (_, i) => {
  const body = JSON.stringify({
    timestamp: Date.now(),
    source: 'web',
    environment: 'production',
    release: '2.4.1',
    error_type: 'TypeError',
    message: `Cannot read properties of undefined (reading 'item${i % 17}')`,
    route_or_procedure: `/checkout/step-${i % 5}`,
    stack: `TypeError: Cannot read properties of undefined\n${frames}`,
  })
  return { body, signature: createHmac('sha256', secret).update(body).digest('hex') }
})

const due: number[] = []
const latency: number[] = []
const status: number[] = []
let stopping = false
let inFlight = 0
process.on('SIGTERM', () => {
  stopping = true
})

async function send(i: number, dueAt: number): Promise<void> {
  const b = bodies[i % bodies.length] as { body: string; signature: string }
  inFlight++
  let code = 0
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': b.signature },
      body: b.body,
    })
    await res.arrayBuffer()
    code = res.status
  } catch {
    code = 0
  }
  inFlight--
  due.push(dueAt)
  latency.push(Date.now() - dueAt)
  status.push(code)
}

const started = Date.now()
const endAt = started + seconds * 1000

if (mode === 'max') {
  let next = 0
  await Promise.all(
    Array.from({ length: amount }, async () => {
      while (!stopping && Date.now() < endAt) await send(next++, Date.now())
    }),
  )
} else {
  let i = 0
  const pending: Promise<void>[] = []
  while (!stopping && Date.now() < endAt) {
    const now = Date.now()
    while (i < ((now - started) * amount) / 1000 && inFlight < MAX_IN_FLIGHT) {
      pending.push(send(i, started + (i * 1000) / amount))
      i++
    }
    if (pending.length > 10_000) await Promise.all(pending.splice(0, 5_000))
    await Bun.sleep(1)
  }
  await Promise.all(pending)
}

const elapsed = (Date.now() - started) / 1000
const lines = due.map((d, k) => `${d},${latency[k]},${status[k]}`)
writeFileSync(outFile, `${lines.join('\n')}\n`)
const ok = status.filter((s) => s === 200).length
console.log(JSON.stringify({ mode, requests: due.length, ok, seconds: elapsed, ok_per_sec: ok / elapsed }))
