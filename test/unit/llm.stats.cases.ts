/**
 * Fixed data sets for the experiment statistics tests, and the bridge to the scipy
 * reference script: the data are sent to test/unit/llm_stats_reference.py on stdin and
 * its answers come back as JSON. The Python interpreter is the one in BLOOP_TEST_PYTHON
 * (.ci/run sets it), else the repository's .venv-ci; without one the tests fail and say
 * how to install it, they never skip: CI always has it.
 */

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { mulberry32 } from '../../src/llm/experiments/stats'

const ROOT = join(import.meta.dir, '..', '..')
const SCRIPT = join(import.meta.dir, 'llm_stats_reference.py')
const LOCAL_PYTHON = join(ROOT, '.venv-ci', 'bin', 'python')
const INSTALL =
  'The experiment statistics are checked against scipy and statsmodels. Install them with\n' +
  '  python3 -m venv .venv-ci && .venv-ci/bin/pip install -r test/requirements.txt\n' +
  'in the repository root (the tests then find .venv-ci/bin/python), or point BLOOP_TEST_PYTHON at an ' +
  'interpreter that has test/requirements.txt installed. .ci/run does this.'

/** Seeded log-normal values: exp(mu + sigma Z), Z by Box-Muller. */
export function lognormal(seed: number, n: number, mu: number, sigma: number): number[] {
  const rand = mulberry32(seed)
  const out: number[] = []
  while (out.length < n) {
    const u = 1 - rand()
    const v = rand()
    out.push(Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)))
  }
  return out
}

/** Seeded draws from a small set of values: many ties. */
export function discrete(seed: number, n: number, values: readonly number[]): number[] {
  const rand = mulberry32(seed)
  return Array.from({ length: n }, () => values[Math.floor(rand() * values.length)] as number)
}

const withRunaways = (xs: number[], factor: number, count: number) =>
  xs.map((x, i) => (i < count ? x * factor : x))

export const cases = {
  dist: {
    t_cdf: [
      [-2.5, 1.3],
      [-8, 3.7],
      [-30, 2.1],
      [0.4, 57.2],
      [-6, 1000],
    ] as [number, number][],
    t_ppf: [
      [0.975, 1.3],
      [0.975, 2.7],
      [0.999, 3.3],
      [0.975, 5000],
    ] as [number, number][],
    norm_cdf: [-1.96, -8, 0.3],
    norm_ppf: [0.975, 0.8, 0.001],
    chi2_sf: [
      [3.2, 1],
      [64, 1],
      [400, 1],
      [11.3, 2],
    ] as [number, number][],
    hypergeom_pmf: [
      [3, 20, 8, 9],
      [0, 610, 8, 300],
      [5, 1000, 12, 500],
    ] as [number, number, number, number][],
  },
  winsorize: {
    n2: [3, 10],
    n10: [5, 1, 4, 9, 2, 8, 7, 3, 6, 100],
    n1000: lognormal(11, 1000, 6, 1),
    n1001: lognormal(12, 1001, 6, 1),
    n5000_runaways: withRunaways(lognormal(13, 5000, 6, 1), 80, 9),
    ties_at_top: [1, 2, 3, 9, 9, 9],
    constant: [4, 4, 4, 4],
  },
  /** Raw values for Welch's t-test (scores). */
  welch: {
    scores_ties: { a: discrete(21, 45, [1, 2, 3, 4, 5]), b: discrete(22, 50, [2, 3, 4, 5, 5]) },
    scores_unit: {
      a: discrete(23, 300, [0, 0.25, 0.5, 0.75, 1]),
      b: discrete(24, 280, [0, 0.5, 0.75, 1, 1]),
    },
    tiny_2_2: { a: [0.2, 0.9], b: [0.5, 0.6] },
    tiny_2_3: { a: [120, 180], b: [90, 100, 400] },
    baseline_constant: { a: [1, 1, 1, 1, 1], b: [0.5, 0.75, 1, 0.25, 1] },
    negative_baseline: { a: [-3, -1, -2, 0, -4], b: [1, -2, 0, 2, 1, -1] },
  },
  /** Data the module answers with not_enough_data; scipy's answer is NaN, or an infinite t. */
  welch_degenerate: {
    empty_treatment: { a: [1, 2, 3], b: [] },
    one_value: { a: [1, 2, 3], b: [5] },
    all_ties: { a: [7, 7, 7], b: [7, 7, 7, 7] },
    constant_arms_differ: { a: [1, 1, 1], b: [2, 2] },
  },
  /** Skewed values: the statistics run on the winsorized values. */
  skewed: {
    latency_800_900: {
      a: withRunaways(lognormal(31, 800, 6.2, 0.7), 40, 2),
      b: withRunaways(lognormal(32, 900, 6.0, 0.7), 40, 3),
    },
    latency_2500: {
      a: withRunaways(lognormal(33, 2500, 6.2, 0.9), 60, 6),
      b: lognormal(34, 2500, 6.25, 0.9),
    },
    cost_ties: {
      a: discrete(35, 60, [0.002, 0.002, 0.004, 0.004, 0.006, 0.05]),
      b: discrete(36, 70, [0.002, 0.002, 0.002, 0.004, 0.006, 0.05]),
    },
    tiny_2_3: { a: [120, 180], b: [90, 100, 400] },
    baseline_constant: { a: Array(40).fill(0.01), b: lognormal(37, 40, -4.6, 0.3) },
  },
  proportions: {
    errors_large: { xa: 120, na: 4000, xb: 80, nb: 4100 },
    thumbs_mid: { xa: 230, na: 400, xb: 270, nb: 410 },
    expected_exactly_5: { xa: 10, na: 100, xb: 0, nb: 100 },
    rare_errors: { xa: 1, na: 300, xb: 7, nb: 310 },
    zero_both: { xa: 0, na: 50, xb: 0, nb: 60 },
    zero_vs_some: { xa: 0, na: 40, xb: 5, nb: 45 },
    all_success_one: { xa: 20, na: 20, xb: 15, nb: 20 },
    tiny: { xa: 1, na: 2, xb: 0, nb: 1 },
    symmetric_tie: { xa: 3, na: 8, xb: 5, nb: 8 },
  },
  srm: {
    balanced_ok: { observed: [5030, 4970], split: [1, 1] },
    mismatch: { observed: [5400, 4600], split: [50, 50] },
    p_0_0027_not_flagged: { observed: [5150, 4850], split: [1, 1] },
    p_0_0007_flagged: { observed: [5170, 4830], split: [1, 1] },
    uneven_90_10: { observed: [9010, 990], split: [0.9, 0.1] },
    uneven_flagged: { observed: [8800, 1200], split: [90, 10] },
    extreme_tail: { observed: [6000, 4000], split: [1, 1] },
    three_arms: { observed: [334, 320, 346], split: [1, 1, 1] },
  },
  holm: {
    four: [0.01, 0.04, 0.03, 0.005],
    ties: [0.5, 0.5, 0.01],
    capped: [0.2, 0.9, 0.6],
    single: [0.001],
  },
  power: [0.01, 0.1, 0.2, 0.5, 0.8, 1.5],
  bootstrap: {
    lognormal_201: { values: lognormal(41, 201, 5, 0.8), resamples: 20_000, seed: 1 },
    ties_120: { values: discrete(42, 120, [100, 120, 120, 150, 200, 900]), resamples: 20_000, seed: 2 },
  },
}

