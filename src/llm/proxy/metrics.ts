/** The proxy's counters in /metrics. Labels carry the provider name, never a key. */
import type { Registry } from '../../ops/metrics'

export function proxyMetrics(registry: Registry) {
  return {
    requests: registry.counter(
      'bloop_proxy_requests_total',
      'Proxied LLM calls by provider and the status the client received (the upstream status, or 502/504 from bloop).',
    ),
    recorded: registry.counter(
      'bloop_proxy_traces_total',
      'Proxied calls recorded as traces, by provider and span status.',
    ),
    dropped: registry.counter(
      'bloop_proxy_traces_dropped_total',
      'Proxied calls answered but not recorded, by reason (queue_full, storage_unavailable, ...); logged too.',
    ),
    overhead: registry.histogram(
      'bloop_proxy_overhead_seconds',
      "The proxy's own time on a traced call's response path (X-Bloop-Overhead-Ms).",
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    ),
  }
}

export type ProxyMetrics = ReturnType<typeof proxyMetrics>
