/**
 * Builds a running bloop from a validated config: storage, the writer thread, the core
 * (access control, metrics, the writer load) and every feature (src/features.ts), then
 * the HTTP app. `serve` listens; `buildRuntime` alone is what the in-process tests use.
 * `close` drains: stop accepting, commit and answer everything queued, stop the features
 * (reverse order), close storage.
 */

import { resolve } from 'node:path'
import { API_HEADERS, createApp, createHandler } from './app'
import { relyingParty, relyingPartyProblems, resolveSession } from './auth'
import { VERSION } from './cli/version'
import { ConfigError } from './config/load'
import type { Config } from './config/schema'
import { dataDirOf, resolveSecret } from './config/secret'
import { type Core, featuresNotOn } from './core/feature'
import { bannerText, FINGERPRINT_VERSION, ingestBanner, maskKey } from './errors'
import { FEATURES, MIGRATIONS, type Running, startFeatures } from './features'
import { Guard } from './http/auth'
import { contractRoutes } from './http/contract'
import { clientIp, RateLimiter } from './http/ratelimit'
import { createMetrics } from './ops/appmetrics'
import { createLogger, type Logger, resolveLogFormat } from './ops/log'
import { fsProblem, StartupError, writableDirFix } from './ops/problems'
import { registerProcessMetrics, registerStorageMetrics } from './ops/process'
import { opsRoutes } from './ops/routes'
import { DEFAULT_PROJECT_ID, findProject, listProjects, projectByKey } from './projects'
import type { Backend } from './storage/backend'
import { Checkpointer } from './storage/checkpointer'
import type { Db } from './storage/db'
import { WriterLoad } from './storage/load'
import { acquireServeLock } from './storage/lock'
import { migrate, migratePostgres } from './storage/migrate'
import { noSqliteOnPostgres, openPostgres, openStorage } from './storage/open'
import { makePrivateDir, restrictUmask } from './storage/private'
import { SqliteBackend } from './storage/sqlite'
import { resolveToken } from './tokens'
import { webRoutes } from './web/routes'
import { openSeamWriter, openWriter, type ServerWriter } from './writer'

export interface RuntimeOptions {
  log?: Logger
  now?: () => number
  /** DNS resolver for alert URL checks (tests simulate DNS changes with it). */
  resolve?: (host: string) => Promise<string[]>
  /** How long the writer waits for a lock held by another process (default 5 s). */
  writerBusyTimeoutMs?: number
}

export interface Runtime {
  core: Core
  /** The single writer of event data, typed by every feature's tasks. */
  writer: ServerWriter
  /** Each feature's running part, by name, in start order. */
  features: Running
  app: ReturnType<typeof createApp>
  /** The fetch handler (app + metrics + request log); what tests and Bun.serve call. */
  handle: (request: Request) => Promise<Response>
  /** Set by `serve`: the socket address of a request. */
  socketAddress: (request: Request) => string | null
  /** Sets one request's idle timeout (Bun's server.timeout); set once listening. */
  idleTimeout: (request: Request, seconds: number) => void
  /** Logs the first-run hint (key and signed curl) once the port is known. */
  announce: (port: number) => void
  close(): Promise<void>
}

