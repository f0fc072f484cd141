/**
 * Builds a running bloop from a validated config: storage, the writer thread, the queue,
 * access control and the HTTP app. `serve` listens; `buildRuntime` alone is what the
 * in-process tests use. `close` drains: stop accepting, finish in-flight requests, commit
 * everything queued, close storage.
 */

import { resolve } from 'node:path'
import { Alerting } from './alerts/service'
import { startAnalytics } from './analytics/service'
import { API_HEADERS, createApp, createHandler } from './app'
import { relyingParty, relyingPartyProblems } from './auth/origin'
import { resolveSession } from './auth/sessions'
import { ConfigError } from './config/load'
import type { Config } from './config/schema'
import { dataDirOf, resolveSecret } from './config/secret'
import { StreamHub } from './dashboard/stream'
import { Guard } from './http/auth'
import { clientIp, RateLimiter } from './http/ratelimit'
import { bannerText, ingestBanner, maskKey } from './ingest/banner'
import { createMetrics } from './ops/appmetrics'
import { createLogger, type Logger, resolveLogFormat } from './ops/log'
import { fsProblem, writableDirFix } from './ops/problems'
import { registerProcessMetrics } from './ops/process'
import { FINGERPRINT_VERSION } from './pipeline/fingerprint'
import { IngestQueue } from './pipeline/queue'
import { Writer } from './pipeline/writer'
import { resumePurges } from './projects/manage'
import { DEFAULT_PROJECT_ID, ensureDefaultProject, findProject, listProjects } from './projects/store'
import { syncSettingsFromConfig } from './retention/store'
import type { Services } from './services'
import { SourceMaps } from './sourcemaps/service'
import { Checkpointer } from './storage/checkpointer'
import { acquireServeLock } from './storage/lock'
import { migrate } from './storage/migrate'
import { openStorage } from './storage/open'
import { makePrivateDir, restrictUmask } from './storage/private'
import { resolveToken } from './tokens/store'

export interface RuntimeOptions {
  log?: Logger
  now?: () => number
  /** DNS resolver for alert URL checks (tests simulate DNS changes with it). */
  resolve?: (host: string) => Promise<string[]>
  /** How long the writer waits for a lock held by another process (default 5 s). */
  writerBusyTimeoutMs?: number
}

export interface Runtime {
  services: Services
  app: ReturnType<typeof createApp>
  /** The fetch handler (app + metrics + request log); what tests and Bun.serve call. */
  handle: (request: Request) => Promise<Response>
  /** Extra shutdown steps registered by features (timers, background workers). */
  onClose: (() => void | Promise<void>)[]
  /** Set by `serve`: the socket address of a request. */
  socketAddress: (request: Request) => string | null
  /** Logs the first-run hint (key and signed curl) once the port is known. */
  announce: (port: number) => void
  close(): Promise<void>
}

