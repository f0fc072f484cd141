/**
 * Decompression bombs sent without credentials: refused before inflating where the URL
 * already says no.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startRuntime, type TestRuntime } from './helpers'

const BR = { 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'br' }
const notBrotli = new TextEncoder().encode('not brotli at all')

describe('before inflating', () => {
  let rt: TestRuntime
  beforeAll(async () => {
    rt = await startRuntime()
  })
  afterAll(() => rt.dispose())

  for (const path of ['/api/999/envelope/', '/api/999/store/']) {
    test(`a body without a key for a project that does not exist is 404 before it is read (${path})`, async () => {
      // Not even valid brotli: a 404 rather than a 400 shows it was never inflated.
      const res = await rt.fetch(path, { method: 'POST', body: notBrotli as BodyInit, headers: BR })
      expect(res.status).toBe(404)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(await res.json()).toEqual({
        error:
          "no project has the Sentry id 999 (the number at the end of the DSN); copy the DSN shown in the project's settings",
        code: 'not_found',
      })
    })
  }

  test('a body without a key for a project that exists is inflated to look for its dsn', async () => {
    const res = await rt.fetch('/api/1/envelope/', {
      method: 'POST',
      body: notBrotli as BodyInit,
      headers: BR,
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toStartWith('body is not valid br data')
  })
})
