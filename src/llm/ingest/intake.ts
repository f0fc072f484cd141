/**
 * The LLM intake: the one road into LLM storage, for the SDK routes (ingest/routes.ts),
 * the proxy and the OTLP import. `submit` applies the project's content policy, prices
 * each span, queues the traces and resolves once they are committed.
 *
 * - Content policy: the project's row in `llm_settings`, else `llm_tracing.default_content_storage`;
 *   read on every request, so a change is effective from the next one. A request (a header,
 *   the proxy) may only tighten it: `none` < `metadata_only` < `full`.
 * - Cost (write/price.ts): a client-sent cost wins; otherwise project override, global
 *   override, the price table; otherwise unknown (null). Each span records `cost_source`
 *   and `price_version`.
 * - Queue: a BatchQueue (contract in storage/queue.ts) of `llm.commit` tasks, capacity
 *   `llm_tracing.channel_capacity` traces, at most `flush_batch_size` traces per
 *   transaction. Full: AppError 429 with Retry-After, counted as dropped; nothing is
 *   dropped silently. A failed commit: 503.
 */
import type { ContentPolicy, TraceInput } from './contract'

export type { TraceSource } from '../model'

import type { TraceSource } from '../model'

export interface SubmitOptions {
  source: TraceSource
  /** A request's own policy (a header): applies only where it is stricter than the project's. */
  policy?: ContentPolicy
}

export interface LlmIntake {
  /**
   * Resolves once the traces are committed (acknowledged = durable). Rejects with an
   * AppError 429 (Retry-After) when the queue cannot take them; never drops silently.
   */
  submit(projectId: string, traces: TraceInput[], o: SubmitOptions): Promise<{ accepted: number }>
}

const RANK: Record<ContentPolicy, number> = { none: 0, metadata_only: 1, full: 2 }

/** The stricter of two policies: a request may tighten the project's policy, never loosen it. */
export function tighter(a: ContentPolicy, b: ContentPolicy | undefined): ContentPolicy {
  if (b === undefined) return a
  return RANK[b] < RANK[a] ? b : a
}
