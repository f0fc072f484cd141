/**
 * POST /v1/ingest and POST /v1/ingest/batch (docs/decisions.md, "Ingest"). Order of
 * checks: the `ingest` declaration (src/http/access.ts) checks the rate limit, body size
 * (413; `max_payload_bytes` for one event, `max_batch_bytes` for a batch) and the
 * signature over the raw bytes (401); then JSON (400), validation (400 naming the field; in a batch per
 * event, the per-event size cap included), queue admission (429), then the answer only
 * after commit.
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { access, corsPolicy, preflight } from '../../http/access'
import { AppError, json } from '../../http/errors'
import { verifySignature } from '../../http/hmac'
import { readBodyBytes } from '../../http/validate'
import { DEFAULT_PROJECT_ID, findProject, type ProjectRow, projectByKey } from '../../projects'
import type { NormalizedEvent } from '../event'
import type { Submit } from '../intake'
import { Accepted, BatchAccepted, IngestEvent } from '../model'
import { oversizedEvent, validateEvent } from './validate'

export interface IngestDeps extends Pick<Core, 'guard' | 'metrics' | 'now'> {
  config: Pick<Config, 'ingest'>
  submit: Submit
}

/** SDKs in browsers send events from any origin. */
export const INGEST_CORS = corsPolicy({
  methods: 'POST, OPTIONS',
  headers: 'Content-Type, X-Signature, X-Project-Key',
})

/**
 * The project a request signs for, and its key. With X-Project-Key, the project holding
 * that key. Without it, the default project and its *current* key: that key starts as
 * the HMAC secret and follows a change of the configured secret, but a rotation replaces
 * it for both paths at once, so the old secret stops signing the moment it is rotated.
 */
function signingProject(s: Pick<Core, 'db'>, request: Request): ProjectRow {
  const projectKey = request.headers.get('x-project-key')
  if (projectKey === null) {
    const row = findProject(s.db, DEFAULT_PROJECT_ID)
    if (!row) throw new Error('expected the default project to exist (it cannot be deleted), found none')
    return row
  }
  const project = projectByKey(s.db, projectKey)
  if (!project) throw new AppError('invalid_project_key', 'unknown X-Project-Key')
  return project
}

/**
 * Authenticates an ingest request; returns the project id and the verified body bytes.
 * `maxBytes` is the body cap of the endpoint (one event, or a batch). Exported (through
 * index.ts) for the LLM trace routes, which sign exactly alike, until they declare
 * `ingest` (src/http/access.ts) like these routes; bloop's own routes use the declaration.
 */
export async function authenticateIngest(
  s: Pick<Core, 'db'> & Pick<IngestDeps, 'config'>,
  request: Request,
  maxBytes = s.config.ingest.max_payload_bytes,
): Promise<{ projectId: string; body: Uint8Array }> {
  const body = await readBodyBytes(request, maxBytes)
  const signature = request.headers.get('x-signature')
  if (signature === null || signature === '') {
    throw new AppError('missing_signature', 'missing X-Signature header (hex HMAC-SHA256 of the body)')
  }
  const project = signingProject(s, request)
  const projectId = project.id
  const check = verifySignature(signature, project.api_key, body)
  if (check === 'malformed') {
    throw new AppError('invalid_signature', 'X-Signature must be 64 hex characters (HMAC-SHA256 of the body)')
  }
  if (check === 'mismatch') {
    throw new AppError('invalid_signature', 'X-Signature does not match the body for this key')
  }
  return { projectId, body }
}

export function parseJson(body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body)
  if (text.trim() === '') throw new AppError('invalid_json', 'request body is empty; expected JSON')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new AppError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`)
  }
}

/** The routes only: the queue and its answers are made by the feature's start (index.ts). */
export function ingestRoutes(s: IngestDeps) {
  const rejected = (reason: string, n = 1) => s.metrics.rejected.inc({ reason }, n)
  const cfg = s.config.ingest
  const parsed = (body: Uint8Array): unknown => {
    try {
      return parseJson(body)
    } catch (err) {
      if (err instanceof AppError) rejected(err.code)
      throw err
    }
  }
  const preflightRoute = {
    public: 'CORS preflight of an SDK in a browser',
    cors: INGEST_CORS,
    schema: { response: { 204: 'the CORS headers' } },
  } as const

  return new Elysia({ name: 'ingest' })
    .use(access(s.guard))
    .options('/v1/ingest', preflight(INGEST_CORS), { ...preflightRoute })
    .options('/v1/ingest/batch', preflight(INGEST_CORS), { ...preflightRoute })
    .post(
      '/v1/ingest',
      async ({ signed }) => {
        const v = validateEvent(parsed(signed.body), signed.projectId, cfg, s.now())
        if (!v.ok) {
          rejected('validation')
          throw new AppError('invalid_field', v.error, { field: v.field })
        }
        await s.submit([v.event], 'ingest')
        return json({ status: 'accepted' }, 200)
      },
      {
        parse: 'none',
        ingest: { maxBytes: cfg.max_payload_bytes },
        cors: INGEST_CORS,
        schema: { body: IngestEvent, response: { 200: Accepted } },
      },
    )
    .post(
      '/v1/ingest/batch',
      async ({ signed }) => {
        // A batch has its own body cap; each event in it is held to the single-event cap.
        const { projectId } = signed
        const body = parsed(signed.body)
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          rejected('validation')
          throw new AppError('invalid_json', 'batch body must be a JSON object {"events": [...]}')
        }
        const list = (body as { events?: unknown }).events
        if (!Array.isArray(list)) {
          rejected('validation')
          throw new AppError('invalid_field', 'events must be an array of event objects', { field: 'events' })
        }
        const max = s.config.ingest.max_batch_size
        if (list.length > max) {
          rejected('batch_too_large')
          throw new AppError('batch_too_large', `batch has ${list.length} events; the maximum is ${max}`, {
            field: 'events',
          })
        }
        const now = s.now()
        const events: NormalizedEvent[] = []
        const errors: { index: number; field: string; error: string }[] = []
        list.forEach((raw, index) => {
          const tooLarge = oversizedEvent(raw, s.config.ingest.max_payload_bytes)
          if (tooLarge) {
            errors.push({ index, ...tooLarge })
            return
          }
          const v = validateEvent(raw, projectId, s.config.ingest, now)
          if (v.ok) events.push(v.event)
          else errors.push({ index, field: v.field, error: v.error })
        })
        if (errors.length > 0) rejected('validation', errors.length)
        const ack = await s.submit(events, 'batch')
        return json({ accepted: ack.stored, dropped: list.length - ack.stored, errors }, 200)
      },
      {
        parse: 'none',
        ingest: { maxBytes: cfg.max_batch_bytes },
        cors: INGEST_CORS,
        schema: { body: T.Object({ events: T.Array(IngestEvent) }), response: { 200: BatchAccepted } },
      },
    )
}
