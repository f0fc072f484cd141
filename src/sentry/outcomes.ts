/**
 * What bloop does with each envelope item type, and the SDK-side loss that client reports
 * describe (develop.sentry.dev/sdk/telemetry/client-reports). Pure.
 *
 * Label values come from untrusted clients, so they are reduced to closed sets before they
 * become metric labels: an unknown item type, discard reason or data category is counted
 * as "other", and the number of distinct series stays bounded.
 */

export type ItemHandling = 'event' | 'counted' | 'ignored' | 'unknown'

/** Error events become bloop events; release-health and SDK reports are counted. */
const COUNTED = new Set(['session', 'sessions', 'client_report'])
/** Known to Sentry, accepted and (for now) ignored by bloop. */
const IGNORED = new Set([
  'transaction',
  'attachment',
  'user_report',
  'feedback',
  'profile',
  'profile_chunk',
  'replay_event',
  'replay_recording',
  'replay_video',
  'check_in',
  'statsd',
  'metric_meta',
  'metric_buckets',
  'span',
  'otel_span',
  'log',
  'otel_log',
  'trace_metric',
  'raw_security',
  'nel',
])

export function itemHandling(type: string): ItemHandling {
  if (type === 'event') return 'event'
  if (COUNTED.has(type)) return 'counted'
  if (IGNORED.has(type)) return 'ignored'
  return 'unknown'
}

/** The item type as a metric label: known types by name, anything else as "other". */
export const itemLabel = (type: string) => (itemHandling(type) === 'unknown' ? 'other' : type)

const REASONS = new Set([
  'queue_overflow',
  'cache_overflow',
  'buffer_overflow',
  'ratelimit_backoff',
  'network_error',
  'sample_rate',
  'before_send',
  'event_processor',
  'send_error',
  'internal_sdk_error',
  'insufficient_data',
  'backpressure',
  'ignored',
  'invalid',
])

const CATEGORIES = new Set([
  'default',
  'error',
  'transaction',
  'security',
  'attachment',
  'session',
  'profile',
  'profile_chunk',
  'replay',
  'span',
  'monitor',
  'log_item',
  'log_byte',
  'feedback',
  'trace_metric',
  'metric_bucket',
  'internal',
])

export interface Discarded {
  reason: string
  category: string
  quantity: number
}

/**
 * What the client reports of one envelope can add to the counters (an envelope may carry
 * several). Anyone holding a project's public key (it ships inside every client app) can
 * send reports, so without a cap one request could push `/metrics` to any number. SDKs send a report at least every minute or so, and one
 * SDK process rarely drops more than a few thousand items of a kind in that time (spans
 * and log bytes count highest), so these caps are far above a real report while a forged
 * one moves the counters by at most a million.
 */
export const MAX_QUANTITY = 100_000
export const MAX_REPORT_TOTAL = 1_000_000

/**
 * The `discarded_events` of the client reports of one envelope, with labels reduced to
 * known values, each line cut to MAX_QUANTITY and all lines, in order, to
 * MAX_REPORT_TOTAL together.
 */
export function discardedEvents(reports: Record<string, unknown>[]): Discarded[] {
  const list = reports.flatMap((r) => (Array.isArray(r.discarded_events) ? r.discarded_events : []))
  const out: Discarded[] = []
  let left = MAX_REPORT_TOTAL
  for (const d of list) {
    if (left === 0) break
    if (typeof d !== 'object' || d === null) continue
    const { reason, category, quantity } = d as Record<string, unknown>
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity <= 0) continue
    const counted = Math.min(quantity, MAX_QUANTITY, left)
    left -= counted
    out.push({
      reason: typeof reason === 'string' && REASONS.has(reason) ? reason : 'other',
      category: typeof category === 'string' && CATEGORIES.has(category) ? category : 'other',
      quantity: counted,
    })
  }
  return out
}
