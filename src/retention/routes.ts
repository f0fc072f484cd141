/**
 * Retention admin API (SPEC 7; admins only, session cookie) and the prune schedule.
 *
 * - GET  /v1/admin/retention        settings, per-project overrides, storage figures, schedule
 * - PUT  /v1/admin/retention        change global windows (1-3650 days) and overrides (0 removes)
 * - POST /v1/admin/retention/purge  {"confirm": true}: one pass now, answering what it deleted
 *
 * The schedule is @elysiajs/cron: a pass every `retention.prune_interval_secs`, the first
 * one interval after start (a restart loop does not prune on every start), never two at
 * once (croner's `protect`, and the sweeper serialises passes anyway). server.ts stops the
 * job and the sweeper when the runtime closes.
 */
import { cron } from '@elysiajs/cron'
import { Elysia } from 'elysia'
import { AppError } from '../http/errors'
import { parseBody, readJson } from '../http/validate'
import { findProject } from '../projects/store'
import type { Services } from '../services'
import { MAX_BODY_BYTES, RetentionUpdate } from './model'
import {
  readOverrides,
  readSettings,
  type SettingsChange,
  saveSettings,
  storageFigures,
  walSizeOf,
} from './store'
import { Sweeper } from './sweeper'

export function retentionRoutes(s: Services) {
  const { retention } = s.config
  const sweeper = new Sweeper({
    db: s.db,
    writer: s.writer,
    log: s.log,
    now: s.now,
    batchSize: retention.prune_batch_size,
  })

  const view = (nextRunAt: Date | null) => {
    const settings = readSettings(s.db)
    return {
      global: {
        raw_events_days: settings.raw_events_days,
        hourly_counts_days: settings.hourly_counts_days,
        source: settings.set_by === null ? 'config' : 'admin',
        set_by: settings.set_by,
        updated_at: settings.updated_at,
      },
      per_project: readOverrides(s.db),
      storage: storageFigures(s.db, walSizeOf(s.config.database.path)),
      schedule: {
        prune_interval_secs: retention.prune_interval_secs,
        prune_batch_size: retention.prune_batch_size,
        next_run_at: nextRunAt ? nextRunAt.getTime() : null,
        last_run: sweeper.last,
      },
    }
  }

  return new Elysia({ name: 'retention' })
    .state('retentionSweeper', sweeper)
    .use(
      cron({
        name: 'retention',
        pattern: '* * * * * *',
        interval: retention.prune_interval_secs,
        startAt: new Date(Date.now() + retention.prune_interval_secs * 1000),
        protect: true,
        run: () =>
          sweeper
            .run('schedule')
            .catch((err) => s.log.error('retention pass failed', { error: err as Error })),
      }),
    )
    .get('/v1/admin/retention', ({ request, store }) => {
      s.guard.admin(request)
      return view(store.cron.retention.nextRun())
    })
    .put('/v1/admin/retention', async ({ request, store }) => {
      const admin = s.guard.admin(request)
      const body = parseBody(RetentionUpdate, await readJson(request, MAX_BODY_BYTES))
      const change: SettingsChange = {
        raw_events_days: body.raw_events_days,
        hourly_counts_days: body.hourly_counts_days,
        per_project: body.per_project?.map((p, i) => {
          const project = findProject(s.db, p.project_id)
          if (!project) {
            throw new AppError('invalid_field', `per_project.${i}.project_id: no project "${p.project_id}"`, {
              field: `per_project.${i}.project_id`,
            })
          }
          return { project_id: project.id, raw_events_days: p.raw_events_days }
        }),
      }
      saveSettings(s.db, change, admin.username, s.now())
      s.log.info('retention settings changed', { by: admin.username, ...body })
      return view(store.cron.retention.nextRun())
    })
    .post('/v1/admin/retention/purge', async ({ request }) => {
      s.guard.admin(request)
      const body = await readJson(request, MAX_BODY_BYTES)
      if (typeof body !== 'object' || body === null || (body as { confirm?: unknown }).confirm !== true) {
        throw new AppError('invalid_field', 'send {"confirm": true} to delete expired data now', {
          field: 'confirm',
        })
      }
      const report = await sweeper.run('purge')
      return { status: 'ok', ...report }
    })
}
