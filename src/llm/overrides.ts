/**
 * Pricing overrides: prices an operator sets for a model the table lacks (a fine-tune, a
 * self-hosted model) or prices differently (a negotiated rate). Pure: the caller loads the
 * overrides and passes them in with the call's time; nothing here reads a clock or storage.
 *
 * Which override prices a call (`selectOverride`): among those effective at `at`
 * (effective_from <= at) that belong to the call's project or are global (project_id null),
 * whose provider is null or equals the call's provider (case-insensitive), and whose
 * pattern matches the model name as sent (case-insensitive):
 *   1. a project override beats a global one;
 *   2. an exact pattern beats a glob;
 *   3. a longer glob beats a shorter one (`my-ft-v2-*` over `my-ft-*`);
 *   4. an override naming the provider beats one for any provider;
 *   5. the latest effective_from wins (a new price supersedes the old one);
 *   6. then the smallest id, so the choice never depends on the order of the list.
 * A glob's only wildcard is `*` (any run of characters, `/` included, since model names
 * such as `org/model` contain slashes); every other character is literal.
 *
 * Cost (`overrideCostMicros`): prices are dollars per million tokens, so tokens x price is
 * microdollars. Cache reads and writes without a price of their own cost the input price,
 * reasoning without one costs the output price. Unknown cache or reasoning counts are
 * priced as plain input or output (they are parts of those totals); unknown input or
 * output makes the cost unknown.
 */
import type { FieldError, Usage } from './usage'

export interface PricingOverride {
  id: string
  /** null: a global override, for every project. */
  project_id: string | null
  model_pattern: string
  match: 'exact' | 'glob'
  /** null: any provider. */
  provider: string | null
  input_per_mtok: number
  output_per_mtok: number
  /** null: the input price. */
  cache_read_per_mtok: number | null
  /** null: the input price. */
  cache_write_per_mtok: number | null
  /** null: the output price. */
  reasoning_per_mtok: number | null
  /** Epoch ms from which the override applies. */
  effective_from: number
}

/** What a PUT body sets; `id` and `project_id` come from the route, not the body. */
export type PricingOverrideBody = Omit<PricingOverride, 'id' | 'project_id'>

export interface OverrideQuery {
  model: string
  provider: string | null
  project_id: string | null
  at: number
}

export const MAX_PATTERN_CHARS = 200
export const MAX_PROVIDER_CHARS = 100
/** $1 per token. Far above any model on sale, and it keeps every cost a safe integer. */
export const MAX_PRICE_PER_MTOK = 1_000_000
/** The last instant a JavaScript Date can hold. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000

export function selectOverride(
  overrides: readonly PricingOverride[],
  q: OverrideQuery,
): PricingOverride | null {
  const model = q.model.toLowerCase()
  const provider = q.provider?.toLowerCase() ?? null
  let best: PricingOverride | null = null
  for (const o of overrides) {
    if (o.effective_from > q.at) continue
    if (o.project_id !== null && o.project_id !== q.project_id) continue
    if (o.provider !== null && o.provider.toLowerCase() !== provider) continue
    const pattern = o.model_pattern.toLowerCase()
    if (o.match === 'exact' ? pattern !== model : !globMatch(pattern, model)) continue
    if (!best || ranksBefore(o, best)) best = o
  }
  return best
}

function ranksBefore(a: PricingOverride, b: PricingOverride): boolean {
  const keys = (o: PricingOverride) => [
    o.project_id !== null ? 1 : 0,
    o.match === 'exact' ? 1 : 0,
    o.match === 'glob' ? o.model_pattern.length : 0,
    o.provider !== null ? 1 : 0,
    o.effective_from,
  ]
  const ka = keys(a)
  const kb = keys(b)
  for (let i = 0; i < ka.length; i++) {
    const x = ka[i] as number
    const y = kb[i] as number
    if (x !== y) return x > y
  }
  return a.id < b.id
}

/**
 * `*` matches any run of characters. Backtracks only to the last star, so the work is at
 * most pattern length x name length; a regular expression built from a pattern full of
 * stars can backtrack for a very long time on a name that almost matches.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0
  let t = 0
  let star = -1
  let resume = 0
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++
      t++
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++
      resume = t
    } else if (star >= 0) {
      p = star + 1
      t = ++resume
    } else return false
  }
  while (p < pattern.length && pattern[p] === '*') p++
  return p === pattern.length
}

/** Unrounded microdollars of `usage` at the override's prices; null when input or output is unknown. */
export function overrideCostMicros(o: PricingOverride, u: Usage): number | null {
  if (u.input_tokens === null || u.output_tokens === null) return null
  const read = u.cache_read_tokens ?? 0
  const write = u.cache_write_tokens ?? 0
  const reasoning = u.reasoning_tokens ?? 0
  return (
    (u.input_tokens - read - write) * o.input_per_mtok +
    read * (o.cache_read_per_mtok ?? o.input_per_mtok) +
    write * (o.cache_write_per_mtok ?? o.input_per_mtok) +
    (u.output_tokens - reasoning) * o.output_per_mtok +
    reasoning * (o.reasoning_per_mtok ?? o.output_per_mtok)
  )
}

