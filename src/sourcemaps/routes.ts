/**
 * Source map API (docs/decisions.md, "Source maps"). Tokens need `sourcemaps:write` to upload and delete,
 * `sourcemaps:read` to list; an unknown or foreign project slug is 404.
 *
 * - POST   /v1/projects/:slug/sourcemaps      multipart (`release`, `file` with a file name,
 *          optional `filename` overriding it) or JSON `{release, filename, map}`; 201 when
 *          new, 200 when it replaced the same (release, filename)
 * - GET    /v1/projects/:slug/sourcemaps      `?release=&limit=&offset=`, newest first
 * - DELETE /v1/projects/:slug/sourcemaps/:id
 *
 * The map itself is capped at `sourcemaps.max_bytes` (413 above it), parsed with
 * source-map-js on the upload thread before it is stored (400 naming the problem: broken,
 * over `max_mappings`, or slower than `parse_timeout_ms`; 429 while uploads queue), and
 * stored gzip-compressed.
 */
import { Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import { AppError, json, notFound } from '../http/errors'
import { parseBody, parseQuery, readBodyBytes, readJson, utf8Length } from '../http/validate'
import {
  IdParam,
  ListQuery,
  MAX_NAME_BYTES,
  MULTIPART_OVERHEAD_BYTES,
  SourceMapJsonUpload,
  SourceMapPage,
  StoredMap,
} from './model'

const SlugParams = T.Object({ slug: T.String() })

import { InvalidSourceMap } from './parse'
import type { Validated } from './protocol'
import type { SourceMaps } from './service'
import { deleteSourceMap, listSourceMaps, putSourceMap } from './store'
import { ThreadBusy, ThreadTimeout } from './thread'

interface Upload {
  release: string
  filename: string
  text: Uint8Array<ArrayBuffer>
}

const encoder = new TextEncoder()

/** `./dist\app.js.map` -> `dist/app.js.map`: the name a map is listed and matched by. */
export function normalizeFilename(name: string): string {
  return name
    .trim()
    .replaceAll('\\', '/')
    .replace(/^(\.\/|\/)+/, '')
}

function checkName(field: string, value: string): string {
  if (value === '') throw new AppError('invalid_field', `${field} is required`, { field })
  const size = utf8Length(value)
  if (size > MAX_NAME_BYTES)
    throw new AppError('invalid_field', `${field} exceeds ${MAX_NAME_BYTES} bytes (got ${size})`, { field })
  return value
}

async function readMultipart(request: Request, contentType: string, maxBytes: number): Promise<Upload> {
  const body = await readBodyBytes(request, maxBytes + MULTIPART_OVERHEAD_BYTES)
  let form: FormData
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': contentType },
    }).formData()
  } catch (err) {
    throw new AppError('bad_request', `multipart body could not be parsed: ${(err as Error).message}`)
  }
  const release = form.get('release')
  if (typeof release !== 'string')
    throw new AppError('invalid_field', "missing 'release' field", { field: 'release' })
  const file = form.get('file')
  if (file === null || typeof file === 'string') {
    throw new AppError('invalid_field', "missing 'file' field (the .map file as a file part)", {
      field: 'file',
    })
  }
  const override = form.get('filename')
  const filename = typeof override === 'string' && override !== '' ? override : file.name
  if (!filename) {
    throw new AppError('invalid_field', "the 'file' part needs a file name (or send a 'filename' field)", {
      field: 'filename',
    })
  }
  return { release, filename, text: new Uint8Array(await file.arrayBuffer()) }
}

async function readJsonUpload(request: Request, maxBytes: number): Promise<Upload> {
  // A map sent as a JSON string is escaped (quotes, newlines), so the body may be larger than the map.
  const body = parseBody(
    SourceMapJsonUpload,
    await readJson(request, maxBytes * 2 + MULTIPART_OVERHEAD_BYTES),
  )
  const text = typeof body.map === 'string' ? body.map : JSON.stringify(body.map)
  return { release: body.release, filename: body.filename, text: encoder.encode(text) }
}

export interface SourceMapsRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'log' | 'now'> {
  config: Pick<Config, 'sourcemaps'>
  sourcemaps: SourceMaps
}

