/**
 * For the analytics tests: a seeded generator of events with planted patterns (spikes,
 * correlated pairs, a bad release) and a plain, independent reference computation of
 * every statistic of docs/decisions.md ("Analytics"), written from the definitions (zero-filled series, naive
 * loops) without using src/analytics.
 */

import type { NormalizedEvent } from '../src/errors/event'
import { normalizedEvent } from './helpers'

export const H = 3_600_000
const bucket = (t: number) => Math.floor(t / H) * H

/** mulberry32: a small seeded PRNG so every run generates the same events. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function makeEvent(
  over: Partial<NormalizedEvent> & { fingerprint: string; received_at: number },
): NormalizedEvent {
  return normalizedEvent({
    timestamp: over.received_at,
    error_type: `Error_${over.fingerprint}`,
    message: `message of ${over.fingerprint}`,
    ...over,
  })
}

/**
 * About 20k events over the 200 hours before `now`, in two projects: background noise,
 * two planted spikes, a correlated pair and an anti-correlated series, and three releases
 * of which the last ("2.0.0-bad", 40 hours old) brings new fingerprints at high rates.
 */
export function generate(now: number, seed = 42): NormalizedEvent[] {
  const rand = rng(seed)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T
  const poisson = (lambda: number) => {
    let k = 0
    let p = Math.exp(-lambda)
    let s = p
    const u = rand()
    while (u > s && k < 1000) {
      k++
      p *= lambda / k
      s += p
    }
    return k
  }
  const envs = ['production', 'production', 'production', 'staging', 'development']
  const sources = ['api', 'web', 'ios']
  const releaseAt = (t: number) => (t < now - 120 * H ? '1.0.0' : t < now - 40 * H ? '1.1.0' : '2.0.0-bad')
  const events: NormalizedEvent[] = []
  const nowBucket = bucket(now)
  const add = (fingerprint: string, hourAgo: number, n: number, over: Partial<NormalizedEvent> = {}) => {
    const start = nowBucket - hourAgo * H
    // In the current hour, only times up to `now` (receive times never lie in the future).
    const span = hourAgo === 0 ? now - start + 1 : H
    for (let i = 0; i < n; i++) {
      const t = start + Math.floor(rand() * span)
      events.push(
        makeEvent({
          fingerprint,
          received_at: t,
          environment: pick(envs),
          source: pick(sources),
          release: releaseAt(t),
          ...over,
        }),
      )
    }
  }
  for (let hourAgo = 200; hourAgo >= 0; hourAgo--) {
    for (let f = 0; f < 24; f++) add(`bg-${f}`, hourAgo, poisson(0.3 + (f % 6) * 0.4))
    // Fingerprints that only the bad release has, at a high rate.
    if (hourAgo < 40) for (let f = 0; f < 4; f++) add(`bad-${f}`, hourAgo, poisson(3 + f))
    // A latent daily pattern shared by a correlated pair; a third series moves against it.
    // (one error that always comes with another, logged twice, now and then once more).
    const latent = 5 + 5 * Math.sin((2 * Math.PI * hourAgo) / 24)
    const n = poisson(latent)
    add('corr-a', hourAgo, n)
    add('corr-b', hourAgo, 2 * n + (rand() < 0.2 ? 1 : 0))
    add('anti', hourAgo, poisson(10 - latent))
    // Steady series with planted spikes.
    add('spiky-1', hourAgo, hourAgo === 10 ? 60 : poisson(2))
    add('spiky-2', hourAgo, hourAgo === 30 ? 25 : poisson(0.5))
    // A burst out of silence: the other hours are all zero (an infinite z-score).
    if (hourAgo === 5) add('burst', hourAgo, 12)
    // A second project: the default project's tokens must never see it.
    add('other-project', hourAgo, poisson(2), { project_id: 'other' })
  }
  return events
}

export interface Filter {
  projects: string[]
  environment?: string
}

const inScope = (e: NormalizedEvent, f: Filter) =>
  f.projects.includes(e.project_id) && (f.environment === undefined || e.environment === f.environment)

const keyOf = (e: { project_id: string; fingerprint: string }) => `${e.project_id}|${e.fingerprint}`

/** Zero-filled hourly series per (project, fingerprint) over the `hours` buckets ending at now. */
function seriesByIssue(events: NormalizedEvent[], f: Filter, now: number, hours: number, shift = 0) {
  const first = bucket(now) - (hours - 1 + shift) * H
  const out = new Map<string, { project_id: string; fingerprint: string; xs: number[] }>()
  for (const e of events) {
    if (!inScope(e, f)) continue
    const i = (bucket(e.received_at) - first) / H
    if (i < 0 || i >= hours) continue
    let s = out.get(keyOf(e))
    if (!s) {
      s = { project_id: e.project_id, fingerprint: e.fingerprint, xs: new Array(hours).fill(0) }
      out.set(keyOf(e), s)
    }
    s.xs[i] = (s.xs[i] as number) + 1
  }
  return { first, series: out }
}

