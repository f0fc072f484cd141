/**
 * The pure parts of analytics: the statistics' closed forms (enumerated cases worked out
 * by hand), the feed's roll-up and the answer cache's invalidation rule.
 */
import { describe, expect, test } from 'bun:test'
import { AnswerCache } from '../../src/analytics/cache'
import { type RawGroup, rollup } from '../../src/analytics/feed'
import {
  deltaPct,
  first24hRate,
  impactScore,
  isSpike,
  pearsonFromSums,
  percentile,
  rateChangePct,
  spikeFigures,
  windowOf,
} from '../../src/analytics/stats'
import { HOUR_MS } from '../../src/core/time'

const sums = (xs: number[]) => ({
  s: xs.reduce((a, b) => a + b, 0),
  q: xs.reduce((a, b) => a + b * b, 0),
  n: xs.length,
})

describe('spikeFigures', () => {
  test('scores an hour against the mean and sample deviation of the other hours', () => {
    // Others: 1, 2, 3, 2 -> mean 2, sample variance (1+0+1+0)/3 = 2/3.
    const { s, q, n } = sums([1, 2, 3, 2, 10])
    const f = spikeFigures(10, s, q, n)
    expect(f?.mean).toBe(2)
    expect(f?.stddev).toBeCloseTo(Math.sqrt(2 / 3), 15)
    expect(f?.zscore).toBeCloseTo(8 / Math.sqrt(2 / 3), 12)
  })

  test('counts zero-filled hours as zeros', () => {
    // 5 at one hour, 0 in three others, 1 in one: others 0,0,0,1 -> mean 0.25, var 0.25.
    const { s, q, n } = sums([0, 0, 5, 0, 1])
    const f = spikeFigures(5, s, q, n)
    expect(f?.mean).toBe(0.25)
    expect(f?.stddev).toBe(0.5)
    expect(f?.zscore).toBe(9.5)
  })

  test('is infinite (null z) when the other hours are all equal and this one is higher', () => {
    const { s, q, n } = sums([0, 0, 0, 7])
    expect(spikeFigures(7, s, q, n)).toEqual({ mean: 0, stddev: 0, zscore: null })
  })

  test('is undefined for an hour no higher than constant other hours, and below three hours', () => {
    // 3, 3, 3, 3: the hour equals its constant neighbours.
    expect(spikeFigures(3, 12, 36, 4)).toBeNull()
    expect(spikeFigures(3, 3, 9, 2)).toBeNull()
    expect(spikeFigures(3, 3, 9, 1)).toBeNull()
  })

  test('is a spike at exactly the threshold and minimum count, not just below either', () => {
    // Others 0, 0, 2, 2 -> mean 1, sd sqrt(4/3); c = 1 + t sd.
    const sd = Math.sqrt(4 / 3)
    const c = 5
    const f = { mean: 1, stddev: sd, zscore: (c - 1) / sd }
    expect(isSpike(f, 5, f.zscore, 5)).toBe(true)
    expect(isSpike(f, 5, f.zscore + 1e-9, 5)).toBe(false)
    expect(isSpike(f, 4, 0, 5)).toBe(false)
    expect(isSpike({ mean: 0, stddev: 0, zscore: null }, 5, 1000, 5)).toBe(true)
    expect(isSpike(null, 100, 0, 0)).toBe(false)
  })
})

