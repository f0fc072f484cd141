/**
 * Declarative, default-deny access. Every route states who may call it in its options,
 * and the declaration runs the Guard (auth.ts) before the handler, which receives what
 * was resolved. `createApp` refuses to start when a route declares nothing
 * (`assertDeclared`), and `test/http/app.security.test.ts` checks every route against the
 * shared security suite, so a route cannot forget its check.
 *
 *   .use(access(s.guard))                      // once per plugin: brings the declarations
 *   .get('/health', h, { public: 'load balancers poll it' })  // why it needs no credentials
 *   .post('/v1/ingest', ({ signed }) => ..., { ingest: { maxBytes } })  // HMAC of the raw body
 *   .get('/v1/errors', ({ access }) => ..., { scope: 'errors:read' })  // token scope or session
 *   .get('/v1/tokens', ({ user, access }) => ..., { session: true })   // signed-in user, no tokens
 *   .get('/v1/admin/users', ({ user }) => ..., { admin: true })        // signed-in admin
 *   .get('/', ({ user }) => ..., { page: true })   // a page: `user` is null when signed out
 *   .post('/v1/llm/traces/:id/scores', ({ access, signed }) => ...,
 *     { scopeOrSigned: { scope: 'llm:write', maxBytes } })  // a token/session, or signed like ingest
 *   .all('/v1/proxy/*', ({ projectId }) => ..., { key: { header: 'x-bloop-key', scope: 'llm:write', ... } })
 *                                      // project key or scoped token in a header of its own
 *
 * What a handler receives:
 * - `scope`: `access` (a Reach): the projects in reach, `access.actor`, `access.principal`,
 *   and `access.narrow(ref)` for the one project a query or body field names (404 when the
 *   caller cannot see it, like one that does not exist).
 * - `session`, `admin`: `user` (SessionPrincipal) and `access` (every project the user sees).
 * - `ingest`: `signed` ({projectId, body}): the verified bytes; the handler parses them.
 * - `scopeOrSigned`: a request with X-Signature gets `signed` (as `ingest`) and `access`
 *   null; any other gets `access` (as `scope`) and `signed` null. For writes that an
 *   application's backend sends with its project key, and people or tools with a token.
 *   It counts as the scope route for the route walk (the signed way is the ingest check).
 * - `page`: `user` or null; the handler decides (the dashboard redirects to sign-in).
 * - `exporter`: `exporter` (`ready()`, then `project(raw body)`), for OTLP exports.
 * - `key`: `projectId`, for routes whose Authorization header is not bloop's (the LLM
 *   proxy forwards the provider's key in it).
 *
 * A route also declares its contract, `schema: { query, params, body, response: { 200: X } }`
 * (TypeBox, from the feature's model.ts): /openapi.json is generated from it, and the
 * dashboard's types are `Static<typeof X>` of the same schemas.
 *
 * Give every route its own options object (`{ ...SHARED }` when several share one):
 * Elysia writes the resolved hooks into the object it is given, so an object shared
 * between two apps (two test runtimes) would carry the first app's Guard into the second.
 *
 * A route that browsers on other origins call also declares `cors: <policy>` (made with
 * `corsPolicy`): every answer of the route carries it, errors included, and the route's
 * OPTIONS preflight answers with it (`preflight(policy)`).
 *
 * Authentication runs before the body and query are validated: a caller without access
 * learns nothing about what the route accepts.
 */
import type { TSchema } from '@sinclair/typebox'
import { type AnyElysia, Elysia } from 'elysia'
import type { Guard, KeyAccess, Reach, Scope, Signed } from './auth'

/** The key of a route's OpenAPI `detail` that holds its declared access (read by assertDeclared). */
export const ACCESS_KEY = 'x-bloop-access'
/** The key of a route's OpenAPI `detail` that holds its CORS policy. */
export const CORS_KEY = 'x-bloop-cors'
/** The key of a route's OpenAPI `detail` that holds its declared schemas (contract.ts reads it). */
export const SCHEMA_KEY = 'x-bloop-schema'

/**
 * A route's contract: TypeBox schemas of its query, path parameters, JSON body and answers
 * by status. Documentation for /openapi.json and the dashboard's types; handlers still
 * parse their input with http/validate.ts (the same schemas where they exist).
 */
export interface RouteSchema {
  query?: TSchema
  params?: TSchema
  body?: TSchema
  /** Body media types other than JSON (e.g. multipart uploads). */
  bodyTypes?: readonly string[]
  bodyOptional?: boolean
  /** The answer's schema by status; a string is an answer without a body (its description). */
  response?: Record<number, TSchema | string>
}

export type AccessKind =
  | 'public'
  | 'ingest'
  | 'session'
  | 'admin'
  | 'page'
  | `scope:${Scope}`
  | `key:${Scope}`
  | `exporter:${Scope}`

/** Security requirement objects of the OpenAPI document (schemes in contract.ts). */
const BEARER_OR_SESSION = (scope: Scope): Record<string, string[]>[] => [
  { bearerToken: [scope] },
  { sessionCookie: [] },
]

export type CorsPolicy = Readonly<Record<string, string>>

/**
 * CORS headers for routes that browsers on any origin call (SDK ingest). `expose` lists
 * response headers a page may read (Sentry SDKs read their rate-limit headers).
 */
export function corsPolicy(o: { methods: string; headers: string; expose?: string }): CorsPolicy {
  return {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': o.methods,
    'access-control-allow-headers': o.headers,
    ...(o.expose ? { 'access-control-expose-headers': o.expose } : {}),
    'access-control-max-age': '86400',
  }
}

/** The answer to a CORS preflight. */
export const preflight = (policy: CorsPolicy) => () => new Response(null, { status: 204, headers: policy })

