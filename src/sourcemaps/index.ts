/**
 * The source maps feature: uploads per (project, release, file), validated and parsed on
 * source-map threads under a time budget (service.ts, thread.ts, maps.worker.ts), and
 * `symbolicate`, which the composition root hands to the errors feature so stored stacks
 * are answered with their original positions. The upload CLI is cli.ts.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core, Feature, Started } from '../core/feature'
import m004pg from './migrations/004_sourcemaps.pg.sql' with { type: 'text' }
import m004 from './migrations/004_sourcemaps.sql' with { type: 'text' }
import { sourcemapsRoutes } from './routes'
import { SourceMaps } from './service'

export { sourcemapsUpload } from './cli'
export { SourceMaps } from './service'

const CONFIG = ['sourcemaps'] as const

export interface SourceMapsDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  config: Pick<Config, (typeof CONFIG)[number]>
}

export interface SourceMapsRunning extends Started {
  routes: AnyElysia
  sourcemaps: SourceMaps
  /** A stored stack through its release's maps, or null; never throws for a bad map. */
  symbolicate: SourceMaps['symbolicate']
}

export const sourcemaps: Feature<SourceMapsDeps, SourceMapsRunning> = {
  name: 'sourcemaps',
  config: CONFIG,
  migrations: [{ file: '004_sourcemaps.sql', sql: m004, pg: m004pg }],
  backends: ['sqlite', 'postgres'],

  start(d) {
    const cfg = d.config.sourcemaps
    const maps = new SourceMaps(d.backend, {
      cacheBytes: cfg.cache_bytes,
      maxMappings: cfg.max_mappings,
      timeoutMs: cfg.parse_timeout_ms,
      log: d.log,
    })
    return {
      routes: sourcemapsRoutes({ ...d, sourcemaps: maps }),
      sourcemaps: maps,
      symbolicate: maps.symbolicate,
      stop: () => maps.close(),
    }
  },
}
