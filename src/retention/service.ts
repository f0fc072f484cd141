/**
 * What the retention admin routes do, without HTTP: the settings view with storage figures
 * and schedule, and applying a validated change (project references resolved, unknown
 * ones refused with 400 naming the entry).
 */
import type { Config } from '../config/schema'
import { AppError } from '../http/errors'
import { listProjects } from '../projects'
import type { Backend } from '../storage/backend'
import type { RetentionUpdate } from './model'
import {
  type OverrideRow,
  readOverrides,
  readSettings,
  type StorageFigures,
  saveSettings,
  storageFigures,
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

export async function retentionView(
  b: Backend,
  config: Pick<Config, 'retention'>,
  schedule: { nextRunAt: Date | null; lastRun: PassReport | null },
): Promise<RetentionView> {
  const settings = await readSettings(b)
  return {
    global: {
      raw_events_days: settings.raw_events_days,
      hourly_counts_days: settings.hourly_counts_days,
      source: settings.set_by === null ? 'config' : 'admin',
      set_by: settings.set_by,
      updated_at: settings.updated_at,
    },
    per_project: await readOverrides(b),
    storage: await storageFigures(b),
    schedule: {
      prune_interval_secs: config.retention.prune_interval_secs,
      prune_batch_size: config.retention.prune_batch_size,
      next_run_at: schedule.nextRunAt ? schedule.nextRunAt.getTime() : null,
      last_run: schedule.lastRun,
    },
  }
}

/** Saves a validated change; `per_project[].project_id` may be an id or a slug. */
export async function updateRetention(
  b: Backend,
  body: RetentionUpdate,
  by: string,
  now: number,
): Promise<void> {
  // The projects store's list, read once: an override names a project by id or slug.
  const projects = body.per_project?.length ? await listProjects(b) : []
  const perProject = body.per_project?.map((p, i) => {
    const project =
      projects.find((x) => x.id === p.project_id) ?? projects.find((x) => x.slug === p.project_id)
    if (!project) {
      const field = `per_project.${i}.project_id`
      throw new AppError('invalid_field', `${field}: no project "${p.project_id}"`, { field })
    }
    return { project_id: project.id, raw_events_days: p.raw_events_days }
  })
  await saveSettings(
    b,
    {
      raw_events_days: body.raw_events_days,
      hourly_counts_days: body.hourly_counts_days,
      per_project: perProject,
    },
    by,
    now,
  )
}
