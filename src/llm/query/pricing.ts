/**
 * What a model costs for one project right now: the price the ingest would apply (the
 * project's overrides, the global ones, then the embedded table; src/llm/pricing.ts),
 * shown per million tokens of each kind. The rates are read back from the same pricing
 * function the ingest calls, on probe usages of 100,000 tokens: below every long-context
 * tier the table knows (128k and up), large enough that a price per million tokens comes
 * out to 1e-5 dollars (micros are integers).
 */
import type { Queryable } from '../../storage/backend'
import { GENAI_PRICES_VERSION, priceUsage, TABLE_PRICE_VERSION } from '../pricing'
import { overridesFor } from '../settings/store'
import type { Usage } from '../usage'

const PROBE_TOKENS = 100_000
const none: Usage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
}

export async function priceOf(
  db: Queryable,
  projectId: string,
  model: string,
  provider: string | null,
  now: number,
) {
  // The project's and the global overrides: the settings store's read, as ingest's cache does.
  const overrides = await overridesFor(db, projectId)
  const price = (usage: Partial<Usage>) =>
    priceUsage({ model, provider, usage: { ...none, ...usage }, at: now, project_id: projectId, overrides })
  const input = price({ input_tokens: PROBE_TOKENS })
  if (input.source === 'unknown') return null
  const perMtok = (r: ReturnType<typeof price>) =>
    r.cost_micros === null ? null : r.cost_micros / PROBE_TOKENS
  return {
    project_id: projectId,
    model,
    provider,
    source: input.source,
    matched: input.matched,
    price_version: input.price_version,
    input_per_mtok: perMtok(input),
    output_per_mtok: perMtok(price({ output_tokens: PROBE_TOKENS })),
    cache_read_per_mtok: perMtok(price({ input_tokens: PROBE_TOKENS, cache_read_tokens: PROBE_TOKENS })),
    cache_write_per_mtok: perMtok(price({ input_tokens: PROBE_TOKENS, cache_write_tokens: PROBE_TOKENS })),
    at: now,
  }
}

export const priceTable = () => ({
  package: '@pydantic/genai-prices',
  version: GENAI_PRICES_VERSION,
  price_version: TABLE_PRICE_VERSION,
})
