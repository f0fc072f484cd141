/**
 * The cost of one model call, in integer microdollars. Pure: the usage, the model name, the
 * call's time and the operator's overrides in; the cost and where its price came from out.
 *
 * Where a price comes from, first match wins:
 *   1. a cost the client sent: handled by the caller, which keeps it (`dollarsToMicros`)
 *      and does not call priceUsage;
 *   2. a project override, then 3. a global override (selection rules in overrides.ts);
 *   4. the price table of @pydantic/genai-prices, as shipped inside the pinned package;
 *   5. otherwise the cost is unknown: null, never 0.
 *
 * No network, ever: the package computes from data compiled into its own module and has no
 * fetch of its own; only `updatePrices` (a hook for the caller to download newer data) could
 * change that data, and bloop never calls it. A price therefore changes only when the package
 * is upgraded, which the golden fixtures in test/unit catch. `price_version` names the
 * table version or the override that priced a call, so a stored cost can be explained later.
 *
 * Model names resolve as the package resolves them (dated names such as
 * `claude-sonnet-4-5-20250929` fall back to their undated entry), and also:
 * - the provider hint, when it names a provider the table knows, picks that provider's entry
 *   (`openrouter` + `openai/gpt-4o` is OpenRouter's price); a hint the table does not know
 *   (a private gateway's name) is ignored rather than making every call unknown;
 * - a `provider/model` or `provider:model` name whose prefix is a known provider is looked
 *   up as that model of that provider (`openai/gpt-4o`);
 * - without a usable hint, the providers whose name patterns claim the model, then the
 *   first-party APIs most calls go to (OpenAI, Anthropic, Google), so an embedding model,
 *   which no pattern claims, still finds its price; resellers are never guessed.
 * The package's calcPrice is slow per call (resolution and a generic unit machinery on every
 * call); price-table.ts applies the same data with the same arithmetic, resolved and compiled
 * once per model, and falls back to calcPrice for any price it cannot reproduce exactly.
 * Tiered prices apply as the package defines them: the tier is chosen by the call's whole
 * input_tokens (cache tokens included) and prices every token of the call.
 *
 * Unknown cache or reasoning counts are priced as plain input or output (they are parts of
 * those totals): an unknown cache-read count overstates the cost, an unknown cache-write
 * count understates it. Unknown input or output leaves the cost unknown. Anthropic's 1-hour
 * cache writes are priced as cache writes (the 5-minute rate, 0.625x the 1-hour one): the
 * normalized usage does not split them.
 */
import { calcPrice, findProvider, type Usage as TableUsage } from '@pydantic/genai-prices'
import { overrideCostMicros, type PricingOverride, selectOverride } from './overrides'
import { type TablePrice, tablePrice } from './price-table'
import { checkUsage, type Usage } from './usage'

/** Must equal the installed package's version; a test holds the two together. */
export const GENAI_PRICES_VERSION = '0.1.8'
export const TABLE_PRICE_VERSION = `genai-prices@${GENAI_PRICES_VERSION}`

export interface PriceRequest {
  model: string
  /** The provider as the source named it (`openai`, `anthropic`, `gcp.vertex_ai`...), if it did. */
  provider?: string | null
  usage: Usage
  /** When the call was made, epoch ms: prices change over time and by time of day. */
  at: number
  /** The call's project: its overrides and the global ones apply, no other project's. */
  project_id: string | null
  overrides?: readonly PricingOverride[]
}

export type PriceMatch = { provider: string | null; model: string }
export type UnknownReason = 'model_not_found' | 'usage_unknown' | 'price_error'

export type PriceResult =
  | {
      source: 'table'
      cost_micros: number
      price_version: string
      matched: { provider: string; model: string }
    }
  | {
      source: 'override'
      cost_micros: number
      price_version: string
      matched: PriceMatch
      override_id: string
    }
  | {
      source: 'unknown'
      cost_micros: null
      price_version: string
      /** The price that would apply, when only the usage was missing. */
      matched: PriceMatch | null
      reason: UnknownReason
    }

/** The first-party APIs tried for a model that no provider's name pattern claims. */
const FIRST_PARTY = ['openai', 'anthropic', 'google'] as const

export function priceUsage(req: PriceRequest): PriceResult {
  if (!Number.isFinite(req.at)) throw new Error(`expected the call's time in epoch ms, got ${req.at}`)
  const broken = checkUsage(req.usage)
  if (broken) throw new Error(`expected a normalized usage, got ${broken.field}: ${broken.error}`)
  const usageKnown = req.usage.input_tokens !== null && req.usage.output_tokens !== null

  const override = selectOverride(req.overrides ?? [], {
    model: req.model,
    provider: req.provider ?? null,
    project_id: req.project_id,
    at: req.at,
  })
  if (override) {
    const matched = { provider: override.provider, model: override.model_pattern }
    const price_version = `override:${override.id}@${override.effective_from}`
    const micros = overrideCostMicros(override, req.usage)
    if (micros === null) return unknown('usage_unknown', price_version, matched)
    return {
      source: 'override',
      cost_micros: roundMicros(micros),
      price_version,
      matched,
      override_id: override.id,
    }
  }

  let found: TablePrice | null
  try {
    found = lookupTable(req.model, req.provider ?? null, usageKnown ? req.usage : ZERO, req.at)
  } catch {
    // The package refuses price data it cannot apply; that is no reason to fail the call.
    return unknown('price_error', TABLE_PRICE_VERSION, null)
  }
  if (!found) return unknown('model_not_found', TABLE_PRICE_VERSION, null)
  const matched = { provider: found.provider, model: found.model }
  if (!usageKnown) return unknown('usage_unknown', TABLE_PRICE_VERSION, matched)
  return {
    source: 'table',
    cost_micros: dollarsToMicros(found.total_price),
    price_version: TABLE_PRICE_VERSION,
    matched,
  }
}

