/**
 * The shared security suite (docs/decisions.md, "Testing"). Every route runs it, so access
 * rules are checked the same way everywhere; test/http/app.security.test.ts runs it over the
 * catalogue of every registered route (test/security.routes.ts). Describe each route once:
 *
 *   import { describeSecurity } from './security'
 *
 *   describeSecurity('alerts API', [
 *     {
 *       method: 'GET',
 *       route: '/v1/alerts',                                     // for test names
 *       access: { scope: 'alerts:read' },  // or 'session', 'admin', 'page', 'public', 'ingest'
 *       request: (f) => ({ path: `/v1/alerts?project_id=${f.own.slug}` }),
 *       foreign: (f) => ({ path: `/v1/alerts?project_id=${f.other.slug}` }),
 *       ok: 200,                                                // status of an allowed call
 *     },
 *   ], { setup: async (f) => { ...create rows in f.own and f.other... } })
 *
 * `request` is called once per check, so a destructive route can create a fresh resource
 * each time (e.g. a new project to delete). `foreign` is the same route aimed at a
 * resource of `f.other` and is required for scope routes (tokens belong to `f.own`).
 *
 * Checks, each a named test:
 * - every route: no credentials 401; malformed bearer token 401; revoked token 401;
 *   expired token 401; unknown session cookie 401; expired session 401;
 * - scope routes: a token with every scope but the required one 403; an own-project
 *   token on another project's resource 404; a token with only the scope, and a signed-in
 *   user, are allowed (`ok`);
 * - session and admin routes: an API token, even with every scope, 403;
 * - admin routes: a signed-in non-admin 403; an admin is allowed (`ok`);
 * - session routes: a signed-in non-admin is allowed (`ok`);
 * - state-changing methods: a cookie-authenticated request from a foreign Origin, or marked
 *   Sec-Fetch-Site: cross-site, 403 csrf_rejected; from the dashboard's own origin allowed;
 * - page routes: every refused credential is a 303 to the sign-in page instead of a 401;
 * - public routes: an anonymous request gets `ok`;
 * - ingest routes: unsigned 401, a signature not matching the body 401, a body signed with
 *   another project's key 401, an unknown project key 401, the project's own key `ok`.
 *
 * Each describeSecurity call gets its own runtime (real SQLite file, real writer thread)
 * with a generous failed-auth limit, since the suite fails authentication on purpose.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { createSession, mintSession } from '../src/auth/sessions'
import { mintUser, type Role } from '../src/auth/users'
import { SCOPES, type Scope } from '../src/http/auth'
import { sign } from '../src/http/hmac'
import type { ProjectRow } from '../src/projects/store'
import { createToken, revokeToken } from '../src/tokens/store'
import { projectIn, sessionOnSqlite, startRuntime, type TestRuntime, tokenIn, userOnSqlite } from './helpers'

/**
 * What a route declares (src/http/access.ts): `public` routes answer `ok` without
 * credentials; `ingest` routes want an HMAC signature of the body by a project key; `page`
 * routes send a signed-out visitor to the sign-in page (303).
 */
export type RouteAccess =
  | { scope: Scope }
  | { key: Scope }
  | { exporter: Scope }
  | 'session'
  | 'admin'
  | 'public'
  | 'ingest'
  | 'page'

/** 'ALL' is a route of every method (the LLM proxy); the suite calls it with POST. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'ALL'

export interface RouteRequest {
  path: string
  body?: unknown
}

export interface RouteSpec {
  method: Method
  /** The route as documented, for test names (e.g. '/v1/errors/:fingerprint'). */
  route: string
  access: RouteAccess
  request: (f: SecurityFixture) => RouteRequest | Promise<RouteRequest>
  /** The route aimed at a resource of `f.other`; required when access is a scope. */
  foreign?: (f: SecurityFixture) => RouteRequest | Promise<RouteRequest>
  /** Status an allowed caller gets. */
  ok: number
}

export interface SignedInUser {
  id: string
  username: string
  /** Value for a Cookie header. */
  cookie: string
}

