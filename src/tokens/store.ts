/**
 * API tokens (docs/decisions.md, "Access"): `bloop_tk_` + 32 random bytes (base64url). Only the SHA-256 is
 * stored; the token is shown once, at creation. A token belongs to one project and
 * carries scopes; revocation and expiry take effect on the next request.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { DAY_MS } from '../core/time'
import type { Scope, TokenPrincipal } from '../http/auth'
import { AppError } from '../http/errors'
import { type Db, placeholders } from '../storage/db'

export const TOKEN_PREFIX = 'bloop_tk_'
const TOKEN_SHAPE = /^bloop_tk_[A-Za-z0-9_-]{43}$/
/** last_used_at is written at most this often per token, to keep reads read-only. */
const LAST_USED_RESOLUTION_MS = 60_000

export interface TokenRow {
  id: string
  name: string
  token_prefix: string
  project_id: string
  scopes: Scope[]
  created_by: string | null
  created_at: number
  expires_at: number | null
  last_used_at: number | null
  revoked_at: number | null
}

interface RawTokenRow extends Omit<TokenRow, 'scopes'> {
  scopes: string
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex')
const COLUMNS =
  'id, name, token_prefix, project_id, scopes, created_by, created_at, expires_at, last_used_at, revoked_at'
const toRow = (r: RawTokenRow): TokenRow => ({ ...r, scopes: JSON.parse(r.scopes) as Scope[] })

export function createToken(
  db: Db,
  t: {
    projectId: string
    name: string
    scopes: Scope[]
    expiresInDays?: number | null
    createdBy?: string | null
  },
  now = Date.now(),
): { token: string; row: TokenRow } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  const id = randomUUID()
  const expiresAt = t.expiresInDays ? now + t.expiresInDays * DAY_MS : null
  db.query(
    `INSERT INTO api_tokens (id, name, token_hash, token_prefix, project_id, scopes, created_by, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    t.name,
    hash(token),
    token.slice(0, 16),
    t.projectId,
    JSON.stringify(t.scopes),
    t.createdBy ?? null,
    now,
    expiresAt,
  )
  return { token, row: getToken(db, id) as TokenRow }
}

export function getToken(db: Db, id: string): TokenRow | null {
  const r = db.query<RawTokenRow, [string]>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`).get(id)
  return r ? toRow(r) : null
}

export function listTokens(db: Db, projectIds: string[]): TokenRow[] {
  if (projectIds.length === 0) return []
  return db
    .query<RawTokenRow, string[]>(
      `SELECT ${COLUMNS} FROM api_tokens WHERE project_id IN (${placeholders(projectIds.length)}) ORDER BY created_at DESC`,
    )
    .all(...projectIds)
    .map(toRow)
}

export function revokeToken(db: Db, id: string, now = Date.now()): boolean {
  return (
    db.query('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id)
      .changes > 0
  )
}

/** Resolves a bearer token to its principal, or an AppError saying why it is refused. */
export function resolveToken(db: Db, token: string, now = Date.now()): TokenPrincipal | AppError {
  if (!TOKEN_SHAPE.test(token)) return new AppError('invalid_token', 'malformed API token')
  const r = db
    .query<RawTokenRow, [string]>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ?`)
    .get(hash(token))
  if (!r) return new AppError('invalid_token', 'invalid API token')
  if (r.revoked_at !== null) return new AppError('invalid_token', 'API token has been revoked')
  if (r.expires_at !== null && r.expires_at <= now)
    return new AppError('invalid_token', 'API token has expired')
  if (r.last_used_at === null || now - r.last_used_at >= LAST_USED_RESOLUTION_MS) {
    db.query('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, r.id)
  }
  return {
    kind: 'token',
    tokenId: r.id,
    tokenName: r.name,
    projectId: r.project_id,
    scopes: JSON.parse(r.scopes),
  }
}
