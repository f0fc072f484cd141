/**
 * createApp(services): composes the feature routes and the one error handler. Does no I/O
 * itself; `server.ts` builds the services and listens.
 */
import { Elysia } from 'elysia'
import { adminRoutes } from './admin/routes'
import { alertsRoutes } from './alerts/routes'
import { analyticsRoutes } from './analytics/routes'
import { authRoutes } from './auth/routes'
import { dashboardRoutes } from './dashboard/routes'
import { errorsRoutes } from './errors/routes'
import { AppError, errorResponse } from './http/errors'
import { ingestRoutes } from './ingest/routes'
import { methodLabel, routeGroup } from './ops/http'
import { opsRoutes } from './ops/routes'
import { projectsRoutes } from './projects/routes'
import { retentionRoutes } from './retention/routes'
import { sentryRoutes } from './sentry/routes'
import type { Services } from './services'
import { sourcemapsRoutes } from './sourcemaps/routes'
import { tokensRoutes } from './tokens/routes'
import { webRoutes } from './web/routes'

/** Ingest endpoints answer browsers on any origin, errors included. */
const PUBLIC_INGEST = /^\/(v1\/ingest|api\/)/

export function createApp(s: Services) {
  return new Elysia()
    .onError(({ code, error, request, path }) => {
      let appError: AppError
      if (error instanceof AppError) appError = error
      else if (code === 'NOT_FOUND')
        appError = new AppError('not_found', `no route for ${request.method} ${path}`)
      else if (request.signal.aborted && (code === 'PARSE' || (error as Error)?.name === 'AbortError')) {
        // The client went away while its body was being read (Bun rejects the read with an
        // AbortError "The connection was closed."): its business, not a server fault.
        s.log.debug('client closed the connection before the request was read', {
          method: request.method,
          path,
        })
        appError = new AppError('client_closed_request', 'the client closed the connection')
      } else if (code === 'PARSE') appError = new AppError('invalid_json', 'request body could not be parsed')
      else if (code === 'VALIDATION')
        appError = new AppError('bad_request', (error as Error).message.slice(0, 500))
      else {
        s.log.error('unhandled error', { method: request.method, path, error: error as Error })
        appError = new AppError('internal', 'internal server error')
      }
      const res = errorResponse(appError)
      if (PUBLIC_INGEST.test(path)) res.headers.set('access-control-allow-origin', '*')
      return res
    })
    .use(opsRoutes(s))
    .use(ingestRoutes(s))
    .use(errorsRoutes(s))
    .use(authRoutes(s))
    .use(webRoutes())
    .use(projectsRoutes(s))
    .use(tokensRoutes(s))
    .use(adminRoutes(s))
    .use(alertsRoutes(s))
    .use(analyticsRoutes(s))
    .use(sentryRoutes(s))
    .use(dashboardRoutes(s))
    .use(retentionRoutes(s))
    .use(sourcemapsRoutes(s))
}

export type App = ReturnType<typeof createApp>

/** The path of an absolute URL, without building a URL object on the hot path. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const end = url.indexOf('?', start)
  return url.slice(start, end < 0 ? undefined : end)
}

/**
 * Headers of every answer, errors included: browsers must not guess a JSON body into HTML
 * or script, and no cache (browser or proxy) may keep an answer that holds issue data,
 * keys or tokens. A route that sets its own Cache-Control keeps it (the dashboard's
 * fingerprinted assets are cacheable for a year).
 */
export const API_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const

function withApiHeaders(res: Response): Response {
  let out = res
  for (const [name, value] of Object.entries(API_HEADERS)) {
    if (out.headers.has(name)) continue
    try {
      out.headers.set(name, value)
    } catch {
      // Immutable headers (a Response passed through from fetch): copy it once.
      out = new Response(out.body, out)
      out.headers.set(name, value)
    }
  }
  return out
}

/** The fetch handler: the app plus the common headers, per-response metrics and the request log. */
export function createHandler(s: Services, app: App): (request: Request) => Promise<Response> {
  return async (request) => {
    const started = performance.now()
    // Bun leaves the URL relative ("/path") when the Host header is empty or no host name;
    // every `new URL(request.url)` would throw, so such a request ends here (RFC 9112: 400).
    const res = withApiHeaders(
      request.url.charCodeAt(0) === 47
        ? errorResponse(new AppError('bad_request', 'the Host header is missing or not a host name'))
        : await app.handle(request),
    )
    const path = pathOf(request.url)
    const route = routeGroup(path)
    s.metrics.http.inc({ route, status: String(res.status) })
    s.metrics.httpSeconds.observe((performance.now() - started) / 1000, {
      route,
      method: methodLabel(request.method),
    })
    const level = res.status >= 500 ? 'warn' : 'debug'
    if (s.log.enabled(level)) {
      s.log[level]('request', {
        method: request.method,
        path,
        status: res.status,
        ms: Math.round((performance.now() - started) * 100) / 100,
      })
    }
    return res
  }
}
