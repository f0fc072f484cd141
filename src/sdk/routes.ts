/**
 * The SDK's script-tag build for plain web pages, public like any static file:
 * - GET /sdk/bloop.min.js: the current version; cached for 5 minutes, so a server upgrade
 *   reaches pages soon.
 * - GET /sdk/bloop-<version>.min.js: that version, cacheable forever (`immutable`); any
 *   other version is a 404, never different bytes under the same URL.
 * - GET /sdk/manifest.json: the version, both URLs and the SRI `integrity` value, for a
 *   `<script integrity crossorigin>` tag (what the setup guide shows).
 * The scripts carry `Access-Control-Allow-Origin: *` so an integrity-checked
 * (`crossorigin="anonymous"`) load from another origin is allowed.
 */
import { Elysia } from 'elysia'
import { access } from '../http/access'
import type { Guard } from '../http/auth'
import { notFound } from '../http/errors'
import type { ScriptBuild } from './script'

const SCRIPT = /^bloop-([0-9A-Za-z.+-]{1,64})\.min\.js$/

function scriptResponse(s: ScriptBuild, request: Request, cache: string): Response {
  const etag = `"${Bun.hash(s.js).toString(36)}"`
  const headers: Record<string, string> = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': cache,
    etag,
    vary: 'accept-encoding',
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
  }
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
  if (/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')) {
    return new Response(Bun.gzipSync(new TextEncoder().encode(s.js)), {
      headers: { ...headers, 'content-encoding': 'gzip' },
    })
  }
  return new Response(s.js, { headers })
}

const PUBLIC_SCRIPT = 'a static script file that any web page loads with a <script> tag'

export function sdkRoutes(guard: Guard, load: () => Promise<ScriptBuild>) {
  return new Elysia({ name: 'sdk' })
    .use(access(guard))
    .get(
      '/sdk/manifest.json',
      async () => {
        const s = await load()
        return Response.json(
          {
            version: s.version,
            url: `/sdk/bloop-${s.version}.min.js`,
            latest_url: '/sdk/bloop.min.js',
            integrity: s.integrity,
          },
          { headers: { 'access-control-allow-origin': '*' } },
        )
      },
      { public: PUBLIC_SCRIPT },
    )
    .get(
      '/sdk/:file',
      async ({ request, params }) => {
        const s = await load()
        if (params.file === 'bloop.min.js') return scriptResponse(s, request, 'public, max-age=300')
        const m = SCRIPT.exec(params.file)
        if (m && m[1] === s.version) return scriptResponse(s, request, 'public, max-age=31536000, immutable')
        throw notFound(`no SDK file ${params.file}; this server serves /sdk/bloop-${s.version}.min.js`)
      },
      { public: PUBLIC_SCRIPT },
    )
}
