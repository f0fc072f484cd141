/**
 * The price table of @pydantic/genai-prices, applied without the package's per-call cost.
 * The DATA is the package's, always: nothing here holds a price. What is replaced is the
 * work calcPrice repeats on every call although its answer cannot change:
 *
 * 1. Resolution. Which (provider, model) a name and a provider hint price as depends on
 *    those two strings only, not on the usage or the time (calcPrice returns null only
 *    before it looks at either). The first call of a (hint, name) goes through the
 *    package's own calls (`resolve`, given by pricing.ts so the candidate order lives in one
 *    place); its model is remembered, and so is "no model". Bounded: a client sending
 *    endless random names cannot grow it past MEMO_MAX entries (it is cleared and refills).
 *    A first call that throws is not remembered: the next call asks the package again.
 * 2. The price in force. A model's conditional prices (a start date, a time of day) are
 *    chosen exactly as the package chooses them (`choosePrice`, the same walk from the
 *    last entry), with each constraint parsed once instead of on every call.
 * 3. The arithmetic. The package prices a usage through a generic unit registry (sets of
 *    dimensions, ancestor and overlap checks, a sort) on every call. bloop's usage reports
 *    five units only: input, output, cache read, cache write and reasoning tokens. For
 *    those, the package's leaf values are: input minus the cache parts that have a price
 *    of their own, output minus reasoning when reasoning has a price of its own, and 0 for
 *    every other unit (audio, images, searches: bloop never reports them); `requests`
 *    counts 1. `compile` turns one price object into that, once, and repeats the package's
 *    floating-point operations in the package's order (each term `price x leaf / per`,
 *    a tier chosen by the whole input_tokens, input, output and other terms summed apart,
 *    then added), so the total is the same double, not merely the same rounded cost.
 *
 * Guard: before a compiled price is used, it is checked against the package's own
 * calcPrice on probe usages (each unit alone, all together, each tier boundary), and a
 * price that differs or that the package refuses is priced by the package on every call
 * instead. A package upgrade that adds a unit this file does not know is therefore slower,
 * not wrong; test/unit/llm.pricing.fast.test.ts compares the two over every model of the
 * table with random usages and times.
 */
import {
  type ConditionalPrice,
  calcPrice,
  type ModelInfo,
  type ModelPrice,
  type Usage as TableUsage,
} from '@pydantic/genai-prices'
import type { Usage } from './usage'

export interface Resolved {
  /** The provider that priced it, as the package reports it (`found.provider.id`). */
  provider: string
  model: ModelInfo
  /** The candidate name and provider id that matched: the package's own call, when it is needed. */
  name: string
  providerId: string | undefined
}

export interface TablePrice {
  provider: string
  model: string
  /** Dollars, the same double calcPrice's total_price is. */
  total_price: number
}

/** The package's answer for one (hint, name): the first candidate that matched, or null. */
export type Resolve = () => { resolved: Resolved; total_price: number } | null

const MEMO_MAX = 4096
const resolutions = new Map<string, Resolved | null>()

/**
 * The price of `usage` for (hint, name) at `at`, or null when no model matches. Throws when
 * the package would (price data it refuses, a time a Date cannot hold); the caller maps
 * that to an unknown cost.
 */
export function tablePrice(
  key: string,
  usage: Usage,
  at: number,
  table: () => TableUsage,
  resolve: Resolve,
): TablePrice | null {
  const known = resolutions.get(key)
  if (known === null) return null
  if (known === undefined) {
    const first = resolve()
    if (resolutions.size >= MEMO_MAX) resolutions.clear()
    resolutions.set(key, first ? first.resolved : null)
    if (!first) return null
    return {
      provider: first.resolved.provider,
      model: first.resolved.model.id,
      total_price: first.total_price,
    }
  }
  const price = choosePrice(known.model, at)
  const compiled = compiledOf(price)
  const total_price =
    compiled === SLOW
      ? slowTotal(known, table(), at)
      : compiled(
          usage.input_tokens ?? 0,
          usage.output_tokens ?? 0,
          usage.cache_read_tokens ?? 0,
          usage.cache_write_tokens ?? 0,
          usage.reasoning_tokens ?? 0,
        )
  return { provider: known.provider, model: known.model.id, total_price }
}

/** Forgets every resolution: for tests that compare a first call with a remembered one. */
export function clearResolutions(): void {
  resolutions.clear()
}

/**
 * The package's own calcPrice: handed a provider holding just the resolved model, or, when
 * the name matched only after the package rewrote it (a LiteLLM `provider/model` name),
 * the whole call with the candidate's provider id, as it was resolved.
 */
