/**
 * The distinct-users sketch (docs/decisions.md, "Users affected"): HyperLogLog with 2^10
 * one-byte registers over a 32-bit hash, kept sparse (the exact sorted hashes) while that
 * is smaller than the registers. Pure, over Uint8Array, so the writer stores it as a BLOB
 * and the read side merges sketches of several hours or releases.
 *
 * - Sparse (under 256 distinct hashes, at most 1,020 bytes): the count is exact, but for
 *   two users whose 32-bit hashes collide (about 1 in 2^32 per pair).
 * - Dense (1,024 bytes): the HyperLogLog estimate (Flajolet et al. 2007) with linear
 *   counting while many registers are empty; its standard error is 1.04/sqrt(1024), 3.25%.
 *   Hashes are 32 bits, so the estimate is meant for up to some 10^8 users per issue.
 * - Merging is exact in both forms: the union of two sets, the maximum of two registers.
 *
 * The first byte tells the forms apart: 0 sparse, 1 dense.
 */

const P = 10
const M = 1 << P
/** A sparse sketch holds at most this many hashes (4 bytes each) before it turns dense. */
const SPARSE_MAX = 255
const SPARSE = 0
const DENSE = 1
const ALPHA = 0.7213 / (1 + 1.079 / M)

/** The user id's 32-bit hash (xxHash32, seed 0). */
export const userHash32 = (userIdHash: string): number => Bun.hash.xxHash32(userIdHash) >>> 0

export const SKETCH_STANDARD_ERROR = 1.04 / Math.sqrt(M)

function sparseOf(s: Uint8Array): Uint32Array {
  const n = (s.length - 1) >> 2
  const out = new Uint32Array(n)
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength)
  for (let i = 0; i < n; i++) out[i] = v.getUint32(1 + i * 4)
  return out
}

function encodeSparse(hashes: Uint32Array): Uint8Array {
  const out = new Uint8Array(1 + hashes.length * 4)
  out[0] = SPARSE
  const v = new DataView(out.buffer)
  for (let i = 0; i < hashes.length; i++) v.setUint32(1 + i * 4, hashes[i] as number)
  return out
}

function addDense(registers: Uint8Array, h: number): void {
  const idx = h >>> (32 - P)
  const rest = (h << P) >>> 0
  // The rank is the position of the first 1 bit in the remaining 22 bits, 23 when none is set.
  const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1
  if (rank > (registers[1 + idx] as number)) registers[1 + idx] = rank
}

function toDense(hashes: Iterable<number>): Uint8Array {
  const out = new Uint8Array(1 + M)
  out[0] = DENSE
  for (const h of hashes) addDense(out, h)
  return out
}

/** A sketch holding `hashes` (32-bit values; duplicates are fine). */
export function sketchOf(hashes: Iterable<number>): Uint8Array {
  const set = new Set<number>()
  for (const h of hashes) set.add(h >>> 0)
  if (set.size > SPARSE_MAX) return toDense(set)
  return encodeSparse(Uint32Array.from([...set].sort((a, b) => a - b)))
}

/** The union of two sketches (either may be null). */
export function mergeSketches(a: Uint8Array | null, b: Uint8Array | null): Uint8Array {
  if (!a) return b ?? sketchOf([])
  if (!b) return a
  if (a[0] === DENSE && b[0] === DENSE) {
    const out = a.slice()
    for (let i = 1; i <= M; i++) if ((b[i] as number) > (out[i] as number)) out[i] = b[i] as number
    return out
  }
  if (a[0] === DENSE || b[0] === DENSE) {
    const [dense, sparse] = a[0] === DENSE ? [a, b] : [b, a]
    const out = dense.slice()
    for (const h of sparseOf(sparse)) addDense(out, h)
    return out
  }
  return sketchOf([...sparseOf(a), ...sparseOf(b)])
}

/** 2^-r for every rank a register can hold (0 to 32 - P + 1), looked up instead of computed. */
const INVERSE_POWERS = Float64Array.from({ length: 32 - P + 2 }, (_, r) => 2 ** -r)

/** The number of distinct users: exact while sparse, the HyperLogLog estimate once dense. */
export function estimate(s: Uint8Array | null): number {
  if (!s || s.length <= 1) return 0
  if (s[0] === SPARSE) return (s.length - 1) >> 2
  let sum = 0
  let zeros = 0
  for (let i = 1; i <= M; i++) {
    const r = s[i] as number
    sum += INVERSE_POWERS[r] as number
    if (r === 0) zeros++
  }
  const raw = (ALPHA * M * M) / sum
  if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros))
  return Math.round(raw)
}

/**
 * `s` with `hashes` added, or null when none of them changes it (every hash already in
 * the sparse set, or no register grows): the writer then skips the row's write.
 */
export function withHashes(s: Uint8Array | null, hashes: number[]): Uint8Array | null {
  if (!s) return hashes.length > 0 ? sketchOf(hashes) : null
  if (s[0] === DENSE) {
    let out: Uint8Array | null = null
    for (const h of hashes) {
      const idx = h >>> (32 - P)
      const rest = (h << P) >>> 0
      const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1
      if (rank > ((out ?? s)[1 + idx] as number)) {
        out ??= s.slice()
        out[1 + idx] = rank
      }
    }
    return out
  }
  const have = sparseOf(s)
  const added = new Set<number>()
  for (const h of hashes) {
    const x = h >>> 0
    // Binary search in the sorted set.
    let lo = 0
    let hi = have.length - 1
    let found = false
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const v = have[mid] as number
      if (v === x) {
        found = true
        break
      }
      if (v < x) lo = mid + 1
      else hi = mid - 1
    }
    if (!found) added.add(x)
  }
  if (added.size === 0) return null
  // Both sorted and disjoint: one merge, not a new set and a sort of everything.
  const fresh = Uint32Array.from(added).sort()
  const merged = new Uint32Array(have.length + fresh.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < have.length && j < fresh.length)
    merged[k++] = (have[i] as number) < (fresh[j] as number) ? (have[i++] as number) : (fresh[j++] as number)
  while (i < have.length) merged[k++] = have[i++] as number
  while (j < fresh.length) merged[k++] = fresh[j++] as number
  return merged.length > SPARSE_MAX ? toDense(merged) : encodeSparse(merged)
}
