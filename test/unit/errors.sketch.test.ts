import { describe, expect, test } from 'bun:test'
import {
  estimate,
  mergeSketches,
  SKETCH_STANDARD_ERROR,
  sketchOf,
  userHash32,
  withHashes,
} from '../../src/errors/sketch'

/** A deterministic stream of user ids (xorshift), so every run checks the same data. */
function users(n: number, seed: number): string[] {
  let x = seed >>> 0 || 1
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out.push(`user-${seed}-${i}-${x.toString(16)}`)
  }
  return out
}

const hashes = (ids: string[]) => ids.map(userHash32)

describe('the distinct-users sketch', () => {
  test('counts exactly while under 256 distinct users, duplicates once', () => {
    const ids = users(255, 7)
    expect(estimate(sketchOf(hashes([...ids, ...ids.slice(0, 100)])))).toBe(255)
    expect(estimate(sketchOf([]))).toBe(0)
    expect(estimate(null)).toBe(0)
    expect(sketchOf(hashes(ids)).length).toBe(1 + 255 * 4)
  })

  test('turns dense at 256 users and stays at 1,025 bytes however many are added', () => {
    expect(sketchOf(hashes(users(256, 3))).length).toBe(1025)
    expect(sketchOf(hashes(users(50_000, 3))).length).toBe(1025)
  })

  test('the standard error is 3.25%', () => {
    expect(SKETCH_STANDARD_ERROR).toBeCloseTo(0.0325, 4)
  })

  // Generated data against an exact count: within 3 standard errors (9.75%), and on
  // average over the sizes within 2 (the stated 3.25% is one standard error).
  test('estimates within the stated error of the exact count, 300 to 200,000 users', () => {
    const sizes = [300, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 200_000]
    const errors: number[] = []
    for (const [i, n] of sizes.entries()) {
      const ids = users(n, 100 + i)
      const exact = new Set(ids).size
      const got = estimate(sketchOf(hashes(ids)))
      const rel = Math.abs(got - exact) / exact
      errors.push(rel)
      expect(rel).toBeLessThan(3 * SKETCH_STANDARD_ERROR)
    }
    const rms = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length)
    expect(rms).toBeLessThan(2 * SKETCH_STANDARD_ERROR)
  })

  test('merging hourly sketches equals the sketch of the union, in every form', () => {
    const a = users(200, 1)
    const b = users(200, 2)
    const overlap = [...a.slice(0, 100), ...users(150, 9)]
    // sparse + sparse, staying sparse (exact)
    expect(
      estimate(mergeSketches(sketchOf(hashes(a.slice(0, 50))), sketchOf(hashes(a.slice(25, 100))))),
    ).toBe(100)
    // sparse + sparse turning dense, sparse + dense, dense + dense: the same registers as one sketch
    const union = sketchOf(hashes([...a, ...b, ...overlap]))
    expect(mergeSketches(sketchOf(hashes(a)), sketchOf(hashes(b)))).toEqual(sketchOf(hashes([...a, ...b])))
    const ab = mergeSketches(sketchOf(hashes(a)), sketchOf(hashes(b)))
    expect(mergeSketches(ab, sketchOf(hashes(overlap)))).toEqual(union)
    expect(mergeSketches(sketchOf(hashes(overlap)), ab)).toEqual(union)
    expect(mergeSketches(ab, ab)).toEqual(ab)
    expect(mergeSketches(null, ab)).toEqual(ab)
  })

  test('24 hourly sketches of one user population merge to its distinct count, within the error', () => {
    const population = users(20_000, 42)
    let merged: Uint8Array | null = null
    const seen = new Set<string>()
    for (let hour = 0; hour < 24; hour++) {
      const hourUsers = population.filter((_, i) => (i * 7 + hour * 13) % 24 < 3)
      for (const u of hourUsers) seen.add(u)
      merged = mergeSketches(merged, sketchOf(hashes(hourUsers)))
    }
    expect(Math.abs(estimate(merged) - seen.size) / seen.size).toBeLessThan(3 * SKETCH_STANDARD_ERROR)
  })

  test('adding hashes answers null when nothing changes, else the merged sketch', () => {
    const few = hashes(users(100, 5))
    const many = hashes(users(5_000, 6))
    const sparse = sketchOf(few)
    const dense = sketchOf(many)
    expect(withHashes(sparse, few.slice(0, 30))).toBeNull()
    expect(withHashes(dense, many.slice(0, 500))).toBeNull()
    expect(withHashes(null, [])).toBeNull()
    const more = hashes(users(10, 8))
    expect(withHashes(sparse, more)).toEqual(sketchOf([...few, ...more]))
    expect(withHashes(sparse, many)).toEqual(mergeSketches(sparse, dense))
    const fresh = hashes(users(3_000, 9))
    expect(withHashes(dense, fresh)).toEqual(mergeSketches(dense, sketchOf(fresh)))
    expect(withHashes(null, more)).toEqual(sketchOf(more))
  })
})