function slowTotal(r: Resolved, table: TableUsage, at: number): number {
  const timestamp = new Date(at)
  const provider = { id: r.provider, name: r.provider, api_pattern: r.provider, models: [r.model] }
  const found =
    calcPrice(table, r.name, { provider, timestamp }) ??
    calcPrice(table, r.name, { providerId: r.providerId, timestamp })
  if (!found) throw new Error(`expected ${r.name} to match ${r.model.id} as it did before, got no model`)
  return found.total_price
}

// --- 2. the price in force ---------------------------------------------------------------

type Choice =
  | { kind: 'always'; prices: ModelPrice }
  | { kind: 'from'; ms: number; prices: ModelPrice }
  | { kind: 'daily'; start: number; end: number; prices: ModelPrice }
  | { kind: 'refused'; error: Error }

const choices = new WeakMap<ModelInfo, Choice[]>()

/**
 * The package's choice among conditional prices: from the last entry back, the first whose
 * constraint holds (none, a start date at or before the call, a UTC time-of-day window,
 * which may wrap midnight); the first entry when none holds.
 */
export function choosePrice(model: ModelInfo, at: number): ModelPrice {
  if (!Array.isArray(model.prices)) return model.prices
  const t = new Date(at)
  const ms = t.getTime()
  if (Number.isNaN(ms)) throw new RangeError('Invalid time value')
  let list = choices.get(model)
  if (!list) {
    list = model.prices.map(choiceOf(model))
    choices.set(model, list)
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i] as Choice
    if (c.kind === 'always') return c.prices
    if (c.kind === 'from') {
      if (ms >= c.ms) return c.prices
    } else if (c.kind === 'daily') {
      const n =
        t.getUTCHours() * 3600 + t.getUTCMinutes() * 60 + t.getUTCSeconds() + t.getUTCMilliseconds() / 1e3
      if (c.end < c.start ? n >= c.start || n < c.end : n >= c.start && n < c.end) return c.prices
    } else throw c.error
  }
  return (model.prices[0] as { prices: ModelPrice }).prices
}

