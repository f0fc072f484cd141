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
