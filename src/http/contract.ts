/**
 * The API contract: the OpenAPI 3.1 document served at GET /openapi.json, generated from
 * the routes as registered, so it lists every route with its declared access (security)
 * and the TypeBox schemas it declares (`schema: { query, params, body, response }`; see
 * access.ts). @elysiajs/openapi turns routes and schemas into paths; this module adds what
 * bloop declares around it: the security schemes, the error shape on every operation, the
 * access kind as `x-bloop-access`.
 *
 * The schemas describe; the server does not validate its own answers at run time (that
 * would cost every request and turn a drift into a 500 for the client). The tests check the
 * server against the document instead: test/http/http.contract.test.ts validates the document,
 * and test/process/app.schemathesis.test.ts runs schemathesis against a real server with it.
 */
import { toOpenAPISchema } from '@elysiajs/openapi'
import { Type as T } from '@sinclair/typebox'
import { type AnyElysia, Elysia } from 'elysia'
import { ACCESS_KEY, type AccessKind, access, CORS_KEY, type RouteSchema, SCHEMA_KEY } from './access'
import type { Guard } from './auth'
import { ERROR_CODES } from './errors'

/** Every error answer: `{"error": <message for a human>, "code": <machine code>, "field"?: <input at fault>}`. */
export const ErrorBody = T.Object(
  {
    error: T.String({ description: 'what went wrong, for a human' }),
    code: T.Union(
      ERROR_CODES.map((c) => T.Literal(c)),
      { description: 'machine-readable; decides the status' },
    ),
    field: T.Optional(T.String({ description: 'the input field at fault' })),
  },
  { additionalProperties: false },
)

const SECURITY_SCHEMES = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`bloop_tk_...`) of one project, holding scopes (`bloop token create`).',
  },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'bloop_session',
    description:
      'A dashboard session (passkey sign-in). Holds every scope; changes must come from the dashboard origin.',
  },
  ingestSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Signature',
    description:
      'Hex HMAC-SHA256 of the exact body bytes, keyed by the project key sent in X-Project-Key (or the default project key).',
  },
  bloopKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Bloop-Key',
    description:
      "A project's API key, or an API token holding the route's scope; Authorization stays the caller's own (the LLM proxy forwards it to the provider).",
  },
} as const

/** The refusals each kind of access adds to an operation's answers. */
const REFUSALS: Record<string, Record<string, string>> = {
  public: {},
  ingest: {
    '401': 'missing or wrong signature, or unknown project key',
    '413': 'body over the cap',
    '429': 'rate limited or queue full (Retry-After)',
  },
  scope: {
    '401': 'no, a bad, revoked or expired credential',
    '403': 'the token lacks the scope, or a cross-site change',
    '404': 'not found, or in a project out of reach',
  },
  session: { '401': 'not signed in', '403': 'an API token, or a cross-site change' },
  admin: { '401': 'not signed in', '403': 'not an admin, an API token, or a cross-site change' },
  page: { '303': 'signed out: to the sign-in page', '403': 'an API token' },
  exporter: {
    '401': 'no credentials, a bad token, an unknown project key, or a wrong signature',
    '403': 'the token lacks the scope, or a cross-site change',
    '413': 'body over the cap',
    '429': 'rate limited or queue full (Retry-After)',
  },
  key: {
    '401': 'no key (when anonymous calls are off), an unknown project key, or a bad token',
    '403': 'the token lacks the scope',
    '429': 'too many refused keys from this address (Retry-After)',
  },
}

type Operation = Record<string, unknown> & { responses?: Record<string, unknown> }

const jsonContent = (schema: unknown) => ({ 'application/json': { schema } })
const ERROR_REF = { $ref: '#/components/schemas/ErrorBody' }

/** A JSON-safe copy of a TypeBox schema (drops its symbol keys). */
const plain = <V>(v: V): V => JSON.parse(JSON.stringify(v))

export function openApiDocument(app: AnyElysia, info: { title: string; version: string }) {
  // The library reads schemas from the route's hooks or from these references; bloop's
  // schemas live in the route's detail (they are documentation, not run-time validation).
  const references: Record<string, Record<string, RouteSchema>> = {}
  for (const route of app.routes) {
    const schema = (route.hooks?.detail as Record<string, unknown> | undefined)?.[SCHEMA_KEY] as
      | RouteSchema
      | undefined
    if (!schema) continue
    const byMethod = references[route.path] ?? {}
    byMethod[route.method.toLowerCase()] = schema
    references[route.path] = byMethod
  }
  const { paths } = toOpenAPISchema(
    app,
    { staticFile: false, methods: [] },
    references as never,
    undefined,
    '3.1.0',
  ) as unknown as {
    paths: Record<string, Record<string, Operation>>
  }
  const operationIds = new Set<string>()
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      // A route for every method (Elysia's `all`) gets one id per method: ids must be unique.
      let id = String(op.operationId)
      if (operationIds.has(id)) id = `${method}${id.replace(/^all/, '')}`
      operationIds.add(id)
      op.operationId = id
      const declared = references[path.replace(/\{([^}]+)\}/g, ':$1')]?.[method]
      delete op[SCHEMA_KEY]
      delete op[CORS_KEY]
      const kind = op[ACCESS_KEY] as AccessKind | undefined
      if (kind === undefined) {
        // assertDeclared refuses such an app at startup; kept so a partial app (tests) still
        // renders: listed, with nothing promised about its answers.
        op.responses = { default: { description: 'not described yet: the route declares no contract' } }
        continue
      }
      const refusals =
        REFUSALS[
          kind.startsWith('scope:')
            ? 'scope'
            : kind.startsWith('key:')
              ? 'key'
              : kind.startsWith('exporter:')
                ? 'exporter'
                : kind
        ] ?? {}
      const responses: Record<string, unknown> = op.responses ?? {}
      for (const [status, answer] of Object.entries(declared?.response ?? {})) {
        if (typeof answer === 'string') responses[status] = { description: answer }
      }
      if (Object.keys(responses).length === 0) responses['200'] = { description: 'the answer' }
      for (const [status, description] of Object.entries(refusals)) {
        if (responses[status]) continue
        responses[status] =
          status === '303' ? { description } : { description, content: jsonContent(ERROR_REF) }
      }
      responses.default = { description: 'an error (4xx, 5xx)', content: jsonContent(ERROR_REF) }
      op.responses = responses
      // Bodies are JSON unless the route says otherwise. Built from the declared schema: the
      // library offers forms too, and nothing for routes that read their body themselves.
      if (declared?.body) {
        op.requestBody = {
          required: !declared.bodyOptional,
          content: Object.fromEntries(
            (declared.bodyTypes ?? ['application/json']).map((type) => [type, { schema: declared.body }]),
          ),
        }
      }
    }
  }
  return plain({
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      ...info,
      description:
        'bloop: self-hosted error observability. Every route lists how it is authenticated (security) and answers errors as ErrorBody.',
    },
    paths,
    components: { securitySchemes: SECURITY_SCHEMES, schemas: { ErrorBody } },
  })
}

/**
 * GET /openapi.json. The document is made on first request, from the app as finally
 * assembled (`app()`), and kept: routes do not change while the server runs.
 */
export function contractRoutes(guard: Guard, app: () => AnyElysia, info: { title: string; version: string }) {
  let doc: string | null = null
  return new Elysia({ name: 'contract' }).use(access(guard)).get(
    '/openapi.json',
    () => {
      doc ??= JSON.stringify(openApiDocument(app(), info))
      return new Response(doc, { headers: { 'content-type': 'application/json' } })
    },
    { public: 'the API contract, so clients and tools can read it' },
  )
}
