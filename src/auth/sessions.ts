/**
 * Dashboard sessions (docs/decisions.md, "Access"). The cookie holds 32 random bytes; the database holds only
 * their SHA-256, so a leaked database copy cannot be replayed as a cookie. A session lasts
 * `auth.session_ttl_secs` from sign-in (no sliding renewal: a stolen cookie dies on time);
 * the user's role is read from the users table on every request, so a demotion applies at
 * once. Expired rows are refused on lookup and removed by a periodic job.
 *
 * Cookie attributes: HttpOnly (no script can read it), SameSite=Lax (not sent on
 * cross-site subrequests; cross-site form posts are refused anyway by the Origin check in
 * http/auth.ts), Path=/, Max-Age = the TTL, and Secure unless the dashboard origin is a
 * loopback address (browsers refuse Secure cookies over plain http://localhost).
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/auth.sessions.store.test.ts runs it on both).
 */
import type { SessionPrincipal } from '../http/auth'
import { SESSION_COOKIE } from '../http/auth'
import type { Param, Queryable } from '../storage/backend'
import { newSecret, SECRET_SHAPE, sha256hex } from './secrets'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * A new session's cookie value and the statement that stores it, without running it:
 * `createSession` runs it through the seam; synchronous test fixtures run the same text
 * on a SQLite connection.
 */
export function mintSession(
  userId: string,
  now: number,
  ttlSecs: number,
): { token: string; sql: string; params: Param[] } {
  const token = newSecret()
  return {
    token,
    sql: 'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    params: [sha256hex(token), userId, now, now + ttlSecs * 1000],
  }
}

export async function createSession(
  q: Queryable,
  userId: string,
  now: number,
  ttlSecs: number,
): Promise<string> {
  const { token, sql, params } = mintSession(userId, now, ttlSecs)
  await q.run(sql, params)
  return token
}

/** The signed-in user of a cookie value, or null when unknown or expired. */
export async function resolveSession(
  q: Queryable,
  token: string,
  now: number,
): Promise<SessionPrincipal | null> {
  if (!SECRET_SHAPE.test(token)) return null
  const row = await q.get<{ id: string; username: string; role: string }>(
    `SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = ? AND s.expires_at > ?`,
    [sha256hex(token), now],
  )
  if (!row) return null
  return { kind: 'session', userId: row.id, username: row.username, isAdmin: row.role === 'admin' }
}

export async function deleteSession(q: Queryable, token: string): Promise<void> {
  await q.run('DELETE FROM sessions WHERE token_hash = ?', [sha256hex(token)])
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(q: Queryable, now: number): Promise<number> {
  return (await q.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes
}

export function isLoopbackOrigin(origin: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(origin).hostname)
}

/** The Set-Cookie value that signs a browser in (`token`) or out (`null`). */
export function sessionCookie(token: string | null, rpOrigin: string, ttlSecs: number): string {
  const parts = [
    `${SESSION_COOKIE}=${token ?? ''}`,
    'HttpOnly',
    'SameSite=Lax',
    'Path=/',
    `Max-Age=${token === null ? 0 : ttlSecs}`,
  ]
  if (!isLoopbackOrigin(rpOrigin)) parts.push('Secure')
  return parts.join('; ')
}
