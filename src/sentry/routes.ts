/**
 * Sentry SDK ingest (docs/decisions.md, "Sentry SDK compatibility"): `POST /api/:id/envelope/` and the legacy `POST /api/:id/store/`
 * (with or without the trailing slash), `OPTIONS` for browsers.
 *
 * Order of checks: rate limit per client IP (429), credentials from the header or query
 * when present (403, before the body is read), or else the URL's project must exist (404,
 * also before the body is read), content type (415), body size as received (413),
 * Content-Encoding undone within the decompressed cap (413 for a bomb, 400 for a corrupt
 * body) and the process-wide decompression budget (429 while it is spent), envelope
 * syntax (400), credentials again with the envelope's `dsn` (403), then the event is
 * mapped, queued (429 when full) and answered `{"id": ...}` only after its commit, the
 * same durability rule as bloop ingest.
 *
 * A body is inflated before any key is checked only when the request carries no key
 * outside the body: the key may then be in the envelope's `dsn` header, which is inside
 * the compression. Those inflations are what the budget bounds.
 *
 * Every answer, errors included, carries the CORS headers browsers need to read it, and
 * 429s carry `X-Sentry-Rate-Limits` (all categories) next to `Retry-After`, which is what
 * Sentry SDKs read to back off.
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import type { Submit } from '../errors'
import { access, corsPolicy, preflight } from '../http/access'
import { AppError, json } from '../http/errors'
import { readBodyBytes } from '../http/validate'
import { findProject } from '../projects'
import type { DecompressionBudget, Lease } from './budget'
import { decodeBody, encodingOf } from './decode'
import {
  formatDsn,
  type KeySource,
  keyFromEnvelopeDsn,
  keysFromRequest,
  type PresentedKey,
  PUBLIC_KEY,
} from './dsn'
import { type EnvelopeItem, jsonPayload, parseEnvelope } from './envelope'
import { mapEvent, normalizeEventId } from './map'
import { discardedEvents, itemHandling, itemLabel } from './outcomes'
import {
  dsnFor,
  keyMatches,
  rotateSentryKey,
  type SentryProject,
  sentryProjectByKey,
  sentryProjectByNumericId,
} from './store'

/** Sentry's browser SDK sends from any origin and reads the rate-limit headers of the answer. */
const CORS = corsPolicy({
  methods: 'POST, OPTIONS',
  headers:
    'Content-Type, Content-Encoding, X-Sentry-Auth, Authorization, X-Requested-With, Origin, Accept, sentry-trace, baggage',
  expose: 'X-Sentry-Error, X-Sentry-Rate-Limits, Retry-After',
})

/** Body types an envelope may arrive as: the spec's own, and those a browser sends without a preflight. */
const ENVELOPE_TYPES = new Set([
  '',
  'application/x-sentry-envelope',
  'text/plain',
  'application/json',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
])
const STORE_TYPES = new Set(['', 'application/json', 'text/plain'])

type Endpoint = 'envelope' | 'store'

/** Counters of what Sentry SDKs send; made once by the feature's start. */
export function sentryMetrics(r: Core['metrics']['registry']) {
  return {
    items: r.counter(
      'bloop_sentry_items_total',
      'Sentry envelope items in accepted requests, by item type (unknown types as "other").',
    ),
    discarded: r.counter(
      'bloop_sentry_client_discarded_events_total',
      'Events Sentry SDKs report they dropped before sending (client reports), by reason and category.',
    ),
    overBudget: r.counter(
      'bloop_sentry_decompression_refused_total',
      'Compressed Sentry bodies refused because the decompression budget (sentry.decompression_budget_bytes) was spent.',
    ),
  }
}

const mediaType = (request: Request) =>
  (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''

const newEventId = () => crypto.randomUUID().replaceAll('-', '')

/** Header values must be printable ASCII; messages may quote client input. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 300)

/** Adds the Sentry headers to an error on its way to the one renderer (CORS is the route's policy). */
function sentryError(err: AppError): AppError {
  const headers: Record<string, string> = {
    ...err.extra.headers,
    'x-sentry-error': headerSafe(err.message),
  }
  if (err.status === 429) {
    const retry = err.extra.retryAfterSecs ?? 60
    headers['x-sentry-rate-limits'] = `${retry}::organization:${err.code}`
  }
  return new AppError(err.code, err.message, { ...err.extra, headers })
}

function projectIdOf(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) {
    throw new AppError(
      'not_found',
      `project id in the URL must be the numeric id from the DSN, got "${raw.slice(0, 40)}"`,
    )
  }
  return Number(raw)
}

/**
 * The project the presented keys open. Every key presented must be the same and, for an
 * envelope `dsn`, name the same project as the URL. A wrong key gets 403 with the DSN that
 * would work when the key belongs to another project, and otherwise a pointer to where the
 * right DSN is shown; other projects' keys are never revealed.
 */
