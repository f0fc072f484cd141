/**
 * The client: error capture, context, breadcrumbs and LLM tracing over two delivery
 * channels (channel.ts). Runtime-neutral: it uses only fetch, timers, Web Crypto (or an
 * injected Signer) and the options it is given. The entry points (browser.ts, node.ts,
 * react-native.ts) add the runtime's global handlers and exit hooks on top of it.
 *
 * No public method throws into the host app: every one catches and reports to `onError`
 * (console.warn with `debug: true`), because an error SDK that crashes the app is worse
 * than none.
 */
import { Channel, type OfflineStorage } from './channel'
import { type BloopEvent, type Caps, DEFAULT_CAPS, describeError, fitEvent, safeJson } from './event'
import { type Signer, webCryptoSigner } from './hmac'
import { type ContextManager, noContext, type TraceSink, type TraceWire } from './tracing'

export type Level = 'fatal' | 'error' | 'warning' | 'info' | 'debug'

export interface Breadcrumb {
  /** Epoch ms; set when added. */
  timestamp?: number
  /** Sentry's breadcrumb type (`default`, `http`, `navigation`, ...). */
  type?: string
  category?: string
  level?: Level
  message?: string
  data?: Record<string, unknown>
}

export interface Options {
  /** The bloop server, e.g. https://errors.example.com */
  endpoint: string
  /** The project's key: signs every request and names the project (X-Project-Key). */
  projectKey: string
  environment?: string
  release?: string
  /** Event `source`; defaults per runtime (javascript, node, bun, react-native). */
  source?: string
  appVersion?: string
  buildNumber?: string
  /** Fraction 0-1 of error events sent (default 1). */
  sampleRate?: number
  /** Fraction 0-1 of traces sent (default 1); decided when a trace starts. */
  tracesSampleRate?: number
  /** Last chance to scrub an event or drop it (return null). */
  beforeSend?: (event: BloopEvent) => BloopEvent | null | Promise<BloopEvent | null>
  beforeSendTrace?: (trace: TraceWire) => TraceWire | null
  /** Breadcrumbs kept in the ring (default 30, at most the server's 100); sent as the event's `breadcrumbs`. */
  maxBreadcrumbs?: number
  /** Events per request (default 50, at most 100); traces per request (default 50). */
  batchSize?: number
  traceBatchSize?: number
  /** Flush this long after the first buffered item (default 5000 ms). */
  flushIntervalMs?: number
  /** Items buffered per channel before the oldest is dropped (default 1000). */
  maxQueueSize?: number
  /** Tries of a batch the server answers 429/5xx before it is given up (default 10). */
  maxAttempts?: number
  /** The server's caps, if lowered from its defaults. */
  caps?: Partial<Caps>
  /** Offline queue: localStorage in browsers by default, an AsyncStorage in React Native. */
  storage?: OfflineStorage | null
  /** Characters of JSON the offline queue may take per channel (default 1,000,000, a fifth of localStorage). */
  maxOfflineChars?: number
  /** Automatic capture of global errors (default true). */
  autoCapture?: boolean
  debug?: boolean
  /** Seams for tests and unusual runtimes. */
  fetch?: typeof fetch
  signer?: Signer
  now?: () => number
  random?: () => number
  idGenerator?: () => string
  context?: ContextManager
  /** The route when none was set (the browser entry passes the page's path). */
  routeProvider?: () => string | undefined
  onError?: (message: string) => void
}

export interface CaptureContext {
  level?: Level
  tags?: Record<string, string>
  metadata?: Record<string, unknown>
  fingerprint?: string
  httpStatus?: number
  requestId?: string
  route?: string
  /** How it was caught: automatic handlers set this. */
  mechanism?: { type: string; handled: boolean }
}

/** The server's batch caps: events per request and bytes of a batch body. */
const MAX_EVENTS_PER_BATCH = 100
const EVENT_BATCH_BYTES = 4 * 1024 * 1024
const MAX_TRACES_PER_BATCH = 50
const TRACE_BATCH_BYTES = 1024 * 1024

