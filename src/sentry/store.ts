/**
 * Per-project Sentry public keys (migration 005). The key is public by design (it ships
 * inside client apps and only allows ingest into its project), so it is stored as is and
 * shown in the project's DSN; comparisons are still constant-time. Rotation replaces it
 * at once: SDKs still using the old DSN get 403 from the next request on.
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/sentry.store.test.ts runs it on both).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Queryable } from '../storage/backend'
import { formatDsn } from './dsn'

export interface SentryProject {
  id: string
  numeric_id: number
  slug: string
  sentry_public_key: string
}

const COLUMNS = 'id, numeric_id, slug, sentry_public_key'

export const newSentryKey = () => randomBytes(16).toString('hex')

export function sentryProjectByNumericId(q: Queryable, numericId: number): Promise<SentryProject | null> {
  return q.get<SentryProject>(`SELECT ${COLUMNS} FROM projects WHERE numeric_id = ?`, [numericId])
}

export function sentryProjectByKey(q: Queryable, key: string): Promise<SentryProject | null> {
  return q.get<SentryProject>(`SELECT ${COLUMNS} FROM projects WHERE sentry_public_key = ?`, [
    key.toLowerCase(),
  ])
}

export function sentryProjectOf(q: Queryable, projectId: string): Promise<SentryProject | null> {
  return q.get<SentryProject>(`SELECT ${COLUMNS} FROM projects WHERE id = ?`, [projectId])
}

/** Constant-time check that `key` is the project's current public key. */
export function keyMatches(project: SentryProject, key: string): boolean {
  const a = Buffer.from(project.sentry_public_key)
  const b = Buffer.from(key.toLowerCase())
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Replaces the project's public key; returns the new one (null for an unknown project). */
export async function rotateSentryKey(q: Queryable, projectId: string): Promise<string | null> {
  const key = newSentryKey()
  const r = await q.run('UPDATE projects SET sentry_public_key = ? WHERE id = ?', [key, projectId])
  return r.changes === 1 ? key : null
}

/**
 * The DSN to paste into a Sentry SDK for `project`, served from `origin` (the public URL
 * of this bloop, e.g. `https://errors.example.com`). Null for an unknown project.
 */
export async function dsnFor(q: Queryable, project: { id: string }, origin: string): Promise<string | null> {
  const p = await sentryProjectOf(q, project.id)
  return p ? formatDsn(p.sentry_public_key, p.numeric_id, origin) : null
}
