/**
 * From a parsed trace to what the writer stores: the content policy applied, each span
 * priced, ids filled in. Pure: the policy, the overrides, the clock and the id generator
 * are passed in.
 *
 * Content policy (applied before anything leaves the request handler, so stripped text
 * never reaches the queue, the writer or the database file):
 *   none           input, output and metadata dropped from the trace and every span;
 *   metadata_only  input and output dropped, metadata kept;
 *   full           everything kept.
 * Never stripped: names, models, providers, tokens, cost, timing, statuses, error
 * messages, session and user ids, prompt names and versions, tags.
 *
 * Cost, first match wins: the client's cost (dollars, to micros half away from zero);
 * else a project override, a global override, the price table (pricing.ts); else
 * unknown (null). A client cost of exactly 0 on a span with tokens is read as "not
 * known": the official SDKs send 0 for every model missing from their own small tables
 * and expect the server to price it.
 */

import type { SpanRecord, TraceRecord, TraceSource } from '../model'
import type { PricingOverride } from '../overrides'
import { dollarsToMicros, priceUsage } from '../pricing'
import type { ContentPolicy, SpanInput, TraceInput } from './contract'

export interface PrepareContext {
  projectId: string
  source: TraceSource
  policy: ContentPolicy
  overrides: readonly PricingOverride[]
  now: number
  newId: () => string
}

export function prepareTrace(t: TraceInput, c: PrepareContext): TraceRecord {
  const keepContent = c.policy === 'full'
  const keepMetadata = c.policy !== 'none'
  const traceStart = t.started_at ?? null
  return {
    kind: 'trace',
    project_id: c.projectId,
    id: t.id ?? c.newId(),
    source: c.source,
    session_id: t.session_id ?? null,
    user_id: t.user_id ?? null,
    name: t.name ?? null,
    status: t.status ?? null,
    input: keepContent ? (t.input ?? null) : null,
    output: keepContent ? (t.output ?? null) : null,
    metadata: keepMetadata ? (t.metadata ?? null) : null,
    tags: t.tags ? JSON.stringify(t.tags) : null,
    prompt_name: t.prompt_name ?? null,
    prompt_version: t.prompt_version ?? null,
    started_at: traceStart,
    ended_at: t.ended_at ?? null,
    spans: t.spans.map((s, i) => prepareSpan(s, i, c, traceStart ?? c.now)),
    received_at: c.now,
  }
}

export function prepareSpan(s: SpanInput, index: number, c: PrepareContext, traceStart: number): SpanRecord {
  const keepContent = c.policy === 'full'
  const keepMetadata = c.policy !== 'none'
  const usage = {
    input_tokens: s.input_tokens ?? null,
    output_tokens: s.output_tokens ?? null,
    cache_read_tokens: s.cache_read_tokens ?? null,
    cache_write_tokens: s.cache_write_tokens ?? null,
    reasoning_tokens: s.reasoning_tokens ?? null,
  }
  const cost = spanCost(s, usage, c, s.started_at ?? traceStart)
  return {
    // A span without an id is named by its position, so re-sending the same trace
    // updates it instead of adding a copy.
    id: s.id ?? `span-${index + 1}`,
    parent_span_id: s.parent_span_id ?? null,
    span_type: s.span_type ?? null,
    name: s.name ?? null,
    model: s.model ?? null,
    provider: s.provider ?? null,
    status: s.status ?? null,
    error_message: s.error_message ?? null,
    input: keepContent ? (s.input ?? null) : null,
    output: keepContent ? (s.output ?? null) : null,
    metadata: keepMetadata ? (s.metadata ?? null) : null,
    started_at: s.started_at ?? null,
    ended_at: s.ended_at ?? null,
    latency_ms: s.latency_ms ?? null,
    time_to_first_token_ms: s.time_to_first_token_ms ?? null,
    ...usage,
    ...cost,
  }
}

type Cost = Pick<SpanRecord, 'cost_micros' | 'cost_source' | 'price_version'>

function spanCost(
  s: SpanInput,
  usage: Parameters<typeof priceUsage>[0]['usage'],
  c: PrepareContext,
  at: number,
): Cost {
  const hasTokens = (usage.input_tokens ?? 0) > 0 || (usage.output_tokens ?? 0) > 0
  if (s.cost !== undefined && !(s.cost === 0 && hasTokens)) {
    return { cost_micros: dollarsToMicros(s.cost), cost_source: 'client', price_version: null }
  }
  if (s.model === undefined) return { cost_micros: null, cost_source: 'unknown', price_version: null }
  const r = priceUsage({
    model: s.model,
    provider: s.provider ?? null,
    usage,
    at,
    project_id: c.projectId,
    overrides: c.overrides,
  })
  return { cost_micros: r.cost_micros, cost_source: r.source, price_version: r.price_version }
}
