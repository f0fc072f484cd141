/**
 * The events of the triage benchmarks (bench/triage.bench.ts, bench/errors-read.bench.ts):
 * ISSUES issues in the default project, three sources, a staging fifth, seven release
 * lines, forty routes, one in four messages a timeout, and per event a user (from a pool)
 * and two tags (a browser, a tenant) besides the plan in its metadata. Deterministic
 * (mulberry32(42)).
 */
import { HOUR_MS } from '../src/core/time'
import type { NormalizedEvent } from '../src/errors/event'
import { mulberry32 } from '../src/llm/experiments/random'
import { zipf } from './lib'

export const ISSUES = 10_000
export const USERS = 20_000
const BROWSERS = ['Chrome 131.0', 'Firefox 133.0', 'Safari 18.1', 'Edge 131.0', 'Chrome Headless 131.0']
const PLANS = ['free', 'pro', 'team']

export interface TriageSeed {
  zipf: boolean
  users: boolean
  /** Receive times spread evenly over this many hours before `now`. */
  hours: number
  userPool?: number
  /** Issues to spread over (ISSUES unless given). */
  issues?: number
  now: number
}

/** `n` events over ISSUES issues: uniform (`zipf: false`) or Zipf (s = 1). */
export function triageEvents(n: number, opts: TriageSeed): NormalizedEvent[] {
  const rand = mulberry32(42)
  const issues = opts.issues ?? ISSUES
  const zipfIssue = zipf(issues, rand)
  const pick = () => (opts.zipf ? zipfIssue() : Math.floor(rand() * issues))
  const out: NormalizedEvent[] = []
  for (let i = 0; i < n; i++) {
    // Every issue once first, so all ISSUES exist; then the distribution.
    const k = i < issues ? i : pick()
    const received = opts.now - Math.floor(((n - i) / n) * opts.hours * HOUR_MS)
    out.push({
      project_id: 'default',
      fingerprint: `fp${k.toString(16).padStart(6, '0')}`,
      timestamp: received,
      received_at: received,
      source: ['ios', 'android', 'web'][k % 3] as string,
      environment: k % 5 === 0 ? 'staging' : 'production',
      release: `1.${k % 7}.${i % 3}`,
      app_version: null,
      build_number: null,
      route_or_procedure: `/api/route/${k % 40}`,
      screen: null,
      error_type: `Error${k % 50}`,
      message: `${k % 4 === 0 ? 'request timeout' : 'failed'} in module ${k}`,
      stack: `Error: boom\n    at handler${k} (/srv/app/src/mod${k}.ts:10:5)`,
      http_status: null,
      request_id: null,
      user_id_hash: opts.users ? `user-${Math.floor(rand() * (opts.userPool ?? USERS))}` : null,
      device_id_hash: null,
      metadata: JSON.stringify({
        plan: PLANS[k % 3],
        tags: { browser: BROWSERS[Math.floor(rand() * BROWSERS.length)], tenant: `t${k % 50}` },
      }),
      event_id: null,
      level: null,
    })
  }
  return out
}
