/**
 * Retention admin API (SPEC 7; admins only, session cookie) and the prune schedule.
 *
 * - GET  /v1/admin/retention        settings, per-project overrides, storage figures, schedule
 * - PUT  /v1/admin/retention        change global windows (1-3650 days) and overrides (0 removes)
 * - POST /v1/admin/retention/purge  {"confirm": true}: one pass now, answering what it deleted
 *
 * The schedule is @elysiajs/cron: a pass every `retention.prune_interval_secs`, the first
 * one interval after start, never two at once (croner's `protect`, and the sweeper
 * serialises passes anyway). server.ts stops the job and the sweeper when the runtime closes.
 */
import { cron } from '@elysiajs/cron'
import { Elysia } from 'elysia'
import { AppError } from '../http/errors'
import { parseBody, readJson } from '../http/validate'
import type { Services } from '../services'
import { MAX_BODY_BYTES, RetentionUpdate } from './model'
import { retentionView, updateRetention } from './service'
import { Sweeper } from './sweeper'

export function retentionRoutes(s: Services) {
  const { retention } = s.config
  // Ingest counts as active while it committed within the last second.
  let lastCommit = Number.NEGATIVE_INFINITY
  s.queue.onCommit(() => {
    lastCommit = performance.now()
  })
  const sweeper = new Sweeper({
    db: s.db,
    writer: s.writer,
    log: s.log,
    now: s.now,
    batchSize: retention.prune_batch_size,
    ingestActive: () => performance.now() - lastCommit < 1000,
    ingestIdle: () => s.queue.drain(),
  })

  // The job ticks every second and starts a pass once the interval has elapsed since the
  // last one began. (croner's own `interval` option skips a whole interval when its timer
  // fires a millisecond early, which happened under load.) The first pass is one interval
  // after start, so a crash-restart loop does not prune on every start.
  const intervalMs = retention.prune_interval_secs * 1000
  let dueAt = performance.now() + intervalMs
  const nextRunAt = () => new Date(Date.now() + Math.max(0, dueAt - performance.now()))

  return new Elysia({ name: 'retention' })
    .state('retentionSweeper', sweeper)
    .use(
      cron({
        name: 'retention',
        pattern: '* * * * * *',
        protect: true,
        run: () => {
          if (performance.now() < dueAt) return
          dueAt = performance.now() + intervalMs
          return sweeper
            .run('schedule')
            .catch((err) => s.log.error('retention pass failed', { error: err as Error }))
        },
      }),
    )
    .get('/v1/admin/retention', ({ request }) => {
      s.guard.admin(request)
      return retentionView(s.db, s.config, {
        nextRunAt: nextRunAt(),
        lastRun: sweeper.last,
      })
    })
    .put('/v1/admin/retention', async ({ request }) => {
      const admin = s.guard.admin(request)
      const body = parseBody(RetentionUpdate, await readJson(request, MAX_BODY_BYTES))
      updateRetention(s.db, body, admin.username, s.now())
      s.log.info('retention settings changed', { by: admin.username, ...body })
      return retentionView(s.db, s.config, {
        nextRunAt: nextRunAt(),
        lastRun: sweeper.last,
      })
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