function choiceOf(model: ModelInfo) {
  return (p: ConditionalPrice): Choice => {
    const c = p.constraint
    if (c === undefined) return { kind: 'always', prices: p.prices }
    try {
      if (c.type === 'start_date')
        return { kind: 'from', ms: new Date(c.start_date).getTime(), prices: p.prices }
      if (c.type === 'time_of_date')
        return {
          kind: 'daily',
          start: secondsOfDay(c.start_time),
          end: secondsOfDay(c.end_time),
          prices: p.prices,
        }
      return {
        kind: 'refused',
        error: new Error(`Unknown price constraint for model '${model.id}': ${JSON.stringify(c)}`),
      }
    } catch (err) {
      return { kind: 'refused', error: err as Error }
    }
  }
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` to seconds after midnight UTC, as the package reads it. */
function secondsOfDay(s: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(s)
  if (!m) throw new Error(`Invalid time-of-day constraint: ${s}`)
  const [, hh, mm, ss, frac = '', zone, sign, oh = '00', om = '00'] = m
  const h = Number(hh)
  const min = Number(mm)
  const sec = Number(ss)
  const offset = (Number(oh) * 60 + Number(om)) * 60
  if (h > 23 || min > 59 || sec > 59 || oh > '23' || om > '59')
    throw new Error(`Invalid time-of-day constraint: ${s}`)
  const local = h * 3600 + min * 60 + sec + +`0.${frac}`
  const z = zone === 'Z' ? 0 : sign === '+' ? offset : -offset
  return (local - z + 86400) % 86400
}

// --- 3. the arithmetic -------------------------------------------------------------------

/** input, output, cache read, cache write, reasoning (unknown counts as 0) -> dollars. */
type Compiled = (input: number, output: number, read: number, write: number, reasoning: number) => number
const SLOW = Symbol('priced by the package')
const compiled = new WeakMap<ModelPrice, Compiled | typeof SLOW>()

type Leaf = 'input' | 'output' | 'read' | 'write' | 'reasoning' | 'requests'
type Direction = 'input' | 'output' | 'other'
/** The units bloop's usage reports, by the package's price key (its unit registry). */
const UNITS: Record<string, { leaf: Leaf; per: number; direction: Direction }> = {
  input_mtok: { leaf: 'input', per: 1e6, direction: 'input' },
  cache_read_mtok: { leaf: 'read', per: 1e6, direction: 'input' },
  cache_write_mtok: { leaf: 'write', per: 1e6, direction: 'input' },
  output_mtok: { leaf: 'output', per: 1e6, direction: 'output' },
  output_reasoning_mtok: { leaf: 'reasoning', per: 1e6, direction: 'output' },
  requests_kcount: { leaf: 'requests', per: 1e3, direction: 'other' },
}

interface Term {
  leaf: Leaf
  per: number
  direction: Direction
  flat: number | null
  /** Tiers sorted by start, as the package sorts them; used when flat is null. */
  base: number
  tiers: { start: number; price: number }[]
}

const counts = { compiled: 0, slow: 0 }

/** How many price objects were compiled and how many the package prices on every call. */
export function compileCounts(): Readonly<typeof counts> {
  return { ...counts }
}

function compiledOf(price: ModelPrice): Compiled | typeof SLOW {
  let c = compiled.get(price)
  if (c === undefined) {
    c = verified(price)
    compiled.set(price, c)
    if (c === SLOW) counts.slow++
    else counts.compiled++
  }
  return c
}

function compile(price: ModelPrice): Compiled {
  const terms: Term[] = []
  for (const [key, value] of Object.entries(price)) {
    if (value === undefined) continue
    const unit = UNITS[key]
    // Any other unit's leaf is 0 for bloop's usage: its term adds nothing (the guard checks).
    if (!unit) continue
    if (typeof value === 'number') terms.push({ ...unit, flat: value, base: 0, tiers: [] })
    else
      terms.push({
        ...unit,
        flat: null,
        base: value.base,
        tiers: [...value.tiers]
          .map((t) => ({ start: t.start, price: t.price }))
          .sort((a, b) => a.start - b.start),
      })
  }
  const hasRead = terms.some((t) => t.leaf === 'read')
  const hasWrite = terms.some((t) => t.leaf === 'write')
  const hasReasoning = terms.some((t) => t.leaf === 'reasoning')
  return (input, output, read, write, reasoning) => {
    let i = 0
    let o = 0
    let s = 0
    for (const t of terms) {
      const leaf =
        t.leaf === 'input'
          ? input - (hasRead ? read : 0) - (hasWrite ? write : 0)
          : t.leaf === 'output'
            ? output - (hasReasoning ? reasoning : 0)
            : t.leaf === 'read'
              ? read
              : t.leaf === 'write'
                ? write
                : t.leaf === 'reasoning'
                  ? reasoning
                  : 1
      let v: number
      if (t.flat !== null) v = (t.flat * leaf) / t.per
      else if (leaf <= 0) v = 0
      else {
        let p = t.base
        for (const tier of t.tiers) if (input > tier.start) p = tier.price
        v = (((p * leaf) / 1e6) * 1e6) / t.per
      }
      if (t.direction === 'input') i += v
      else if (t.direction === 'output') o += v
      else s += v
    }
    return i + o + s
  }
}

const PROBE_ID = 'bloop-price-probe'

/** The compiled price when it gives the package's totals on every probe, else SLOW. */
function verified(price: ModelPrice): Compiled | typeof SLOW {
  let fast: Compiled
  try {
    fast = compile(price)
  } catch {
    return SLOW
  }
  const provider = {
    id: PROBE_ID,
    name: PROBE_ID,
    api_pattern: PROBE_ID,
    models: [{ id: PROBE_ID, match: { equals: PROBE_ID }, prices: price }],
  }
  for (const u of probes(price)) {
    let expected: number
    try {
      const found = calcPrice(toTable(u), PROBE_ID, { provider, timestamp: new Date(0) })
      if (!found) return SLOW
      expected = found.total_price
    } catch {
      return SLOW
    }
    const got = fast(u[0], u[1], u[2] ?? 0, u[3] ?? 0, u[4] ?? 0)
    if (!Object.is(got, expected)) return SLOW
  }
  return fast
}

/** [input, output, read, write, reasoning]; undefined: not reported. */
type Probe = [number, number, number | undefined, number | undefined, number | undefined]

function probes(price: ModelPrice): Probe[] {
  const list: Probe[] = [
    [0, 0, undefined, undefined, undefined],
    [1009, 0, undefined, undefined, undefined],
    [0, 1013, undefined, undefined, undefined],
    [1009, 0, 1009, 0, 0],
    [1009, 0, 0, 1009, 0],
    [0, 1013, 0, 0, 1013],
    [5003, 2003, 1201, 307, 701],
  ]
  for (const v of Object.values(price))
    if (typeof v === 'object' && v !== null)
      for (const t of v.tiers)
        for (const input of [t.start, t.start + 1])
          list.push([input, 997, Math.floor(input / 3), Math.floor(input / 7), 101])
  return list
}

function toTable([input, output, read, write, reasoning]: Probe): TableUsage {
  const t: TableUsage = { input_tokens: input, output_tokens: output }
  if (read !== undefined) t.cache_read_tokens = read
  if (write !== undefined) t.cache_write_tokens = write
  if (reasoning !== undefined) t.output_reasoning_tokens = reasoning
  return t
}
