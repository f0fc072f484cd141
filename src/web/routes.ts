/** GET /assets/*: the bundled browser files (see assets.ts), cached forever by hash. */
import { Elysia } from 'elysia'
import { notFound } from '../http/errors'
import { assetResponse, loadAssets } from './assets'

export function webRoutes() {
  return new Elysia({ name: 'web' }).get('/assets/*', async ({ request }) => {
    const path = new URL(request.url).pathname
    const res = assetResponse(await loadAssets(), path, request)
    if (!res) throw notFound(`no asset ${path}`)
    return res
  })
}
