/**
 * The server serves the SDK's script-tag build: the same bytes and integrity hash as
 * `npm run build` in sdk/js, a short-cached latest URL, an immutable versioned URL, a
 * manifest for the setup guide, and clear 404s for anything else.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { type SdkServer, sdkDist, sdkServer } from '../sdk.helpers'

let dir: string
let server: SdkServer
let dist: string
const VERSION = JSON.parse(
  readFileSync(join(import.meta.dir, '..', '..', 'sdk', 'js', 'package.json'), 'utf8'),
).version

beforeAll(async () => {
  dir = tempDir('bloop-sdk-served-')
  dist = await sdkDist()
  server = await sdkServer(dir)
}, 60_000)
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers })

describe('GET /sdk/*', () => {
  test('the manifest names the version, both URLs and the integrity of the built file', async () => {
    const res = await get('/sdk/manifest.json')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      version: VERSION,
      url: `/sdk/bloop-${VERSION}.min.js`,
      latest_url: '/sdk/bloop.min.js',
      integrity: readFileSync(join(dist, 'bloop.min.js.sri'), 'utf8').trim(),
    })
  })

  test('/sdk/bloop.min.js is the built file, short-cached, loadable cross-origin', async () => {
    const res = await get('/sdk/bloop.min.js')
    expect(res.status).toBe(200)
    const body = await res.text()
    expect(body).toBe(readFileSync(join(dist, 'bloop.min.js'), 'utf8'))
    expect(`sha384-${createHash('sha384').update(body).digest('base64')}`).toBe(
      readFileSync(join(dist, 'bloop.min.js.sri'), 'utf8').trim(),
    )
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const again = await get('/sdk/bloop.min.js', { 'if-none-match': res.headers.get('etag') as string })
    expect(again.status).toBe(304)
  })

  test('the versioned URL is immutable; gzip is served when accepted', async () => {
    const res = await get(`/sdk/bloop-${VERSION}.min.js`, { 'accept-encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await res.text()).toBe(readFileSync(join(dist, 'bloop.min.js'), 'utf8'))
  })

  test('another version or file is a 404 JSON error naming what is served', async () => {
    for (const path of [
      '/sdk/bloop-0.0.1.min.js',
      '/sdk/other.js',
      '/sdk/bloop-..%2F..%2Fpackage.json.min.js',
    ]) {
      const res = await get(path)
      expect(res.status).toBe(404)
      const body = (await res.json()) as { error: string; code: string }
      expect(body.code).toBe('not_found')
      expect(body.error).toContain(`/sdk/bloop-${VERSION}.min.js`)
    }
  })

  test('script requests are counted in their own route group of the request metrics', async () => {
    await get('/sdk/bloop.min.js')
    const metrics = await (await get('/metrics')).text()
    expect(metrics).toMatch(/bloop_http_requests_total\{[^}]*route="\/sdk"[^}]*status="200"[^}]*\} [1-9]/)
    expect(metrics).toMatch(/bloop_http_requests_total\{[^}]*route="\/sdk"[^}]*status="404"[^}]*\} [1-9]/)
  })
})
