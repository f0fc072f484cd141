/**
 * The feed: keeps the DuckDB copy up to date with SQLite.
 *
 * - After committed batches (the queue's `onCommit`, which runs after the acknowledgements),
 *   a step has SQLite group the raw events with `id > last_raw_id` (up to 20,000 ids) into
 *   hourly counts and first-seen times, and appends those together with the new position
 *   in one DuckDB transaction. Steps are coalesced: at most one runs at a time, at most one more is
 *   pending, and with `sync_interval_ms` > 0 they start at most that often, so a busy
 *   server pays for one small DuckDB transaction per interval, not one per batch.
 * - At startup the same steps catch up from the stored position; a crash between the
 *   SQLite commit and the DuckDB append therefore loses nothing, and since the position
 *   is written with the data, nothing is counted twice.
 * - SQLite hands out `max(id) + 1`, so deleting the newest raw events (a purge, or
 *   retention emptying a quiet table) lets ids be reused. The copy remembers the identity
 *   of the last row it took; if that row is gone or changed, ids may have been reused and
 *   the copy is rebuilt from SQLite's own hourly counts and first-seen times (which the
 *   writer keeps in the same transactions as the raw events). The first start on an
 *   existing database is such a rebuild too, so history older than raw-event retention
 *   is not lost.
 * - Once an hour has passed, its partial rows are merged (compaction), and hours older than
 *   `retention.hourly_counts_days` are dropped, as SQLite drops its hourly counts.
 */

import { HOUR_MS, hourBucket } from '../core/time'
import type { Logger } from '../ops/log'
import type { Db } from '../storage/db'
import type { Duck } from './duckdb'
import {
  appendStep,
  compact,
  type FeedState,
  type FirstSeenRow,
  type HourlyRow,
  type RawMark,
  readState,
  replaceAll,
  SCHEMA_VERSION,
} from './store'

/** Raw events read per step: bounds the memory and the main-thread time of one read. */
const CHUNK = 20_000
/** After a failed step, wait this long before trying again. */
const RETRY_MS = 5_000

/**
 * Raw events of one step, already grouped by SQLite: project_id, fingerprint, hour bucket,
 * environment, source, release, number of events, earliest receive time.
 */
export type RawGroup = [string, string, number, string, string, string, number, number]

export interface Rollup {
  hourly: HourlyRow[]
  firstSeen: FirstSeenRow[]
  minHour: number
  /** Per project: the latest hour it received data in (for cache invalidation). */
  touched: Map<string, number>
}

/** Turns grouped raw events into hourly rows and first-seen times (pure). */
export function rollup(groups: readonly RawGroup[]): Rollup {
  const hourly: HourlyRow[] = []
  const firstSeen = new Map<string, FirstSeenRow>()
  const touched = new Map<string, number>()
  let minHour = Number.POSITIVE_INFINITY
  for (const [project, fingerprint, hour, environment, source, release, n, first] of groups) {
    if (hour < minHour) minHour = hour
    if ((touched.get(project) ?? Number.NEGATIVE_INFINITY) < hour) touched.set(project, hour)
    hourly.push([project, fingerprint, hour, environment, source, release, n])
    const fk = `${project}\u0000${fingerprint}\u0000${release}\u0000${environment}`
    const f = firstSeen.get(fk)
    if (!f) firstSeen.set(fk, [project, fingerprint, release, environment, first])
    else if (first < f[4]) f[4] = first
  }
  return { hourly, firstSeen: [...firstSeen.values()], minHour, touched }
}

interface HourlyObject {
  project_id: string
  fingerprint: string
  hour_bucket: number
  environment: string
  source: string
  release: string
  count: number
}
interface FirstSeenObject {
  project_id: string
  fingerprint: string
  release: string
  environment: string
  first_seen: number
}

export interface FeedOptions {
  /**
   * Opens a read-only connection to the SQLite file (storage's `openSqliteReader`): the
   * feed keeps one for its steps and opens another for each rebuild. Its own connections,
   * not the main one, so a step's snapshot never lands inside a transaction that another
   * caller holds open on the main connection through the storage seam.
   */
  openReader: () => Db
  duck: Duck
  log: Logger
  now: () => number
  intervalMs: number
  /** Days of hourly counts to keep: the effective retention setting, read when compacting. */
  hourlyRetentionDays: () => Promise<number>
  /** Called after data was appended: per project, the latest hour touched. */
  onAppend: (touched: Map<string, number>) => void
  /** Called after the copy was replaced wholesale. */
  onRebuild: () => void
}

