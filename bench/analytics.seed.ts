/**
 * The events of the analytics benchmarks (bench/analytics.bench.ts and
 * bench/analytics-postgres.bench.ts): N events in 10,000 issues, Zipf (s = 1) over the
 * issues, uniform over 30 days up to `now`, 3 environments, 4 sources, a release every 3
 * days, from a fixed seed so every run loads the same data, through the real queue and
 * writer of a runtime on `dbPath` (analytics off).
 */
import { testConfig } from '../src/config/load'
import type { NormalizedEvent } from '../src/errors/event'
import { mulberry32 } from '../src/llm/experiments/random'
import type { Logger } from '../src/ops/log'
import { buildRuntime } from '../src/server'
import { zipf } from './lib'

export const ISSUES = 10_000
export const DAYS = 30
const H = 3_600_000

/** Loads `events` events into the database at `dbPath`; answers the milliseconds it took. */
export async function loadAnalyticsEvents(opts: {
  dbPath: string
  secret: string
  events: number
  now: number
  log: Logger
}): Promise<number> {
  const { events, now } = opts
  const config = testConfig({
    database: { path: opts.dbPath },
    auth: { hmac_secret: opts.secret },
    analytics: { enabled: false },
  })
  const rt = await buildRuntime(config, { log: opts.log, now: () => now })
  const rand = mulberry32(7)
  // Zipf (s = 1) over the issues: a few loud ones, a long quiet tail.
  const issue = zipf(ISSUES, rand)
  const start = now - DAYS * 24 * H
  const envs = [
    'production',
    'production',
    'production',
    'production',
    'production',
    'production',
    'production',
    'staging',
    'staging',
    'development',
  ]
  const started = performance.now()
  for (let done = 0; done < events; ) {
    const batch: NormalizedEvent[] = []
    for (let i = 0; i < 2000 && done < events; i++, done++) {
      const t = start + Math.floor(rand() * (now - start))
      const k = issue()
      batch.push({
        project_id: 'default',
        fingerprint: `issue-${k}`,
        timestamp: t,
        received_at: t,
        source: ['api', 'web', 'ios', 'android'][k % 4] as string,
        environment: envs[Math.floor(rand() * envs.length)] as string,
        release: `2026.${Math.floor((t - start) / (3 * 24 * H))}`,
        app_version: null,
        build_number: null,
        route_or_procedure: `/route/${k % 50}`,
        screen: null,
        error_type: `Error${k % 97}`,
        message: `failure number ${k}`,
        stack: null,
        http_status: 500,
        request_id: null,
        user_id_hash: null,
        device_id_hash: null,
        metadata: null,
        event_id: null,
        level: 'error',
      })
    }
    const ack = rt.features.errors.queue.submit(batch)
    if (ack === 'full') throw new Error('expected the queue to take the batch')
    await ack
  }
  await rt.close()
  return performance.now() - started
}
