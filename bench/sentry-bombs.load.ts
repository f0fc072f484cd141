/**
 * Load generator for bench/sentry-bombs.bench.ts, in its own process (pinned to the other
 * core) so the server's memory and latency are its own.
 *
 *   bun bench/sentry-bombs.load.ts <base url> <path> <count> <bomb file>
 *
 * Posts `count` copies of the bomb to `path` at once, with no credentials, while asking
 * GET /health every 20 ms until the last bomb is answered. Prints one JSON line: the
 * answers by status, the seconds the flood took and the /health latencies.
 *
 * `count` concurrent GET /health go first, so that connections are open and the server's
 * code is warm: the first round of that many requests to a fresh server takes ~60 ms
 * whatever they ask for, which is not what this measures.
 */
import { readFileSync } from 'node:fs'
import { percentile } from './lib'

const [base, path, countRaw, bombFile] = process.argv.slice(2) as string[]
const bomb = readFileSync(bombFile as string)
const count = Number(countRaw)

await Promise.all(
  Array.from({ length: count }, async () => {
    await (await fetch(`${base}/health`)).arrayBuffer()
  }),
)

const statuses: Record<string, number> = {}
const health: number[] = []
let flooding = true
const poll = (async () => {
  while (flooding) {
    const t = performance.now()
    const res = await fetch(`${base}/health`)
    await res.arrayBuffer()
    health.push(performance.now() - t)
    await Bun.sleep(20)
  }
})()

const started = performance.now()
await Promise.all(
  Array.from({ length: count }, async () => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      body: bomb,
      headers: { 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'br' },
    })
    await res.arrayBuffer()
    statuses[res.status] = (statuses[res.status] ?? 0) + 1
  }),
)
const seconds = (performance.now() - started) / 1000
flooding = false
await poll
health.sort((a, b) => a - b)
const ms = (v: number) => Math.round(v * 10) / 10
console.log(
  JSON.stringify({
    statuses,
    seconds: Math.round(seconds * 100) / 100,
    health: {
      n: health.length,
      p50: ms(percentile(health, 50)),
      p99: ms(percentile(health, 99)),
      max: ms(health.at(-1) ?? 0),
    },
  }),
)
