/**
 * One retention pass: read the settings, decide the cutoffs (policy.ts), then delete in
 * small batches through the writer thread and give the freed pages back to the file
 * system with incremental vacuum.
 *
 * Never stalling ingest: every batch is its own writer task (one short transaction of at
 * most `retention.prune_batch_size` rows). The writer runs tasks in arrival order; after
 * each batch the sweeper yields, rests (while ingest is active) twice as long as the batch
 * took, and waits for the ingest queue to go idle (at most MAX_YIELD_MS), so an ingest
 * commit waits at most one batch, never the pass, and the pass leaves ingest most of a
 * shared core. Measured in bench/prune.bench.ts (docs/benchmarks.md).
 *
 * Passes never overlap: a purge requested during a scheduled pass runs after it, and its
 * answer counts only what it deleted itself.
 */
import type { Logger } from '../ops/log'
import type { TaskMap } from '../pipeline/tasks'
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
  /** Wall time of each phase: deleting raw events, hourly counts, returning pages. */
  phases_ms: { raw_events: number; hourly_counts: number; vacuum: number }
  cutoffs: { raw_events_before: number; hourly_buckets_through: number; per_project: Record<string, number> }
}

export interface SweeperDeps {
  db: Db
  writer: Writer
  log: Logger
  now: () => number
  batchSize: number
  /** Whether ingest committed anything lately (then the pass leaves it most of the CPU). */
  ingestActive?: () => boolean
  /** Resolves when no ingest commit is waiting or running (IngestQueue.drain). */
  ingestIdle?: () => Promise<void>
  /** Replaces the whole wait between batches (tests); receives the batch's duration. */
  pause?: (batchMs: number) => Promise<void>
  /** Timer used for the rests (tests record them); Bun.sleep by default. */
  sleep?: (ms: number) => Promise<void>
}

/**
 * While ingest is active, the pass rests this many times as long as each batch took, so
 * it takes at most a third of the time of the writer and of the core it shares with the
 * HTTP handlers (a 1-core VPS): measured in bench/prune.bench.ts, a pass at full speed
 * next to ingest at half capacity saturates the core and ingest latency climbs. An idle
 * server prunes at full speed.
 */
export const REST_FACTOR = 2
/**
 * Longest wait for ingest to go idle between two batches: under sustained full load the
 * pass still advances, at least one batch per this many milliseconds (plus its rest).
 */
export const MAX_YIELD_MS = 250

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
    const { ingestIdle, ingestActive } = this.deps
    const sleep = this.deps.sleep ?? Bun.sleep
    const pause =
      this.deps.pause ??
      (async (batchMs: number) => {
        await yieldToEventLoop()
        if (ingestActive?.()) await sleep(batchMs * REST_FACTOR)
        if (ingestIdle) await Promise.race([ingestIdle(), Bun.sleep(MAX_YIELD_MS)])
      })
    /** One writer task, then the pause that lets ingest in. */
    const step = async <K extends 'pruneRaw' | 'pruneHourly' | 'vacuumStep'>(
      kind: K,
      args: TaskMap[K]['args'],
    ): Promise<TaskMap[K]['result']> => {
      const t = performance.now()
      const result = await writer.run(kind, args)
      await pause(performance.now() - t)
      return result
    }
    const startedAt = now()
    const t0 = performance.now()
    const cutoffs = decideCutoffs(readSettings(db), readOverrides(db), startedAt)
    log.info('retention pass started', { trigger, raw_events_before: cutoffs.raw_default })

    const perProject = new Map<string, number>()
    let raw = 0
    let cursor: RawCursor | null = null
    do {
      if (this.stopped) break
      const r: PruneRawResult = await step('pruneRaw', { cutoffs, after: cursor, limit: batchSize })
      raw += r.deleted
      for (const [p, n] of Object.entries(r.by_project)) perProject.set(p, (perProject.get(p) ?? 0) + n)
      cursor = r.next
    } while (cursor !== null)

    const t1 = performance.now()
    let hourly = 0
    for (;;) {
      if (this.stopped) break
      const r = await step('pruneHourly', { lastBucket: cutoffs.hourly_last_bucket, limit: batchSize })
      hourly += r.deleted
      if (r.deleted < batchSize) break
    }

    const t2 = performance.now()
    let pagesFreed = 0
    for (;;) {
      if (this.stopped) break
      const r = await step('vacuumStep', { pages: VACUUM_STEP_PAGES })
      pagesFreed += r.freed
      if (r.remaining === 0 || r.freed === 0) break
    }

    const t3 = performance.now()
    const report: PassReport = {
      trigger,
      started_at: startedAt,
      finished_at: now(),
      duration_ms: Math.round(t3 - t0),
      raw_events_deleted: raw,
      hourly_counts_deleted: hourly,
      per_project: [...perProject.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([project_id, n]) => ({ project_id, raw_events_deleted: n })),
      pages_freed: pagesFreed,
      phases_ms: {
        raw_events: Math.round(t1 - t0),
        hourly_counts: Math.round(t2 - t1),
        vacuum: Math.round(t3 - t2),
      },
      cutoffs: cutoffView(cutoffs),
    }
    this.last = report
    log.info('retention pass finished', {
      trigger,
      raw_events_deleted: raw,
      hourly_counts_deleted: hourly,
      pages_freed: pagesFreed,
      duration_ms: report.duration_ms,
      phases_ms: report.phases_ms,
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
