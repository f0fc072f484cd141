/**
 * The statistics of the analytics endpoints, as pure functions (definitions: docs/decisions.md, "Analytics"). DuckDB sums the
 * hourly counts; these turn the sums into the published figures, so every figure has one
 * definition, written here.
 *
 * Every hourly series is zero-filled: a window of `hours` hours has exactly `hours` points,
 * and an hour without events is a 0. Sums are of integers, so the closed forms below are
 * computed from exact integer sums (below 2^53) and divided once at the end.
 */

import { HOUR_MS, hourBucket } from '../core/time'

/** The `hours` hourly buckets ending with the one that contains `now`. */
export interface Window {
  hours: number
  /** Start of the first bucket (ms). */
  first: number
  /** Start of the last bucket, the current hour (ms). */
  last: number
}

export function windowOf(now: number, hours: number): Window {
  const last = hourBucket(now)
  return { hours, first: last - (hours - 1) * HOUR_MS, last }
}

export interface SpikeFigures {
  mean: number
  stddev: number
  /** null means infinite: every other hour had the same count and this one is higher. */
  zscore: number | null
}

/**
 * The z-score of one hour's count `c` against the mean and the sample standard deviation
 * of the other `n - 1` hours of the window, from the window's sum `s` and sum of squares
 * `q` (zeros included). Undefined (null) with fewer than two other hours, or when the
 * other hours are all equal and `c` does not exceed them.
 */
export function spikeFigures(c: number, s: number, q: number, n: number): SpikeFigures | null {
  if (n < 3) return null
  const others = n - 1
  const rest = s - c
  const mean = rest / others
  const variance = (others * (q - c * c) - rest * rest) / (others * (others - 1))
  if (variance <= 0) return c > mean ? { mean, stddev: 0, zscore: null } : null
  const stddev = Math.sqrt(variance)
  return { mean, stddev, zscore: (c - mean) / stddev }
}

/** Whether an hour is reported as a spike (z >= threshold and count >= minimum). */
export function isSpike(f: SpikeFigures | null, count: number, threshold: number, minCount: number): boolean {
  if (f === null || count < minCount) return false
  return f.zscore === null || f.zscore >= threshold
}

/**
 * Pearson's r of two zero-filled series of `n` points from their sums: `sx`, `sy`, the sums
 * of squares `sxx`, `syy` and the sum of products `sxy`. null when a series is constant.
 */
export function pearsonFromSums(
  n: number,
  sx: number,
  sy: number,
  sxx: number,
  syy: number,
  sxy: number,
): number | null {
  const vx = n * sxx - sx * sx
  const vy = n * syy - sy * sy
  if (vx <= 0 || vy <= 0) return null
  const r = (n * sxy - sx * sy) / Math.sqrt(vx * vy)
  // Rounding can leave |r| a hair above 1 for identical series.
  return Math.max(-1, Math.min(1, r))
}

/** Percentage change from `previous` to `current`; 100 for something new, 0 for nothing at all. */
export function deltaPct(current: number, previous: number): number {
  if (previous > 0) return ((current - previous) * 100) / previous
  return current > 0 ? 100 : 0
}

/**
 * The p-quantile (0 <= p <= 1) of `values` with linear interpolation between the closest
 * ranks: position p x (n - 1) in the sorted values (Hyndman & Fan type 7; numpy's default,
 * Excel's PERCENTILE.INC, DuckDB's quantile_cont). 0 for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const pos = p * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (pos - lo)
}

/**
 * A release's event rate (events per hour) over its first 24 hourly buckets, starting with
 * the bucket of its first event; a younger release is divided by the buckets elapsed so far
 * (the current one included).
 */
export function first24hRate(events: number, firstSeen: number, now: number): number {
  const elapsed = (hourBucket(now) - hourBucket(firstSeen)) / HOUR_MS + 1
  return events / Math.max(1, Math.min(24, elapsed))
}

/** Percentage change of the first-24-hour rate against the previous release; null without one. */
export function rateChangePct(rate: number, previousRate: number | null): number | null {
  if (previousRate === null || previousRate <= 0) return null
  return ((rate - previousRate) * 100) / previousRate
}

/** 10 points per new fingerprint plus the rate's percentage change (0 when there is none). */
export function impactScore(newFingerprints: number, changePct: number | null): number {
  return 10 * newFingerprints + (changePct ?? 0)
}
