/**
 * Who is calling, and what may they touch. Every protected route calls `guard.require`
 * with the scope it needs (docs/decisions.md, "Access") and gets back the projects in reach:
 *
 * - Bearer token (`Authorization: Bearer bloop_tk_...`): one project, its scopes. A missing
 *   scope is 403; a bad, revoked or expired token 401; another project's data 404.
 * - Session cookie (`bloop_session`): a signed-in user; every scope except admin-only
 *   routes. Reads default to every project the user may see, or one chosen with
 *   `project_id` (id or slug). State changes made with a cookie must come from the
 *   dashboard's own origin (CSRF: Origin / Sec-Fetch-Site).
 *
 * The resolvers are passed in, so this module imports no feature.
 */
import { AppError } from './errors'
import type { RateLimiter } from './ratelimit'

export const SCOPES = [
  'errors:read',
  'errors:write',
  'alerts:read',
  'alerts:write',
  'sourcemaps:read',
  'sourcemaps:write',
  'llm:read',
  'llm:write',
] as const
export type Scope = (typeof SCOPES)[number]
export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s)

export interface TokenPrincipal {
  kind: 'token'
  tokenId: string
  tokenName: string
  projectId: string
  scopes: readonly Scope[]
}
export interface SessionPrincipal {
  kind: 'session'
  userId: string
  username: string
  isAdmin: boolean
}
export type Principal = TokenPrincipal | SessionPrincipal

export interface Access {
  principal: Principal
  /** Projects this request may read or change (at least one). */
  projectIds: string[]
  /** Label written to history rows ("alice", "token:ci"). */
  actor: string
}

export type Resolved<T> = T | AppError

export interface AuthResolvers {
  /** Resolves a bearer token; AppError('invalid_token', ...) for bad, revoked or expired. */
  token(token: string): Resolved<TokenPrincipal>
  /** Resolves a session cookie value; null when unknown or expired. */
  session(cookie: string): SessionPrincipal | null
  /** Finds a project a session user may see, by id or slug. */
  project(ref: string): { id: string } | null
  /** Every project id the user may see. */
  visibleProjects(user: SessionPrincipal): string[]
}

export const SESSION_COOKIE = 'bloop_session'

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get('cookie')
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim()
      if (v !== '') return v
    }
  }
  return null
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** `bloop_tk_` and 7 random characters: the token_prefix an admin sees in the tokens list. */
const CREDENTIAL_PREFIX_CHARS = 16

/**
 * Brake on refused credentials. Every refused one (bad, revoked or expired token, unknown
 * session, malformed Authorization header) takes a token from two buckets: the client
 * address's and the credential's own, keyed by its first 16 characters (for an API token,
 * the prefix the tokens list shows). Once either bucket is empty, refused credentials get
 * 429 + Retry-After instead of 401: a client guessing many credentials from one address is
 * slowed down, and a script that keeps sending one revoked token is told to back off from
 * whatever address it runs on.
 *
 * A valid credential is never refused by the brake: it is looked up first. Refusing every
 * credential from a locked-out address, as an earlier version did, let one broken script
 * behind a NAT lock a whole office out. Answering valid credentials tells a guesser nothing
 * useful: tokens and sessions carry 256 random bits, which no rate of guessing reaches.
 */
export interface FailureLimit {
  limiter: RateLimiter
  clientIp: (request: Request) => string
}

export class Guard {
  constructor(
    private readonly resolvers: AuthResolvers,
    private readonly allowedOrigins: string[],
    private readonly failures: FailureLimit | null = null,
  ) {}

