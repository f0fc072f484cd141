/** Exact statistics over small sets of raw values (tools, RAG, scores). Pure. */

/**
 * Continuous percentile (PERCENTILE_CONT): rank r = p·(n−1) over the ascending values,
 * interpolated between the two neighbours. `p` is a fraction 0-1; null for no values.
 */
export function percentileCont(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null
  const r = p * (sorted.length - 1)
  const lo = Math.floor(r)
  const hi = Math.ceil(r)
  const a = sorted[lo] as number
  return a + (r - lo) * ((sorted[hi] as number) - a)
}

/** Nearest rank by rounding: the value at round(p·(n−1)); null for no values. */
export function percentileNearest(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.round(p * (sorted.length - 1))] as number
}

export function average(values: readonly number[]): number | null {
  if (values.length === 0) return null
  let sum = 0
  for (const v of values) sum += v
  return sum / values.length
}

/** The numbers among `values`, ascending (nulls and non-numbers are unknown, left out). */
export function numbers(values: readonly unknown[]): number[] {
  const out: number[] = []
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) out.push(v)
  return out.sort((a, b) => a - b)
}