export interface SecurityFixture {
  rt: TestRuntime
  /** The project the test tokens belong to. */
  own: ProjectRow
  /** Another project: its resources must stay out of reach of `own` tokens. */
  other: ProjectRow
  admin: SignedInUser
  user: SignedInUser
  /** A token for `project` (default `own`) with `scopes`. */
  token(scopes: readonly Scope[], project?: ProjectRow): string
  /** The dashboard origin (auth.rp_origin): where cookie-authenticated changes come from. */
  origin: string
}

/**
 * Creates a user with a session, the way a passkey sign-in does (the stores' own statements,
 * through the seam). Handed out synchronously, as `rt.token`: on SQLite the rows are written
 * at once; on PostgreSQL the next request through `rt` waits for them first. A test that
 * reads or writes rows of that user directly awaits `signedIn` instead.
 */
export function signInAs(rt: TestRuntime, username: string, role: Role): SignedInUser {
  const { user, written } = signIn(rt, username, role)
  if (!written) return user
  const handle = rt.handle
  rt.handle = async (request) => {
    await written
    return handle(request)
  }
  return user
}

/** `signInAs`, once the user's and the session's rows are written on either backend. */
export async function signedIn(rt: TestRuntime, username: string, role: Role): Promise<SignedInUser> {
  const { user, written } = signIn(rt, username, role)
  await written
  return user
}

function signIn(
  rt: TestRuntime,
  username: string,
  role: Role,
): { user: SignedInUser; written?: Promise<void> } {
  const now = rt.core.now()
  const ttl = rt.config.auth.session_ttl_secs
  const id = randomUUID()
  if (rt.core.backend.kind === 'sqlite') {
    userOnSqlite(rt.core.db, { id, username, role }, now)
    return { user: { id, username, cookie: `bloop_session=${sessionOnSqlite(rt.core.db, id, now, ttl)}` } }
  }
  const u = mintUser({ id, username, role }, now)
  const session = mintSession(id, now, ttl)
  const written = (async () => {
    await rt.core.backend.run(u.sql, u.params)
    await rt.core.backend.run(session.sql, session.params)
  })()
  return { user: { id, username, cookie: `bloop_session=${session.token}` }, written }
}

/** Sends `r` with extra headers, JSON-encoding the body. */
export function send(
  rt: TestRuntime,
  method: Method,
  r: RouteRequest,
  headers: Record<string, string> = {},
): Promise<Response> {
  const h: Record<string, string> = { ...headers }
  if (r.body !== undefined) h['content-type'] = 'application/json'
  return rt.fetch(r.path, {
    method,
    headers: h,
    body: r.body === undefined ? undefined : JSON.stringify(r.body),
  })
}

/** Sends `body` signed with `key` (X-Project-Key and X-Signature), as an SDK does. */
export function sendSigned(
  rt: TestRuntime,
  path: string,
  body: unknown,
  key: string,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Response> {
  const text = JSON.stringify(body)
  return rt.fetch(path, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-project-key': key,
      'x-signature': sign(key, text),
      ...headers,
    },
    body: text,
  })
}

/** A page's answer to a signed-out visitor: 303 to the sign-in page, coming back to `path`. */
async function expectSignIn(res: Response, path: string): Promise<void> {
  await res.body?.cancel()
  expect({ status: res.status, location: res.headers.get('location') }).toEqual({
    status: 303,
    location: `/auth/login?next=${encodeURIComponent(path)}`,
  })
}

