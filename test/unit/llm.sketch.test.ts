import { describe, expect, test } from 'bun:test'
import {
  ALPHA,
  addValue,
  type Buckets,
  bucketValue,
  decode,
  encode,
  merge,
  mergeBlobs,
  quantile,
  rankOf,
} from '../../src/llm/write/sketch'

function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The exact nearest-rank percentile (the sketch's rule). */
const exact = (sorted: number[], q: number) => sorted[rankOf(q, sorted.length) - 1] as number

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]

const distributions: Record<string, (r: () => number) => number> = {
  'uniform 0-10 s': (r) => Math.round(r() * 10_000),
  'log-normal around 800 ms': (r) => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
    return Math.round(Math.exp(Math.log(800) + 0.9 * z))
  },
  'bimodal fast cache hits and slow calls': (r) =>
    r() < 0.7 ? 1 + Math.round(r() * 20) : 2000 + Math.round(r() * 60_000),
  'heavy tail up to a month': (r) => Math.min(31 * 86_400_000, Math.round(1 / (r() + 1e-9) ** 1.5)),
}

describe('latency sketch', () => {
  for (const [name, draw] of Object.entries(distributions)) {
    test(`percentiles are within 1% relative error of exact: ${name}`, () => {
      const r = rng(name.length)
      const values = Array.from({ length: 20_000 }, () => draw(r))
      const b: Buckets = new Map()
      for (const v of values) addValue(b, v)
      const sorted = [...values].sort((x, y) => x - y)
      for (const q of QS) {
        const want = exact(sorted, q)
        const got = quantile(b, q) as number
        if (want === 0) expect(got).toBe(0)
        else expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.01)
      }
    })
  }

  test('every bucket reports a value within ALPHA of each integer millisecond it covers', () => {
    for (let v = 1; v <= 200_000; v++) {
      const b: Buckets = new Map()
      addValue(b, v)
      const got = quantile(b, 0.5) as number
      expect(Math.abs(got - v) / v).toBeLessThanOrEqual(ALPHA + 1e-12)
    }
    expect(bucketValue(0)).toBe(0)
  })

  test('sketches merge by hour and subtract back exactly; the stored form round-trips', () => {
    const a: Buckets = new Map()
    const b: Buckets = new Map()
    for (const v of [5, 10, 10, 900]) addValue(a, v)
    for (const v of [10, 3000]) addValue(b, v)
    const blob = encode(a) as Uint8Array
    expect(decode(blob)).toEqual(a)
    const both = mergeBlobs([blob, encode(b)])
    expect(quantile(both, 1)).toBeCloseTo(3000, -2)
    const minus: Buckets = new Map()
    for (const v of [10, 3000]) addValue(minus, v, -1)
    merge(both, minus)
    expect(encode(both)).toEqual(blob)
    expect(encode(new Map([[4, 0]]))).toBeNull()
    expect(quantile(new Map(), 0.5)).toBeNull()
  })

  test('a stored sketch never holds a negative count', () => {
    expect(() => encode(new Map([[3, -1]]))).toThrow('expected a non-negative count in bucket 3')
  })
})
