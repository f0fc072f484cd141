/**
 * Source map rows (main thread: uploads are administrative writes, not event data). The
 * map text is stored gzip-compressed (Bun's zlib binding); `size_bytes` is the size of the
 * map as uploaded, `stored_bytes` what it takes in the database. Compressing and
 * decompressing happen on the source-map threads (`packSourceMap`, `unpackSourceMap`);
 * the main thread reads the compressed bytes (`mapData`) and hands them over.
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/sourcemaps.store.test.ts runs it on both).
 */
import { createHash } from 'node:crypto'
import type { Backend, Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import type { MapRef } from './match'

export interface SourceMapRow {
  id: number
  project_id: string
  release: string
  filename: string
  /** The map's own `file` field. */
  file: string | null
  size_bytes: number
  stored_bytes: number
  sha256: string
  uploaded_at: number
  uploaded_by: string | null
}

export interface StoredRef extends MapRef {
  sha256: string
  size_bytes: number
}

const COLUMNS = `id, project_id, release, filename, map_file AS file, size_bytes, stored_bytes, sha256,
  uploaded_at, uploaded_by`

/** A map as stored: compressed, with the size and hash of the text as uploaded. */
export interface PackedMap {
  data: Uint8Array<ArrayBuffer>
  size_bytes: number
  sha256: string
}

/** Compresses and hashes a map's text (on the source-map thread: gzip of 5 MB takes ~100 ms). */
export function packSourceMap(text: Uint8Array<ArrayBuffer>): PackedMap {
  return {
    data: Bun.gzipSync(text) as Uint8Array<ArrayBuffer>,
    size_bytes: text.byteLength,
    sha256: createHash('sha256').update(text).digest('hex'),
  }
}

export interface NewSourceMap {
  project_id: string
  release: string
  filename: string
  file: string | null
  packed: PackedMap
  uploaded_by: string | null
  now: number
}

/** Stores a map; the same (project, release, filename) is replaced in place (same id). */
export function putSourceMap(b: Backend, m: NewSourceMap): Promise<{ row: SourceMapRow; replaced: boolean }> {
  const { data, size_bytes, sha256: sha } = m.packed
  return b.transaction(async (tx) => {
    const existing = await tx.get<{ id: number }>(
      'SELECT id FROM sourcemaps WHERE project_id = ? AND release = ? AND filename = ?',
      [m.project_id, m.release, m.filename],
    )
    const row = (await tx.get<SourceMapRow>(
      `INSERT INTO sourcemaps (project_id, release, filename, map_file, size_bytes, stored_bytes, sha256, data,
         uploaded_at, uploaded_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, release, filename) DO UPDATE SET map_file = excluded.map_file,
         size_bytes = excluded.size_bytes, stored_bytes = excluded.stored_bytes, sha256 = excluded.sha256,
         data = excluded.data, uploaded_at = excluded.uploaded_at, uploaded_by = excluded.uploaded_by
       RETURNING ${COLUMNS}`,
      [
        m.project_id,
        m.release,
        m.filename,
        m.file,
        size_bytes,
        data.byteLength,
        sha,
        data,
        m.now,
        m.uploaded_by,
      ],
    )) as SourceMapRow
    return { row, replaced: existing !== null }
  })
}

export async function listSourceMaps(
  q: Queryable,
  projectId: string,
  opts: { release?: string; limit: number; offset: number },
): Promise<{ items: SourceMapRow[]; total: number }> {
  const where = opts.release === undefined ? 'project_id = ?' : 'project_id = ? AND release = ?'
  const params: string[] = opts.release === undefined ? [projectId] : [projectId, opts.release]
  const total =
    (await q.get<{ n: number }>(`SELECT count(*) AS n FROM sourcemaps WHERE ${where}`, params))?.n ?? 0
  const items = await q.all<SourceMapRow>(
    `SELECT ${COLUMNS} FROM sourcemaps WHERE ${where} ORDER BY uploaded_at DESC, id DESC LIMIT ? OFFSET ?`,
    [...params, opts.limit, opts.offset],
  )
  return { items, total: Number(total) }
}

/** Deletes a map of `projectId`; false when it has no map with that id. */
export async function deleteSourceMap(q: Queryable, projectId: string, id: number): Promise<boolean> {
  return (await q.run('DELETE FROM sourcemaps WHERE id = ? AND project_id = ?', [id, projectId])).changes > 0
}

/** The maps of one release, without their data: what frames are matched against. */
export function refsForRelease(q: Queryable, projectId: string, release: string): Promise<StoredRef[]> {
  return q.all<StoredRef>(
    `SELECT id, filename, map_file, uploaded_at, sha256, size_bytes FROM sourcemaps
     WHERE project_id = ? AND release = ?`,
    [projectId, release],
  )
}

/** A stored map's compressed bytes, as the source-map thread receives them. */
export interface MapData {
  id: number
  data: Uint8Array<ArrayBuffer>
}

/** The compressed bytes of these maps (those still stored), in id order. */
export function mapData(q: Queryable, ids: readonly number[]): Promise<MapData[]> {
  if (ids.length === 0) return Promise.resolve([])
  return q.all<MapData>(
    `SELECT id, data FROM sourcemaps WHERE id IN (${placeholders(ids.length)}) ORDER BY id`,
    [...ids],
  )
}

/** A map's text from its stored bytes (on the source-map thread). */
export function unpackSourceMap(data: Uint8Array<ArrayBuffer>): string {
  return new TextDecoder().decode(Bun.gunzipSync(data))
}
