/**
 * The dashboard's server side (the rest of this folder is the browser app, bundled by
 * web/assets.ts):
 *
 *   GET every path of the page table (pages/routes.ts: /, /issues/*, /alerts[/*],
 *       /insights, /settings[/*])
 *       the app's HTML shell for a signed-in user; otherwise 303 to
 *       /auth/login?next=<the path asked for>, so a shared link survives signing in.
 *   GET /v1/stream[?project_id=]
 *       server-sent events after each committed batch (see stream.ts); session only.
 *
 * The client routes itself with the history API; these paths only make a reload or a
 * pasted link land on the same view. The page table is plain data: importing it brings
 * no browser code into the server.
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import type { SessionPrincipal } from '../http/auth'
import { AppError } from '../http/errors'
import { parseQuery } from '../http/validate'
import { loadAssets } from '../web/assets'
import { pageResponse, renderPage } from '../web/page'
import { SHELL_PATHS } from './pages/routes'
import type { StreamHub } from './stream'

export const DASHBOARD_TITLE = 'bloop'
const SHELL_BODY =
  '<div id="app"><p class="boot">Loading bloop…</p></div>' +
  '<noscript>The bloop dashboard needs JavaScript.</noscript>'

const StreamQuery = T.Object({ project_id: T.Optional(T.String({ minLength: 1, maxLength: 128 })) })

export interface DashboardRoutesDeps extends Pick<Core, 'guard' | 'draining'> {
  stream: StreamHub
}

export function dashboardRoutes(s: DashboardRoutesDeps) {
  const shell = async ({ request, user }: { request: Request; user: SessionPrincipal | null }) => {
    if (!user) {
      const url = new URL(request.url)
      const next = encodeURIComponent(url.pathname + url.search)
      return new Response(null, { status: 303, headers: { location: `/auth/login?next=${next}` } })
    }
    const html = renderPage(await loadAssets(), 'dashboard', { title: DASHBOARD_TITLE, body: SHELL_BODY })
    return pageResponse(html)
  }

  let app = new Elysia({ name: 'dashboard' }).use(access(s.guard))
  for (const path of SHELL_PATHS)
    app = app.get(path, shell, { page: true, schema: { response: { 200: 'the dashboard (HTML)' } } })
  return app.get(
    '/v1/stream',
    ({ request, query, user, access: reach }) => {
      const q = parseQuery(StreamQuery, query)
      const access = reach.narrow(q.project_id)
      const hub = s.stream
      if (s.draining.value) throw new AppError('unavailable', 'live updates are not available right now')
      const refused = hub.refusal(user.userId)
      if (refused) throw new AppError('rate_limited', refused, { retryAfterSecs: 10 })
      // A stream for all projects learns about new ones; it ends if the session does.
      const rescope = q.project_id
        ? undefined
        : async () => {
            try {
              return (await s.guard.sessionReach(await s.guard.session(request))).projectIds
            } catch {
              return null
            }
          }
      return new Response(hub.open(user.userId, access.projectIds, { signal: request.signal, rescope }), {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
      })
    },
    {
      session: true,
      schema: { query: StreamQuery, response: { 200: 'server-sent events after each committed batch' } },
    },
  )
}