  /** The caller, or 401 (429 for a refused credential once too many were refused). */
  principal(request: Request): Principal {
    const authz = request.headers.get('authorization')
    const cookie = authz === null ? readCookie(request, SESSION_COOKIE) : null
    if (authz !== null) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authz)
      if (!m)
        throw this.refused(
          request,
          null,
          new AppError('invalid_token', 'Authorization header must be "Bearer <token>"'),
        )
      const token = m[1] as string
      const p = this.resolvers.token(token)
      if (p instanceof AppError) throw this.refused(request, token, p)
      return p
    }
    if (cookie !== null) {
      const user = this.resolvers.session(cookie)
      if (!user)
        throw this.refused(
          request,
          cookie,
          new AppError('unauthorized', 'session is invalid or expired; sign in again'),
        )
      this.checkCsrf(request)
      return user
    }
    throw new AppError(
      'unauthorized',
      'authentication required: send "Authorization: Bearer <token>" or sign in',
    )
  }

  /** A signed-in dashboard user (no tokens), or 401/403. */
  session(request: Request): SessionPrincipal {
    const p = this.principal(request)
    if (p.kind !== 'session')
      throw new AppError('forbidden', 'this route needs a signed-in user, not an API token')
    return p
  }

  admin(request: Request): SessionPrincipal {
    const user = this.session(request)
    if (!user.isAdmin) throw new AppError('forbidden', 'admin access required')
    return user
  }

  /**
   * The caller must hold `scope`; returns the projects in reach. `projectRef` (id or slug)
   * narrows to one project; a project the caller cannot see is 404, like one that does not exist.
   */
  require(request: Request, scope: Scope, projectRef?: string | null): Access {
    const p = this.principal(request)
    if (p.kind === 'token') {
      if (!p.scopes.includes(scope)) {
        throw new AppError('insufficient_scope', `token lacks the required scope ${scope}`)
      }
      if (projectRef) {
        const project = this.resolvers.project(projectRef)
        if (!project || project.id !== p.projectId)
          throw new AppError('not_found', `project ${projectRef} not found`)
      }
      return { principal: p, projectIds: [p.projectId], actor: `token:${p.tokenName}` }
    }
    const visible = this.resolvers.visibleProjects(p)
    if (projectRef) {
      const project = this.resolvers.project(projectRef)
      if (!project || !visible.includes(project.id))
        throw new AppError('not_found', `project ${projectRef} not found`)
      return { principal: p, projectIds: [project.id], actor: p.username }
    }
    return { principal: p, projectIds: visible, actor: p.username }
  }

  /** Counts a refused credential against its address and itself; 429 once either is spent. */
  private refused(request: Request, credential: string | null, err: AppError): AppError {
    if (!this.failures) return err
    const { limiter, clientIp } = this.failures
    const byAddress = limiter.take(`address:${clientIp(request)}`)
    const byCredential =
      credential === null ? 0 : limiter.take(`credential:${credential.slice(0, CREDENTIAL_PREFIX_CHARS)}`)
    const wait = Math.max(byAddress, byCredential)
    if (byCredential > 0) {
      return new AppError(
        'rate_limited',
        `this credential was refused too many times (revoked, expired or mistyped?); retry in ${wait}s`,
        { retryAfterSecs: wait },
      )
    }
    if (byAddress > 0) {
      return new AppError(
        'rate_limited',
        `too many failed sign-in attempts from this address; retry in ${wait}s`,
        { retryAfterSecs: wait },
      )
    }
    return err
  }

  /** State changes made with a session cookie must come from the dashboard's own origin. */
  checkCsrf(request: Request): void {
    if (SAFE_METHODS.has(request.method)) return
    const site = request.headers.get('sec-fetch-site')
    if (site !== null && site !== 'same-origin' && site !== 'none') {
      throw new AppError('csrf_rejected', `cross-site request refused (Sec-Fetch-Site: ${site})`)
    }
    const origin = request.headers.get('origin')
    if (origin === null) return
    const own = ownOrigin(request)
    if (origin !== own && !this.allowedOrigins.includes(origin)) {
      throw new AppError(
        'csrf_rejected',
        `request from origin ${origin} refused; only ${this.allowedOrigins[0]} may use the session`,
      )
    }
  }
}

function ownOrigin(request: Request): string {
  const url = new URL(request.url)
  const host = request.headers.get('host') ?? url.host
  return `${url.protocol}//${host}`
}
