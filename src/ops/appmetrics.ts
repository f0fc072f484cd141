/** The metrics every part of the server records; features may add their own to `registry`. */
import { Registry } from './metrics'

export function createMetrics() {
  const registry = new Registry()
  return {
    registry,
    accepted: registry.counter('bloop_events_accepted_total', 'Events committed to storage, by endpoint.'),
    rejected: registry.counter(
      'bloop_events_rejected_total',
      'Events or requests refused before storage, by reason (validation, auth, too_large, ...).',
    ),
    dropped: registry.counter(
      'bloop_events_dropped_total',
      'Events refused because the server could not take them (queue_full, storage_error); clients were told.',
    ),
    duplicates: registry.counter(
      'bloop_events_duplicate_total',
      'Events ignored because their event_id was already stored.',
    ),
    commitBatch: registry.histogram(
      'bloop_commit_batch_events',
      'Events per committed transaction.',
      [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    ),
    commitSeconds: registry.histogram(
      'bloop_commit_duration_seconds',
      'Time to write and commit one transaction.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ),
    ackSeconds: registry.histogram(
      'bloop_ingest_ack_seconds',
      'Time from enqueue to commit acknowledgement.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    ),
    http: registry.counter('bloop_http_requests_total', 'HTTP responses by route group and status code.'),
    httpSeconds: registry.histogram(
      'bloop_http_request_duration_seconds',
      'Time until the response is ready (headers; a stream is not timed to its end), by route group and method.',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  }
}

export type AppMetrics = ReturnType<typeof createMetrics>
