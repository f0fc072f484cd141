/**
 * One retention pass: read the settings, decide the cutoffs (policy.ts), then run every
 * feature's retention hooks (hooks.ts; today the errors feature's raw events and hourly
 * counts) in small batches through the writer thread, and give the freed pages back to
 * the file system with incremental vacuum.
 *
 * Partitions (PostgreSQL, where raw_events and llm_spans are range-partitioned by receive
 * day; storage/upkeep.ts asks the seam, SQLite has none and skips both steps):
 * - before the hooks, the raw events of every whole day before the earliest cutoff of any
 *   project (`wholeDaysBefore`) go by dropping their day partitions, counted per project
 *   first in the same transaction, so the report stays exact; the errors hook then deletes
 *   row by row only the events between that day and their project's cutoff;
 * - after the hooks, the llm_spans partitions of days before the oldest stored LLM trace
 *   (and before yesterday) are dropped. Spans leave with their traces through the LLM
 *   hook, which takes each span's contribution out of the hourly rollups, so dropping a
 *   day of spans before it runs would leave the rollups counting spans no longer stored.
 *   A span's partition key is its trace's receive time, so no stored or future span can
 *   belong to a day before the oldest trace: those partitions are empty, and dropping them
 *   keeps the count of partitions bounded as the scheduler adds one a day.
 *
 * Never stalling ingest: every batch is its own writer task (one short transaction of at
 * most `retention.prune_batch_size` rows). The writer runs tasks in arrival order; after
 * each batch the sweeper yields, rests (while ingest is active) twice as long as the batch
 * took, and waits for every ingest queue to go idle (at most MAX_YIELD_MS), so an ingest
 * commit waits at most one batch, never the pass, and the pass leaves ingest most of a
 * shared core. Measured in bench/prune.bench.ts (docs/benchmarks.md).
 *
 * Passes never overlap: a purge requested during a scheduled pass runs after it, and its
 * answer counts only what it deleted itself.
 */
import type { RetentionHook } from '../core/feature'
import { DAY_MS } from '../core/time'
import type { Logger } from '../ops/log'
import type { Backend } from '../storage/backend'
import { dropPartitionsBefore } from '../storage/upkeep'
import type { PruneArgs, PruneStep } from './hooks'
import { type Cutoffs, decideCutoffs, wholeDaysBefore } from './policy'
import { readOverrides, readSettings } from './store'

/** Pages returned to the file system per vacuum step (4 MB of 4 KB pages). */
export const VACUUM_STEP_PAGES = 1024

/**
 * What a pass did. Each hook's rows are counted as `<name>_deleted` (today
 * `raw_events_deleted` and `hourly_counts_deleted`) and timed in `phases_ms.<name>`;
 * per_project entries carry the counts of the hooks that report them per project.
 */
export type PassReport = {
  trigger: 'schedule' | 'purge'
  started_at: number
  finished_at: number
  duration_ms: number
  /** Rows deleted per project id (only projects that lost rows), most first. */
  per_project: ({ project_id: string } & Record<`${string}_deleted`, number>)[]
  pages_freed: number
  /** Day partitions dropped per table (PostgreSQL; empty on SQLite). */
  partitions_dropped: Record<string, number>
  /** Wall time of each hook's phase, then of returning pages (`vacuum`). */
  phases_ms: Record<string, number>
  cutoffs: { raw_events_before: number; hourly_buckets_through: number; per_project: Record<string, number> }
} & Record<`${string}_deleted`, number>

/** The writer as a pass uses it: the hooks' tasks by name, and storage's vacuum step. */
export interface SweeperWriter {
  prune(task: string, args: PruneArgs): Promise<PruneStep>
  vacuum(args: { pages: number }): Promise<{ freed: number; remaining: number }>
}

export interface SweeperDeps {
  backend: Backend
  writer: SweeperWriter
  log: Logger
  now: () => number
  batchSize: number
  /** Every feature's hooks, in feature order. */
  hooks: readonly RetentionHook[]
  /** Whether ingest committed anything lately (then the pass leaves it most of the CPU). */
  ingestActive?: () => boolean
  /** Resolves when no ingest commit is waiting or running on any queue (WriterLoad.idle). */
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

