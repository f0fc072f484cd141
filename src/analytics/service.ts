/**
 * The analytics feature's running part: opens the DuckDB copy next to the SQLite file
 * (`<database.path>.analytics.duckdb`), starts the feed (catch-up first, in the background,
 * so the server listens and ingests at once), and answers the routes' "may I query now?".
 *
 * The copy is opened when there is something to analyse: at start when the DuckDB file
 * exists or error events are stored, otherwise at the first committed batch of error
 * events or the first analytics request (or `ready`). A server that only traces or
 * proxies LLM calls then never loads DuckDB's library, about 37 MB of RSS
 * (docs/benchmarks.md, "LLM proxy").
 *
 * States, and what the endpoints answer in each:
 * - `slim`: the executable was built with `--slim` and has no DuckDB: 501 not_implemented.
 * - `disabled`: `analytics.enabled = false`: 404 not_found (the feature is switched off).
 * - `starting`: not opened yet, or opening and catching up: requests open it and wait up
 *   to 10 s, then 503 with Retry-After.
 * - `failed`: DuckDB could not be opened (the reason is logged and given): 503 unavailable.
 * - `ready`.
 * Ingest never depends on analytics: whatever the state, events are stored and
 * acknowledged as usual, and a later start catches up.
 */
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from '../config/schema'
import { dataDirOf } from '../config/secret'
import type { Core } from '../core/feature'
import { AppError } from '../http/errors'
import { readSettingsOnSqlite } from '../retention'
import { AnswerCache } from './cache'
import { Duck, SLIM_BUILD } from './duckdb'
import { Feed } from './feed'
import { type AnalyticsSource, duckdbSource } from './source'
import { createSchema, totals } from './store'

export type AnalyticsState = 'slim' | 'disabled' | 'starting' | 'ready' | 'failed'

const READY_WAIT_MS = 10_000

/** The answer of every analytics endpoint with `analytics.enabled = false`, on either backend. */
export const switchedOff = () =>
  new AppError(
    'not_found',
    'analytics is switched off on this server (analytics.enabled = false in config.toml or BLOOP__ANALYTICS__ENABLED)',
  )

/** Where the copy lives: beside the SQLite file, so backups and moves take both. */
export const duckdbPathOf = (sqlitePath: string) => `${resolve(sqlitePath)}.analytics.duckdb`

export interface AnalyticsDeps extends Pick<Core, 'db' | 'log' | 'now'> {
  config: Pick<Config, 'analytics' | 'database'>
}

export class Analytics {
  readonly kind = 'duckdb' as const
  state: AnalyticsState
  private failure: string | null = null
  private duck: Duck | null = null
  feed: Feed | null = null
  readonly cache: AnswerCache
  private opening: Promise<void> | null = null
  readonly path: string

  constructor(private readonly s: AnalyticsDeps) {
    const cfg = s.config.analytics
    this.path = duckdbPathOf(s.config.database.path)
    this.cache = new AnswerCache(cfg.cache_ttl_secs * 1000, s.now)
    if (SLIM_BUILD) this.state = 'slim'
    else if (!cfg.enabled) this.state = 'disabled'
    else this.state = 'starting'
    if (this.state === 'starting' && this.somethingToAnalyse()) void this.ready
  }

  /**
   * Settles (never rejects) once the copy is open and caught up, or has failed; opens it
   * first when that has not begun.
   */
  get ready(): Promise<void> {
    if (this.opening) return this.opening
    if (this.state !== 'starting') return Promise.resolve()
    this.opening = this.start()
    return this.opening
  }

  /** A copy from an earlier run, or error events already stored. */
  private somethingToAnalyse(): boolean {
    if (existsSync(this.path)) return true
    try {
      return this.s.db.query('SELECT 1 FROM raw_events LIMIT 1').get() !== null
    } catch {
      // Whatever the table's state, opening decides (and reports a failure itself).
      return true
    }
  }

