/**
 * Project rows: lookup by ingest key, by id or slug, and creation of the `default` project.
 * Keys are looked up by their SHA-256 so a lookup's timing reveals nothing about the key.
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/projects.store.test.ts runs it on both).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Backend, Param, Queryable } from '../storage/backend'
import type { Db } from '../storage/db'
import { exclusive } from '../storage/exclusive'

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
const BY_REF = `SELECT ${COLUMNS} FROM projects WHERE id = ? OR slug = ? LIMIT 1`

export function projectByKey(q: Queryable, key: string): Promise<ProjectRow | null> {
  return q.get<ProjectRow>(`SELECT ${COLUMNS} FROM projects WHERE api_key_hash = ?`, [sha256hex(key)])
}

/** Finds a project by its id or slug. */
export function findProject(q: Queryable, ref: string): Promise<ProjectRow | null> {
  return q.get<ProjectRow>(BY_REF, [ref, ref])
}

/**
 * `findProject`'s statement run synchronously on a SQLite connection, for the callers that
 * are not on the seam yet (the alerts and retention services, errors' Directory).
 */
export function findProjectOnSqlite(db: Db, ref: string): ProjectRow | null {
  return db.query<ProjectRow, [string, string]>(BY_REF).get(ref, ref)
}

export function listProjects(q: Queryable): Promise<ProjectRow[]> {
  return q.all<ProjectRow>(`SELECT ${COLUMNS} FROM projects ORDER BY numeric_id`)
}

export interface NewProject {
  id?: string
  name: string
  slug: string
  apiKey?: string
  createdBy?: string | null
}

/**
 * A new project's statement, without running it: `insertProject` runs it through the seam;
 * synchronous test fixtures run the same text on a SQLite connection. It answers the row.
 */
export function mintProject(p: NewProject, now = Date.now()): { sql: string; params: Param[] } {
  const key = p.apiKey ?? newApiKey()
  return {
    sql: `INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    params: [p.id ?? randomUUID(), p.name, p.slug, key, sha256hex(key), now, p.createdBy ?? null],
  }
}

export async function insertProject(q: Queryable, p: NewProject, now = Date.now()): Promise<ProjectRow> {
  const { sql, params } = mintProject(p, now)
  return (await q.get<ProjectRow>(sql, params)) as ProjectRow
}

export async function setApiKey(q: Queryable, projectId: string, key: string): Promise<void> {
  await q.run('UPDATE projects SET api_key = ?, api_key_hash = ? WHERE id = ?', [
    key,
    sha256hex(key),
    projectId,
  ])
}

export async function renameProjectRow(q: Queryable, projectId: string, name: string): Promise<void> {
  await q.run('UPDATE projects SET name = ? WHERE id = ?', [name, projectId])
}

/** Deletes the row; its API tokens go with it (ON DELETE CASCADE). */
export async function deleteProjectRow(q: Queryable, projectId: string): Promise<boolean> {
  return (await q.run('DELETE FROM projects WHERE id = ?', [projectId])).changes > 0
}

/**
 * A transaction that no other projects transaction overlaps (storage/exclusive.ts): a slug
 * checked free is still free at the insert (a second creator waits, then finds it taken:
 * 409, never a unique-key failure), and two nodes starting together make one default project.
 */
export function projectsTransaction<R>(b: Backend, work: (tx: Queryable) => Promise<R>): Promise<R> {
  return exclusive(b, 'projects', work)
}

/**
 * Creates the `default` project on first start. Its key starts equal to the HMAC secret,
 * so an SDK given the secret works with or without X-Project-Key. Requests without the
 * header are signed with this key, not with the secret itself, so rotating it retires
 * the secret at once. When the configured secret changes, the key follows it again (a
 * rotation stays until then, restarts included).
 */
export function ensureDefaultProject(b: Backend, secret: string, now = Date.now()): Promise<ProjectRow> {
  const secretHash = sha256hex(secret)
  return projectsTransaction(b, async (tx) => {
    const existing = await findProject(tx, DEFAULT_PROJECT_ID)
    const synced = await tx.get<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'default_key_secret_hash'",
    )
    if (!existing) {
      await insertProject(
        tx,
        { id: DEFAULT_PROJECT_ID, name: 'Default', slug: 'default', apiKey: secret },
        now,
      )
    } else if (synced?.value !== secretHash) {
      await setApiKey(tx, DEFAULT_PROJECT_ID, secret)
    }
    await tx.run(
      `INSERT INTO meta (key, value) VALUES ('default_key_secret_hash', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [secretHash],
    )
    return (await findProject(tx, DEFAULT_PROJECT_ID)) as ProjectRow
  })
}