/**
 * Descending order of two statistics, treating values within 1e-9 as equal (ties then go to
 * the next key): two hours with the same figures must not be ordered by rounding noise.
 */
function byValueDesc(a: number, b: number): number {
  if (a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))) return 0
  return b > a ? 1 : -1
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export interface RefSpike {
  project_id: string
  fingerprint: string
  hour_bucket: number
  count: number
  mean: number
  stddev: number
  zscore: number | null
}

export function refSpikes(
  events: NormalizedEvent[],
  f: Filter,
  now: number,
  hours: number,
  threshold: number,
  minCount: number,
): RefSpike[] {
  const { first, series } = seriesByIssue(events, f, now, hours)
  const out: RefSpike[] = []
  for (const s of series.values()) {
    s.xs.forEach((count, h) => {
      const others = s.xs.filter((_, i) => i !== h)
      if (others.length < 2) return
      const mean = sum(others) / others.length
      const stddev = Math.sqrt(sum(others.map((x) => (x - mean) ** 2)) / (others.length - 1))
      let zscore: number | null
      if (stddev === 0) {
        if (!(count > mean)) return
        zscore = null
      } else zscore = (count - mean) / stddev
      if (count < minCount || (zscore !== null && zscore < threshold)) return
      out.push({
        project_id: s.project_id,
        fingerprint: s.fingerprint,
        hour_bucket: first + h * H,
        count,
        mean,
        stddev,
        zscore,
      })
    })
  }
  const z = (r: RefSpike) => (r.zscore === null ? Number.POSITIVE_INFINITY : r.zscore)
  return out.sort(
    (a, b) =>
      byValueDesc(z(a), z(b)) ||
      b.count - a.count ||
      b.hour_bucket - a.hour_bucket ||
      cmp(a.project_id, b.project_id) ||
      cmp(a.fingerprint, b.fingerprint),
  )
}

export interface RefMover {
  project_id: string
  fingerprint: string
  count_current: number
  count_previous: number
  delta: number
  delta_pct: number
}

export function refMovers(events: NormalizedEvent[], f: Filter, now: number, hours: number): RefMover[] {
  const cur = seriesByIssue(events, f, now, hours).series
  const prev = seriesByIssue(events, f, now, hours, hours).series
  const keys = new Set([...cur.keys(), ...prev.keys()])
  const out: RefMover[] = []
  for (const k of keys) {
    const [project_id, fingerprint] = k.split('|') as [string, string]
    const c = sum(cur.get(k)?.xs ?? [])
    const p = sum(prev.get(k)?.xs ?? [])
    if (c === p) continue
    out.push({
      project_id,
      fingerprint,
      count_current: c,
      count_previous: p,
      delta: c - p,
      delta_pct: p === 0 ? 100 : ((c - p) / p) * 100,
    })
  }
  return out.sort(
    (a, b) =>
      Math.abs(b.delta) - Math.abs(a.delta) ||
      cmp(a.project_id, b.project_id) ||
      cmp(a.fingerprint, b.fingerprint),
  )
}

export interface RefPair {
  a: string
  b: string
  correlation: number
}

export function refCorrelations(
  events: NormalizedEvent[],
  f: Filter,
  now: number,
  hours: number,
  minR: number,
  maxSeries: number,
): RefPair[] {
  const { series } = seriesByIssue(events, f, now, hours)
  const eligible = [...series.entries()]
    .filter(([, s]) => s.xs.filter((x) => x > 0).length >= 6)
    .sort(([ka, a], [kb, b]) => sum(b.xs) - sum(a.xs) || cmp(ka, kb))
    .slice(0, maxSeries)
  const out: RefPair[] = []
  for (let i = 0; i < eligible.length; i++) {
    for (let j = i + 1; j < eligible.length; j++) {
      const [ka, a] = eligible[i] as [string, { xs: number[] }]
      const [kb, b] = eligible[j] as [string, { xs: number[] }]
      const ma = sum(a.xs) / hours
      const mb = sum(b.xs) / hours
      let num = 0
      let da = 0
      let db = 0
      for (let h = 0; h < hours; h++) {
        const x = (a.xs[h] as number) - ma
        const y = (b.xs[h] as number) - mb
        num += x * y
        da += x * x
        db += y * y
      }
      if (da === 0 || db === 0) continue
      const r = num / Math.sqrt(da * db)
      if (r < minR) continue
      const [first, second] = cmp(ka, kb) <= 0 ? [ka, kb] : [kb, ka]
      out.push({ a: first, b: second, correlation: r })
    }
  }
  return out.sort((x, y) => byValueDesc(x.correlation, y.correlation) || cmp(x.a, y.a) || cmp(x.b, y.b))
}

export interface RefRelease {
  project_id: string
  release: string
  first_seen: number
  events: number
  unique_fingerprints: number
  new_fingerprints: number
  first_24h_events: number
  first_24h_rate: number
  previous_release: string | null
  previous_first_24h_rate: number | null
  rate_change_pct: number | null
  impact_score: number
}

