/**
 * Retention decisions (docs/decisions.md, "Retention"), pure: from the settings and `now` to the cutoffs a prune
 * pass applies. No I/O; the sweeper reads the settings and the writer thread deletes.
 *
 * - Raw events are judged by `received_at`, the server's receive time, never by the
 *   client's `timestamp`: clients that send seconds and clients that send milliseconds age
 *   alike, and a client with a wrong clock cannot get its events kept or deleted early.
 * - An event expires when it was received strictly before `now - days`: one received
 *   exactly `days` ago is still inside the window.
 * - A project's override wins over the global window, whether it is longer or shorter.
 *   Events of a project without an override (or of a project id no longer listed) follow
 *   the global window.
 * - Hourly counts have their own global window; an hour bucket goes once the whole hour
 *   lies before the cutoff.
 * - Issues, aggregates, samples and status history are never pruned.
 */
import { DAY_MS, HOUR_MS } from '../core/time'

/** The units retention speaks in (defined in core/time.ts), for the callers that already import them here. */
export { DAY_MS, HOUR_MS }

export const MIN_DAYS = 1
export const MAX_DAYS = 3650

export interface RetentionSettings {
  raw_events_days: number
  hourly_counts_days: number
}

export interface ProjectOverride {
  project_id: string
  raw_events_days: number
}

export interface Cutoffs {
  /** Raw events of projects without an override: expired when received_at < this. */
  raw_default: number
  /** Per overridden project: expired when received_at < this. */
  raw_by_project: Record<string, number>
  /** No raw event received at or after this can be expired: where a scan stops. */
  raw_scan_until: number
  /** Hourly rows expire when hour_bucket <= this (the bucket's whole hour is older than the window). */
  hourly_last_bucket: number
  /** When the pass started: features with windows of their own (LLM traces) cut from it. */
  now: number
}

export const cutoffOf = (now: number, days: number) => now - days * DAY_MS

export function decideCutoffs(
  settings: RetentionSettings,
  overrides: readonly ProjectOverride[],
  now: number,
): Cutoffs {
  const raw_default = cutoffOf(now, settings.raw_events_days)
  const raw_by_project: Record<string, number> = {}
  let until = raw_default
  for (const o of overrides) {
    const c = cutoffOf(now, o.raw_events_days)
    raw_by_project[o.project_id] = c
    if (c > until) until = c
  }
  return {
    raw_default,
    raw_by_project,
    raw_scan_until: until,
    hourly_last_bucket: cutoffOf(now, settings.hourly_counts_days) - HOUR_MS,
    now,
  }
}

/** Whether a raw event of `projectId` received at `receivedAt` has left its window. */
export function isExpired(c: Cutoffs, projectId: string, receivedAt: number): boolean {
  return receivedAt < (c.raw_by_project[projectId] ?? c.raw_default)
}

/**
 * Where whole days of raw events may go at once (PostgreSQL drops a day's partition):
 * the start of the UTC day of the earliest cutoff of any project, so every event received
 * before it has left its window whatever its project, a project with a longer override
 * included. Events between this and their project's cutoff are deleted row by row.
 */
export function wholeDaysBefore(c: Cutoffs): number {
  let earliest = c.raw_default
  for (const v of Object.values(c.raw_by_project)) if (v < earliest) earliest = v
  return Math.floor(earliest / DAY_MS) * DAY_MS
}