describe('pearsonFromSums', () => {
  const from = (xs: number[], ys: number[]) =>
    pearsonFromSums(
      xs.length,
      xs.reduce((a, b) => a + b, 0),
      ys.reduce((a, b) => a + b, 0),
      xs.reduce((a, b) => a + b * b, 0),
      ys.reduce((a, b) => a + b * b, 0),
      xs.reduce((a, x, i) => a + x * (ys[i] as number), 0),
    )

  test('is 1 for proportional series and -1 for opposite ones', () => {
    expect(from([1, 2, 3, 0], [2, 4, 6, 0])).toBe(1)
    expect(from([1, 2, 3], [3, 2, 1])).toBe(-1)
  })

  test('matches a hand-computed r', () => {
    // x = 1,2,3,4  y = 2,1,4,3 (means 2.5): products of deviations 0.75 x 4 = 3, squares 5 and 5.
    expect(from([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 15)
  })

  test('is undefined when a series is constant', () => {
    expect(from([2, 2, 2], [1, 2, 3])).toBeNull()
    expect(from([0, 0, 0], [0, 0, 0])).toBeNull()
  })
})

describe('percentile (linear interpolation between closest ranks)', () => {
  test('interpolates at p x (n - 1)', () => {
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5)
    expect(percentile([0, 0, 0, 0, 10], 0.9)).toBeCloseTo(6, 12)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBeCloseTo(9.91, 12)
  })

  test('returns the extremes at 0 and 1, the value of a single point, 0 for none', () => {
    expect(percentile([5, 9, 7], 0)).toBe(5)
    expect(percentile([5, 9, 7], 1)).toBe(9)
    expect(percentile([3], 0.99)).toBe(3)
    expect(percentile([], 0.5)).toBe(0)
  })
})

describe('movers and releases', () => {
  test('delta_pct is relative to the previous count, 100 for new, 0 for nothing', () => {
    expect(deltaPct(15, 10)).toBe(50)
    expect(deltaPct(5, 10)).toBe(-50)
    expect(deltaPct(3, 0)).toBe(100)
    expect(deltaPct(0, 0)).toBe(0)
  })

  test('the first-24h rate divides by the hours elapsed, at most 24', () => {
    const t = Date.UTC(2026, 0, 1, 5, 40)
    expect(first24hRate(48, t, t + 100 * HOUR_MS)).toBe(2)
    // First bucket 05:00, now 07:10: buckets 05, 06, 07 have started.
    expect(first24hRate(9, t, t + 90 * 60_000)).toBe(3)
    expect(first24hRate(4, t, t)).toBe(4)
  })

  test('the impact score adds 10 per new fingerprint to the rate change', () => {
    expect(rateChangePct(3, 2)).toBe(50)
    expect(rateChangePct(3, null)).toBeNull()
    expect(impactScore(2, 50)).toBe(70)
    expect(impactScore(2, null)).toBe(20)
    expect(impactScore(0, -25)).toBe(-25)
  })

  test('the window is `hours` buckets ending with the current hour', () => {
    const now = Date.UTC(2026, 0, 1, 5, 40)
    const w = windowOf(now, 3)
    expect(w.last).toBe(Date.UTC(2026, 0, 1, 5))
    expect(w.first).toBe(Date.UTC(2026, 0, 1, 3))
  })
})

describe('rollup', () => {
  test('turns grouped events into hourly rows and the earliest time per (fingerprint, release, environment)', () => {
    const t = Date.UTC(2026, 0, 1, 10)
    const groups: RawGroup[] = [
      ['p', 'a', t, 'prod', 'api', '1.0', 2, t + 1],
      ['p', 'a', t + HOUR_MS, 'prod', 'web', '1.0', 1, t + HOUR_MS + 3],
      ['p', 'a', t - HOUR_MS, 'prod', 'web', '1.0', 4, t - 10],
      ['q', 'a', t - HOUR_MS, 'prod', 'api', '2.0', 1, t - 1],
    ]
    const r = rollup(groups)
    expect(r.hourly).toEqual([
      ['p', 'a', t, 'prod', 'api', '1.0', 2],
      ['p', 'a', t + HOUR_MS, 'prod', 'web', '1.0', 1],
      ['p', 'a', t - HOUR_MS, 'prod', 'web', '1.0', 4],
      ['q', 'a', t - HOUR_MS, 'prod', 'api', '2.0', 1],
    ])
    expect(r.firstSeen).toEqual([
      ['p', 'a', '1.0', 'prod', t - 10],
      ['q', 'a', '2.0', 'prod', t - 1],
    ])
    expect(r.minHour).toBe(t - HOUR_MS)
    expect([...r.touched]).toEqual([
      ['p', t + HOUR_MS],
      ['q', t - HOUR_MS],
    ])
  })
})

describe('AnswerCache', () => {
  const hour = Date.UTC(2026, 0, 1, 10)

  test('drops an answer when its project gets data in the window’s last hour, not another project', () => {
    let now = hour + 1000
    const c = new AnswerCache(60_000, () => now)
    c.set('a', 1, ['p'], hour)
    c.noteAppend(new Map([['q', hour]]))
    expect(c.get('a')).toBe(1)
    c.noteAppend(new Map([['p', hour]]))
    expect(c.get('a')).toBeUndefined()
    now += 1
  })

  test('keeps an answer when only older hours of its project were appended first', () => {
    const c = new AnswerCache(60_000, () => hour)
    c.noteAppend(new Map([['p', hour - HOUR_MS]]))
    c.set('a', 1, ['p'], hour)
    c.noteAppend(new Map([['p', hour - 2 * HOUR_MS]]))
    expect(c.get('a')).toBe(1)
  })

  test('an append of old hours after a recent one still invalidates', () => {
    const c = new AnswerCache(60_000, () => hour)
    c.set('a', 1, ['p'], hour)
    c.noteAppend(new Map([['p', hour]]))
    c.noteAppend(new Map([['p', hour - 5 * HOUR_MS]]))
    expect(c.get('a')).toBeUndefined()
  })

  test('expires after the TTL, keeps nothing with a TTL of 0, and holds at most 256 answers', () => {
    let now = hour
    const c = new AnswerCache(1000, () => now)
    c.set('a', 1, ['p'], hour)
    now += 999
    expect(c.get('a')).toBe(1)
    now += 1
    expect(c.get('a')).toBeUndefined()
    const off = new AnswerCache(0, () => now)
    off.set('a', 1, ['p'], hour)
    expect(off.get('a')).toBeUndefined()
    for (let i = 0; i < 257; i++) c.set(`k${i}`, i, ['p'], hour)
    expect(c.size).toBe(256)
    expect(c.get('k0')).toBeUndefined()
    expect(c.get('k256')).toBe(256)
  })
})
