/**
 * The load generator, run as its own process (pinned to its own core by the caller).
 * Closed loop by default: `connections` workers each send the next request as soon as the
 * previous answer arrives. With `--rate`, open loop: requests are scheduled at a fixed
 * total rate and latency is measured from the scheduled time (no coordinated omission).
 *
 * --url --path --seconds --connections [--rate] [--per-request=1|N] [--issues] [--key]
 * [--method=GET --token] [--kind=traces] [--users=N (events carry one of N user ids)]   Prints one JSON line: counts, rate and latency
 * percentiles (ms). `--kind=traces` sends LLM traces (bench/lib.ts benchTrace), each body
 * built and signed when sent so that every trace id is new.
 */

import { createHmac } from 'node:crypto'
import { parseArgs } from 'node:util'
import { benchTrace, percentile, SECRET, signedBodies } from './lib'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    path: { type: 'string', default: '/v1/ingest' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string' },
    'per-request': { type: 'string', default: '1' },
    issues: { type: 'string', default: '200' },
    key: { type: 'string' },
    method: { type: 'string', default: 'POST' },
    token: { type: 'string' },
    kind: { type: 'string', default: 'events' },
    users: { type: 'string', default: '0' },
  },
})
const run = `t${process.pid}-${Date.now().toString(36)}`
let traceSeq = 0
function traceBody(): { body: string; signature: string } {
  const traces = Array.from({ length: perRequest }, () => benchTrace(run, traceSeq++))
  const body = JSON.stringify(perRequest === 1 ? traces[0] : { traces })
  return {
    body,
    signature: createHmac('sha256', values.key ?? SECRET)
      .update(body)
      .digest('hex'),
  }
}
const url = `${values.url}${values.path}`
const seconds = Number(values.seconds)
const connections = Number(values.connections)
const perRequest = Number(values['per-request'])
const bodies =
  values.method === 'POST' && values.kind !== 'traces'
    ? signedBodies(2000, perRequest, Number(values.issues), values.key ?? SECRET, Number(values.users))
    : []
const latencies: number[] = []
const errors: Record<string, number> = {}
let ok = 0
let next = 0

async function send(): Promise<void> {
  let res: Response
  if (values.method === 'POST') {
    const b =
      values.kind === 'traces'
        ? traceBody()
        : (bodies[next++ % bodies.length] as { body: string; signature: string })
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-signature': b.signature }
    if (values.key) headers['x-project-key'] = values.key
    res = await fetch(url, { method: 'POST', headers, body: b.body })
  } else {
    res = await fetch(url, { headers: values.token ? { authorization: `Bearer ${values.token}` } : {} })
  }
  await res.arrayBuffer()
  if (res.status === 200) ok++
  else errors[res.status] = (errors[res.status] ?? 0) + 1
}

const started = performance.now()
const deadline = started + seconds * 1000
if (values.rate) {
  const interval = 1000 / Number(values.rate)
  let scheduled = started
  const inflight = new Set<Promise<void>>()
  while (scheduled < deadline) {
    const now = performance.now()
    if (scheduled > now) await Bun.sleep(Math.max(0, scheduled - now))
    const at = scheduled
    const p = send()
      .catch((e) => {
        errors[String(e.code ?? e.message)] = (errors[String(e.code ?? e.message)] ?? 0) + 1
      })
      .then(() => {
        latencies.push(performance.now() - at)
        inflight.delete(p)
      })
    inflight.add(p)
    scheduled += interval
    // Bound concurrency to `connections` like a real client pool.
    while (inflight.size >= connections) await Promise.race(inflight)
  }
  await Promise.all(inflight)
} else {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now()
        try {
          await send()
        } catch (e) {
          const k = String((e as { code?: string }).code ?? (e as Error).message)
          errors[k] = (errors[k] ?? 0) + 1
        }
        latencies.push(performance.now() - t)
      }
    }),
  )
}
const elapsed = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    requests: latencies.length,
    ok,
    errors,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
  }),
)