async function authenticate(
  request: Request,
  s: Pick<SentryRoutesDeps, 'backend'>,
  numericId: number,
  keys: PresentedKey[],
): Promise<SentryProject> {
  if (keys.length === 0) {
    throw new AppError(
      'forbidden',
      'missing Sentry credentials: send the X-Sentry-Auth header, the sentry_key query parameter or a dsn envelope header (Sentry SDKs do when given the DSN)',
    )
  }
  const first = keys[0] as PresentedKey
  const key = first.key.toLowerCase()
  for (const k of keys) {
    if (k.key.toLowerCase() !== key) {
      throw new AppError('forbidden', `the ${first.source} and the ${k.source} name different Sentry keys`)
    }
    if (k.projectId !== undefined && k.projectId !== numericId) {
      throw new AppError(
        'forbidden',
        `the envelope dsn header names project ${k.projectId} but the URL names project ${numericId}`,
      )
    }
  }
  const where = (source: KeySource) => `(from the ${source})`
  if (!PUBLIC_KEY.test(key)) {
    throw new AppError(
      'forbidden',
      `"${first.key.slice(0, 40)}" ${where(first.source)} is not a Sentry public key (32 hex characters); copy the DSN shown in the project's settings`,
    )
  }
  const project = await sentryProjectByNumericId(s.backend, numericId)
  if (project && keyMatches(project, key)) return project
  const owner = await sentryProjectByKey(s.backend, key)
  if (owner) {
    const origin = new URL(request.url).origin
    throw new AppError(
      'forbidden',
      `Sentry key ${key} does not belong to project ${numericId}; it belongs to project ${owner.numeric_id}: use the DSN ${formatDsn(key, owner.numeric_id, origin)}`,
    )
  }
  throw new AppError(
    'forbidden',
    `Sentry key ${key} ${where(first.source)} does not belong to project ${numericId}; it may have been rotated: check the DSN shown in the project's settings (GET /v1/projects/<slug> returns it as "dsn")`,
  )
}

export interface SentryRoutesDeps
  extends Pick<Core, 'backend' | 'guard' | 'log' | 'metrics' | 'now' | 'clientIp' | 'ingestLimiter'> {
  config: Pick<Config, 'sentry' | 'ingest' | 'auth'>
  /** The errors feature's way in: queues the mapped event, resolves once committed. */
  submit: Submit
  m: ReturnType<typeof sentryMetrics>
  /** The process-wide decompression budget. */
  budget: DecompressionBudget
}