function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto
  if (c?.randomUUID) return c.randomUUID()
  const bytes = new Uint8Array(16)
  if (c?.getRandomValues) c.getRandomValues(bytes)
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export class Client {
  readonly options: Options
  private readonly caps: Caps
  private readonly events: Channel<BloopEvent>
  private readonly traces: Channel<TraceWire>
  private readonly signer: Signer
  private breadcrumbs: Breadcrumb[] = []
  private tags: Record<string, string> = {}
  private extra: Record<string, unknown> = {}
  private userIdHash: Promise<string | undefined> = Promise.resolve(undefined)
  private route: string | undefined
  private screen: string | undefined
  private pending = new Set<Promise<unknown>>()
  private closed = false
  readonly now: () => number
  readonly context: ContextManager

  constructor(options: Options) {
    this.options = options
    this.caps = { ...DEFAULT_CAPS, ...options.caps }
    this.now = options.now ?? Date.now
    this.context = options.context ?? noContext
    const signer = options.signer ?? webCryptoSigner()
    if (!signer) throw new Error('bloop: this runtime has no crypto.subtle; pass options.signer')
    this.signer = signer
    const f = options.fetch ?? globalThis.fetch.bind(globalThis)
    const onError = (m: string) => this.warn(m)
    const common = {
      endpoint: options.endpoint,
      projectKey: options.projectKey,
      maxQueue: options.maxQueueSize ?? 1000,
      intervalMs: options.flushIntervalMs ?? 5000,
      maxAttempts: options.maxAttempts ?? 10,
      signer,
      fetch: f,
      storage: options.storage ?? undefined,
      maxStoredChars: options.maxOfflineChars ?? 1_000_000,
      now: this.now,
      onError,
    }
    this.events = new Channel<BloopEvent>({
      ...common,
      path: '/v1/ingest/batch',
      singlePath: '/v1/ingest',
      key: 'events',
      maxBatch: Math.min(MAX_EVENTS_PER_BATCH, Math.max(1, options.batchSize ?? 50)),
      maxBytes: EVENT_BATCH_BYTES,
      storageKey: 'bloop:queue:events',
    })
    this.traces = new Channel<TraceWire>({
      ...common,
      path: '/v1/traces/batch',
      key: 'traces',
      maxBatch: Math.min(MAX_TRACES_PER_BATCH, Math.max(1, options.traceBatchSize ?? 50)),
      maxBytes: TRACE_BATCH_BYTES,
      storageKey: 'bloop:queue:traces',
    })
  }

  private warn(message: string): void {
    try {
      this.options.onError?.(message)
      if (this.options.debug) console.warn(`[bloop] ${message}`)
    } catch {}
  }

  private guard<R>(what: string, fn: () => R, fallback: R): R {
    try {
      return fn()
    } catch (err) {
      this.warn(`${what} failed: ${(err as Error)?.message ?? err}`)
      return fallback
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p)
    p.finally(() => this.pending.delete(p)).catch(() => {})
    return p
  }

  // --- context -------------------------------------------------------------------------

  /** The user, hashed (SHA-256 hex) before it leaves the device; null forgets it. */
  setUser(id: string | number | null): void {
    this.guard(
      'setUser',
      () => {
        this.userIdHash =
          id === null || id === undefined ? Promise.resolve(undefined) : this.signer.sha256(String(id))
        this.userIdHash.catch(() => {})
      },
      undefined,
    )
  }

  setTag(key: string, value: string): void {
    this.tags[key] = String(value)
  }

  setTags(tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) this.setTag(k, v)
  }

  /** Extra metadata sent with every event under `key`. */
  setContext(key: string, value: unknown): void {
    if (value === undefined || value === null) delete this.extra[key]
    else this.extra[key] = value
  }

  /** The route (web) or procedure (API) events are attributed to. */
  setRoute(route: string | null): void {
    this.route = route ?? undefined
  }

  /** The screen (mobile) events are attributed to. */
  setScreen(screen: string | null): void {
    this.screen = screen ?? undefined
  }

  addBreadcrumb(crumb: Breadcrumb): void {
    this.guard(
      'addBreadcrumb',
      () => {
        const max = this.options.maxBreadcrumbs ?? 30
        if (max <= 0) return
        this.breadcrumbs.push({ timestamp: this.now(), ...crumb })
        if (this.breadcrumbs.length > max) this.breadcrumbs.splice(0, this.breadcrumbs.length - max)
      },
      undefined,
    )
  }

  // --- errors --------------------------------------------------------------------------

  captureException(err: unknown, ctx: CaptureContext = {}): void {
    this.guard('captureException', () => this.capture(describeError(err), ctx), undefined)
  }

  captureMessage(message: string, ctx: CaptureContext | Level = {}): void {
    const c = typeof ctx === 'string' ? { level: ctx } : ctx
    this.guard(
      'captureMessage',
      () => this.capture({ error_type: 'Message', message: String(message) }, c),
      undefined,
    )
  }

  private capture(d: { error_type: string; message: string; stack?: string }, ctx: CaptureContext): void {
    if (this.closed) return
    const rate = this.options.sampleRate ?? 1
    if (rate < 1 && (this.options.random ?? Math.random)() >= rate) return
    const o = this.options
    const metadata: Record<string, unknown> = { ...this.extra, ...ctx.metadata }
    const tags = { ...this.tags, ...ctx.tags }
    if (Object.keys(tags).length > 0) metadata.tags = tags
    if (ctx.level) metadata.level = ctx.level
    if (ctx.mechanism) metadata.mechanism = ctx.mechanism
    metadata.sdk = `bloop-js@${SDK_VERSION}`
    const event: BloopEvent = {
      timestamp: this.now(),
      source: o.source ?? 'javascript',
      environment: o.environment ?? 'production',
      release: o.release ?? 'unknown',
      error_type: d.error_type,
      message: d.message,
    }
    if (d.stack) event.stack = d.stack
    if (this.breadcrumbs.length > 0) event.breadcrumbs = this.breadcrumbs.slice()
    if (o.appVersion) event.app_version = o.appVersion
    if (o.buildNumber) event.build_number = o.buildNumber
    const route = ctx.route ?? this.route ?? o.routeProvider?.()
    if (route) event.route_or_procedure = route
    if (this.screen) event.screen = this.screen
    if (ctx.httpStatus !== undefined) event.http_status = ctx.httpStatus
    if (ctx.requestId) event.request_id = ctx.requestId
    if (ctx.fingerprint) event.fingerprint = ctx.fingerprint
    event.metadata = JSON.parse(safeJson(metadata)) as Record<string, unknown>
    this.track(this.finish(event))
  }

  /** Hash the user, run beforeSend, fit the caps, enqueue. */
  private async finish(event: BloopEvent): Promise<void> {
    try {
      const user = await this.userIdHash.catch(() => undefined)
      if (user) event.user_id_hash = user
      let e: BloopEvent | null = event
      if (this.options.beforeSend) e = await this.options.beforeSend(event)
      if (!e) return
      this.events.push(fitEvent(e, this.caps))
    } catch (err) {
      this.warn(`could not prepare an event: ${(err as Error)?.message ?? err}`)
    }
  }

  // --- tracing -------------------------------------------------------------------------

  /** @internal where a trace started on this client reports (tracing.ts). */
  traceSink(sampled: boolean): TraceSink {
    return {
      now: () => this.now(),
      id: () => (this.options.idGenerator ?? randomId)(),
      send: (t: TraceWire) => (sampled ? this.sendTrace(t) : undefined),
      context: this.context,
    }
  }

  /** @internal decided when a trace starts, from `tracesSampleRate`. */
  sampleTrace(): boolean {
    const rate = this.options.tracesSampleRate ?? 1
    return rate >= 1 || (this.options.random ?? Math.random)() < rate
  }

  private sendTrace(t: TraceWire): void {
    this.guard(
      'trace',
      () => {
        const out = this.options.beforeSendTrace ? this.options.beforeSendTrace(t) : t
        if (out && !this.closed) this.traces.push(out)
      },
      undefined,
    )
  }

  // --- delivery ------------------------------------------------------------------------

  /** Sends everything buffered; resolves true when nothing is left (never rejects). */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    return this.flushWith(timeoutMs, false)
  }

  /** @internal page hide: keepalive requests and a saved offline queue. */
  async flushWith(timeoutMs: number, keepalive: boolean): Promise<boolean> {
    try {
      const deadline = this.now() + timeoutMs
      // Events still being prepared (hashing, beforeSend), bounded by the timeout, whose
      // timer is cleared: a flush must not hold the process open after it resolved.
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        Promise.all([...this.pending]),
        new Promise((r) => {
          timer = setTimeout(r, timeoutMs)
        }),
      ])
      clearTimeout(timer)
      if (keepalive) await Promise.all([this.events.persist(), this.traces.persist()])
      const left = Math.max(0, deadline - this.now())
      const [a, b] = await Promise.all([
        this.events.flush(left, keepalive),
        this.traces.flush(left, keepalive),
      ])
      return a && b
    } catch (err) {
      this.warn(`flush failed: ${(err as Error)?.message ?? err}`)
      return false
    }
  }

  /** Flushes, then stops: later captures are ignored. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    const ok = await this.flush(timeoutMs)
    this.closed = true
    this.events.stop()
    this.traces.stop()
    if (!ok) await Promise.all([this.events.persist(), this.traces.persist()])
    return ok
  }

  /** Counters for diagnostics: queued, sent and dropped items per channel. */
  stats() {
    return {
      events: { queued: this.events.size, sent: this.events.sent, dropped: this.events.dropped },
      traces: { queued: this.traces.size, sent: this.traces.sent, dropped: this.traces.dropped },
    }
  }
}

export const SDK_VERSION = '0.1.0'
