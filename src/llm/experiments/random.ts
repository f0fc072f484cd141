/**
 * A seeded pseudo-random generator for the bootstrap, so the same data and seed give the
 * same interval on every look (a dashboard whose interval moved on each refresh would
 * look like new evidence). mulberry32: 32 bits of state, period 2^32, fast, and
 * statistically good enough for resampling indices; not for anything secret.
 */

import type { Random } from './types'

export function mulberry32(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