export type Cases = typeof cases
type Nullable<T> = T | null
interface WelchRef {
  t: number
  df: number
  p: number
  ci: [number, number]
  mean: [number, number]
  sd: [number, number]
  relative: Nullable<{ estimate: number; ci: [number, number] }>
  sample_size: Nullable<number>
}
export interface Reference {
  dist: Record<keyof Cases['dist'], number[]>
  winsorize: Record<keyof Cases['winsorize'], { cap: number; values: number[]; capped: number }>
  welch: Record<keyof Cases['welch'], WelchRef>
  welch_degenerate: Record<keyof Cases['welch_degenerate'], { t: Nullable<number>; p: Nullable<number> }>
  skewed: Record<keyof Cases['skewed'], WelchRef>
  proportions: Record<
    keyof Cases['proportions'],
    {
      z: Nullable<number>
      p_z: Nullable<number>
      p_fisher: number
      min_expected: number
      wilson_a: [number, number]
      wilson_b: [number, number]
      newcombe: [number, number]
      cohen_h: number
      sample_size: Nullable<number>
    }
  >
  srm: Record<keyof Cases['srm'], { chi_square: number; p: number; expected: number[] }>
  holm: Record<keyof Cases['holm'], number[]>
  power: Nullable<number>[]
  bootstrap: Record<keyof Cases['bootstrap'], { median: number; ci: [number, number] }>
}

/** Runs the reference script; throws with install instructions when Python or its packages are missing. */
export function scipyReferences(): Reference {
  const python = process.env.BLOOP_TEST_PYTHON || (existsSync(LOCAL_PYTHON) ? LOCAL_PYTHON : '')
  if (!python) throw new Error(`BLOOP_TEST_PYTHON is not set and ${LOCAL_PYTHON} does not exist.\n${INSTALL}`)
  if (python.includes('/') && !existsSync(python))
    throw new Error(`BLOOP_TEST_PYTHON=${python} does not exist.\n${INSTALL}`)
  let run: ReturnType<typeof Bun.spawnSync>
  try {
    run = Bun.spawnSync([python, SCRIPT], { stdin: new TextEncoder().encode(JSON.stringify(cases)) })
  } catch (e) {
    throw new Error(`could not start ${python}: ${(e as Error).message}\n${INSTALL}`)
  }
  if (run.exitCode !== 0)
    throw new Error(
      `${python} ${SCRIPT} exited with ${run.exitCode}:\n${run.stderr?.toString() ?? ''}\n${INSTALL}`,
    )
  return JSON.parse(run.stdout?.toString() ?? '') as Reference
}
