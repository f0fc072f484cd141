/**
 * One retention pass: read the settings, decide the cutoffs (policy.ts), then delete in
 * small batches through the writer thread and give the freed pages back to the file
 * system with incremental vacuum.
 *
 * Never stalling ingest: every batch is its own writer task (one short transaction of at
 * most `retention.prune_batch_size` rows). The writer runs tasks in arrival order, and
 * between two batches the sweeper yields to the event loop, so an ingest commit queued
 * meanwhile runs before the next batch: ingest waits at most one batch, never the pass.
 *
 * Passes never overlap: a purge requested during a scheduled pass runs after it, and its
 * answer counts only what it deleted itself.
 */
import type { Logger } from '../ops/log'
import type { Writer } from '../pipeline/writer'
import type { Db } from '../storage/db'
import { type Cutoffs, decideCutoffs } from './policy'
import type { PruneRawResult, RawCursor } from './prune'
import { readOverrides, readSettings } from './store'

/** Pages returned to the file system per vacuum step (4 MB of 4 KB pages). */
export const VACUUM_STEP_PAGES = 1024

export interface PassReport {
  trigger: 'schedule' | 'purge'
  started_at: number
  finished_at: number
  duration_ms: number
  raw_events_deleted: number
  hourly_counts_deleted: number
  /** Raw events deleted per project id (only projects that lost rows). */
  per_project: { project_id: string; raw_events_deleted: number }[]
  pages_freed: number
  cutoffs: { raw_events_before: number; hourly_buckets_through: number; per_project: Record<string, number> }
}

export interface SweeperDeps {
  db: Db
  writer: Writer
  log: Logger
  now: () => number
  batchSize: number
  /** Called between batches; the default yields to the event loop (setImmediate). */
  pause?: () => Promise<void>
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export class Sweeper {
  private running: Promise<unknown> = Promise.resolve()
  private stopped = false
  last: PassReport | null = null

  constructor(private readonly deps: SweeperDeps) {}

  /** Runs one pass after any pass in progress; resolves with what this pass deleted. */
  run(trigger: PassReport['trigger']): Promise<PassReport> {
    const next = this.running.then(
      () => this.pass(trigger),
      () => this.pass(trigger),
    )
    this.running = next.catch(() => {})
    return next
  }

  /** Stops between batches; a pass in progress ends early (what it deleted stays deleted). */
  async stop(): Promise<void> {
    this.stopped = true
    await this.running
  }

  private async pass(trigger: PassReport['trigger']): Promise<PassReport> {
    const { db, writer, log, now, batchSize } = this.deps
    const pause = this.deps.pause ?? yieldToEventLoop
    const startedAt = now()
    const t0 = performance.now()
    const cutoffs = decideCutoffs(readSettings(db), readOverrides(db), startedAt)
    log.info('retention pass started', { trigger, raw_events_before: cutoffs.raw_default })

    const perProject = new Map<string, number>()
    let raw = 0
    let cursor: RawCursor | null = null
    do {
      if (this.stopped) break
      const r: PruneRawResult = await writer.run('pruneRaw', { cutoffs, after: cursor, limit: batchSize })
      raw += r.deleted
      for (const [p, n] of Object.entries(r.by_project)) perProject.set(p, (perProject.get(p) ?? 0) + n)
      cursor = r.next
      await pause()
    } while (cursor !== null)

    let hourly = 0
    for (;;) {
      if (this.stopped) break
      const r = await writer.run('pruneHourly', { lastBucket: cutoffs.hourly_last_bucket, limit: batchSize })
      hourly += r.deleted
      await pause()
      if (r.deleted < batchSize) break
    }

    let pagesFreed = 0
    for (;;) {
      if (this.stopped) break
      const r = await writer.run('vacuumStep', { pages: VACUUM_STEP_PAGES })
      pagesFreed += r.freed
      if (r.remaining === 0 || r.freed === 0) break
      await pause()
    }

    const report: PassReport = {
      trigger,
      started_at: startedAt,
      finished_at: now(),
      duration_ms: Math.round(performance.now() - t0),
      raw_events_deleted: raw,
      hourly_counts_deleted: hourly,
      per_project: [...perProject.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([project_id, n]) => ({ project_id, raw_events_deleted: n })),
      pages_freed: pagesFreed,
      cutoffs: cutoffView(cutoffs),
    }
    this.last = report
    log.info('retention pass finished', {
      trigger,
      raw_events_deleted: raw,
      hourly_counts_deleted: hourly,
      pages_freed: pagesFreed,
      duration_ms: report.duration_ms,
    })
    return report
  }
}

function cutoffView(c: Cutoffs): PassReport['cutoffs'] {
  return {
    raw_events_before: c.raw_default,
    hourly_buckets_through: c.hourly_last_bucket,
    per_project: c.raw_by_project,
  }
}
