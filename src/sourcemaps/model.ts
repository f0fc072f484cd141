/** Request and response shapes of the source map API. */
import { type Static, Type as T } from '@sinclair/typebox'
import { Offset, QueryInt } from '../http/validate'

export const MAX_NAME_BYTES = 512
export const MAX_LIST_LIMIT = 1000
/** Room for the multipart envelope (boundaries, part headers, the release field) around the map. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024

export const SourceMapJsonUpload = T.Object({
  release: T.String({ minLength: 1 }),
  filename: T.String({ minLength: 1 }),
  /** The map as JSON text or as the parsed object. */
  map: T.Union([T.String({ minLength: 1 }), T.Object({}, { additionalProperties: true })]),
})

export const ListQuery = T.Object({
  release: T.Optional(T.String({ minLength: 1, maxLength: MAX_NAME_BYTES })),
  limit: QueryInt({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 100 }),
  offset: Offset,
})

export const IdParam = T.Integer({ minimum: 1 })

/** One stored map as the API shows it (never the map data). */
export const SourceMapView = T.Object({
  id: T.Integer(),
  project_id: T.String(),
  release: T.String(),
  filename: T.String(),
  /** The map's own `file` field, also used to match frames. */
  file: T.Union([T.String(), T.Null()]),
  /** Size of the map as uploaded. */
  size_bytes: T.Integer(),
  /** Size stored (gzip). */
  stored_bytes: T.Integer(),
  sha256: T.String(),
  uploaded_at: T.Integer(),
  uploaded_by: T.Union([T.String(), T.Null()]),
})
export type SourceMapView = Static<typeof SourceMapView>

/** An upload's answer: the stored map, and whether it replaced one of the same (release, filename). */
export const StoredMap = T.Object({ ...SourceMapView.properties, replaced: T.Boolean() })
export const SourceMapPage = T.Object({
  items: T.Array(SourceMapView),
  total: T.Integer(),
  limit: T.Integer(),
  offset: T.Integer(),
})