export class Feed {
  private state!: FeedState
  private running: Promise<void> | null = null
  private pending = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private closed = false
  private lastRun = 0
  /** The steps' read-only connection, opened by the first step, closed by close(). */
  private reader: Db | null = null
  /** Steps applied and rebuilds done since start (metrics, tests). */
  readonly counters = { steps: 0, rebuilds: 0, compactions: 0, failures: 0 }

  constructor(private readonly o: FeedOptions) {}

  /** Loads the position, rebuilds a new or outdated copy, then catches up. */
  async start(): Promise<void> {
    const state = await readState(this.o.duck)
    if (!state || state.schema_version !== SCHEMA_VERSION)
      await this.rebuild(state ? 'schema changed' : 'new copy')
    else this.state = state
    await this.catchUp()
  }

  get position(): number {
    return this.state?.last_raw_id ?? 0
  }

  /** A batch was committed: run a step now, or at the end of the current interval. */
  schedule(): void {
    if (this.closed) return
    if (this.running) {
      this.pending = true
      return
    }
    if (this.timer) return
    // Always through a timer, even with no wait: the listener runs right after the queue
    // resolved the acknowledgements, and their responses must go out before this step reads.
    const wait = Math.max(0, this.lastRun + this.o.intervalMs - performance.now())
    this.timer = setTimeout(() => this.kick(), wait)
  }

  /** Runs the feed until it has copied everything committed so far. */
  async syncNow(): Promise<void> {
    while (this.running) await this.running
    if (this.closed) return
    this.running = this.catchUp().finally(() => {
      this.running = null
    })
    await this.running
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    while (this.running) await this.running
    this.reader?.close()
    this.reader = null
  }

  private kick(): void {
    this.timer = null
    if (this.closed || this.running) return
    this.running = this.catchUp()
      .then(
        () => {},
        (err) => {
          this.counters.failures++
          this.o.log.error('analytics feed failed; will retry', { error: err as Error })
          this.pending = false
          this.timer = setTimeout(() => this.kick(), RETRY_MS)
        },
      )
      .finally(() => {
        this.running = null
        if (this.pending && !this.closed) {
          this.pending = false
          this.schedule()
        }
      })
  }

  private async catchUp(): Promise<void> {
    this.lastRun = performance.now()
    this.pending = false
    while (!this.closed && (await this.step())) {}
    const now = this.o.now()
    const current = hourBucket(now)
    const from = this.state.uncompacted_from
    if (from !== null && from < current) {
      const keepFrom = current - (await this.o.hourlyRetentionDays()) * 24 * HOUR_MS
      await compact(this.o.duck, from, current, keepFrom)
      this.state = { ...this.state, uncompacted_from: current }
      this.counters.compactions++
    }
  }

  /** Copies the next raw events (at most CHUNK ids); returns true when there may be more. */
  private async step(): Promise<boolean> {
    const read = this.readChunk()
    if (read === 'reused') {
      await this.rebuild('the last copied raw event is gone; ids may have been reused')
      return true
    }
    if (read === null) return false
    const r = rollup(read.groups)
    const { mark } = read
    await appendStep(this.o.duck, { hourly: r.hourly, firstSeen: r.firstSeen, mark, minHour: r.minHour })
    this.state = {
      ...this.state,
      last_raw_id: mark.id,
      last_project_id: mark.project_id,
      last_fingerprint: mark.fingerprint,
      last_received_at: mark.received_at,
      uncompacted_from: Math.min(this.state.uncompacted_from ?? r.minHour, r.minHour),
    }
    this.counters.steps++
    this.o.onAppend(r.touched)
    return read.more
  }

