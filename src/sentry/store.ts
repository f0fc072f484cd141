/**
 * Per-project Sentry public keys (migration 005). The key is public by design (it ships
 * inside client apps and only allows ingest into its project), so it is stored as is and
 * shown in the project's DSN; comparisons are still constant-time. Rotation replaces it
 * at once: SDKs still using the old DSN get 403 from the next request on.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Db } from '../storage/db'
import { formatDsn } from './dsn'

export interface SentryProject {
  id: string
  numeric_id: number
  slug: string
  sentry_public_key: string
}

const COLUMNS = 'id, numeric_id, slug, sentry_public_key'

export const newSentryKey = () => randomBytes(16).toString('hex')

export function sentryProjectByNumericId(db: Db, numericId: number): SentryProject | null {
  return db
    .query<SentryProject, [number]>(`SELECT ${COLUMNS} FROM projects WHERE numeric_id = ?`)
    .get(numericId)
}

export function sentryProjectByKey(db: Db, key: string): SentryProject | null {
  return db
    .query<SentryProject, [string]>(`SELECT ${COLUMNS} FROM projects WHERE sentry_public_key = ?`)
    .get(key.toLowerCase())
}

export function sentryProjectOf(db: Db, projectId: string): SentryProject | null {
  return db.query<SentryProject, [string]>(`SELECT ${COLUMNS} FROM projects WHERE id = ?`).get(projectId)
}

/** Constant-time check that `key` is the project's current public key. */
export function keyMatches(project: SentryProject, key: string): boolean {
  const a = Buffer.from(project.sentry_public_key)
  const b = Buffer.from(key.toLowerCase())
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Replaces the project's public key; returns the new one (null for an unknown project). */
export function rotateSentryKey(db: Db, projectId: string): string | null {
  const key = newSentryKey()
  const r = db.query('UPDATE projects SET sentry_public_key = ? WHERE id = ?').run(key, projectId)
  return r.changes === 1 ? key : null
}

/**
 * The DSN to paste into a Sentry SDK for `project`, served from `origin` (the public URL
 * of this bloop, e.g. `https://errors.example.com`). Null for an unknown project.
 */
export function dsnFor(db: Db, project: { id: string }, origin: string): string | null {
  const p = sentryProjectOf(db, project.id)
  return p ? formatDsn(p.sentry_public_key, p.numeric_id, origin) : null
}