  constructor(readonly deps: SweeperDeps) {}

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
    const { backend, writer, log, now, batchSize, hooks } = this.deps
    const { ingestIdle, ingestActive } = this.deps
    const sleep = this.deps.sleep ?? Bun.sleep
    const pause =
      this.deps.pause ??
      (async (batchMs: number) => {
        await yieldToEventLoop()
        if (ingestActive?.()) await sleep(batchMs * REST_FACTOR)
        if (ingestIdle) await Promise.race([ingestIdle(), Bun.sleep(MAX_YIELD_MS)])
      })
    /** One writer task, then the pause that lets ingest in (unless `idle` says it did nothing). */
    const step = async <R>(task: () => Promise<R>, idle?: (r: R) => boolean): Promise<R> => {
      const t = performance.now()
      const result = await task()
      if (!idle?.(result)) await pause(performance.now() - t)
      return result
    }
    const startedAt = now()
    const t0 = performance.now()
    const cutoffs = decideCutoffs(await readSettings(backend), await readOverrides(backend), startedAt)
    log.info('retention pass started', { trigger, raw_events_before: cutoffs.raw_default })

    const deleted: Record<string, number> = {}
    const phases: Record<string, number> = {}
    const perProject = new Map<string, Record<string, number>>()
    const byProjectHooks = new Set<string>()
    const partitions: Record<string, number> = {}
    const count = (name: string, projectId: string, n: number) => {
      byProjectHooks.add(name)
      const counts = perProject.get(projectId) ?? {}
      counts[name] = (counts[name] ?? 0) + n
      perProject.set(projectId, counts)
    }
    let phaseStart = t0
    if (!this.stopped) {
      const raw = await step(
        () =>
          dropPartitionsBefore(backend, 'raw_events', wholeDaysBefore(cutoffs), 'project_id', [
            'raw_event_ids',
          ]),
        (r) => r.dropped === 0,
      )
      if (raw.dropped > 0) {
        partitions.raw_events = raw.dropped
        let rows = 0
        for (const [p, n] of Object.entries(raw.counts)) {
          count('raw_events', p, n)
          rows += n
        }
        deleted.raw_events = rows
        const t = performance.now()
        phases.partitions = Math.round(t - phaseStart)
        phaseStart = t
      }
    }
    for (const hook of hooks) {
      let n = deleted[hook.name] ?? 0
      let cursor: unknown = null
      do {
        if (this.stopped) break
        const r = await step(() => writer.prune(hook.task, { cutoffs, after: cursor, limit: batchSize }))
        n += r.deleted
        for (const [p, k] of Object.entries(r.by_project ?? {})) count(hook.name, p, k)
        cursor = r.next
      } while (cursor !== null)
      deleted[hook.name] = n
      const t = performance.now()
      phases[hook.name] = Math.round(t - phaseStart)
      phaseStart = t
    }
    if (!this.stopped) {
      const spans = await step(
        () => dropEmptySpanDays(backend, startedAt),
        (n) => n === 0,
      )
      if (spans > 0) partitions.llm_spans = spans
    }

    let pagesFreed = 0
    for (;;) {
      if (this.stopped) break
      const r = await step(() => writer.vacuum({ pages: VACUUM_STEP_PAGES }))
      pagesFreed += r.freed
      if (r.remaining === 0 || r.freed === 0) break
    }

    const t3 = performance.now()
    phases.vacuum = Math.round(t3 - phaseStart)
    const counted = [...byProjectHooks]
    const total = (c: Record<string, number>) => counted.reduce((a, h) => a + (c[h] ?? 0), 0)
    const report = {
      trigger,
      started_at: startedAt,
      finished_at: now(),
      duration_ms: Math.round(t3 - t0),
      ...Object.fromEntries(hooks.map((h) => [`${h.name}_deleted`, deleted[h.name] ?? 0])),
      per_project: [...perProject.entries()]
        .sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]))
        .map(([project_id, c]) => ({
          project_id,
          ...Object.fromEntries(counted.map((h) => [`${h}_deleted`, c[h] ?? 0])),
        })),
      pages_freed: pagesFreed,
      partitions_dropped: partitions,
      phases_ms: phases,
      cutoffs: cutoffView(cutoffs),
    } as PassReport
    this.last = report
    log.info('retention pass finished', {
      trigger,
      ...Object.fromEntries(hooks.map((h) => [`${h.name}_deleted`, deleted[h.name] ?? 0])),
      pages_freed: pagesFreed,
      partitions_dropped: partitions,
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

/** Drops the llm_spans day partitions before the oldest stored trace's day and before yesterday. */
async function dropEmptySpanDays(b: Backend, now: number): Promise<number> {
  const oldest = await b.get<{ t: number | null }>('SELECT min(created_at) AS t FROM llm_traces')
  const from = Math.min(oldest?.t ?? now, now - DAY_MS)
  return (await dropPartitionsBefore(b, 'llm_spans', from)).dropped
}
