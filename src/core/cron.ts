/**
 * A scheduled job for a feature's start(): @elysiajs/cron's plugin (so the job shows in
 * the app's `store.cron` like every Elysia cron) and its handle, which the feature keeps
 * to stop the job in its own stop(). Nobody outside the feature reaches into the store.
 */
import { type CronConfig, cron } from '@elysiajs/cron'
import { Elysia } from 'elysia'

export function cronJob<Name extends string>(config: CronConfig<Name>) {
  const plugin = new Elysia({ name: `cron:${config.name}` }).use(cron(config))
  return { plugin, job: plugin.store.cron[config.name] }
}
