/**
 * Retention admin API (admins only, session cookie) and the prune schedule.
 *
 * - GET  /v1/admin/retention        settings, per-project overrides, storage figures, schedule
 * - PUT  /v1/admin/retention        change global windows (1-3650 days) and overrides (0 removes)
 * - POST /v1/admin/retention/purge  {"confirm": true}: one pass now, answering what it deleted
 *
 * The schedule (the cron job) and the sweeper are made and stopped by the feature (index.ts).
 */

import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import { AppError } from '../http/errors'
import { parseBody, readJson } from '../http/validate'
import { MAX_BODY_BYTES, PurgeAnswer, RetentionUpdate, RetentionViewSchema } from './model'
import { retentionView, updateRetention } from './service'
import type { Sweeper } from './sweeper'

export interface RetentionRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  config: Pick<Config, 'retention'>
  sweeper: Sweeper
  /** When the next scheduled pass starts. */
  nextRunAt: () => Date
}

export function retentionRoutes(s: RetentionRoutesDeps) {
  const { sweeper, nextRunAt } = s
  return new Elysia({ name: 'retention' })
    .use(access(s.guard))
    .get(
      '/v1/admin/retention',
      () => {
        return retentionView(s.backend, s.config, {
          nextRunAt: nextRunAt(),
          lastRun: sweeper.last,
        })
      },
      { admin: true, schema: { response: { 200: RetentionViewSchema } } },
    )
    .put(
      '/v1/admin/retention',
      async ({ request, user: admin }) => {
        const body = parseBody(RetentionUpdate, await readJson(request, MAX_BODY_BYTES))
        await updateRetention(s.backend, body, admin.username, s.now())
        s.log.info('retention settings changed', { by: admin.username, ...body })
        return retentionView(s.backend, s.config, {
          nextRunAt: nextRunAt(),
          lastRun: sweeper.last,
        })
      },
      { admin: true, schema: { body: RetentionUpdate, response: { 200: RetentionViewSchema } } },
    )
    .post(
      '/v1/admin/retention/purge',
      async ({ request }) => {
        const body = await readJson(request, MAX_BODY_BYTES)
        if (typeof body !== 'object' || body === null || (body as { confirm?: unknown }).confirm !== true) {
          throw new AppError('invalid_field', 'send {"confirm": true} to delete expired data now', {
            field: 'confirm',
          })
        }
        const report = await sweeper.run('purge')
        return { status: 'ok', ...report }
      },
      {
        admin: true,
        schema: { body: T.Object({ confirm: T.Literal(true) }), response: { 200: PurgeAnswer } },
      },
    )
}