async function expectStatus(res: Response, status: number, code?: string): Promise<void> {
  // A live stream (server-sent events) never ends by itself: its status is the answer.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel()
    expect(res.status).toBe(status)
    return
  }
  const text = await res.text()
  expect({ status: res.status, body: text.slice(0, 300) }).toMatchObject({ status })
  if (code) expect(JSON.parse(text).code).toBe(code)
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function describeSecurity(
  title: string,
  routes: RouteSpec[],
  opts: { setup?: (f: SecurityFixture) => void | Promise<void> } = {},
): void {
  let f: SecurityFixture

  describe(`${title}: security`, () => {
    beforeAll(async () => {
      const rt = await startRuntime({ rate_limit: { auth_per_second: 10_000, auth_burst_size: 10_000 } })
      const now = rt.core.now()
      const b = rt.core.backend
      f = {
        rt,
        own: await projectIn(b, { name: 'Own', slug: 'sec-own' }, now),
        other: await projectIn(b, { name: 'Other', slug: 'sec-other' }, now),
        admin: await signedIn(rt, 'sec-admin', 'admin'),
        user: await signedIn(rt, 'sec-user', 'user'),
        // Handed out synchronously (rt.token): on PostgreSQL the row is written before the next request.
        token: (scopes, project) => rt.token([...scopes], (project ?? f.own).id),
        origin: new URL(rt.config.auth.rp_origin).origin,
      }
      await opts.setup?.(f)
    })
    afterAll(async () => {
      await f?.rt.dispose()
    })

    for (const route of routes) {
      if (typeof route.access === 'object' && 'exporter' in route.access) {
        describeExporter(() => f, route, route.access.exporter)
        continue
      }
      if (typeof route.access === 'object' && 'key' in route.access) {
        describeKeyed(() => f, route, route.access.key)
        continue
      }
      const scope = typeof route.access === 'object' && 'scope' in route.access ? route.access.scope : null
      const label = `${route.method} ${route.route}`
      if (scope && !route.foreign) throw new Error(`expected a foreign request for the scope route ${label}`)
      if (route.access === 'public') {
        describe(label, () => {
          test(`answers ${route.ok} without credentials (public)`, async () => {
            const r = await route.request(f)
            const res = await send(f.rt, route.method, r)
            await res.body?.cancel()
            expect(res.status).toBe(route.ok)
          })
        })
        continue
      }
      if (route.access === 'ingest') {
        describeIngest(() => f, route)
        continue
      }
      const page = route.access === 'page'

      describe(label, () => {
        const req = () => route.request(f)
        /** A refused credential: 401 JSON, or for a page the way to the sign-in page. */
        const expectRefused = async (res: Response, code: string) =>
          page ? expectSignIn(res, (await req()).path) : expectStatus(res, 401, code)
        /** The cookie of a caller who is allowed (admin for admin routes, otherwise a plain user). */
        const allowedCookie = () => (route.access === 'admin' ? f.admin.cookie : f.user.cookie)

        test('rejects a request without credentials with 401', async () => {
          await expectRefused(await send(f.rt, route.method, await req()), 'unauthorized')
        })

        test('rejects a malformed bearer token with 401', async () => {
          await expectRefused(
            await send(f.rt, route.method, await req(), { authorization: 'Bearer not-a-bloop-token' }),
            'invalid_token',
          )
        })

        test('rejects a revoked token with 401', async () => {
          const { token: t, row } = await tokenIn(
            f.rt.core.backend,
            { projectId: f.own.id, name: 'sec', scopes: [...SCOPES] },
            f.rt.core.now(),
          )
          expect(await revokeToken(f.rt.core.backend, row.id, f.rt.core.now())).toBe(true)
          await expectRefused(
            await send(f.rt, route.method, await req(), { authorization: `Bearer ${t}` }),
            'invalid_token',
          )
        })

        test('rejects an expired token with 401', async () => {
          const past = f.rt.core.now() - 2 * 86_400_000
          const { token } = await createToken(
            f.rt.core.backend,
            { projectId: f.own.id, name: 'expired', scopes: [...SCOPES], expiresInDays: 1 },
            past,
          )
          await expectRefused(
            await send(f.rt, route.method, await req(), { authorization: `Bearer ${token}` }),
            'invalid_token',
          )
        })

        test('rejects an unknown or expired session cookie with 401', async () => {
          await expectRefused(
            await send(f.rt, route.method, await req(), {
              cookie: 'bloop_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
            }),
            'unauthorized',
          )
          const longAgo = f.rt.core.now() - (f.rt.config.auth.session_ttl_secs + 1) * 1000
          const stale = await createSession(
            f.rt.core.backend,
            f.admin.id,
            longAgo,
            f.rt.config.auth.session_ttl_secs,
          )
          await expectRefused(
            await send(f.rt, route.method, await req(), { cookie: `bloop_session=${stale}` }),
            'unauthorized',
          )
        })

        if (scope) {
          test(`rejects a token without ${scope} with 403`, async () => {
            const t = f.token(SCOPES.filter((s) => s !== scope))
            await expectStatus(
              await send(f.rt, route.method, await req(), { authorization: `Bearer ${t}` }),
              403,
              'insufficient_scope',
            )
          })

          test("answers 404 for another project's resource", async () => {
            const t = f.token(SCOPES)
            const foreign = route.foreign as NonNullable<RouteSpec['foreign']>
            await expectStatus(
              await send(f.rt, route.method, await foreign(f), { authorization: `Bearer ${t}` }),
              404,
              'not_found',
            )
          })

          test(`allows a token holding only ${scope}`, async () => {
            const t = f.token([scope])
            await expectStatus(
              await send(f.rt, route.method, await req(), { authorization: `Bearer ${t}` }),
              route.ok,
            )
          })
        } else {
          test('rejects an API token, even one with every scope, with 403', async () => {
            const t = f.token(SCOPES)
            await expectStatus(
              await send(f.rt, route.method, await req(), { authorization: `Bearer ${t}` }),
              403,
              'forbidden',
            )
          })
        }

        if (route.access === 'admin') {
          test('rejects a signed-in non-admin with 403', async () => {
            await expectStatus(
              await send(f.rt, route.method, await req(), { cookie: f.user.cookie, origin: f.origin }),
              403,
              'forbidden',
            )
          })
        }

        if (MUTATING.has(route.method)) {
          test('refuses a cookie-authenticated change from a foreign origin with 403', async () => {
            const cookie = allowedCookie()
            await expectStatus(
              await send(f.rt, route.method, await req(), { cookie, origin: 'https://evil.example' }),
              403,
              'csrf_rejected',
            )
            await expectStatus(
              await send(f.rt, route.method, await req(), { cookie, 'sec-fetch-site': 'cross-site' }),
              403,
              'csrf_rejected',
            )
          })
        }

        // Last: for a route like POST /v1/admin/reset the allowed call removes the fixture users.
        test(`allows a signed-in ${route.access === 'admin' ? 'admin' : 'user'}`, async () => {
          const cookie = allowedCookie()
          await expectStatus(
            await send(f.rt, route.method, await req(), { cookie, origin: f.origin }),
            route.ok,
          )
        })
      })
    }
  })
}

