/**
 * The distribution functions the experiment statistics need, and the only importer of
 * the @stdlib packages: one small package per distribution, pure JavaScript, bundled by
 * `bun build` like the rest of the code (no native addon is loaded).
 *
 * Tails are computed directly rather than as `1 - cdf`, so a small p-value keeps its
 * relative precision: the Student t and normal tails through their CDF at `-|x|`, the
 * chi-square upper tail as the regularized upper incomplete gamma function
 * Q(k/2, x/2), which is what the chi-square survival function is (`1 - cdf` would round
 * every p-value under about 1e-16 to zero or to 2.2e-16).
 */

import gammainc from '@stdlib/math-base-special-gammainc'
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile'
import hypergeometricPmf from '@stdlib/stats-base-dists-hypergeometric-pmf'
import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import tCdf from '@stdlib/stats-base-dists-t-cdf'
import tQuantile from '@stdlib/stats-base-dists-t-quantile'

/** P(T <= x) for Student's t with `df` degrees of freedom (df may be fractional). */
export const studentTCdf = (x: number, df: number): number => tCdf(x, df)

/** The p-quantile of Student's t with `df` degrees of freedom. */
export const studentTQuantile = (p: number, df: number): number => tQuantile(p, df)

/** Two-sided p-value of a t statistic: 2 P(T <= -|t|). */
export const studentTTwoSided = (t: number, df: number): number => Math.min(1, 2 * tCdf(-Math.abs(t), df))

/** P(Z <= x) for the standard normal. */
export const standardNormalCdf = (x: number): number => normalCdf(x, 0, 1)

/** The p-quantile of the standard normal. */
export const standardNormalQuantile = (p: number): number => normalQuantile(p, 0, 1)

/** Two-sided p-value of a z statistic: 2 P(Z <= -|z|). */
export const normalTwoSided = (z: number): number => Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1))

/** P(X >= x) for a chi-square variable with `df` degrees of freedom. */
export const chiSquareSf = (x: number, df: number): number =>
  x <= 0 ? 1 : gammainc(x / 2, df / 2, true, true)

/**
 * P(X = k) for the hypergeometric distribution: `draws` items taken without replacement
 * from a population of `population` items of which `successes` are successes.
 */
export const hypergeometricProbability = (k: number, population: number, successes: number, draws: number) =>
  hypergeometricPmf(k, population, successes, draws)

/** The p-quantile of the Beta(a, b) distribution. */
export const betaDistributionQuantile = (p: number, a: number, b: number): number => betaQuantile(p, a, b)