export function refReleases(events: NormalizedEvent[], f: Filter, now: number, hours: number): RefRelease[] {
  const scoped = events.filter((e) => inScope(e, f))
  const windowStart = bucket(now) - (hours - 1) * H
  const byRelease = new Map<string, NormalizedEvent[]>()
  for (const e of scoped) {
    const k = `${e.project_id}|${e.release}`
    const list = byRelease.get(k) ?? []
    list.push(e)
    byRelease.set(k, list)
  }
  // Each fingerprint's first event ever, and the releases that have an event at that time.
  const firstOfIssue = new Map<string, number>()
  for (const e of scoped) {
    const k = keyOf(e)
    firstOfIssue.set(k, Math.min(firstOfIssue.get(k) ?? Number.POSITIVE_INFINITY, e.received_at))
  }
  const rows = [...byRelease.entries()].map(([k, list]) => {
    const [project_id, release] = k.split('|') as [string, string]
    const first_seen = Math.min(...list.map((e) => e.received_at))
    const fps = new Set(list.map(keyOf))
    let fresh = 0
    for (const fp of fps) {
      const t = firstOfIssue.get(fp)
      if (list.some((e) => keyOf(e) === fp && e.received_at === t)) fresh++
    }
    const from = bucket(first_seen)
    const first24 = list.filter(
      (e) => bucket(e.received_at) >= from && bucket(e.received_at) < from + 24 * H,
    ).length
    const elapsedHours = Math.min(24, (bucket(now) - from) / H + 1)
    return {
      project_id,
      release,
      first_seen,
      events: list.length,
      unique_fingerprints: fps.size,
      new_fingerprints: fresh,
      first_24h_events: first24,
      first_24h_rate: first24 / elapsedHours,
      active: list.some((e) => e.received_at >= windowStart),
    }
  })
  const out: RefRelease[] = []
  for (const r of rows) {
    if (!r.active) continue
    const earlier = rows
      .filter(
        (x) =>
          x.project_id === r.project_id &&
          (x.first_seen < r.first_seen || (x.first_seen === r.first_seen && x.release < r.release)),
      )
      .sort((a, b) => b.first_seen - a.first_seen || cmp(b.release, a.release))
    const prev = earlier[0]
    const change = prev ? ((r.first_24h_rate - prev.first_24h_rate) / prev.first_24h_rate) * 100 : null
    out.push({
      project_id: r.project_id,
      release: r.release,
      first_seen: r.first_seen,
      events: r.events,
      unique_fingerprints: r.unique_fingerprints,
      new_fingerprints: r.new_fingerprints,
      first_24h_events: r.first_24h_events,
      first_24h_rate: r.first_24h_rate,
      previous_release: prev?.release ?? null,
      previous_first_24h_rate: prev?.first_24h_rate ?? null,
      rate_change_pct: change,
      impact_score: r.new_fingerprints * 10 + (change ?? 0),
    })
  }
  return out.sort(
    (a, b) => b.first_seen - a.first_seen || cmp(a.project_id, b.project_id) || cmp(a.release, b.release),
  )
}

export interface RefEnvironment {
  environment: string
  total_count: number
  unique_errors: number
  pct_of_total: number
  p50_hourly: number
  p90_hourly: number
  p99_hourly: number
}

/** Type 7 quantile, written out: h = (n - 1) p, interpolate between x[floor h] and x[floor h + 1]. */
function quantile7(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  const h = (s.length - 1) * p
  const lo = Math.floor(h)
  if (lo + 1 >= s.length) return s[lo] as number
  return (s[lo] as number) + (h - lo) * ((s[lo + 1] as number) - (s[lo] as number))
}

export function refEnvironments(
  events: NormalizedEvent[],
  f: Filter,
  now: number,
  hours: number,
): { environments: RefEnvironment[]; total_count: number } {
  const first = bucket(now) - (hours - 1) * H
  const series = new Map<string, { xs: number[]; fps: Set<string> }>()
  for (const e of events) {
    if (!inScope(e, f)) continue
    const i = (bucket(e.received_at) - first) / H
    if (i < 0 || i >= hours) continue
    let s = series.get(e.environment)
    if (!s) {
      s = { xs: new Array(hours).fill(0), fps: new Set() }
      series.set(e.environment, s)
    }
    s.xs[i] = (s.xs[i] as number) + 1
    s.fps.add(keyOf(e))
  }
  let total = 0
  for (const s of series.values()) total += sum(s.xs)
  const environments = [...series.entries()]
    .map(([environment, s]) => ({
      environment,
      total_count: sum(s.xs),
      unique_errors: s.fps.size,
      pct_of_total: (sum(s.xs) / total) * 100,
      p50_hourly: quantile7(s.xs, 0.5),
      p90_hourly: quantile7(s.xs, 0.9),
      p99_hourly: quantile7(s.xs, 0.99),
    }))
    .sort((a, b) => b.total_count - a.total_count || cmp(a.environment, b.environment))
  return { environments, total_count: total }
}

/** |a - b| <= 1e-9, relative for large values. */
export function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))
}
