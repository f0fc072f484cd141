/**
 * The hostile-map benchmark's client, run as its own process (pinned to its own core):
 *
 *   bun bench/sourcemaps.hostile.load.ts <url> <secret> <token> <ingest/s> <baseline secs> <after secs>
 *
 * Phase "baseline": `baseline secs` of health checks and ingest only. Phase "upload": the
 * hostile map (test/sourcemaps.helpers.ts) is uploaded, and the same probes run until it is
 * answered and `after secs` more. Health is a closed loop (the next check 10 ms after the
 * previous answer), so its longest latency is the longest stall; ingest is an open loop at
 * a fixed rate, each latency counted from when the request was due (no coordinated
 * omission). Nothing is aborted: a frozen server shows its whole freeze. Prints one JSON line.
 */
import { createHmac } from 'node:crypto'
import { hostileMap } from '../test/sourcemaps.helpers'
import { percentile } from './lib'

const [url, secret, token, rateArg, baselineArg, afterArg] = process.argv.slice(2)
if (!url || !secret || !token || !rateArg || !baselineArg || !afterArg) {
  console.error(
    'usage: bun bench/sourcemaps.hostile.load.ts <url> <secret> <token> <ingest/s> <baseline s> <after s>',
  )
  process.exit(2)
}
const rate = Number(rateArg)
const bodies = Array.from({ length: 256 }, (_, i) => {
  const body = JSON.stringify({
    source: 'web',
    environment: 'production',
    release: '2.4.1',
    error_type: 'TypeError',
    message: `Cannot read properties of undefined (reading 'item${i % 17}')`,
    stack: `TypeError: x\n    at fn (https://cdn.example.com/assets/app.min.js:1:${1000 + i})`,
  })
  return { body, signature: createHmac('sha256', secret).update(body).digest('hex') }
})

interface Window {
  health: number[]
  ingest: number[]
  ingestFailed: number
}

async function probe(until: Promise<unknown>): Promise<Window> {
  const w: Window = { health: [], ingest: [], ingestFailed: 0 }
  let done = false
  until.finally(() => {
    done = true
  })
  const health = (async () => {
    while (!done) {
      const t = performance.now()
      const res = await fetch(`${url}/health`)
      await res.arrayBuffer()
      w.health.push(performance.now() - t)
      await Bun.sleep(10)
    }
  })()
  const sends: Promise<void>[] = []
  const started = performance.now()
  for (let i = 0; !done; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await Promise.race([Bun.sleep(wait), until])
    if (done) break
    const b = bodies[i % bodies.length] as { body: string; signature: string }
    sends.push(
      fetch(`${url}/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': b.signature },
        body: b.body,
      }).then(
        async (res) => {
          await res.arrayBuffer()
          if (res.status === 200) w.ingest.push(performance.now() - due)
          else w.ingestFailed++
        },
        () => {
          w.ingestFailed++
        },
      ),
    )
  }
  await Promise.all([health, ...sends])
  return w
}

const summary = (w: Window) => {
  const h = [...w.health].sort((a, b) => a - b)
  const i = [...w.ingest].sort((a, b) => a - b)
  const r = (n: number) => Math.round(n * 10) / 10
  return {
    health_checks: h.length,
    health_p99_ms: r(percentile(h, 99)),
    health_max_ms: r(h.at(-1) ?? 0),
    acks: i.length,
    ack_failures: w.ingestFailed,
    ack_p50_ms: r(percentile(i, 50)),
    ack_p99_ms: r(percentile(i, 99)),
    ack_max_ms: r(i.at(-1) ?? 0),
  }
}

const map = hostileMap()
const baseline = await probe(Bun.sleep(Number(baselineArg) * 1000))
let upload: { status: number; ms: number; error: string } = { status: 0, ms: 0, error: '' }
const during = await probe(
  (async () => {
    const form = new FormData()
    form.set('release', 'hostile')
    form.set('file', new File([map], 'app.js.map'))
    const t = performance.now()
    const res = await fetch(`${url}/v1/projects/default/sourcemaps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    const body = (await res.json().catch(() => ({}))) as { error?: string }
    upload = { status: res.status, ms: Math.round(performance.now() - t), error: body.error ?? '' }
    await Bun.sleep(Number(afterArg) * 1000)
  })(),
)
console.log(JSON.stringify({ baseline: summary(baseline), upload, during: summary(during) }))