/** Dollars (a client's `cost`, the table's total) to integer microdollars. */
export function dollarsToMicros(dollars: number): number {
  if (!Number.isFinite(dollars)) throw new RangeError(`expected a finite amount of dollars, got ${dollars}`)
  return roundMicros(dollars * 1_000_000)
}

/**
 * Rounds a computed amount of microdollars. Binary floating point holds most decimal prices
 * inexactly, so an amount that is exactly half a microdollar in decimal can arrive a hair
 * below it ($0.0001245 x 1e6 = 124.49999999999999). The few operations that made the amount
 * err only in its 16th and 17th significant digits, and a decimal price times a token count
 * never needs that many, so cutting to 15 digits gives back the decimal value; then it is
 * rounded half away from zero.
 */
export function roundMicros(micros: number): number {
  // toPrecision is the slowest step of pricing a span, and it can only matter near a half:
  // cutting to 15 digits moves a value by less than 6e-15 of itself, and every integer
  // below 1e14 survives the cut, so a value further than 1e-13 of itself from k + 0.5
  // rounds the same way with or without it (test/unit/llm.pricing.fast.test.ts compares
  // the two over many products of decimal prices and token counts).
  const a = Math.abs(micros)
  if (a < 1e14) {
    const floor = Math.floor(a)
    const f = a - floor
    if (Math.abs(f - 0.5) > a * 1e-13) {
      const r = f > 0.5 ? floor + 1 : floor
      return micros < 0 && r !== 0 ? -r : r
    }
  }
  return roundHalfAwayFromZero(Number(micros.toPrecision(15)))
}

/** roundMicros without its fast path: what the fast path must always equal. */
export function roundMicrosByPrecision(micros: number): number {
  return roundHalfAwayFromZero(Number(micros.toPrecision(15)))
}

/** 0.5 -> 1, -0.5 -> -1, 2.5 -> 3 (not banker's rounding: Math.round(-0.5) is -0). */
export function roundHalfAwayFromZero(x: number): number {
  const a = Math.abs(x)
  const floor = Math.floor(a)
  const r = a - floor >= 0.5 ? floor + 1 : floor
  return x < 0 && r !== 0 ? -r : r
}

const ZERO: Usage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
}

/** The table's price for a normalized usage, or null when no model matches; throws when the package would. */
export function lookupTable(model: string, hint: string | null, usage: Usage, at: number): TablePrice | null {
  const name = model.trim()
  const table = () => toTableUsage(usage)
  return tablePrice(`${hint ?? ''}\u0000${name}`, usage, at, table, () => {
    const t = table()
    const timestamp = new Date(at)
    for (const [candidate, providerId] of priceCandidates(name, hint)) {
      const found = calcPrice(t, candidate, { providerId, timestamp })
      if (found)
        return {
          resolved: { provider: found.provider.id, model: found.model, name: candidate, providerId },
          total_price: found.total_price,
        }
    }
    return null
  })
}

/** The (model, provider) pairs to try, in order; see the header. */
export function* priceCandidates(
  model: string,
  hint: string | null,
): Generator<[string, string | undefined]> {
  const hinted = hint ? findProvider({ providerId: hint }) : undefined
  if (hinted && hint) yield [model, hint]
  const prefixed = /^([^/:]+)[/:](.+)$/.exec(model)
  if (prefixed?.[1] && prefixed[2] && findProvider({ providerId: prefixed[1] }))
    yield [prefixed[2], prefixed[1]]
  if (hinted) return
  yield [model, undefined]
  for (const id of FIRST_PARTY) yield [model, id]
}

/** The package's usage keys have the same meaning as bloop's: totals that include their parts. */
export function toTableUsage(u: Usage): TableUsage {
  const t: TableUsage = { input_tokens: u.input_tokens ?? 0, output_tokens: u.output_tokens ?? 0 }
  if (u.cache_read_tokens !== null) t.cache_read_tokens = u.cache_read_tokens
  if (u.cache_write_tokens !== null) t.cache_write_tokens = u.cache_write_tokens
  if (u.reasoning_tokens !== null) t.output_reasoning_tokens = u.reasoning_tokens
  return t
}

function unknown(reason: UnknownReason, price_version: string, matched: PriceMatch | null): PriceResult {
  return { source: 'unknown', cost_micros: null, price_version, matched, reason }
}
