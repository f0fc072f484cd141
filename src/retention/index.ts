/**
 * The retention feature: how long data is kept (policy.ts, pure), the settings (store.ts,
 * seeded from `[retention]`), the sweeper that runs a pass (sweeper.ts) on a schedule and
 * on demand, and the admin API (routes.ts). It deletes nothing itself: each feature that
 * keeps expiring data declares retention hooks (writer tasks, hooks.ts), and a pass runs
 * all of them, yielding to every ingest queue in between.
 *
 * Partitions (PostgreSQL): the daily partitions of raw events and LLM spans are created
 * PARTITION_DAYS ahead on start, before any ingest (a server down longer than that would
 * otherwise refuse today's rows), and again every hour; storage/upkeep.ts does nothing on
 * SQLite.
 *
 * Schedule: @elysiajs/cron ticks every second and starts a pass once
 * `retention.prune_interval_secs` have elapsed since the previous one began; the first
 * pass is one interval after start, so a crash-restart loop does not prune on every
 * start. (croner's own `interval` option skips a whole interval when its timer fires a
 * millisecond early, which happened under load.) Passes never overlap (croner's `protect`,
 * and the sweeper serialises them anyway). stop() stops the job and the sweeper.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import { cronJob } from '../core/cron'
import type { Core, Feature, RetentionHook, Started } from '../core/feature'
import { HOUR_MS } from '../core/time'
import { partitionsAhead } from '../storage/upkeep'
import m004pg from './migrations/004_retention.pg.sql' with { type: 'text' }
import m004 from './migrations/004_retention.sql' with { type: 'text' }
import { retentionRoutes } from './routes'
import { syncSettingsFromConfig } from './store'
import { Sweeper, type SweeperWriter } from './sweeper'

export type { PruneArgs, PruneStep, PruneTask, SeamPruneTask } from './hooks'
export type { Cutoffs } from './policy'
export { readSettings } from './store'
export { Sweeper, type SweeperWriter } from './sweeper'

const CONFIG = ['retention'] as const

/** Days of partitions kept ready ahead of today (PostgreSQL). */
export const PARTITION_DAYS = 7
/** Hourly: cheap (a catalogue lookup per day and table), and a day is never missed. */
export const PARTITIONS_EVERY_MS = HOUR_MS

export interface RetentionDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now' | 'load'> {
  config: Pick<Config, (typeof CONFIG)[number]>
  writer: SweeperWriter
  /** Every feature's hooks, in feature order. */
  hooks: readonly RetentionHook[]
  /** How often the partitions ahead are made again (PARTITIONS_EVERY_MS; tests pass a short one). */
  partitionsEveryMs?: number
}

export interface RetentionRunning extends Started {
  routes: AnyElysia
  /** The scheduled sweeper (the admin purge runs on it too). */
  sweeper: Sweeper
}

export const retention: Feature<RetentionDeps, RetentionRunning> = {
  name: 'retention',
  config: CONFIG,
  migrations: [{ file: '004_retention.sql', sql: m004, pg: m004pg }],
  backends: ['sqlite', 'postgres'],

  async start(d) {
    const cfg = d.config.retention
    await syncSettingsFromConfig(d.backend, cfg, d.now())
    const created = await partitionsAhead(d.backend, PARTITION_DAYS)
    if (created > 0) d.log.info('partitions created ahead', { created, days: PARTITION_DAYS })
    const sweeper = new Sweeper({
      backend: d.backend,
      writer: d.writer,
      log: d.log,
      now: d.now,
      batchSize: cfg.prune_batch_size,
      hooks: d.hooks,
      ingestActive: () => d.load.active(),
      ingestIdle: () => d.load.idle(),
    })
    const intervalMs = cfg.prune_interval_secs * 1000
    let dueAt = performance.now() + intervalMs
    const partitionsEveryMs = d.partitionsEveryMs ?? PARTITIONS_EVERY_MS
    let partitionsDueAt = performance.now() + partitionsEveryMs
    const schedule = cronJob({
      name: 'retention',
      pattern: '* * * * * *',
      protect: true,
      run: async () => {
        if (performance.now() >= partitionsDueAt) {
          partitionsDueAt = performance.now() + partitionsEveryMs
          await partitionsAhead(d.backend, PARTITION_DAYS).catch((err) =>
            d.log.error('partitions not created ahead', { error: err as Error }),
          )
        }
        if (performance.now() < dueAt) return
        dueAt = performance.now() + intervalMs
        return sweeper
          .run('schedule')
          .catch((err) => d.log.error('retention pass failed', { error: err as Error }))
      },
    })
    const nextRunAt = () => new Date(Date.now() + Math.max(0, dueAt - performance.now()))
    return {
      routes: schedule.plugin.use(retentionRoutes({ ...d, sweeper, nextRunAt })),
      sweeper,
      async stop() {
        schedule.job.stop()
        await sweeper.stop()
      },
    }
  },
}