export type OverrideBodyResult =
  | { ok: true; value: PricingOverrideBody }
  | { ok: false; errors: FieldError[] }

const PRICE_FIELDS = ['input_per_mtok', 'output_per_mtok'] as const
const OPTIONAL_PRICE_FIELDS = ['cache_read_per_mtok', 'cache_write_per_mtok', 'reasoning_per_mtok'] as const
const KNOWN_FIELDS = new Set<string>([
  'model_pattern',
  'match',
  'provider',
  'effective_from',
  ...PRICE_FIELDS,
  ...OPTIONAL_PRICE_FIELDS,
  // Ignored: the route decides them, but a client echoing a fetched override may send them.
  'id',
  'project_id',
])

/**
 * Validates an override body, collecting every fault with the field it names (a form can
 * mark them all; an HTTP answer reports the first). A missing effective_from is `now`.
 * Unknown fields are refused: a misspelt optional price would otherwise be silently null.
 */
export function validateOverrideBody(body: unknown, now: number): OverrideBodyResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, errors: [{ field: 'body', error: 'expected a JSON object' }] }
  const b = body as Record<string, unknown>
  const errors: FieldError[] = []
  const fail = (field: string, error: string) => errors.push({ field, error })

  for (const key of Object.keys(b)) if (!KNOWN_FIELDS.has(key)) fail(key, 'unknown field')

  const match = b.match
  if (match !== 'exact' && match !== 'glob') fail('match', `expected "exact" or "glob", got ${show(match)}`)

  const pattern = b.model_pattern
  if (typeof pattern !== 'string') fail('model_pattern', `expected a string, got ${show(pattern)}`)
  else if (pattern.length < 1 || pattern.length > MAX_PATTERN_CHARS)
    fail('model_pattern', `expected 1 to ${MAX_PATTERN_CHARS} characters, got ${pattern.length}`)
  else if (pattern.trim() !== pattern)
    fail('model_pattern', 'expected no leading or trailing spaces: a model name has none')
  else if (match === 'glob' && !pattern.includes('*'))
    fail('model_pattern', 'a glob needs at least one "*"; use match "exact" for a single model')
  else if (match === 'exact' && pattern.includes('*'))
    fail('model_pattern', 'an exact pattern cannot contain "*"; use match "glob"')

  const provider = b.provider ?? null
  if (
    provider !== null &&
    (typeof provider !== 'string' || provider.trim() === '' || provider.length > MAX_PROVIDER_CHARS)
  )
    fail('provider', `expected null or 1 to ${MAX_PROVIDER_CHARS} characters, got ${show(provider)}`)

  for (const field of PRICE_FIELDS) {
    const error = priceError(b[field])
    if (error) fail(field, error)
  }
  for (const field of OPTIONAL_PRICE_FIELDS) {
    const error = b[field] === undefined || b[field] === null ? null : priceError(b[field])
    if (error) fail(field, error)
  }

  const from = b.effective_from ?? now
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0 || from > MAX_EPOCH_MS)
    fail('effective_from', `expected epoch milliseconds from 0 to ${MAX_EPOCH_MS}, got ${show(from)}`)

  if (errors.length) return { ok: false, errors }
  return {
    ok: true,
    value: {
      model_pattern: pattern as string,
      match: match as 'exact' | 'glob',
      provider: provider as string | null,
      input_per_mtok: b.input_per_mtok as number,
      output_per_mtok: b.output_per_mtok as number,
      cache_read_per_mtok: (b.cache_read_per_mtok ?? null) as number | null,
      cache_write_per_mtok: (b.cache_write_per_mtok ?? null) as number | null,
      reasoning_per_mtok: (b.reasoning_per_mtok ?? null) as number | null,
      effective_from: from as number,
    },
  }
}

function priceError(v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v))
    return `expected dollars per million tokens (a finite number), got ${show(v)}`
  if (v < 0) return `expected a non-negative price, got ${v}`
  if (v > MAX_PRICE_PER_MTOK)
    return `expected at most ${MAX_PRICE_PER_MTOK} dollars per million tokens, got ${v}`
  return null
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  const s = JSON.stringify(v)
  return s === undefined ? typeof v : s.length > 60 ? `${s.slice(0, 60)}...` : s
}
