/**
 * What the retention admin routes do, without HTTP: the settings view with storage figures
 * and schedule, and applying a validated change (project references resolved, unknown
 * ones refused with 400 naming the entry).
 */
import { resolve } from 'node:path'
import type { Config } from '../config/schema'
import { AppError } from '../http/errors'
import { findProjectOnSqlite } from '../projects'
import type { Db } from '../storage/db'
import type { RetentionUpdate } from './model'
import {
  type OverrideRow,
  readOverrides,
  readSettings,
  type StorageFigures,
  saveSettings,
  storageFigures,
  walSizeOf,
} from './store'
import type { PassReport } from './sweeper'

export interface RetentionView {
  global: {
    raw_events_days: number
    hourly_counts_days: number
    /** "config" while the values follow [retention] in the config, "admin" once saved through the API. */
    source: 'config' | 'admin'
    set_by: string | null
    updated_at: number
  }
  per_project: OverrideRow[]
  storage: StorageFigures
  schedule: {
    prune_interval_secs: number
    prune_batch_size: number
    next_run_at: number | null
    last_run: PassReport | null
  }
}

export function retentionView(
  db: Db,
  config: Pick<Config, 'retention' | 'database'>,
  schedule: { nextRunAt: Date | null; lastRun: PassReport | null },
): RetentionView {
  const settings = readSettings(db)
  return {
    global: {
      raw_events_days: settings.raw_events_days,
      hourly_counts_days: settings.hourly_counts_days,
      source: settings.set_by === null ? 'config' : 'admin',
      set_by: settings.set_by,
      updated_at: settings.updated_at,
    },
    per_project: readOverrides(db),
    storage: storageFigures(db, walSizeOf(resolve(config.database.path))),
    schedule: {
      prune_interval_secs: config.retention.prune_interval_secs,
      prune_batch_size: config.retention.prune_batch_size,
      next_run_at: schedule.nextRunAt ? schedule.nextRunAt.getTime() : null,
      last_run: schedule.lastRun,
    },
  }
}

/** Saves a validated change; `per_project[].project_id` may be an id or a slug. */
export function updateRetention(db: Db, body: RetentionUpdate, by: string, now: number): void {
  const perProject = body.per_project?.map((p, i) => {
    const project = findProjectOnSqlite(db, p.project_id)
    if (!project) {
      const field = `per_project.${i}.project_id`
      throw new AppError('invalid_field', `${field}: no project "${p.project_id}"`, { field })
    }
    return { project_id: project.id, raw_events_days: p.raw_events_days }
  })
  saveSettings(
    db,
    {
      raw_events_days: body.raw_events_days,
      hourly_counts_days: body.hourly_counts_days,
      per_project: perProject,
    },
    by,
    now,
  )
}
