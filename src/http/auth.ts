/**
 * Who is calling, and what may they touch (docs/decisions.md, "Access"). Routes do not call
 * this module themselves: each declares its access (src/http/access.ts) and the
 * declaration calls the Guard before the handler runs. The rules:
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
import { verifySignature } from './hmac'
import type { RateLimiter } from './ratelimit'
import type { Scope } from './scopes'
import { readBodyBytes } from './validate'

export { isScope, SCOPES, type Scope } from './scopes'

export interface TokenPrincipal {
  kind: 'token'
  tokenId: string
  tokenName: string
  projectId: string
  /** The project's slug, so that `Reach.narrow` knows the project by either name. */
  projectSlug: string
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

/** Access narrowed on demand: `narrow(ref)` is the one project `ref` (id or slug) names, or 404. */
export interface Reach extends Access {
  narrow(ref?: string | null): Access
}

/** What a signed ingest request proved: its project, and the body bytes the signature covers. */
export interface Signed {
  projectId: string
  body: Uint8Array
}

export type Resolved<T> = T | AppError

export interface AuthResolvers {
  /** Resolves a bearer token; AppError('invalid_token', ...) for bad, revoked or expired. */
  token(token: string): Promise<Resolved<TokenPrincipal>>
  /** Resolves a session cookie value; null when unknown or expired. */
  session(cookie: string): Promise<SessionPrincipal | null>
  /**
   * Every project the user may see, by id and slug. `Reach.narrow` finds the project a
   * request names among these, so a handler's narrowing asks the database nothing.
   */
  visibleProjects(user: SessionPrincipal): Promise<readonly { id: string; slug: string }[]>
}

/**
 * Signed ingest (HMAC-SHA256 of the raw body in `X-Signature`). `signingKey(null)` is the
 * default project (requests without `X-Project-Key`), which always exists; otherwise the
 * project holding that key, or null. Refusals are counted with `rejected(code)`.
 */
export interface IngestAuth {
  limiter: RateLimiter
  clientIp: (request: Request) => string
  signingKey(projectKey: string | null): Promise<{ id: string; api_key: string } | null>
  rejected(code: string): void
}

/** A key in a header of its own (`Guard.keyed`, the `key` declaration of src/http/access.ts). */
export interface KeyAccess {
  /** The header, lower case (e.g. 'x-bloop-key'). */
  header: string
  /** Its name as callers write it, for messages ('X-Bloop-Key'). */
  label: string
  /** The scope an API token sent in the header must hold. */
  scope: Scope
  /** The 401 message when the header is missing and anonymous calls are not allowed. */
  missing: string
  /** Whether a call without the header goes to the default project (read per request). */
  anonymous?: () => boolean
  /** Brake on refused project keys, per client address. */
  brake?: RateLimiter
}

/**
 * An exporter's credentials (`Guard.exporter`): `ready()` throws the refusal, if any,
 * before the body is read; `project(raw)` is the project, verifying the HMAC over the raw
 * body when that is the credential.
 */
export interface Exporter {
  ready(): void
  project(raw: Uint8Array): string
}

/** An exporter holding a refusal: `ready()` and `project()` throw it. */
const refusing = (err: AppError): Exporter => {
  const refuse = (): never => {
    throw err
  }
  return { ready: refuse, project: refuse }
}