/**
 * Checks of a signed ingest route: unsigned 401, a signature that does not match 401, a
 * signature by another project's key presented as this project's 401, an unknown key 401,
 * a body signed by the project's own key allowed (`ok`). API tokens and sessions are no
 * credentials here.
 */
/**
 * A `key` route: X-Bloop-Key holds a project key or a token with `scope`; Authorization is
 * the caller's own (the proxy forwards it), so a bloop token there does not count.
 */
function describeKeyed(fixture: () => SecurityFixture, route: RouteSpec, scope: Scope): void {
  const method = route.method === 'ALL' ? 'POST' : route.method
  const call = async (headers: Record<string, string>) => {
    const f = fixture()
    const r = await route.request(f)
    return f.rt.fetch(r.path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(r.body ?? {}),
    })
  }
  describe(`${route.method} ${route.route}`, () => {
    test('rejects a request without X-Bloop-Key with 401', async () => {
      await expectStatus(await call({}), 401, 'unauthorized')
    })
    test('rejects a bloop token in Authorization, not X-Bloop-Key, with 401', async () => {
      await expectStatus(
        await call({ authorization: `Bearer ${fixture().token(SCOPES)}` }),
        401,
        'unauthorized',
      )
    })
    test('rejects an unknown project key with 401', async () => {
      await expectStatus(await call({ 'x-bloop-key': 'not-a-project-key' }), 401, 'invalid_project_key')
    })
    test('rejects an unknown token with 401', async () => {
      await expectStatus(await call({ 'x-bloop-key': 'bloop_tk_not-a-token' }), 401, 'invalid_token')
    })
    test(`rejects a token without ${scope} with 403`, async () => {
      const t = fixture().token(SCOPES.filter((s) => s !== scope))
      await expectStatus(await call({ 'x-bloop-key': t }), 403, 'insufficient_scope')
    })
    test("allows the project's own key", async () => {
      await expectStatus(await call({ 'x-bloop-key': fixture().own.api_key }), route.ok)
    })
    test(`allows a token with ${scope}`, async () => {
      await expectStatus(await call({ 'x-bloop-key': fixture().token([scope]) }), route.ok)
    })
  })
}

/**
 * An `exporter` route (OTLP): a bearer token with `scope`, a project key in X-Bloop-Key, or
 * bloop's HMAC signature of the body.
 */
