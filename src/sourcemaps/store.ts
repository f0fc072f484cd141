/**
 * Source map rows (main thread: uploads are administrative writes, not event data). The
 * map text is stored gzip-compressed (Bun's zlib binding); `size_bytes` is the size of the
 * map as uploaded, `stored_bytes` what it takes in the database. Compressing and
 * decompressing happen on the source-map threads (`packSourceMap`, `readSourceMapText`).
 */
import { createHash } from 'node:crypto'
import type { Db } from '../storage/db'
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
export function putSourceMap(db: Db, m: NewSourceMap): { row: SourceMapRow; replaced: boolean } {
  const { data, size_bytes, sha256: sha } = m.packed
  return db
    .transaction(() => {
      const existing = db
        .query<{ id: number }, [string, string, string]>(
          'SELECT id FROM sourcemaps WHERE project_id = ? AND release = ? AND filename = ?',
        )
        .get(m.project_id, m.release, m.filename)
      const row = db
        .query<
          SourceMapRow,
          [string, string, string, string | null, number, number, string, Uint8Array, number, string | null]
        >(
          `INSERT INTO sourcemaps (project_id, release, filename, map_file, size_bytes, stored_bytes, sha256, data,
             uploaded_at, uploaded_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (project_id, release, filename) DO UPDATE SET map_file = excluded.map_file,
             size_bytes = excluded.size_bytes, stored_bytes = excluded.stored_bytes, sha256 = excluded.sha256,
             data = excluded.data, uploaded_at = excluded.uploaded_at, uploaded_by = excluded.uploaded_by
           RETURNING ${COLUMNS}`,
        )
        .get(
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
        ) as SourceMapRow
      return { row, replaced: existing !== null }
    })
    .immediate()
}

export function listSourceMaps(
  db: Db,
  projectId: string,
  opts: { release?: string; limit: number; offset: number },
): { items: SourceMapRow[]; total: number } {
  const where = opts.release === undefined ? 'project_id = ?' : 'project_id = ? AND release = ?'
  const params: string[] = opts.release === undefined ? [projectId] : [projectId, opts.release]
  const total = (
    db.query(`SELECT count(*) AS n FROM sourcemaps WHERE ${where}`).get(...params) as { n: number }
  ).n
  const items = db
    .query<SourceMapRow, (string | number)[]>(
      `SELECT ${COLUMNS} FROM sourcemaps WHERE ${where} ORDER BY uploaded_at DESC, id DESC LIMIT ? OFFSET ?`,
    )
    .all(...params, opts.limit, opts.offset)
  return { items, total }
}

/** Deletes a map of `projectId`; false when it has no map with that id. */
export function deleteSourceMap(db: Db, projectId: string, id: number): boolean {
  return db.query('DELETE FROM sourcemaps WHERE id = ? AND project_id = ?').run(id, projectId).changes > 0
}

/** The maps of one release, without their data: what frames are matched against. */
export function refsForRelease(db: Db, projectId: string, release: string): StoredRef[] {
  return db
    .query<StoredRef, [string, string]>(
      `SELECT id, filename, map_file, uploaded_at, sha256, size_bytes FROM sourcemaps
       WHERE project_id = ? AND release = ?`,
    )
    .all(projectId, release)
}

/** The map text, decompressed; null when the row is gone. */
export function readSourceMapText(db: Db, id: number): string | null {
  const row = db
    .query<{ data: Uint8Array<ArrayBuffer> }, [number]>('SELECT data FROM sourcemaps WHERE id = ?')
    .get(id)
  if (!row) return null
  return new TextDecoder().decode(Bun.gunzipSync(row.data))
}
