/** The LLM feature's /metrics figures (registered once, in start). */
import type { Registry } from '../../ops/metrics'

export function llmMetrics(registry: Registry) {
  return {
    tracesAccepted: registry.counter(
      'bloop_llm_traces_accepted_total',
      'Traces committed to storage, by source.',
    ),
    spansAccepted: registry.counter(
      'bloop_llm_spans_accepted_total',
      'Spans committed to storage, by source.',
    ),
    rejected: registry.counter(
      'bloop_llm_traces_rejected_total',
      'Traces or trace requests refused before storage, by reason (validation, too_many_spans, batch_too_large, too_large, auth codes).',
    ),
    dropped: registry.counter(
      'bloop_llm_traces_dropped_total',
      'Traces refused because the server could not take them (queue_full, storage_error); clients were told.',
    ),
    spansDropped: registry.counter(
      'bloop_llm_spans_dropped_total',
      'Spans of dropped traces (queue_full, storage_error); clients were told.',
    ),
    unknownModelSpans: registry.counter(
      'bloop_llm_unknown_model_spans_total',
      'New spans with tokens whose model no price matched (cost unknown); GET /v1/llm/pricing/unknown lists them.',
    ),
    errorEvents: registry.counter(
      'bloop_llm_error_events_total',
      'Error spans submitted as error events (llm_tracing.errors_as_issues), by outcome (stored, duplicate, failed).',
    ),
    commitSeconds: registry.histogram(
      'bloop_llm_commit_duration_seconds',
      'Time to write and commit one LLM transaction.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ),
    ackSeconds: registry.histogram(
      'bloop_llm_ingest_ack_seconds',
      'Time from enqueue to commit acknowledgement of trace requests.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    ),
  }
}

export type LlmMetrics = ReturnType<typeof llmMetrics>
