/**
 * Scheduled jobs that run exactly once per interval across every node of one database
 * (docs/ARCHITECTURE.md, "Several nodes"): `jobs.runOnce(name, intervalMs, fn)` is the
 * drop-in for a feature's schedule. On PostgreSQL each interval is claimed through a lease
 * row (storage/lease.ts), so one node runs it; on SQLite (one node) the lease is in memory
 * and the job simply runs every interval.
 *
 * Contract:
 * - Intervals are slots of the database's clock (epoch ms / intervalMs): a job runs at most
 *   once per slot across all nodes, as soon after the slot starts as a node asks. A slot in
 *   which every node was busy, stalled or down is skipped, not made up later.
 * - Runs never overlap, on one node or across nodes: while a run lasts its node renews the
 *   lease every third of `leaseMs`; a slot that starts meanwhile is skipped.
 * - A node killed mid-run stops renewing; another node takes the job at the first slot after
 *   its lease lapses (`leaseMs`, at most one interval by default), a killed idle node at the
 *   next slot. A node whose renewal fails (the lease was taken over, or the database is gone
 *   for longer than the lease) has its run's `signal` aborted: the run should stop writing.
 * - A failed claim (the database is away) is logged and asked again after a back-off; the
 *   schedule never stops by itself. stop() ends the schedule and waits for a run in progress.
 */
import type { Leases } from '../storage/lease'

export interface JobRun {
  /** The interval this run is for (database clock ms / intervalMs). */
  slot: number
  /** Aborted when this node loses the lease while running. */
  signal: AbortSignal
}

export interface ScheduledJob {
  readonly name: string
  /** When this node next asks for the job (a guess: another node may run it). */
  nextRunAt(): Date | null
  /** Runs this node has made. */
  readonly runs: number
  stop(): Promise<void>
}

export interface JobsLog {
  error(message: string, fields?: Record<string, unknown>): void
}

export interface JobOptions {
  /** How long a run is protected without renewal; default min(intervalMs, 30 s). */
  leaseMs?: number
}

/** Longest protected period without renewal: a stalled node gives a job up after it. */
const MAX_LEASE_MS = 30_000
/** Back-off after a failed claim, at most. */
const MAX_RETRY_MS = 1_000

export class Jobs {
  private readonly running = new Set<ScheduledJob>()

  constructor(
    private readonly leases: Leases,
    private readonly log: JobsLog,
  ) {}

  runOnce(
    name: string,
    intervalMs: number,
    fn: (run: JobRun) => Promise<unknown> | unknown,
    o: JobOptions = {},
  ): ScheduledJob {
    if (!(intervalMs >= 10))
      throw new Error(`expected an interval of at least 10 ms for job ${name}, got ${intervalMs}`)
    const leaseMs = o.leaseMs ?? Math.min(intervalMs, MAX_LEASE_MS)
    const { leases, log } = this
    let stopped = false
    let wake: (() => void) | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    let nextAt: number | null = null
    let runs = 0
    let failures = 0

    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        nextAt = Date.now() + ms
        wake = resolve
        timer = setTimeout(resolve, Math.max(1, ms))
      })

    const execute = async (slot: number) => {
      const ac = new AbortController()
      let renewing = Promise.resolve()
      let renewedAt = performance.now()
      let renewFailures = 0
      const heartbeat = setInterval(
        () => {
          renewing = leases
            .renew(name, slot, leaseMs)
            .then((ours) => {
              renewedAt = performance.now()
              renewFailures = 0
              if (!ours) ac.abort(new Error(`the lease of job ${name} was taken over`))
            })
            .catch((err) => {
              if (renewFailures++ === 0)
                log.error('job lease renewal failed', { job: name, error: String(err) })
              // Past the lease another node may have the job: this run is no longer protected.
              if (performance.now() - renewedAt > leaseMs && !ac.signal.aborted)
                ac.abort(new Error(`the lease of job ${name} could not be renewed for ${leaseMs} ms`))
            })
        },
        Math.max(5, leaseMs / 3),
      )
      try {
        runs++
        await fn({ slot, signal: ac.signal })
      } catch (err) {
        log.error('scheduled job failed; the next interval runs it again', { job: name, error: String(err) })
      } finally {
        clearInterval(heartbeat)
        await renewing
        await leases.release(name, slot).catch(() => {})
      }
    }

    const loop = async () => {
      while (!stopped) {
        let waitMs: number
        try {
          const t0 = performance.now()
          const c = await leases.claim(name, intervalMs, leaseMs)
          failures = 0
          if (c.claimed !== null) await execute(c.claimed)
          // The database clock now, from the claim's answer and the time since it was asked.
          const dbNow = c.now + (performance.now() - t0)
          const nextSlotAt = (Math.floor(dbNow / intervalMs) + 1) * intervalMs
          const lapse = c.claimed === null && c.heldUntil > dbNow ? c.heldUntil : Number.POSITIVE_INFINITY
          // A little spread keeps every node from asking in the same millisecond.
          waitMs = Math.min(nextSlotAt, lapse) - dbNow + Math.random() * Math.min(20, intervalMs / 20)
        } catch (err) {
          failures++
          if (failures === 1 || failures % 30 === 0)
            log.error('scheduled job could not claim its interval; retrying', {
              job: name,
              error: String(err),
            })
          waitMs = Math.min(intervalMs, MAX_RETRY_MS, 50 * 2 ** Math.min(failures, 5))
        }
        if (!stopped) await sleep(waitMs)
      }
      nextAt = null
    }

    const done = loop()
    const job: ScheduledJob = {
      name,
      nextRunAt: () => (nextAt === null ? null : new Date(nextAt)),
      get runs() {
        return runs
      },
      stop: async () => {
        stopped = true
        clearTimeout(timer)
        ;(wake as (() => void) | null)?.()
        await done
        this.running.delete(job)
      },
    }
    this.running.add(job)
    return job
  }

  /** Stops every job this scheduler started. */
  async stop(): Promise<void> {
    await Promise.all([...this.running].map((j) => j.stop()))
  }
}
