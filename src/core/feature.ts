/**
 * What a feature is to the server. Each feature folder exports ONE object of this type
 * from its index.ts; src/features.ts lists them in dependency order and starts them, and
 * src/writer.tasks.ts registers their writer tasks on the writer thread. Nothing else
 * needs editing when a feature is added (docs/ARCHITECTURE.md, "Adding a feature").
 *
 * The static part (name, config sections, migrations, tasks, project data, retention
 * hooks) is read before anything runs: migrations are planned from it, the writer
 * registry is checked against it, project deletion and the retention sweeper work from
 * it. `start(deps)` is called once, in list order, with exactly the dependencies the
 * feature declares (its own `Deps` type), and returns the running part.
 */
import type { AnyElysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Guard } from '../http/auth'
import type { RateLimiter } from '../http/ratelimit'
import type { AppMetrics } from '../ops/appmetrics'
import type { Logger } from '../ops/log'
import type { Backend, BackendKind } from '../storage/backend'
import type { Db } from '../storage/db'
import type { WriterLoad } from '../storage/load'
import type { MigrationFile } from '../storage/migrate'
import type { TaskTable } from '../storage/tasks'

/** A table holding rows of projects, emptied batch by batch when a project is deleted. */
export interface ProjectDataTable {
  table: string
  /** The columns that identify a row (a rowid table's integer key, or its primary key). */
  key: readonly string[]
}

/**
 * What the retention sweeper prunes for a feature: `task` is one of the feature's writer
 * tasks, of the shape retention/hooks.ts describes (PruneTask); `name` is what the pass
 * report calls it (`<name>_deleted`, `phases_ms.<name>`).
 */
export interface RetentionHook {
  name: string
  task: string
}

/**
 * The backends a feature may declare, from what it takes at start: a feature whose `Deps`
 * picks `db` (SQLite's connection) runs on SQLite only, so declaring `postgres` there is a
 * type error ("'postgres' is not assignable to 'sqlite'"): drop `db` from its Deps first.
 */
export type BackendsFor<Deps> = [Deps] extends [never]
  ? BackendKind
  : 'db' extends keyof Deps
    ? 'sqlite'
    : BackendKind

export interface Feature<Deps = never, Running extends Started = Started> {
  /** The folder's name; its writer tasks are named `<name>.<task>`. */
  readonly name: string
  /** The config sections (`[section]` of config.toml) it reads. */
  readonly config: readonly (keyof Config)[]
  /** Its SQL files in src/<name>/migrations/, as text (ids and order: storage/migrate.ts). */
  readonly migrations: readonly MigrationFile[]
  /** Its writer tasks: the same table its tasks.ts exports and src/writer.tasks.ts registers. */
  readonly tasks?: TaskTable
  /** Its tables of per-project rows, removed in this order when a project is deleted. */
  readonly projectData?: readonly ProjectDataTable[]
  /** What the retention sweeper prunes, in this order. */
  readonly retention?: readonly RetentionHook[]
  /**
   * The storage backends it runs on (default: SQLite only). A feature lists `postgres` once
   * its stores use only the storage seam, never `Core.db` (the type refuses it while its
   * Deps picks `db`: BackendsFor), and its writer tasks are seam tasks (checked by
   * test/unit/writer.registry.test.ts); `bloop serve` on PostgreSQL starts only when every
   * feature does (docs/ARCHITECTURE.md, "Storage backends").
   */
  readonly backends?: readonly BackendsFor<Deps>[]
  start(deps: Deps): Running | Promise<Running>
}

/** The running part of a feature. */
export interface Started {
  /** Its HTTP routes, as one Elysia plugin. */
  readonly routes?: AnyElysia
  /**
   * Ends long-lived responses (event streams) so the HTTP server can stop; called when
   * the server stops listening, before in-flight requests are awaited.
   */
  closeStreams?(): void
  /**
   * Stops what start() started (cron jobs, threads, sweepers, deliveries). Called in
   * reverse start order, after every ingest queue has committed and answered what it held.
   */
  stop?(): void | Promise<void>
}

/**
 * The shared parts of a running server, built once by server.ts before any feature
 * starts. A feature's `Deps` picks what it uses from here (`Pick<Core, 'db' | 'log'>`)
 * and adds its own (its writer tasks, other features' exports).
 */
export interface Core {
  config: Config
  /**
   * Main-thread connection: reads and small administrative writes. SQLite only: on
   * PostgreSQL there is no SQLite database, and this is a stand-in that throws on any use
   * (server.ts), which no feature reaches, since one that picks `db` cannot declare
   * `postgres` (BackendsFor) and serve starts only when every feature declares it.
   */
  db: Db
  /**
   * The same connection through the storage seam (storage/backend.ts): what a store
   * converted to run on both backends takes instead of `db`.
   */
  backend: Backend
  log: Logger
  metrics: AppMetrics
  /** Clock in epoch ms; tests pass their own. */
  now: () => number
  guard: Guard
  /** Client IP of a request, after the trusted-proxy rule. */
  clientIp: (request: Request) => string
  /**
   * Sets the idle timeout of one request's connection in seconds (0: none), for a
   * response that may stay silent longer than the server's default (a proxied model call
   * thinking before its first token). A no-op when the app is not behind a listening server.
   */
  idleTimeout: (request: Request, seconds: number) => void
  /** One budget per client for every ingest endpoint (bloop's and Sentry's). */
  ingestLimiter: RateLimiter
  /** Set when the server shuts down: new ingest is refused with 503. */
  draining: { value: boolean }
  /** What every ingest queue reports to, and background writers yield to. */
  load: WriterLoad
}

/** The names of the features that do not declare `kind` among their backends (SQLite is every feature's default). */
export function featuresNotOn(
  kind: BackendKind,
  features: readonly { name: string; backends?: readonly BackendKind[] }[],
): string[] {
  return features.filter((f) => !(f.backends ?? ['sqlite']).includes(kind)).map((f) => f.name)
}
