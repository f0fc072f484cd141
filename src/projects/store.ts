/**
 * Project rows: lookup by ingest key, by id or slug, and creation of the `default` project.
 * Keys are looked up by their SHA-256 so a lookup's timing reveals nothing about the key.
 *
 * The lookups the Guard makes per request, `projectByKey` and `listProjects`, are written
 * against the storage seam (storage/backend.ts; test/http/projects.store.test.ts runs them
 * on both backends). The rest still runs on bun:sqlite: `findProject` is called inside the
 * synchronous transactions of project creation and of the default project's key.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Queryable } from '../storage/backend'
import type { Db } from '../storage/db'

export interface ProjectRow {
  numeric_id: number
  id: string
  name: string
  slug: string
  api_key: string
  created_at: number
  created_by: string | null
}

export const DEFAULT_PROJECT_ID = 'default'
export const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex')
export const newApiKey = () => `bloop_${randomBytes(32).toString('hex')}`

const COLUMNS = 'numeric_id, id, name, slug, api_key, created_at, created_by'

export function projectByKey(q: Queryable, key: string): Promise<ProjectRow | null> {
  return q.get<ProjectRow>(`SELECT ${COLUMNS} FROM projects WHERE api_key_hash = ?`, [sha256hex(key)])
}

/** Finds a project by its id, slug or (for Sentry DSNs) numeric id. */
export function findProject(db: Db, ref: string): ProjectRow | null {
  return db
    .query<ProjectRow, [string, string]>(`SELECT ${COLUMNS} FROM projects WHERE id = ? OR slug = ? LIMIT 1`)
    .get(ref, ref)
}

export function projectByNumericId(db: Db, numericId: number): ProjectRow | null {
  return db.query<ProjectRow, [number]>(`SELECT ${COLUMNS} FROM projects WHERE numeric_id = ?`).get(numericId)
}

export function listProjects(q: Queryable): Promise<ProjectRow[]> {
  return q.all<ProjectRow>(`SELECT ${COLUMNS} FROM projects ORDER BY numeric_id`)
}

export function insertProject(
  db: Db,
  p: { id?: string; name: string; slug: string; apiKey?: string; createdBy?: string | null },
  now = Date.now(),
): ProjectRow {
  const id = p.id ?? randomUUID()
  const key = p.apiKey ?? newApiKey()
  db.query(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(id, p.name, p.slug, key, sha256hex(key), now, p.createdBy ?? null)
  return findProject(db, id) as ProjectRow
}

export function setApiKey(db: Db, projectId: string, key: string): void {
  db.query('UPDATE projects SET api_key = ?, api_key_hash = ? WHERE id = ?').run(
    key,
    sha256hex(key),
    projectId,
  )
}

/**
 * Creates the `default` project on first start. Its key starts equal to the HMAC secret,
 * so an SDK given the secret works with or without X-Project-Key. Requests without the
 * header are signed with this key, not with the secret itself, so rotating it retires
 * the secret at once. When the configured secret changes, the key follows it again (a
 * rotation stays until then, restarts included).
 */
export function ensureDefaultProject(db: Db, secret: string, now = Date.now()): ProjectRow {
  const secretHash = sha256hex(secret)
  return db
    .transaction(() => {
      const existing = findProject(db, DEFAULT_PROJECT_ID)
      const synced = db
        .query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'default_key_secret_hash'")
        .get()
      if (!existing) {
        insertProject(db, { id: DEFAULT_PROJECT_ID, name: 'Default', slug: 'default', apiKey: secret }, now)
      } else if (synced?.value !== secretHash) {
        setApiKey(db, DEFAULT_PROJECT_ID, secret)
      }
      db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('default_key_secret_hash', ?)").run(
        secretHash,
      )
      return findProject(db, DEFAULT_PROJECT_ID) as ProjectRow
    })
    .immediate()
}