export async function buildRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? createLogger(config.log.level, undefined, {}, resolveLogFormat(config.log.format))
  const now = opts.now ?? Date.now
  const secret = resolveSecret(config)
  const storage = await openServingStorage(config, log, opts)
  const { db, backend, writer, dbPath } = storage
  const metrics = createMetrics()
  registerProcessMetrics(metrics.registry, {
    dbPath,
    build: { fingerprint_version: String(FINGERPRINT_VERSION) },
  })
  registerStorageMetrics(metrics.registry, { backend: backend.kind, pool: () => backend.pool() })

  let socketAddress: Runtime['socketAddress'] = () => null
  let idleTimeout: Runtime['idleTimeout'] = () => {}
  const requestIp = (request: Request) =>
    clientIp(request, socketAddress(request), config.server.trusted_proxies)
  const ingestLimiter = new RateLimiter(config.rate_limit.per_second, config.rate_limit.burst_size, now)
  const guard = new Guard(
    {
      token: (t) => resolveToken(backend, t, now()),
      session: (cookie) => resolveSession(backend, cookie, now()),
      // Every signed-in user sees every project: bloop has no per-project membership.
      visibleProjects: () => listProjects(backend),
    },
    [relyingParty(config).origin],
    {
      limiter: new RateLimiter(config.rate_limit.auth_per_second, config.rate_limit.auth_burst_size, now),
      clientIp: requestIp,
    },
    {
      limiter: ingestLimiter,
      clientIp: requestIp,
      signingKey: (key) =>
        key === null ? findProject(backend, DEFAULT_PROJECT_ID) : projectByKey(backend, key),
      rejected: (reason) => metrics.rejected.inc({ reason }),
    },
  )
  const core: Core = {
    config,
    db,
    backend,
    log,
    metrics,
    now,
    guard,
    clientIp: requestIp,
    idleTimeout: (request, seconds) => idleTimeout(request, seconds),
    ingestLimiter,
    draining: { value: false },
    load: new WriterLoad(),
  }
  let features: Running
  try {
    features = await startFeatures(core, { writer, secret: secret.secret, resolve: opts.resolve })
  } catch (err) {
    await storage.close()
    throw err
  }
  const running = Object.values(features)
  const app: ReturnType<typeof createApp> = createApp(log, [
    contractRoutes(guard, () => app, { title: 'bloop', version: VERSION }),
    opsRoutes({
      pingWriter: () => writer.run('storage.ping', {}),
      backend,
      bufferUsage: () => core.load.bufferUsage(),
      draining: core.draining,
      registry: metrics.registry,
      guard,
    }),
    webRoutes(guard),
    ...running.flatMap((f) => (f.routes ? [f.routes] : [])),
  ])
  const firstRun = secret.generated || features.projects.createdDefault
  const defaultProject = features.projects.defaultProject

  let closing: Promise<void> | null = null
  const runtime: Runtime = {
    core,
    writer,
    features,
    app,
    handle: createHandler(core, app),
    get idleTimeout() {
      return idleTimeout
    },
    set idleTimeout(fn) {
      idleTimeout = fn
    },
    get socketAddress() {
      return socketAddress
    },
    set socketAddress(fn) {
      socketAddress = fn
    },
    announce: () => {},
    close() {
      // Idempotent: a second call waits for the first shutdown instead of repeating it.
      closing ??= (async () => {
        core.draining.value = true
        // Every queued request is committed and answered, and the commit listeners (alert
        // evaluation, the analytics feed) have seen every batch, before any feature stops.
        await core.load.idle()
        for (const f of [...running].reverse()) await f.stop?.()
        await storage.close()
      })()
      return closing
    },
  }
  runtime.announce = (port) => {
    // A configured secret is the operator's own: never echoed, not even masked.
    if (secret.configured) return
    const where = { secret_file: secret.file, data_dir: dataDirOf(config) }
    if (!firstRun) {
      log.info('using the HMAC secret from the data directory', {
        ...where,
        default_project_key: maskKey(defaultProject.api_key),
        hint: 'bloop project list --keys prints the keys',
      })
      return
    }
    // Local default mode, first run: show how to send a first event.
    const banner = ingestBanner(config, port, defaultProject.api_key)
    log.notice(
      'first run: generated an HMAC secret',
      { ...where, ...banner },
      bannerText(banner, { secretFile: secret.file, dataDir: where.data_dir }),
    )
  }
  return runtime
}

/** What the server writes and reads through, on the configured backend. */
interface ServingStorage {
  /** SQLite's main connection; on PostgreSQL a stand-in that throws on use (Core.db). */
  db: Db
  /** The main connection through the storage seam. */
  backend: Backend
  writer: ServerWriter
  /** The SQLite file (its size for /metrics; absent on PostgreSQL, which reports 0). */
  dbPath: string
  /** Commits what the writer holds, then closes the writer and the connections. */
  close(): Promise<void>
}

async function openServingStorage(
  config: Config,
  log: Logger,
  opts: RuntimeOptions,
): Promise<ServingStorage> {
  const dbPath = resolve(config.database.path)
  if (config.database.url !== '') return openServingPostgres(config, log, dbPath)
  const db = openStorage(dbPath)
  // The main connection seen through the storage seam (storage/backend.ts): health, metrics.
  const backend = new SqliteBackend(db)
  const migrated = migrate(db, MIGRATIONS)
  if (migrated.applied.length > 0) log.info('database migrated', { applied: migrated.applied, path: dbPath })
  const writer = openWriter({ dbPath, log, busyTimeoutMs: opts.writerBusyTimeoutMs })
  await writer.whenReady()
  const checkpointer = new Checkpointer(dbPath, log)
  return {
    db,
    backend,
    writer,
    dbPath,
    async close() {
      await writer.close()
      await checkpointer.close()
      db.close()
    },
  }
}