export async function buildRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? createLogger(config.log.level, undefined, {}, resolveLogFormat(config.log.format))
  const now = opts.now ?? Date.now
  const secret = resolveSecret(config)
  const dbPath = resolve(config.database.path)
  const db = openStorage(dbPath)
  const migrated = migrate(db)
  if (migrated.applied.length > 0) log.info('database migrated', { applied: migrated.applied, path: dbPath })
  // A run that creates the default project (or its key) is a first run: the only one whose
  // log shows the key in full.
  const firstRun = secret.generated || !findProject(db, DEFAULT_PROJECT_ID)
  const defaultProject = ensureDefaultProject(db, secret.secret, now())
  syncSettingsFromConfig(db, config.retention, now())

  const writer = new Writer(dbPath, log, opts.writerBusyTimeoutMs)
  await writer.whenReady()
  const resized = await writer.run('resizeSampleRings', { sampleSize: config.pipeline.sample_reservoir_size })
  if (resized.moved + resized.dropped > 0) {
    log.info('sample reservoir size changed: samples renumbered', {
      ...resized,
      size: config.pipeline.sample_reservoir_size,
    })
  }
  const checkpointer = new Checkpointer(dbPath, log)
  const metrics = createMetrics()
  registerProcessMetrics(metrics.registry, {
    dbPath,
    build: { fingerprint_version: String(FINGERPRINT_VERSION) },
  })
  const queue = new IngestQueue(
    writer,
    {
      capacity: config.ingest.channel_capacity,
      flushBatchSize: config.pipeline.flush_batch_size,
      sampleSize: config.pipeline.sample_reservoir_size,
    },
    log,
    {
      onCommit: (n, ms) => {
        metrics.commitBatch.observe(n)
        metrics.commitSeconds.observe(ms / 1000)
      },
      onAck: (ms) => metrics.ackSeconds.observe(ms / 1000),
    },
  )
  metrics.registry.gauge('bloop_queue_depth', 'Events waiting for the writer.', () => queue.depth)
  metrics.registry.gauge(
    'bloop_queue_capacity',
    'Maximum events waiting for the writer.',
    () => queue.capacity,
  )

  const rp = relyingParty(config)
  const guard = new Guard(
    {
      token: (t) => resolveToken(db, t, now()),
      session: (cookie) => resolveSession(db, cookie, now()),
      project: (ref) => findProject(db, ref),
      // Every signed-in user sees every project: bloop has no per-project membership.
      visibleProjects: () => listProjects(db).map((p) => p.id),
    },
    [rp.origin],
    {
      limiter: new RateLimiter(config.rate_limit.auth_per_second, config.rate_limit.auth_burst_size, now),
      clientIp: (request) => services.clientIp(request),
    },
  )

  let closing: Promise<void> | null = null
  const runtime: Runtime = {
    services: undefined as unknown as Services,
    app: undefined as unknown as ReturnType<typeof createApp>,
    handle: undefined as unknown as Runtime['handle'],
    onClose: [],
    socketAddress: () => null,
    announce: () => {},
    close() {
      // Idempotent: a second call waits for the first shutdown instead of repeating it.
      closing ??= (async () => {
        services.draining.value = true
        for (const stop of runtime.onClose.splice(0).reverse()) await stop()
        await queue.drain()
        await writer.close()
        await checkpointer.close()
        db.close()
      })()
      return closing
    },
  }
  const services: Services = {
    config,
    db,
    writer,
    queue,
    guard,
    log,
    metrics,
    now,
    clientIp: (request) => clientIp(request, runtime.socketAddress(request), config.server.trusted_proxies),
    ingestLimiter: new RateLimiter(config.rate_limit.per_second, config.rate_limit.burst_size, now),
    draining: { value: false },
  }
  const sourcemaps = new SourceMaps(db, {
    dbPath,
    cacheBytes: config.sourcemaps.cache_bytes,
    maxMappings: config.sourcemaps.max_mappings,
    timeoutMs: config.sourcemaps.parse_timeout_ms,
    log,
  })
  services.symbolicate = sourcemaps.symbolicate
  services.sourcemaps = sourcemaps
  runtime.onClose.push(() => sourcemaps.close())
  runtime.services = services
  // Alerting: rules are evaluated on every committed batch; delivery runs in the background.
  const alerts = new Alerting({ config, db, log, now, registry: metrics.registry, resolve: opts.resolve })
  alerts.start()
  services.alerts = alerts
  queue.onCommit(alerts.onCommit)
  runtime.onClose.push(async () => {
    // Batches still committing may fire alerts: let them, then stop delivering.
    await queue.drain()
    await alerts.close()
  })
  // Dashboard live updates: a tick to open streams after each committed batch.
  services.stream = new StreamHub()
  queue.onCommit(services.stream.onCommit)
  runtime.onClose.push(() => services.stream?.close())
  services.analytics = startAnalytics(services)
  runtime.onClose.push(() => services.analytics?.close())
  runtime.app = createApp(services)
  runtime.onClose.push(async () => {
    // Every cron job of every feature (session cleanup, retention passes).
    for (const job of Object.values(runtime.app.store.cron)) job.stop()
    await runtime.app.store.retentionSweeper.stop()
  })
  runtime.handle = createHandler(services, runtime.app)
  // Finish removing the data of projects deleted before a crash or shutdown.
  void resumePurges({ db, writer, log, batchSize: config.retention.prune_batch_size })
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
  const { services } = runtime
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
        ) +
        1024 * 1024,
      fetch: (request) => runtime.handle(request),
      error: (err) => {
        services.log.error('request failed outside the app', { error: err })
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
    )
  }
  runtime.socketAddress = (request) => server.requestIP(request)?.address ?? null
  const port = server.port as number
  runtime.announce(port)
  for (const problem of relyingPartyProblems(relyingParty(config), port)) services.log.warn(problem)
  // Last startup line: tools (and tests) wait for it.
  services.log.info('listening', { host: config.server.host, port, url: `http://localhost:${port}` })
  let stopping: Promise<void> | null = null
  return {
    runtime,
    url: new URL(`http://localhost:${port}`),
    port,
    stop() {
      stopping ??= (async () => {
        services.log.info('shutting down: finishing in-flight requests and committing queued events')
        services.draining.value = true
        // Open dashboard streams never end by themselves, and stop(false) waits for them.
        services.stream?.close()
        await server.stop(false)
        await runtime.close()
        lock.release()
        services.log.info('shutdown complete')
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
