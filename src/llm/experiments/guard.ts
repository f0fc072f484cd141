/**
 * The last line of the no-NaN, no-Infinity promise: values near the ends of double
 * precision (|x| around 1e154 and up, whose squares overflow, or subnormals, whose squares
 * vanish) can make a formula that is fine for real data produce a non-finite number.
 * Rather than special-casing every formula, a finished answer is checked once.
 */

/** Whether any number anywhere inside `x` is NaN or infinite. */
export function hasNonFinite(x: unknown): boolean {
  if (typeof x === 'number') return !Number.isFinite(x)
  if (Array.isArray(x)) return x.some(hasNonFinite)
  if (x !== null && typeof x === 'object') return Object.values(x).some(hasNonFinite)
  return false
}

export const OUT_OF_RANGE = 'the values are too large or too small to compute with in double precision'