export function sentryRoutes(s: SentryRoutesDeps) {
  const { m, budget } = s
  const cfg = s.config.sentry

  async function readDecoded(request: Request, lease: Lease): Promise<Uint8Array> {
    const encoding = encodingOf(request.headers.get('content-encoding'))
    if (encoding === null) {
      throw new AppError(
        'unsupported_media_type',
        `Content-Encoding "${headerSafe(request.headers.get('content-encoding') ?? '')}" is not supported; use gzip, deflate, br or none`,
      )
    }
    const raw = await readBodyBytes(request, cfg.max_envelope_bytes)
    const decoded = await decodeBody(raw, encoding, cfg.max_decompressed_bytes, lease)
    if (decoded.ok) return decoded.body
    switch (decoded.reason) {
      case 'too_large':
        throw new AppError(
          'payload_too_large',
          `body exceeds ${cfg.max_decompressed_bytes} bytes after ${encoding} decompression`,
        )
      case 'busy':
        m.overBudget.inc()
        throw new AppError(
          'rate_limited',
          `the server is already decompressing as many bodies as sentry.decompression_budget_bytes (${cfg.decompression_budget_bytes}) allows; retry after the delay in Retry-After`,
          { retryAfterSecs: 1 },
        )
      case 'over_budget':
        throw new AppError(
          'payload_too_large',
          `decompressing this ${encoding} body needs more than sentry.decompression_budget_bytes (${cfg.decompression_budget_bytes}); send it uncompressed or with a smaller window`,
        )
      case 'corrupt':
        throw new AppError('bad_request', `body is not valid ${encoding} data: ${decoded.error}`)
    }
  }

  /** Counts what an accepted request carried besides its event. */
  function countItems(items: EnvelopeItem[]): void {
    const reports: Record<string, unknown>[] = []
    for (const item of items) {
      m.items.inc({ type: itemLabel(item.type) })
      const report = item.type === 'client_report' ? jsonPayload(item.payload) : null
      if (report) reports.push(report)
    }
    for (const d of discardedEvents(reports)) {
      m.discarded.inc({ reason: d.reason, category: d.category }, d.quantity)
    }
  }

  /** Maps, queues and waits for the commit; returns the id Sentry SDKs expect back. */
  async function storeEvent(project: SentryProject, payload: Record<string, unknown>, headerId: unknown) {
    const eventId = normalizeEventId(headerId) ?? normalizeEventId(payload.event_id) ?? newEventId()
    if (payload.type === 'transaction') return eventId
    const event = mapEvent(payload, {
      projectId: project.id,
      eventId,
      receivedAt: s.now(),
      caps: s.config.ingest,
    })
    await s.submit([event], 'sentry')
    return eventId
  }

  async function handle(request: Request, idParam: string, endpoint: Endpoint): Promise<Response> {
    const lease = budget.lease()
    try {
      s.ingestLimiter.check(s.clientIp(request), 'ingest')
      const numericId = projectIdOf(idParam)
      const presented = keysFromRequest(request.headers, new URL(request.url).searchParams)
      if (presented.length > 0) await authenticate(request, s, numericId, presented)
      else if (!(await sentryProjectByNumericId(s.backend, numericId))) {
        throw new AppError(
          'not_found',
          `no project has the Sentry id ${numericId} (the number at the end of the DSN); copy the DSN shown in the project's settings`,
        )
      }
      const type = mediaType(request)
      const asEnvelope = endpoint === 'envelope' || type === 'application/x-sentry-envelope'
      if (!(asEnvelope ? ENVELOPE_TYPES : STORE_TYPES).has(type)) {
        throw new AppError(
          'unsupported_media_type',
          `Content-Type ${headerSafe(type)} is not accepted here; send application/x-sentry-envelope, application/json or text/plain`,
        )
      }
      const body = await readDecoded(request, lease)

      if (!asEnvelope) {
        const payload = jsonPayload(body)
        if (!payload) throw new AppError('invalid_json', 'store body must be a JSON event object')
        const project = await authenticate(request, s, numericId, presented)
        const id = await storeEvent(project, payload, undefined)
        m.items.inc({ type: 'event' })
        return json({ id }, 200)
      }

      const parsed = parseEnvelope(body)
      if (!parsed.ok) throw new AppError('bad_request', `malformed envelope: ${parsed.error}`)
      const { headers, items } = parsed.envelope
      const fromDsn = keyFromEnvelopeDsn(headers.dsn)
      if (fromDsn === 'malformed') {
        throw new AppError(
          'bad_request',
          'envelope dsn header is not a DSN (http(s)://<key>@<host>/<project id>)',
        )
      }
      const project = await authenticate(request, s, numericId, fromDsn ? [...presented, fromDsn] : presented)
      const events = items.filter((i) => itemHandling(i.type) === 'event')
      if (events.length > 1) {
        throw new AppError('bad_request', `envelope has ${events.length} event items; at most one is allowed`)
      }
      let id: string | null = normalizeEventId(headers.event_id)
      const item = events[0]
      if (item) {
        const payload = jsonPayload(item.payload)
        if (!payload) throw new AppError('bad_request', 'event item payload is not a JSON object')
        id = await storeEvent(project, payload, headers.event_id)
      }
      countItems(items)
      return json(id === null ? {} : { id }, 200)
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      if (err.code !== 'queue_full' && err.code !== 'storage_unavailable' && err.code !== 'unavailable') {
        s.metrics.rejected.inc({ reason: `sentry_${err.code}` })
      }
      throw sentryError(err)
    } finally {
      lease.release()
    }
  }

  const preflightRoute = {
    public: 'CORS preflight of a Sentry SDK in a browser',
    cors: CORS,
    schema: { response: { 204: 'the CORS headers' } },
  } as const
  // The Sentry key (DSN) is checked by `handle`: in a header, the query or inside the body.
  const ingestRoute = {
    public: 'Sentry SDKs authenticate with the public key of their DSN, checked by the handler',
    cors: CORS,
    parse: 'none',
    schema: {
      params: T.Object({ id: T.String({ description: 'the numeric id at the end of the DSN' }) }),
      body: T.String({ description: 'a Sentry envelope, or (store) a JSON event' }),
      bodyTypes: ['application/x-sentry-envelope', 'application/json', 'text/plain'],
      response: { 200: T.Object({ id: T.Optional(T.String()) }) },
    },
  } as const
  // Elysia matches these with and without the trailing slash (strictPath is off).
  return (
    new Elysia({ name: 'sentry' })
      .use(access(s.guard))
      .options('/api/:id/envelope/', preflight(CORS), { ...preflightRoute })
      .options('/api/:id/store/', preflight(CORS), { ...preflightRoute })
      .post('/api/:id/envelope/', ({ request, params }) => handle(request, params.id, 'envelope'), {
        ...ingestRoute,
      })
      .post('/api/:id/store/', ({ request, params }) => handle(request, params.id, 'store'), {
        ...ingestRoute,
      })
      // Admins rotate a project's key; SDKs holding the old DSN get 403 from the next request on.
      .post(
        '/v1/projects/:slug/sentry-key/rotate',
        async ({ user: admin, params }) => {
          const project = await findProject(s.backend, params.slug)
          if (!project || (await rotateSentryKey(s.backend, project.id)) === null) {
            throw new AppError('not_found', `project ${params.slug} not found`)
          }
          s.log.info('sentry key rotated', { project_id: project.id, by: admin.username })
          return json({
            project_id: project.id,
            dsn: await dsnFor(s.backend, project, s.config.auth.rp_origin),
          })
        },
        {
          admin: true,
          schema: {
            params: T.Object({ slug: T.String() }),
            response: { 200: T.Object({ project_id: T.String(), dsn: T.Union([T.String(), T.Null()]) }) },
          },
        },
      )
  )
}