  /**
   * In one SQLite snapshot: checks that the last copied row is still there, finds the end of
   * the next chunk, and has SQLite group the chunk's events by hourly key (far fewer rows
   * than events cross into JavaScript).
   */
  private readChunk(): { groups: RawGroup[]; mark: RawMark; more: boolean } | 'reused' | null {
    this.reader ??= this.o.openReader()
    const db = this.reader
    const s = this.state
    type Read = { groups: RawGroup[]; mark: RawMark; more: boolean } | 'reused' | null
    return db.transaction((): Read => {
      if (s.last_raw_id > 0) {
        const row = db
          .query<{ project_id: string; fingerprint: string; received_at: number }, [number]>(
            'SELECT project_id, fingerprint, received_at FROM raw_events WHERE id = ?',
          )
          .get(s.last_raw_id)
        if (
          !row ||
          row.project_id !== s.last_project_id ||
          row.fingerprint !== s.last_fingerprint ||
          row.received_at !== s.last_received_at
        )
          return 'reused'
      }
      const markQuery = (sql: string) => db.query<RawMark, [number]>(sql).get(s.last_raw_id)
      const cols = 'SELECT id, project_id, fingerprint, received_at FROM raw_events WHERE id > ?'
      let mark = markQuery(`${cols} ORDER BY id LIMIT 1 OFFSET ${CHUNK - 1}`)
      const more = mark !== null
      mark ??= markQuery(`${cols} ORDER BY id DESC LIMIT 1`)
      if (!mark) return null
      const groups = db
        .query<RawGroup, [number, number]>(
          `SELECT project_id, fingerprint, received_at / ${HOUR_MS} * ${HOUR_MS} AS hour, environment, source,
                  release, count(*), min(received_at)
           FROM raw_events WHERE id > ? AND id <= ?
           GROUP BY project_id, fingerprint, hour, environment, source, release`,
        )
        .values(s.last_raw_id, mark.id) as RawGroup[]
      return { groups, mark, more }
    })()
  }

  /**
   * Replaces the copy with SQLite's hourly counts and first-seen times, read in one snapshot
   * on a separate connection (so the main connection stays free while DuckDB writes).
   */
  private async rebuild(reason: string): Promise<void> {
    const started = performance.now()
    const src = this.o.openReader()
    let mark: RawMark | null = null
    try {
      src.run('BEGIN')
      await replaceAll(this.o.duck, async (sink) => {
        mark = src
          .query<RawMark, []>(
            'SELECT id, project_id, fingerprint, received_at FROM raw_events ORDER BY id DESC LIMIT 1',
          )
          .get()
        let batch: HourlyRow[] = []
        for (const r of src
          .query<HourlyObject, []>(
            `SELECT project_id, fingerprint, hour_bucket, environment, source, release, count
             FROM event_counts_hourly`,
          )
          .iterate()) {
          batch.push([
            r.project_id,
            r.fingerprint,
            r.hour_bucket,
            r.environment,
            r.source,
            r.release,
            r.count,
          ])
          if (batch.length === CHUNK) {
            await sink.hourly(batch)
            batch = []
          }
        }
        await sink.hourly(batch)
        let firsts: FirstSeenRow[] = []
        for (const r of src
          .query<FirstSeenObject, []>(
            'SELECT project_id, fingerprint, release, environment, first_seen FROM error_aggregates',
          )
          .iterate()) {
          firsts.push([r.project_id, r.fingerprint, r.release, r.environment, r.first_seen])
          if (firsts.length === CHUNK) {
            await sink.firstSeen(firsts)
            firsts = []
          }
        }
        await sink.firstSeen(firsts)
        return { mark }
      })
      src.run('COMMIT')
    } finally {
      src.close()
    }
    const m = mark as RawMark | null
    this.state = {
      schema_version: SCHEMA_VERSION,
      last_raw_id: m?.id ?? 0,
      last_project_id: m?.project_id ?? null,
      last_fingerprint: m?.fingerprint ?? null,
      last_received_at: m?.received_at ?? null,
      uncompacted_from: null,
    }
    this.counters.rebuilds++
    this.o.onRebuild()
    this.o.log.info('analytics copy rebuilt from SQLite', {
      reason,
      last_raw_id: this.state.last_raw_id,
      ms: Math.round(performance.now() - started),
    })
  }
}