/**
 * With database.url set: connects (an unreachable or refusing database stops startup
 * saying what to check) and brings the PostgreSQL schema up to date; then serves only if
 * every feature runs on PostgreSQL (`backends`), since serving some from SQLite and some
 * from PostgreSQL would split the data. The writer is the seam writer on this thread
 * (storage/writer.backend.ts); there is no SQLite file, writer thread or checkpointer.
 */
async function openServingPostgres(config: Config, log: Logger, dbPath: string): Promise<ServingStorage> {
  const pg = await openPostgres(config.database)
  try {
    const migrated = await migratePostgres(pg, MIGRATIONS)
    if (migrated.applied.length > 0)
      log.info('database migrated', { applied: migrated.applied, backend: 'postgres' })
    const notYet = featuresNotOn('postgres', FEATURES)
    if (notYet.length > 0)
      throw new StartupError(
        `database.url: the PostgreSQL database is reachable and migrated, but these features do not run on PostgreSQL yet: ${notYet.join(', ')}; unset database.url (BLOOP__DATABASE__URL) to serve from SQLite, \`bloop db copy --to <url>\` copies the data across`,
      )
  } catch (err) {
    await pg.close()
    throw err
  }
  const writer = openSeamWriter(pg)
  return {
    db: noSqliteOnPostgres(),
    backend: pg,
    writer,
    dbPath,
    async close() {
      await writer.close()
      await pg.close()
    },
  }
}

export interface Served {
  runtime: Runtime
  url: URL
  port: number
  /** Graceful stop: no new connections, in-flight requests answered, queue committed. */
  stop(): Promise<void>
}

export async function serve(config: Config, opts: RuntimeOptions = {}): Promise<Served> {
  // Before anything is created: the data directory and every file in it are private.
  restrictUmask()
  // Before anything touches the data directory: a second server stops here, naming the first.
  const lock = acquireServeLock(ensureDataDir(config))
  let runtime: Runtime
  try {
    runtime = await buildRuntime(config, opts)
  } catch (err) {
    lock.release()
    throw err
  }
  const { core } = runtime
  let server: ReturnType<typeof Bun.serve>
  try {
    server = Bun.serve({
      hostname: config.server.host,
      port: config.server.port,
      // The largest body any route accepts (a source map sent as an escaped JSON string may
      // take twice its size); ingest enforces its own caps per endpoint.
      maxRequestBodySize:
        Math.max(
          2 * config.sourcemaps.max_bytes,
          config.ingest.max_batch_bytes,
          config.sentry.max_envelope_bytes,
          config.llm_tracing.proxy.max_body_bytes,
        ) +
        1024 * 1024,
      fetch: (request) => runtime.handle(request),
      error: (err) => {
        core.log.error('request failed outside the app', { error: err })
        return new Response(JSON.stringify({ error: 'internal server error', code: 'internal' }), {
          status: 500,
          headers: { 'content-type': 'application/json', ...API_HEADERS },
        })
      },
    })
  } catch (err) {
    await runtime.close()
    lock.release()
    throw new ConfigError(
      `cannot listen on ${config.server.host}:${config.server.port} (${(err as Error).message}); ` +
        'stop the other process or choose another port with server.port / BLOOP__SERVER__PORT',
      { cause: err },
    )
  }
  runtime.socketAddress = (request) => server.requestIP(request)?.address ?? null
  runtime.idleTimeout = (request, seconds) => server.timeout(request, seconds)
  const port = server.port as number
  runtime.announce(port)
  for (const problem of relyingPartyProblems(relyingParty(config), port)) core.log.warn(problem)
  // Last startup line: tools (and tests) wait for it.
  core.log.info('listening', { host: config.server.host, port, url: `http://localhost:${port}` })
  let stopping: Promise<void> | null = null
  return {
    runtime,
    url: new URL(`http://localhost:${port}`),
    port,
    stop() {
      stopping ??= (async () => {
        core.log.info('shutting down: finishing in-flight requests and committing queued events')
        core.draining.value = true
        // Long-lived responses (dashboard streams) never end by themselves, and stop(false) waits for them.
        for (const f of Object.values(runtime.features)) f.closeStreams?.()
        await server.stop(false)
        await runtime.close()
        lock.release()
        core.log.info('shutdown complete')
      })()
      return stopping
    },
  }
}

/** Creates the data directory (the folder of database.path); its failure names the fix. */
function ensureDataDir(config: Config): string {
  const dir = dataDirOf(config)
  try {
    makePrivateDir(dir)
  } catch (err) {
    throw fsProblem(err, 'cannot create the data directory', dir, writableDirFix(dir)) ?? err
  }
  return dir
}