  private async start(): Promise<void> {
    const { config, log } = this.s
    const cfg = config.analytics
    const started = performance.now()
    try {
      const duck = await Duck.open({
        path: this.path,
        memoryLimit: cfg.memory_limit,
        threads: cfg.threads,
        nativeDir: cfg.native_dir === '' ? join(dataDirOf(config), '.cache') : resolve(cfg.native_dir),
      })
      this.duck = duck
      await createSchema(duck)
      const feed = new Feed({
        db: this.s.db,
        dbPath: resolve(config.database.path),
        duck,
        log,
        now: this.s.now,
        intervalMs: cfg.sync_interval_ms,
        // The admin may change it at run time (retention settings), so it is read each time.
        hourlyRetentionDays: () => readSettingsOnSqlite(this.s.db).hourly_counts_days,
        onAppend: (touched) => this.cache.noteAppend(touched),
        onRebuild: () => this.cache.clear(),
      })
      await feed.start()
      this.feed = feed
      if (this.state === 'starting') this.state = 'ready'
      log.info('analytics ready', {
        path: this.path,
        synced_raw_id: feed.position,
        ms: Math.round(performance.now() - started),
      })
    } catch (err) {
      this.state = 'failed'
      this.failure = (err as Error).message
      log.error('analytics could not start; ingest is unaffected, the analytics endpoints answer 503', {
        path: this.path,
        error: err as Error,
      })
    }
  }

  /** The queue's commit listener: new raw events are waiting to be copied. */
  onCommit(): void {
    if (this.state === 'ready') this.feed?.schedule()
    else if (this.state === 'starting') void this.ready
  }

  /** The open copy (null unless ready): for the status endpoint, benchmarks and tests. */
  get copy(): Duck | null {
    return this.duck
  }

  /** Copies everything committed so far (tests and the status endpoint use it). */
  async syncNow(): Promise<void> {
    await this.ready
    if (this.state === 'ready') await this.feed?.syncNow()
  }

  /** Why the endpoints cannot answer, or null when they can. */
  unavailable(): AppError | null {
    switch (this.state) {
      case 'ready':
        return null
      case 'slim':
        return new AppError(
          'not_implemented',
          'analytics is not available: this bloop executable was built with --slim, without DuckDB; ' +
            'use the full build (bun build.ts) to get the analytics endpoints',
        )
      case 'disabled':
        return switchedOff()
      case 'starting':
        return new AppError(
          'unavailable',
          'analytics is still catching up with stored events; retry shortly',
          {
            retryAfterSecs: 5,
          },
        )
      case 'failed':
        return new AppError('unavailable', `analytics could not start: ${this.failure}`)
    }
  }

  /** The open copy, waiting (bounded) for the start; throws the AppError of the state otherwise. */
  async use(): Promise<Duck> {
    if (this.state === 'starting') {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([this.ready, new Promise((r) => (timer = setTimeout(r, READY_WAIT_MS)))])
      clearTimeout(timer)
    }
    const why = this.unavailable()
    if (why) throw why
    return this.duck as Duck
  }

  /** What the answers read: the open copy (waiting like `use`). */
  async source(): Promise<AnalyticsSource> {
    return duckdbSource(await this.use(), this.s.db)
  }

  async status(projectIds: readonly string[]): Promise<{
    state: AnalyticsState
    message: string | null
    events: number
    caught_up: boolean
  }> {
    // Asked about, the copy opens (the answer says `starting` meanwhile).
    if (this.state === 'starting') void this.ready
    const why = this.unavailable()
    if (why || !this.duck || !this.feed)
      return { state: this.state, message: why?.message ?? null, events: 0, caught_up: false }
    const maxId =
      this.s.db.query<{ id: number | null }, []>('SELECT max(id) AS id FROM raw_events').get()?.id ?? 0
    const t = await totals(this.duck, projectIds)
    return { state: this.state, message: null, events: t.events, caught_up: this.feed.position >= maxId }
  }

  /** Size of the copy on disk (file plus WAL), for benchmarks and operators. */
  fileBytes(): number {
    let n = 0
    for (const f of [this.path, `${this.path}.wal`]) {
      try {
        n += statSync(f).size
      } catch {}
    }
    return n
  }

  async close(): Promise<void> {
    // A copy never opened stays closed: shutting down is no reason to load DuckDB.
    if (this.opening) await this.opening
    const feed = this.feed
    const duck = this.duck
    this.feed = null
    this.duck = null
    if (this.state === 'ready' || this.state === 'starting') {
      this.state = 'failed'
      this.failure = 'the server is shutting down'
    }
    await feed?.close()
    await duck?.close()
  }
}
