/**
 * GET /health: `{status, db_ok, buffer_usage, backend, db_latency_ms}`; 503 when the writer
 * cannot take the write lock within two seconds (a full disk, a stuck lock, a dead writer)
 * or the main connection cannot read. `buffer_usage` is the fullest ingest queue's depth
 * over its capacity; `backend` the storage backend (sqlite or postgres) and
 * `db_latency_ms` one round trip of the main connection to it (null when it failed).
 * GET /metrics: Prometheus text format.
 *
 * The checks are passed in as functions, so ops imports neither storage nor a feature.
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { access } from '../http/access'
import type { Guard } from '../http/auth'
import type { Registry } from './metrics'

const HEALTH_TIMEOUT_MS = 2000

const Health = T.Object({
  status: T.Union([T.Literal('ok'), T.Literal('degraded'), T.Literal('draining')]),
  db_ok: T.Boolean(),
  buffer_usage: T.Number({ minimum: 0, maximum: 1 }),
  backend: T.Union([T.Literal('sqlite'), T.Literal('postgres')]),
  db_latency_ms: T.Union([T.Number({ minimum: 0 }), T.Null()]),
})

export interface OpsDeps {
  /** Resolves once the writer took and released the write lock (rejects if it could not). */
  pingWriter: () => Promise<unknown>
  /** The main connection's backend: its kind, and one round trip (rejects when it cannot read). */
  backend: { kind: 'sqlite' | 'postgres'; ping(): Promise<number> }
  bufferUsage: () => number
  draining: { value: boolean }
  registry: Registry
  guard: Guard
}

async function writerOk(s: OpsDeps): Promise<boolean> {
  let timer: Timer | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS)
  })
  try {
    return await Promise.race([
      s.pingWriter().then(
        () => true,
        () => false,
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** The main connection's round trip in ms, or null when it failed or took over two seconds. */
async function readerLatency(s: OpsDeps): Promise<number | null> {
  let timer: Timer | undefined
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), HEALTH_TIMEOUT_MS)
  })
  try {
    return await Promise.race([s.backend.ping().catch(() => null), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export function opsRoutes(s: OpsDeps) {
  return new Elysia({ name: 'ops' })
    .use(access(s.guard))
    .get(
      '/health',
      async () => {
        const latency = await readerLatency(s)
        const dbOk = latency !== null && (await writerOk(s))
        const ok = dbOk && !s.draining.value
        const body = {
          status: ok ? 'ok' : s.draining.value ? 'draining' : 'degraded',
          db_ok: dbOk,
          buffer_usage: s.bufferUsage(),
          backend: s.backend.kind,
          db_latency_ms: latency === null ? null : Math.round(latency * 100) / 100,
        }
        return new Response(JSON.stringify(body), {
          status: ok ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        })
      },
      {
        public: 'load balancers and orchestrators poll it',
        schema: { response: { 200: Health, 503: Health } },
      },
    )
    .get(
      '/metrics',
      () =>
        new Response(s.registry.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        }),
      {
        public: 'Prometheus scrapes it; it holds counts, never event data',
        schema: { response: { 200: T.String({ description: 'Prometheus text format' }) } },
      },
    )
}