function describeExporter(fixture: () => SecurityFixture, route: RouteSpec, scope: Scope): void {
  const call = async (headers: Record<string, string>, text?: string) => {
    const f = fixture()
    const r = await route.request(f)
    return f.rt.fetch(r.path, {
      method: route.method,
      headers: { 'content-type': 'application/json', ...headers },
      body: text ?? JSON.stringify(r.body ?? {}),
    })
  }
  const text = async () => JSON.stringify((await route.request(fixture())).body ?? {})
  describe(`${route.method} ${route.route}`, () => {
    test('rejects a request without credentials with 401', async () => {
      await expectStatus(await call({}), 401, 'unauthorized')
    })
    test('rejects a malformed bearer token with 401', async () => {
      await expectStatus(await call({ authorization: 'Bearer not-a-bloop-token' }), 401, 'invalid_token')
    })
    test(`rejects a token without ${scope} with 403`, async () => {
      const t = fixture().token(SCOPES.filter((s) => s !== scope))
      await expectStatus(await call({ authorization: `Bearer ${t}` }), 403, 'insufficient_scope')
    })
    test('rejects an unknown X-Bloop-Key with 401', async () => {
      await expectStatus(await call({ 'x-bloop-key': 'not-a-project-key' }), 401, 'invalid_project_key')
    })
    test('rejects a signature that does not match the body with 401', async () => {
      const f = fixture()
      const body = await text()
      const res = await call(
        { 'x-project-key': f.own.api_key, 'x-signature': sign(f.own.api_key, `${body} `) },
        body,
      )
      await expectStatus(res, 401, 'invalid_signature')
    })
    test(`allows a token with ${scope}`, async () => {
      await expectStatus(await call({ authorization: `Bearer ${fixture().token([scope])}` }), route.ok)
    })
    test("allows the project's own key in X-Bloop-Key", async () => {
      await expectStatus(await call({ 'x-bloop-key': fixture().own.api_key }), route.ok)
    })
    test("allows a body signed with the project's own key", async () => {
      const f = fixture()
      const body = await text()
      const res = await call(
        { 'x-project-key': f.own.api_key, 'x-signature': sign(f.own.api_key, body) },
        body,
      )
      await expectStatus(res, route.ok)
    })
  })
}

function describeIngest(fixture: () => SecurityFixture, route: RouteSpec): void {
  describe(`${route.method} ${route.route}`, () => {
    const body = async () => (await route.request(fixture())).body ?? {}
    const path = async () => (await route.request(fixture())).path

    test('rejects an unsigned body with 401', async () => {
      const f = fixture()
      const res = await f.rt.fetch(await path(), {
        method: route.method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${f.token(SCOPES)}` },
        body: JSON.stringify(await body()),
      })
      await expectStatus(res, 401, 'missing_signature')
    })

    test('rejects a signature that does not match the body with 401', async () => {
      const f = fixture()
      const text = JSON.stringify(await body())
      const res = await f.rt.fetch(await path(), {
        method: route.method,
        headers: {
          'content-type': 'application/json',
          'x-project-key': f.own.api_key,
          'x-signature': sign(f.own.api_key, `${text} `),
        },
        body: text,
      })
      await expectStatus(res, 401, 'invalid_signature')
    })

    test("rejects a body signed with another project's key under this project's key with 401", async () => {
      const f = fixture()
      const text = JSON.stringify(await body())
      const res = await f.rt.fetch(await path(), {
        method: route.method,
        headers: {
          'content-type': 'application/json',
          'x-project-key': f.own.api_key,
          'x-signature': sign(f.other.api_key, text),
        },
        body: text,
      })
      await expectStatus(res, 401, 'invalid_signature')
    })

    test('rejects an unknown project key with 401', async () => {
      const f = fixture()
      await expectStatus(
        await sendSigned(f.rt, await path(), await body(), 'not-a-project-key', {}, route.method),
        401,
        'invalid_project_key',
      )
    })

    test("allows a body signed with the project's own key", async () => {
      const f = fixture()
      await expectStatus(
        await sendSigned(f.rt, await path(), await body(), f.own.api_key, {}, route.method),
        route.ok,
      )
    })
  })
}