export function sourcemapsRoutes(s: SourceMapsRoutesDeps) {
  const maxBytes = s.config.sourcemaps.max_bytes
  const budgetSecs = s.config.sourcemaps.parse_timeout_ms / 1000

  /** Parses and checks a map on the upload thread (never here: see service.ts), as HTTP answers. */
  const validate = async (text: Uint8Array<ArrayBuffer>): Promise<Validated> => {
    try {
      return await s.sourcemaps.validate(text)
    } catch (err) {
      if (err instanceof InvalidSourceMap)
        throw new AppError('invalid_field', `invalid source map: ${err.message}`, { field: 'file' })
      if (err instanceof ThreadTimeout) {
        throw new AppError(
          'invalid_field',
          `${err.message} (sourcemaps.parse_timeout_ms); a map with very many mappings at one position is this slow`,
          { field: 'file' },
        )
      }
      if (err instanceof ThreadBusy) {
        throw new AppError('rate_limited', `source map uploads are queued (${err.message}); retry shortly`, {
          retryAfterSecs: Math.ceil(budgetSecs),
        })
      }
      s.log.error('source map validation failed', { error: (err as Error).message })
      throw new AppError('unavailable', `source map could not be validated: ${(err as Error).message}`)
    }
  }

  return new Elysia({ name: 'sourcemaps' })
    .use(access(s.guard))
    .post(
      '/v1/projects/:slug/sourcemaps',
      async ({ request, params, access: reach }) => {
        const access = reach.narrow(params.slug)
        const projectId = access.projectIds[0] as string
        const contentType = request.headers.get('content-type') ?? ''
        let upload: Upload
        if (/^multipart\/form-data/i.test(contentType))
          upload = await readMultipart(request, contentType, maxBytes)
        else if (/^application\/json/i.test(contentType)) upload = await readJsonUpload(request, maxBytes)
        else {
          throw new AppError(
            'unsupported_media_type',
            'send multipart/form-data (release, file) or application/json ({release, filename, map})',
          )
        }
        if (upload.text.byteLength > maxBytes) {
          throw new AppError(
            'payload_too_large',
            `source map exceeds ${maxBytes} bytes (got ${upload.text.byteLength}); raise sourcemaps.max_bytes`,
          )
        }
        const release = checkName('release', upload.release)
        const filename = checkName('filename', normalizeFilename(upload.filename))
        const checked = await validate(upload.text)
        const { row, replaced } = await putSourceMap(s.backend, {
          project_id: projectId,
          release,
          filename,
          file: checked.file,
          packed: checked.packed,
          uploaded_by: access.actor,
          now: s.now(),
        })
        s.sourcemaps.invalidate(row.id)
        s.log.info('source map stored', { project_id: projectId, release, filename, id: row.id, replaced })
        return json({ ...row, replaced }, replaced ? 200 : 201)
      },
      {
        scope: 'sourcemaps:write',
        schema: {
          params: SlugParams,
          body: SourceMapJsonUpload,
          bodyTypes: ['application/json'],
          response: { 200: StoredMap, 201: StoredMap },
        },
      },
    )
    .get(
      '/v1/projects/:slug/sourcemaps',
      async ({ access: reach, params, query }) => {
        const q = parseQuery(ListQuery, query)
        const access = reach.narrow(params.slug)
        const page = await listSourceMaps(s.backend, access.projectIds[0] as string, {
          release: q.release,
          limit: q.limit,
          offset: q.offset,
        })
        return { ...page, limit: q.limit, offset: q.offset }
      },
      {
        scope: 'sourcemaps:read',
        schema: { params: SlugParams, query: ListQuery, response: { 200: SourceMapPage } },
      },
    )
    .delete(
      '/v1/projects/:slug/sourcemaps/:id',
      async ({ access: reach, params }) => {
        const access = reach.narrow(params.slug)
        const id = Number(params.id)
        if (!Value.Check(IdParam, id))
          throw new AppError('invalid_field', `source map id must be a positive integer (got ${params.id})`, {
            field: 'id',
          })
        if (!(await deleteSourceMap(s.backend, access.projectIds[0] as string, id)))
          throw notFound(`source map ${id} not found`)
        s.sourcemaps.invalidate(id)
        return { deleted: id }
      },
      {
        scope: 'sourcemaps:write',
        schema: {
          params: T.Object({ slug: T.String(), id: T.String() }),
          response: { 200: T.Object({ deleted: T.Integer() }) },
        },
      },
    )
}
