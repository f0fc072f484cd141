/**
 * When the fold runs (main thread; the fold itself is the writer task `errors.fold`,
 * fold.ts). Contract:
 *
 * - **Lag.** Each commit asks for a fold; one starts at most FOLD_INTERVAL_MS after the
 *   previous one started, at once when the previous is that old (an idle server folds a
 *   lone event within milliseconds). Tag counts and users therefore trail the
 *   acknowledgement by at most the interval plus one fold, about 1 s under full load.
 * - **Yielding to ingest.** A fold is one writer task of at most FOLD_LIMIT events, run in
 *   arrival order with the queues' batches (so an ingest batch waits for at most one fold
 *   step); between steps of a backlog it waits for every queue to go idle (the WriterLoad,
 *   as the retention sweeper does), at most MAX_YIELD_MS, so it keeps up under full load.
 * - **Start and stop.** Starting folds whatever a crash left after the watermark; stopping
 *   (after the queues drained) folds the rest, so a clean shutdown leaves nothing behind.
 * - **Tests and tools** call `catchUp()`: it resolves once every event committed before
 *   the call is folded, so a test reads tags and users right after it, never after a sleep.
 */
import type { Logger } from '../ops/log'
import type { WriterLoad } from '../storage/load'
import { FOLD_LIMIT, type FoldResult } from './fold'

/** The longest a commit's tags and users wait for a fold to start. */
export const FOLD_INTERVAL_MS = 1000
/** Longest wait for ingest to go idle between two steps of a backlog. */
export const MAX_YIELD_MS = 50

export interface FolderDeps {
  /** Runs `errors.fold` on the writer. */
  fold(args: { limit: number }): Promise<FoldResult>
  load: Pick<WriterLoad, 'idle'>
  log: Logger
}

export class Folder {
  private timer: ReturnType<typeof setTimeout> | null = null
  private running: Promise<void> | null = null
  private lastStart = Number.NEGATIVE_INFINITY
  private wanted = false
  private stopped = false

  constructor(private readonly d: FolderDeps) {}

  /** A commit stored events: fold them within the interval. */
  committed(): void {
    this.wanted = true
    this.schedule()
  }

  /** Folds until every event committed before this call is counted. */
  async catchUp(): Promise<void> {
    // A step in flight may have read its events before the latest commits: fold again after it.
    await this.running
    for (;;) if (!(await this.step()).more) return
  }

  /** Stops scheduling and folds what is left (the queues have drained by now). */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    try {
      await this.catchUp()
    } catch (err) {
      // Nothing is lost: the next start folds after the watermark.
      this.d.log.error('fold of tags and users at stop failed', { error: err as Error })
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.running) return
    const wait = Math.max(0, this.lastStart + FOLD_INTERVAL_MS - performance.now())
    this.timer = setTimeout(() => {
      this.timer = null
      this.running = this.drain().finally(() => {
        this.running = null
        // Commits during the fold asked for another.
        if (this.wanted) this.schedule()
      })
    }, wait)
  }

  private async drain(): Promise<void> {
    this.lastStart = performance.now()
    this.wanted = false
    try {
      for (let first = true; !this.stopped; first = false) {
        if (!first) await Promise.race([this.d.load.idle(), Bun.sleep(MAX_YIELD_MS)])
        if (!(await this.step()).more) return
      }
    } catch (err) {
      // The events stay after the watermark: the next commit's fold takes them again.
      this.d.log.error('fold of tags and users failed', { error: err as Error })
      this.wanted = true
    }
  }

  private step(): Promise<FoldResult> {
    return this.d.fold({ limit: FOLD_LIMIT })
  }
}
