/**
 * The time window of a read: `hours` whole hour buckets ending with the current one. The
 * rollups are kept per hour, so the window starts at an hour boundary; the trace list,
 * search and every raw-row query use the same start, which is what makes an overview's
 * `total_traces` equal the unfiltered list's `total` (docs/llm-query.md).
 */
export const HOUR_MS = 3_600_000

export interface Window {
  /** First millisecond inside the window (an hour boundary). */
  since: number
  /** First hour bucket inside the window (equal to `since`). */
  fromHour: number
  hours: number
}

export function windowOf(hours: number, now: number): Window {
  const since = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS
  return { since, fromHour: since, hours }
}

/** The UTC calendar month holding `now`: its first millisecond, its length, and the day. */
export function monthOf(now: number): { start: number; end: number; days: number; day: number } {
  const d = new Date(now)
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
  return { start, end, days: Math.round((end - start) / 86_400_000), day: d.getUTCDate() }
}
