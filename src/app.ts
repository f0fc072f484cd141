/**
 * createApp(log, plugins): the one error handler and the routes of the core and of every
 * feature, in the order given. Refuses to build an app with a route that declares no
 * access (src/http/access.ts). Does no I/O itself; `server.ts` starts the features and
 * listens.
 */
import { type AnyElysia, Elysia } from 'elysia'
import { assertDeclared, corsOf } from './http/access'
import { AppError, errorResponse } from './http/errors'
import type { AppMetrics } from './ops/appmetrics'
import { methodLabel, routeGroup } from './ops/http'
import type { Logger } from './ops/log'
import { isUnreachable } from './storage/writer.backend'

export function createApp(log: Logger, plugins: readonly AnyElysia[]): AnyElysia {
  const s = { log }
  const app = new Elysia().onError(({ code, error, request, path }) => {
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
    else if (isUnreachable(error)) {
      // A read of a request (a key, a session) while PostgreSQL cannot be reached: the
      // client is to try again, as ingest's own refusals say, not told of a server fault.
      s.log.warn('database unreachable: request answered 503', { method: request.method, path })
      appError = new AppError('storage_unavailable', 'the database cannot be reached; try again shortly', {
        retryAfterSecs: 5,
        cause: error,
      })
    } else {
      s.log.error('unhandled error', { method: request.method, path, error: error as Error })
      appError = new AppError('internal', 'internal server error')
    }
    const res = errorResponse(appError)
    // A route that browsers on other origins call answers its errors with its CORS policy too.
    const cors = corsOf(request)
    if (cors) for (const [name, value] of Object.entries(cors)) res.headers.set(name, value)
    return res
  })
  for (const plugin of plugins) app.use(plugin)
  assertDeclared(app)
  return app
}

export type App = AnyElysia

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
export function createHandler(
  s: { log: Logger; metrics: AppMetrics },
  app: App,
): (request: Request) => Promise<Response> {
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
