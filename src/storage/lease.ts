/**
 * Leases for scheduled jobs: which node runs each interval of a job, so that several nodes
 * on one PostgreSQL run it exactly once per interval (core/jobs.ts schedules with them;
 * docs/ARCHITECTURE.md, "Several nodes").
 *
 * Contract. Time is cut into slots of the job's interval, counted on the database's clock
 * (`clock_timestamp()`), so nodes whose clocks disagree still agree on the slot. `claim`
 * takes the current slot for this node when the job's row records an earlier slot and no
 * run is in progress (`held_until` passed): one conditional upsert on the job's row, so
 * PostgreSQL's row lock decides between nodes that ask at the same moment, and exactly one
 * of them gets a given slot. The winner holds the lease for `leaseMs` and renews it while
 * its run lasts (`renew` answers false once another node has taken the job over, the
 * fencing check); `release` ends it when the run is done, so the next slot is free at
 * once. A holder killed mid-run stops renewing, and its lease lapses after `leaseMs`.
 *
 * Roads not taken: session advisory locks (`pg_try_advisory_lock`) tie the lock to one
 * connection, so every job would pin a reserved connection of the pool, a lost connection
 * silently ends the lock while the run goes on, and a lock says nothing about which
 * interval already ran (a node that takes the lock just after another released it would
 * run the same interval twice). The row says all three.
 *
 * On SQLite there is one node by design (bloop.lock refuses a second server), so leases
 * live in this process's memory with the same semantics and the table stays empty: the
 * writer thread, SQLite's only writer, is not asked to write them.
 */
import { hostname } from 'node:os'
import type { Backend } from './backend'

/** What a claim answers. */
export interface Claim {
  /** The database clock's epoch milliseconds when the claim was made. */
  now: number
  /** The slot this node now holds, or null when it was already run or is running. */
  claimed: number | null
  /** Until when the job's current run (this node's or another's) is protected; 0 if none. */
  heldUntil: number
}

export interface Leases {
  /** Who this node is in `job_leases.holder`. */
  readonly holder: string
  claim(job: string, intervalMs: number, leaseMs: number): Promise<Claim>
  /** Extends the lease on `slot`; false when it is no longer this node's. */
  renew(job: string, slot: number, leaseMs: number): Promise<boolean>
  release(job: string, slot: number): Promise<void>
}

/** A holder id unique across nodes and restarts: host, pid and a random part. */
export function holderId(): string {
  return `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`
}

/** The leases of `backend`'s database: rows on PostgreSQL, this process's memory on SQLite. */
export function leasesFor(backend: Backend, holder = holderId()): Leases {
  return backend.kind === 'postgres' ? new RowLeases(backend, holder) : new LocalLeases(holder)
}

const DB_NOW = 'CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)'

// One statement: the clock, the conditional claim and the row as it was, so a node learns
// in one round trip whether it won and, if not, when to ask again.
const CLAIM = `WITH t AS (SELECT ${DB_NOW} AS now),
c AS (
  INSERT INTO job_leases (name, slot, holder, held_until)
  SELECT ?1, t.now / ?2, ?3, t.now + ?4 FROM t
  ON CONFLICT (name) DO UPDATE SET slot = excluded.slot, holder = excluded.holder, held_until = excluded.held_until
  WHERE job_leases.slot < excluded.slot AND job_leases.held_until <= excluded.held_until - ?4
  RETURNING job_leases.slot
)
SELECT t.now AS now, (SELECT c.slot FROM c) AS claimed,
  (SELECT l.held_until FROM job_leases l WHERE l.name = ?1) AS held_until
FROM t`

const RENEW = `UPDATE job_leases SET held_until = ${DB_NOW} + ?3
WHERE name = ?1 AND holder = ?2 AND slot = ?4`

const RELEASE = 'UPDATE job_leases SET held_until = 0 WHERE name = ?1 AND holder = ?2 AND slot = ?3'

class RowLeases implements Leases {
  constructor(
    private readonly db: Backend,
    readonly holder: string,
  ) {}

  async claim(job: string, intervalMs: number, leaseMs: number): Promise<Claim> {
    const r = await this.db.get<{ now: number; claimed: number | null; held_until: number | null }>(CLAIM, [
      job,
      Math.round(intervalMs),
      this.holder,
      Math.round(leaseMs),
    ])
    if (!r) throw new Error(`expected one row from the lease claim of ${job}, got none`)
    // The row read beside the claim is the one before it: after a win, this node holds it.
    const heldUntil = r.claimed !== null ? r.now + leaseMs : (r.held_until ?? 0)
    return { now: r.now, claimed: r.claimed, heldUntil }
  }

  async renew(job: string, slot: number, leaseMs: number): Promise<boolean> {
    return (await this.db.run(RENEW, [job, this.holder, Math.round(leaseMs), slot])).changes === 1
  }

  async release(job: string, slot: number): Promise<void> {
    await this.db.run(RELEASE, [job, this.holder, slot])
  }
}

/** The same semantics in this process's memory, on its own clock (one node). */
export class LocalLeases implements Leases {
  private readonly rows = new Map<string, { slot: number; heldUntil: number }>()

  constructor(
    readonly holder: string = holderId(),
    private readonly now: () => number = Date.now,
  ) {}

  async claim(job: string, intervalMs: number, leaseMs: number): Promise<Claim> {
    const now = this.now()
    const slot = Math.floor(now / intervalMs)
    const row = this.rows.get(job)
    if (row && (row.slot >= slot || row.heldUntil > now))
      return { now, claimed: null, heldUntil: row.heldUntil }
    this.rows.set(job, { slot, heldUntil: now + leaseMs })
    return { now, claimed: slot, heldUntil: now + leaseMs }
  }

  async renew(job: string, slot: number, leaseMs: number): Promise<boolean> {
    const row = this.rows.get(job)
    if (!row || row.slot !== slot) return false
    row.heldUntil = this.now() + leaseMs
    return true
  }

  async release(job: string, slot: number): Promise<void> {
    const row = this.rows.get(job)
    if (row && row.slot === slot) row.heldUntil = 0
  }
}