/** The CORS policy of the route serving `request`, for the error renderer (app.ts). */
const corsOfRequest = new WeakMap<Request, CorsPolicy>()
export const corsOf = (request: Request): CorsPolicy | undefined => corsOfRequest.get(request)

const plugins = new WeakMap<Guard, ReturnType<typeof build>>()
/** Elysia dedupes plugins by name and seed; a seed per Guard keeps two runtimes' declarations apart. */
let guards = 0

/** The declarations, bound to one Guard; the same plugin for every feature (Elysia dedupes it by name). */
export function access(guard: Guard) {
  let plugin = plugins.get(guard)
  if (!plugin) {
    plugin = build(guard, ++guards)
    plugins.set(guard, plugin)
  }
  return plugin
}

const detail = (kind: AccessKind, security?: Record<string, string[]>[]) =>
  ({ [ACCESS_KEY]: kind, ...(security ? { security } : {}) }) as { summary?: string }

function build(guard: Guard, seed: number) {
  return new Elysia({ name: 'bloop.access', seed })
    .macro({
      /** No credentials needed; the value says why (it is shown in the OpenAPI document). */
      public: (why: string) => ({
        detail: { ...detail('public', []), description: why },
      }),
      /**
       * `rejected`, when given, counts the route's refusals (by code) instead of the Guard's
       * ingest counter: a feature with a metric of its own (the LLM trace routes) keeps it.
       */
      ingest: (o: { maxBytes: number; rejected?: (code: string) => void }) => ({
        detail: detail('ingest', [{ ingestSignature: [] }]),
        async resolve({ request }) {
          return { signed: await guard.signed(request, o.maxBytes, o.rejected) }
        },
      }),
      /** A project key or scoped token in a header of its own (Guard.keyed): `projectId`. */
      key: (o: KeyAccess) => ({
        detail: detail(`key:${o.scope}`, [{ bloopKey: [] }]),
        async resolve({ request }) {
          return { projectId: await guard.keyed(request, o) }
        },
      }),
      /**
       * OTLP exporters (Guard.exporter): a token with the scope or a signed-in user, a project
       * key in `header`, or the HMAC signature. `exporter.ready()` throws the refusal (the
       * route renders it in the request's encoding); `exporter.project(raw)` is the project.
       */
      exporter: (o: { scope: Scope; header: string; label: string }) => ({
        detail: detail(`exporter:${o.scope}`, [
          { bearerToken: [o.scope] },
          { sessionCookie: [] },
          { bloopKey: [] },
          { ingestSignature: [] },
        ]),
        async resolve({ request }) {
          return { exporter: await guard.exporter(request, o) }
        },
      }),
      scope: (scope: Scope) => ({
        detail: detail(`scope:${scope}`, BEARER_OR_SESSION(scope)),
        async resolve({ request }) {
          return { access: await guard.reach(request, scope) }
        },
      }),
      scopeOrSigned: (o: { scope: Scope; maxBytes: number }) => ({
        detail: detail(`scope:${o.scope}`, [...BEARER_OR_SESSION(o.scope), { ingestSignature: [] }]),
        async resolve({ request }) {
          if (request.headers.get('x-signature') === null)
            return {
              access: (await guard.reach(request, o.scope)) as Reach | null,
              signed: null as Signed | null,
            }
          return {
            access: null as Reach | null,
            signed: (await guard.signed(request, o.maxBytes)) as Signed | null,
          }
        },
      }),
      session: {
        detail: detail('session', [{ sessionCookie: [] }]),
        async resolve({ request }) {
          const user = await guard.session(request)
          return { user, access: await guard.sessionReach(user) }
        },
      },
      admin: {
        detail: detail('admin', [{ sessionCookie: [] }]),
        async resolve({ request }) {
          const user = await guard.admin(request)
          return { user, access: await guard.sessionReach(user) }
        },
      },
      page: {
        detail: detail('page', [{ sessionCookie: [] }, {}]),
        async resolve({ request }) {
          return { user: await guard.pageUser(request) }
        },
      },
      /** The route's contract (RouteSchema): what /openapi.json says it takes and answers. */
      schema: (schema: RouteSchema) => ({
        detail: { [SCHEMA_KEY]: schema } as { summary?: string },
      }),
      cors: (policy: CorsPolicy) => ({
        detail: { [CORS_KEY]: policy } as { summary?: string },
        // The earliest hook, so that every later failure (auth, body, handler) is answered with it.
        transform({ request, set }) {
          corsOfRequest.set(request, policy)
          for (const [name, value] of Object.entries(policy)) set.headers[name] = value
        },
      }),
    })
    .as('global')
}

/** The declared access of a registered route, or undefined. */
export function accessOf(route: { hooks?: { detail?: unknown } }): AccessKind | undefined {
  const d = route.hooks?.detail as Record<string, unknown> | undefined
  return d?.[ACCESS_KEY] as AccessKind | undefined
}

/** Startup check: every route of `app` declares its access; throws naming those that do not. */
export function assertDeclared(app: AnyElysia): void {
  const missing = app.routes.filter((r) => accessOf(r) === undefined).map((r) => `${r.method} ${r.path}`)
  if (missing.length > 0) {
    throw new Error(
      `expected every route to declare its access, got none on ${missing.join(', ')}: add one of ` +
        "public: '<why>', ingest: {maxBytes}, scope: '<scope>', scopeOrSigned: {scope, maxBytes}, key: {header, scope, ...}, exporter: {scope, header, label}, session: true, admin: true or page: true " +
        'to its options (src/http/access.ts; docs/ARCHITECTURE.md, "Adding a feature")',
    )
  }
}