export const SESSION_COOKIE = 'bloop_session'
/** What every API token starts with; a key header holding one is a token, not a project key. */
const TOKEN_PREFIX = 'bloop_tk_'

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
    private readonly ingest: IngestAuth | null = null,
  ) {}

  /** The caller, or 401 (429 for a refused credential once too many were refused). */
  async principal(request: Request): Promise<Principal> {
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
      const p = await this.resolvers.token(token)
      if (p instanceof AppError) throw this.refused(request, token, p)
      return p
    }
    if (cookie !== null) {
      const user = await this.resolvers.session(cookie)
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
  async session(request: Request): Promise<SessionPrincipal> {
    const p = await this.principal(request)
    if (p.kind !== 'session')
      throw new AppError('forbidden', 'this route needs a signed-in user, not an API token')
    return p
  }

  async admin(request: Request): Promise<SessionPrincipal> {
    const user = await this.session(request)
    if (!user.isAdmin) throw new AppError('forbidden', 'admin access required')
    return user
  }

  /** Every project the caller may touch with `scope`, narrowed later by the route (a query or body field). */
  async reach(request: Request, scope: Scope): Promise<Reach> {
    const p = await this.principal(request)
    if (p.kind === 'token' && !p.scopes.includes(scope)) {
      throw new AppError('insufficient_scope', `token lacks the required scope ${scope}`)
    }
    return this.reachOf(p)
  }

  /** The projects a session user may see (sessions hold every scope). */
  sessionReach(user: SessionPrincipal): Promise<Reach> {
    return this.reachOf(user)
  }

  private async reachOf(p: Principal): Promise<Reach> {
    const visible =
      p.kind === 'token'
        ? [{ id: p.projectId, slug: p.projectSlug }]
        : await this.resolvers.visibleProjects(p)
    const access: Access = {
      principal: p,
      projectIds: visible.map((v) => v.id),
      actor: p.kind === 'token' ? `token:${p.tokenName}` : p.username,
    }
    return {
      ...access,
      narrow: (ref) => {
        if (!ref) return access
        // By id first, then by slug, as a lookup of either would find it.
        const project = visible.find((v) => v.id === ref) ?? visible.find((v) => v.slug === ref)
        if (!project) throw new AppError('not_found', `project ${ref} not found`)
        return { principal: p, projectIds: [project.id], actor: access.actor }
      },
    }
  }

  /** The signed-in user, or null when there is no valid session (pages that work signed out). */
  async optionalSession(request: Request): Promise<SessionPrincipal | null> {
    try {
      return await this.session(request)
    } catch {
      return null
    }
  }

  /**
   * The user of a page: null when signed out (401), so the page can send them to sign-in;
   * any other refusal (an API token, a cross-site change) stands.
   */
  async pageUser(request: Request): Promise<SessionPrincipal | null> {
    try {
      return await this.session(request)
    } catch (err) {
      if (err instanceof AppError && err.status === 401) return null
      throw err
    }
  }

  /**
   * A signed ingest request: rate limit per client (429), body read within `maxBytes`
   * (413, without reading past the cap), signature over those exact bytes (401). Every
   * refusal is counted by its code (with `rejected` when the route counts its own).
   */
  async signed(request: Request, maxBytes: number, rejected?: (code: string) => void): Promise<Signed> {
    const ingest = this.ingest
    if (!ingest)
      throw new Error('expected the Guard to be built with IngestAuth for an ingest route, got none')
    try {
      ingest.limiter.check(ingest.clientIp(request), 'ingest')
      const body = await readBodyBytes(request, maxBytes)
      const signature = request.headers.get('x-signature')
      if (signature === null || signature === '') {
        throw new AppError('missing_signature', 'missing X-Signature header (hex HMAC-SHA256 of the body)')
      }
      const projectKey = request.headers.get('x-project-key')
      const project = await ingest.signingKey(projectKey)
      if (!project) {
        if (projectKey === null)
          throw new Error('expected the default project to exist (it cannot be deleted), found none')
        throw new AppError('invalid_project_key', 'unknown X-Project-Key')
      }
      const check = verifySignature(signature, project.api_key, body)
      if (check === 'malformed') {
        throw new AppError(
          'invalid_signature',
          'X-Signature must be 64 hex characters (HMAC-SHA256 of the body)',
        )
      }
      if (check === 'mismatch') {
        throw new AppError('invalid_signature', 'X-Signature does not match the body for this key')
      }
      return { projectId: project.id, body }
    } catch (err) {
      if (err instanceof AppError) (rejected ?? ingest.rejected)(err.code)
      throw err
    }
  }

  /**
   * The project of a key sent in a header of its own (`o.header`), for callers whose
   * `Authorization` carries someone else's credential (the LLM proxy forwards the
   * provider's key): an API token holding `o.scope` (resolved and braked like a bearer
   * token), or a project's API key. Without the header: the default project when
   * `o.anonymous()` allows it, else 401 naming `o.missing`. A refused project key takes a
   * token from `o.brake` per client address (429 once it is spent); a valid one never does.
   */
  async keyed(request: Request, o: KeyAccess): Promise<string> {
    const ingest = this.ingest
    if (!ingest) throw new Error('expected the Guard to be built with IngestAuth for a keyed route, got none')
    const key = request.headers.get(o.header)?.trim()
    if (!key) {
      if (o.anonymous?.()) {
        const project = await ingest.signingKey(null)
        if (!project)
          throw new Error('expected the default project to exist (it cannot be deleted), found none')
        return project.id
      }
      throw new AppError('unauthorized', o.missing)
    }
    if (key.startsWith(TOKEN_PREFIX)) {
      // Tokens are resolved (and refusals braked) as they are from Authorization.
      const asToken = new Request(request.url, { headers: { authorization: `Bearer ${key}` } })
      return (await this.reach(asToken, o.scope)).projectIds[0] as string
    }
    const project = await ingest.signingKey(key)
    if (project) return project.id
    const wait = o.brake ? o.brake.take(ingest.clientIp(request)) : 0
    if (wait > 0)
      throw new AppError(
        'rate_limited',
        `too many refused ${o.label} values from this address; retry in ${wait}s`,
        { retryAfterSecs: wait },
      )
    throw new AppError('invalid_project_key', `unknown ${o.label}`)
  }

  /**
   * The credentials an OpenTelemetry exporter can send as static headers, for `o.scope`:
   * `Authorization: Bearer <token>` or a signed-in user naming the project with
   * `?project_id=`; a project key in `o.header`; or bloop's HMAC (`X-Signature` over the
   * body as sent, with `X-Project-Key`), checked once the body is read. The rate limit per
   * client address comes first (429). Refusals are not thrown here: the route answers
   * them in the encoding of the request (OTLP protobuf or JSON), so the answer holds them
   * until `ready()`, which the route calls before reading the body.
   */
  async exporter(request: Request, o: { scope: Scope; header: string; label: string }): Promise<Exporter> {
    const ingest = this.ingest
    if (!ingest)
      throw new Error('expected the Guard to be built with IngestAuth for an exporter route, got none')
    let resolved: string | 'hmac'
    try {
      ingest.limiter.check(ingest.clientIp(request), 'ingest')
      resolved = await this.exporterProject(request, o)
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      return refusing(err)
    }
    if (resolved !== 'hmac') return { ready: () => {}, project: () => resolved }
    // The signing key is looked up now, so that the body's check stays synchronous; an
    // unknown key is still refused only once the body is read, as the check's order says.
    const project = await ingest.signingKey(request.headers.get('x-project-key'))
    return {
      ready: () => {},
      project: (raw) => {
        if (!project) throw new AppError('invalid_project_key', 'unknown X-Project-Key')
        if (verifySignature(request.headers.get('x-signature') ?? '', project.api_key, raw) !== 'ok')
          throw new AppError('invalid_signature', 'X-Signature does not match the body for this key')
        return project.id
      },
    }
  }

  private async exporterProject(
    request: Request,
    o: { scope: Scope; header: string; label: string },
  ): Promise<string | 'hmac'> {
    if (request.headers.get('authorization') !== null || readCookie(request, SESSION_COOKIE) !== null) {
      const access = (await this.reach(request, o.scope)).narrow(
        new URL(request.url).searchParams.get('project_id'),
      )
      if (access.projectIds.length !== 1)
        throw new AppError(
          'bad_request',
          `a signed-in user must name the project with ?project_id=<id or slug>; exporters should send a token with ${o.scope}`,
        )
      return access.projectIds[0] as string
    }
    const key = request.headers.get(o.header)
    if (key !== null) {
      const project = key.trim() === '' ? null : await this.ingest?.signingKey(key.trim())
      if (!project) throw new AppError('invalid_project_key', `unknown ${o.label}`)
      return project.id
    }
    if (request.headers.get('x-signature') !== null) return 'hmac'
    throw new AppError(
      'unauthorized',
      `authentication required: send "Authorization: Bearer <token with ${o.scope}>" or "${o.label}: <project key>" (for exporters: OTEL_EXPORTER_OTLP_HEADERS)`,
    )
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
