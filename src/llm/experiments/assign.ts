/**
 * Deterministic assignment of a unit (a user or session id) to a variant. Pure.
 *
 * The bucket is the first 32 bits of SHA-256(experiment id, NUL, unit) scaled to
 * [0, 10000): basis points of traffic. Variants own consecutive ranges of buckets in their
 * listed order, each as wide as its traffic percentage, so the same unit always lands in
 * the same variant of an experiment, different experiments split units independently (the
 * id is in the hash), and a variant's share of many units converges to its percentage.
 * A cryptographic hash rather than a fast one: no unit id can be chosen to land anywhere
 * but where its hash says, and 32 bits of SHA-256 are uniform.
 */
import { createHash } from 'node:crypto'

export const BUCKETS = 10_000

export function bucketOf(experimentId: string, unit: string): number {
  const h = createHash('sha256').update(experimentId).update('\u0000').update(unit).digest()
  return Math.floor((h.readUInt32BE(0) / 2 ** 32) * BUCKETS)
}

/** The index of the variant whose range holds `bucket`; percentages sum to 100. */
export function variantFor(bucket: number, percentages: readonly number[]): number {
  let upper = 0
  for (let i = 0; i < percentages.length; i++) {
    upper += Math.round((percentages[i] as number) * (BUCKETS / 100))
    if (bucket < upper) return i
  }
  // Rounding can leave the last few buckets unowned; they belong to the last variant with traffic.
  for (let i = percentages.length - 1; i >= 0; i--) if ((percentages[i] as number) > 0) return i
  return 0
}
