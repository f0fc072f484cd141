/**
 * Load generator for bench/sentry.bench.ts, run in its own process so the server under
 * test does not share a CPU thread with it. Bodies are built before the clock starts.
 *
 *   bun bench/sentry.load.ts <base url> <mode> <requests> <concurrency> <sentry key> <api key>
 *
 * Modes: envelope (one Sentry error event per request), envelope-gzip (the same, gzipped
 * as the browser and Node SDKs send it), ingest (one bloop event, HMAC-signed), batch
 * (25 bloop events per signed request: what fits
 * the default 32 KB payload cap with these 1.1 KB events). Prints one JSON line.
 */
import { createHmac } from 'node:crypto'
import { gzipSync } from 'node:zlib'

const [base, mode, requestsRaw, concurrencyRaw, sentryKey, apiKey = ''] = process.argv.slice(2) as string[]
const requests = Number(requestsRaw)
const concurrency = Number(concurrencyRaw)
const BATCH = 25

function frames(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    function: `handler${i}`,
    abs_path: `https://shop.example.com/static/js/main.${i}.js`,
    filename: `/static/js/main.${i}.js`,
    lineno: 100 + i,
    colno: 12 + i,
    in_app: i > 3,
  }))
}

function sentryEvent(i: number) {
  return {
    event_id: `${i.toString(16).padStart(8, '0')}${crypto.randomUUID().replaceAll('-', '').slice(8)}`,
    timestamp: Date.now() / 1000,
    platform: 'javascript',
    level: 'error',
    release: 'shop@3.2.1',
    environment: 'production',
    sdk: { name: 'sentry.javascript.browser', version: '11.12.0' },
    request: { url: `https://shop.example.com/cart/${i % 50}`, headers: { 'User-Agent': 'Mozilla/5.0' } },
    user: { id: `user-${i % 1000}` },
    tags: { region: 'eu', plan: 'pro', feature: `f${i % 7}` },
    contexts: {
      browser: { name: 'Chrome', version: '120.0.0' },
      os: { name: 'Linux' },
      trace: { trace_id: crypto.randomUUID().replaceAll('-', ''), span_id: '1234567890abcdef' },
    },
    breadcrumbs: {
      values: Array.from({ length: 15 }, (_, b) => ({
        timestamp: Date.now() / 1000,
        category: 'ui.click',
        message: `button#checkout-${b}`,
      })),
    },
    exception: {
      values: [
        {
          type: 'TypeError',
          value: `Cannot read properties of undefined (reading 'price') #${i % 20}`,
          mechanism: { type: 'onerror', handled: false },
          stacktrace: { frames: frames(12) },
        },
      ],
    },
  }
}

function bloopEvent(i: number) {
  return {
    timestamp: Date.now(),
    source: 'web',
    environment: 'production',
    release: 'shop@3.2.1',
    error_type: 'TypeError',
    message: `Cannot read properties of undefined (reading 'price') #${i % 20}`,
    route_or_procedure: `/cart/${i % 50}`,
    stack: frames(12)
      .reverse()
      .map((f) => `    at ${f.function} (${f.abs_path}:${f.lineno}:${f.colno})`)
      .join('\n'),
    metadata: { region: 'eu', plan: 'pro' },
  }
}

interface Req {
  url: string
  body: Uint8Array | string
  headers: Record<string, string>
  events: number
}

function build(i: number): Req {
  if (mode === 'envelope' || mode === 'envelope-gzip') {
    const e = sentryEvent(i)
    const payload = JSON.stringify(e)
    const text = `${JSON.stringify({ event_id: e.event_id, sent_at: new Date().toISOString() })}\n${JSON.stringify({ type: 'event', length: Buffer.byteLength(payload) })}\n${payload}\n`
    const url = `${base}/api/1/envelope/?sentry_version=7&sentry_key=${sentryKey}`
    if (mode === 'envelope')
      return { url, body: text, headers: { 'content-type': 'text/plain;charset=UTF-8' }, events: 1 }
    return {
      url,
      body: gzipSync(text),
      headers: { 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'gzip' },
      events: 1,
    }
  }
  const body =
    mode === 'batch'
      ? JSON.stringify({ events: Array.from({ length: BATCH }, (_, k) => bloopEvent(i * BATCH + k)) })
      : JSON.stringify(bloopEvent(i))
  return {
    url: `${base}/v1/ingest${mode === 'batch' ? '/batch' : ''}`,
    body,
    headers: {
      'content-type': 'application/json',
      'x-project-key': apiKey,
      'x-signature': createHmac('sha256', apiKey).update(body).digest('hex'),
    },
    events: mode === 'batch' ? BATCH : 1,
  }
}

const reqs = Array.from({ length: requests }, (_, i) => build(i))
const bytes = reqs.reduce(
  (n, r) => n + (typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength),
  0,
)
const latencies: number[] = []
let next = 0
let failed = 0
const started = performance.now()
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < reqs.length) {
      const r = reqs[next++] as Req
      const t = performance.now()
      const res = await fetch(r.url, { method: 'POST', body: r.body as BodyInit, headers: r.headers })
      await res.arrayBuffer()
      if (res.status !== 200) failed++
      latencies.push(performance.now() - t)
    }
  }),
)
const seconds = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const pct = (p: number) =>
  Math.round((latencies[Math.floor((latencies.length - 1) * p)] as number) * 100) / 100
const events = reqs.reduce((n, r) => n + r.events, 0)
console.log(
  JSON.stringify({
    mode,
    requests,
    events,
    failed,
    seconds: Math.round(seconds * 100) / 100,
    events_per_s: Math.round(events / seconds),
    requests_per_s: Math.round(requests / seconds),
    avg_body_bytes: Math.round(bytes / requests),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
  }),
)
