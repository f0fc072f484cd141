/** GET /assets/*: the bundled browser files (see assets.ts), cached forever by hash. */
import { Elysia } from 'elysia'
import { access } from '../http/access'
import type { Guard } from '../http/auth'
import { notFound } from '../http/errors'
import { assetResponse, loadAssets } from './assets'

export function webRoutes(guard: Guard) {
  return new Elysia({ name: 'web' }).use(access(guard)).get(
    '/assets/*',
    async ({ request }) => {
      const path = new URL(request.url).pathname
      const res = assetResponse(await loadAssets(), path, request)
      if (!res) throw notFound(`no asset ${path}`)
      return res
    },
    {
      public: 'the browser code of the sign-in page and the dashboard',
      schema: { response: { 200: 'a bundled file, cached by its hash' } },
    },
  )
}
