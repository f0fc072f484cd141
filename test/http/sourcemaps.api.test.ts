/** The source map API: access, validation, caps, storage, listing and deletion. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import type { Scope } from '../../src/http/auth'
import { updateRetention } from '../../src/retention/service'
import { SourceMaps } from '../../src/sourcemaps/service'
import {
  bearer,
  event,
  type Overrides,
  projectIn,
  sessionIn,
  signed,
  startRuntime,
  type TestRuntime,
  userIn,
} from '../helpers'
import { type Build, buildApp, hostileMap, runAndCatch } from '../sourcemaps.helpers'

// Access to these routes is checked by the shared suite (test/security.routes.ts).

let app: Build
beforeAll(async () => {
  app = await buildApp()
})
afterAll(() => rmSync(app.dir, { recursive: true, force: true }))

let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.dispose()
  rt = null
})

async function start(overrides: Overrides = {}) {
  rt = await startRuntime(overrides)
  return rt
}

const PATH = '/v1/projects/default/sourcemaps'

function multipart(release: string | null, text: string | null, filename = 'app.min.js.map'): FormData {
  const form = new FormData()
  if (release !== null) form.set('release', release)
  if (text !== null) form.set('file', new File([text], filename))
  return form
}

const jsonUpload = (token: string, body: unknown) => ({
  method: 'POST',
  headers: { ...bearer(token), 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/** A valid map of exactly `size` bytes: the real map, padded with trailing JSON whitespace. */
function mapOfSize(size: number): string {
  const compact = JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA' })
  if (compact.length > size) throw new Error('size too small for a map')
  return compact + ' '.repeat(size - compact.length)
}

describe('source map access', () => {
  test('no credentials is 401 on every route', async () => {
    const r = await start()
    for (const [method, path] of [
      ['POST', PATH],
      ['GET', PATH],
      ['DELETE', `${PATH}/1`],
    ] as const) {
      const res = await r.fetch(path, {
        method,
        body: method === 'POST' ? multipart('1', app.mapText) : undefined,
      })
      expect([method, res.status]).toEqual([method, 401])
    }
  })

  test('uploading and deleting need sourcemaps:write, listing sourcemaps:read (403 otherwise)', async () => {
    const r = await start()
    const readOnly = r.token(['sourcemaps:read'])
    const errorsOnly = r.token(['errors:read', 'errors:write'])
    const writer = r.token(['sourcemaps:write'])
    const up = await r.fetch(PATH, {
      method: 'POST',
      headers: bearer(readOnly),
      body: multipart('1', app.mapText),
    })
    expect(up.status).toBe(403)
    expect((await up.json()).code).toBe('insufficient_scope')
    const ok = await r.fetch(PATH, {
      method: 'POST',
      headers: bearer(writer),
      body: multipart('1', app.mapText),
    })
    expect(ok.status).toBe(201)
    const { id } = await ok.json()
    expect((await r.fetch(PATH, { headers: bearer(errorsOnly) })).status).toBe(403)
    expect((await r.fetch(PATH, { headers: bearer(writer) })).status).toBe(403)
    expect((await r.fetch(PATH, { headers: bearer(readOnly) })).status).toBe(200)
    expect((await r.fetch(`${PATH}/${id}`, { method: 'DELETE', headers: bearer(readOnly) })).status).toBe(403)
    expect((await r.fetch(`${PATH}/${id}`, { method: 'DELETE', headers: bearer(writer) })).status).toBe(200)
  })

  test("an unknown slug or another project's slug is 404 on every route, never 500", async () => {
    const r = await start()
    const other = await projectIn(r.core.backend, { name: 'Other', slug: 'other' })
    const token = r.token(['sourcemaps:read', 'sourcemaps:write'])
    const otherToken = r.token(['sourcemaps:read', 'sourcemaps:write'], other.id)
    const theirs = await r.fetch('/v1/projects/other/sourcemaps', {
      method: 'POST',
      headers: bearer(otherToken),
      body: multipart('1', app.mapText),
    })
    const theirId = (await theirs.json()).id
    for (const slug of ['nope', 'other']) {
      const base = `/v1/projects/${slug}/sourcemaps`
      const post = await r.fetch(base, {
        method: 'POST',
        headers: bearer(token),
        body: multipart('1', app.mapText),
      })
      const list = await r.fetch(base, { headers: bearer(token) })
      const del = await r.fetch(`${base}/${theirId}`, { method: 'DELETE', headers: bearer(token) })
      expect([slug, post.status, list.status, del.status]).toEqual([slug, 404, 404, 404])
      expect((await post.json()).code).toBe('not_found')
    }
    // Their map is not reachable through our own project either.
    const cross = await r.fetch(`${PATH}/${theirId}`, { method: 'DELETE', headers: bearer(token) })
    expect(cross.status).toBe(404)
    const stillThere = await r.fetch('/v1/projects/other/sourcemaps', { headers: bearer(otherToken) })
    expect((await stillThere.json()).total).toBe(1)
  })
})

describe('source map upload', () => {
  const scopes: Scope[] = ['sourcemaps:read', 'sourcemaps:write']

  test('stores the map gzip-compressed and answers what it stored', async () => {
    const r = await start()
    const token = r.token(scopes)
    const res = await r.fetch(PATH, {
      method: 'POST',
      headers: bearer(token),
      body: multipart('web@1', app.mapText),
    })
    expect(res.status).toBe(201)
    const body = await res.json()
    const bytes = new TextEncoder().encode(app.mapText)
    expect(body).toMatchObject({
      project_id: 'default',
      release: 'web@1',
      filename: 'app.min.js.map',
      file: null,
      size_bytes: bytes.byteLength,
      sha256: new Bun.CryptoHasher('sha256').update(bytes).digest('hex'),
      uploaded_by: expect.stringMatching(/^token:/),
      replaced: false,
    })
    const row = (await r.core.backend.get('SELECT data, stored_bytes FROM sourcemaps WHERE id = ?', [
      body.id,
    ])) as {
      data: Uint8Array<ArrayBuffer>
      stored_bytes: number
    }
    expect(row.stored_bytes).toBe(body.stored_bytes)
    expect(row.stored_bytes).toBeLessThan(bytes.byteLength)
    expect(new TextDecoder().decode(Bun.gunzipSync(row.data))).toBe(app.mapText)
  })

  test('accepts the JSON form with the map as text or as an object, keeping its file field', async () => {
    const r = await start()
    const token = r.token(scopes)
    const asText = await r.fetch(
      PATH,
      jsonUpload(token, { release: '2', filename: './dist\\app.min.js.map', map: app.mapText }),
    )
    expect(asText.status).toBe(201)
    expect((await asText.json()).filename).toBe('dist/app.min.js.map')
    const withFile = { ...JSON.parse(app.mapText), file: 'app.min.js' }
    const asObject = await r.fetch(
      PATH,
      jsonUpload(token, { release: '2', filename: 'other.map', map: withFile }),
    )
    expect(asObject.status).toBe(201)
    expect((await asObject.json()).file).toBe('app.min.js')
  })

  test('a re-upload of the same release and file name replaces it in place', async () => {
    const r = await start()
    const token = r.token(scopes)
    const first = await (
      await r.fetch(PATH, { method: 'POST', headers: bearer(token), body: multipart('1', app.mapText) })
    ).json()
    const again = await r.fetch(PATH, {
      method: 'POST',
      headers: bearer(token),
      body: multipart('1', mapOfSize(2000)),
    })
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ id: first.id, replaced: true, size_bytes: 2000 })
    const otherRelease = await r.fetch(PATH, {
      method: 'POST',
      headers: bearer(token),
      body: multipart('2', app.mapText),
    })
    expect(otherRelease.status).toBe(201)
    const list = await (await r.fetch(PATH, { headers: bearer(token) })).json()
    expect(list.total).toBe(2)
  })

  test('a map of exactly sourcemaps.max_bytes is accepted and one byte more is 413, in both forms', async () => {
    const r = await start({ sourcemaps: { max_bytes: 4096 } })
    const token = r.token(scopes)
    const exact = mapOfSize(4096)
    const over = mapOfSize(4097)
    const post = (body: FormData) => r.fetch(PATH, { method: 'POST', headers: bearer(token), body })
    expect((await post(multipart('m', exact, 'exact.js.map'))).status).toBe(201)
    const tooBig = await post(multipart('m', over, 'over.js.map'))
    expect(tooBig.status).toBe(413)
    expect(await tooBig.json()).toMatchObject({ code: 'payload_too_large' })
    expect(
      (await r.fetch(PATH, jsonUpload(token, { release: 'j', filename: 'a.map', map: exact }))).status,
    ).toBe(201)
    expect(
      (await r.fetch(PATH, jsonUpload(token, { release: 'j', filename: 'b.map', map: over }))).status,
    ).toBe(413)
    // A body far over the cap is refused before it is parsed.
    const huge = await post(multipart('m', mapOfSize(4096 * 40), 'huge.js.map'))
    expect(huge.status).toBe(413)
    expect((await (await r.fetch(PATH, { headers: bearer(token) })).json()).total).toBe(2)
  })

  test('the default cap is 5 MB', async () => {
    const r = await start()
    expect(r.config.sourcemaps.max_bytes).toBe(5 * 1024 * 1024)
  })

  test('a map over sourcemaps.max_mappings is refused with 400 naming the count, before it is decoded', async () => {
    const r = await start({ sourcemaps: { max_mappings: 1000 } })
    const token = r.token(scopes)
    // 1,001 segments: the empty pieces between separators are not segments.
    const map = { version: 3, sources: ['a.js'], names: [], mappings: `${'AAAA,'.repeat(1000)};;AAAA;,` }
    const res = await r.fetch(PATH, jsonUpload(token, { release: 'm', filename: 'a.js.map', map }))
    expect([res.status, await res.json()]).toEqual([
      400,
      {
        error: 'invalid source map: too many mappings: 1001 (sourcemaps.max_mappings is 1000)',
        code: 'invalid_field',
        field: 'file',
      },
    ])
    const fits = { ...map, mappings: 'AAAA,'.repeat(1000) }
    expect(
      (await r.fetch(PATH, jsonUpload(token, { release: 'm', filename: 'b.js.map', map: fits }))).status,
    ).toBe(201)
  })

  test('uploads waiting for the parse thread are bounded: one more is 429 with Retry-After', async () => {
    const r = await start({ sourcemaps: { parse_timeout_ms: 300, max_mappings: 10_000_000 } })
    const token = r.token(scopes)
    // The parse thread is running (and ready) before the burst.
    expect(
      (await r.fetch(PATH, { method: 'POST', headers: bearer(token), body: multipart('w', app.mapText) }))
        .status,
    ).toBe(201)
    // Each takes source-map-js far longer than 300 ms: one parses, four wait, the sixth is refused.
    const slow = hostileMap(200_000)
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const res = await r.fetch(PATH, {
          method: 'POST',
          headers: bearer(token),
          body: multipart('burst', slow, `slow-${i}.js.map`),
        })
        return {
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          code: (await res.json()).code,
        }
      }),
    )
    expect(answers.map((a) => a.status).sort()).toEqual([400, 400, 400, 400, 400, 429])
    expect(answers.find((a) => a.status === 429)).toEqual({
      status: 429,
      retryAfter: '1',
      code: 'rate_limited',
    })
  })

  test('invalid maps are refused with 400 saying why, before anything is stored', async () => {
    const r = await start()
    const token = r.token(scopes)
    const base = { version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA' }
    const bad: [string, string, string][] = [
      ['not JSON', '{"version": 3,', 'not JSON'],
      ['an array', '[1, 2]', 'JSON object'],
      ['version 2', JSON.stringify({ ...base, version: 2 }), 'version'],
      ['no mappings', JSON.stringify({ version: 3, sources: [] }), 'mappings'],
      ['a broken VLQ', JSON.stringify({ ...base, mappings: 'AA!A' }), 'invalid source map'],
      ['a source index past sources', JSON.stringify({ ...base, mappings: 'AEAA' }), 'invalid source map'],
      [
        'a section by URL',
        JSON.stringify({ version: 3, sections: [{ offset: { line: 0, column: 0 }, url: 'x.map' }] }),
        'invalid source map',
      ],
    ]
    for (const [name, text, says] of bad) {
      const res = await r.fetch(PATH, { method: 'POST', headers: bearer(token), body: multipart('1', text) })
      const body = await res.json()
      expect([name, res.status, body.code]).toEqual([name, 400, 'invalid_field'])
      expect(body.error).toContain(says)
    }
    expect((await (await r.fetch(PATH, { headers: bearer(token) })).json()).total).toBe(0)
  })

  test('missing fields, over-long names and other content types are 4xx naming the problem', async () => {
    const r = await start()
    const token = r.token(scopes)
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      r.fetch(PATH, { method: 'POST', headers: { ...bearer(token), ...headers }, body })
    const noRelease = await post(multipart(null, app.mapText))
    expect([noRelease.status, (await noRelease.json()).field]).toEqual([400, 'release'])
    const noFile = await post(multipart('1', null))
    expect([noFile.status, (await noFile.json()).field]).toEqual([400, 'file'])
    const textFile = new FormData()
    textFile.set('release', '1')
    textFile.set('file', 'not a file part')
    expect((await post(textFile)).status).toBe(400)
    const longRelease = await post(multipart('r'.repeat(513), app.mapText))
    expect([longRelease.status, (await longRelease.json()).field]).toEqual([400, 'release'])
    expect((await post(multipart('r'.repeat(512), app.mapText))).status).toBe(201)
    const noFilename = await r.fetch(PATH, jsonUpload(token, { release: '1', map: app.mapText }))
    expect([noFilename.status, (await noFilename.json()).field]).toEqual([400, 'filename'])
    const brokenJson = await post('{"release": ', { 'content-type': 'application/json' })
    expect([brokenJson.status, (await brokenJson.json()).code]).toEqual([400, 'invalid_json'])
    const plain = await post(app.mapText, { 'content-type': 'text/plain' })
    expect([plain.status, (await plain.json()).code]).toEqual([415, 'unsupported_media_type'])
  })
})

describe('listing and deleting source maps', () => {
  test('lists newest first, filters by release, pages with limit and offset', async () => {
    let now = 1_800_000_000_000
    rt = await startRuntime({}, { now: () => now })
    const token = rt.token(['sourcemaps:read', 'sourcemaps:write'])
    for (const [release, name] of [
      ['1', 'a.js.map'],
      ['1', 'b.js.map'],
      ['2', 'a.js.map'],
    ]) {
      now += 1000
      const res = await rt.fetch(PATH, {
        method: 'POST',
        headers: bearer(token),
        body: multipart(release as string, app.mapText, name),
      })
      expect(res.status).toBe(201)
    }
    const all = await (await rt.fetch(PATH, { headers: bearer(token) })).json()
    expect(all.items.map((m: { release: string; filename: string }) => `${m.release}/${m.filename}`)).toEqual(
      ['2/a.js.map', '1/b.js.map', '1/a.js.map'],
    )
    expect(all).toMatchObject({ total: 3, limit: 100, offset: 0 })
    expect(Object.keys(all.items[0]).sort()).toEqual(
      [
        'file',
        'filename',
        'id',
        'project_id',
        'release',
        'sha256',
        'size_bytes',
        'stored_bytes',
        'uploaded_at',
        'uploaded_by',
      ].sort(),
    )
    const one = await (
      await rt.fetch(`${PATH}?release=1&limit=1&offset=1`, { headers: bearer(token) })
    ).json()
    expect(one.total).toBe(2)
    expect(one.items.map((m: { filename: string }) => m.filename)).toEqual(['a.js.map'])
    const bad = await rt.fetch(`${PATH}?limit=0`, { headers: bearer(token) })
    expect([bad.status, (await bad.json()).field]).toEqual([400, 'limit'])
  })

  test('deleting answers the id, a second delete is 404, a non-numeric id is 400', async () => {
    const r = await start()
    const token = r.token(['sourcemaps:read', 'sourcemaps:write'])
    const { id } = await (
      await r.fetch(PATH, { method: 'POST', headers: bearer(token), body: multipart('1', app.mapText) })
    ).json()
    const del = (ref: string) => r.fetch(`${PATH}/${ref}`, { method: 'DELETE', headers: bearer(token) })
    const first = await del(String(id))
    expect([first.status, await first.json()]).toEqual([200, { deleted: id }])
    expect((await del(String(id))).status).toBe(404)
    const bad = await del('abc')
    expect([bad.status, (await bad.json()).field]).toEqual([400, 'id'])
  })
})

describe('deleting a project', () => {
  test('removes its source maps and its retention override with it', async () => {
    const r = await start()
    const shop = await projectIn(r.core.backend, { name: 'Shop', slug: 'shop' })
    const token = r.token(['sourcemaps:write'], shop.id)
    const up = await r.fetch('/v1/projects/shop/sourcemaps', {
      method: 'POST',
      headers: bearer(token),
      body: multipart('1', app.mapText),
    })
    expect(up.status).toBe(201)
    await updateRetention(
      r.core.backend,
      { per_project: [{ project_id: 'shop', raw_events_days: 3 }] },
      'alice',
      1,
    )
    // An admin's session, seeded through the seam (test/security.ts `signInAs`, on either backend).
    const admin = await userIn(r.core.backend, { username: 'alice', role: 'admin' }, r.core.now())
    const session = await sessionIn(r.core.backend, admin.id, r.core.now(), r.config.auth.session_ttl_secs)
    const del = await r.fetch('/v1/projects/shop', {
      method: 'DELETE',
      headers: { cookie: `bloop_session=${session}`, origin: 'http://localhost:5332' },
    })
    expect(del.status).toBe(200)
    const count = async (table: string) =>
      (
        (await r.core.backend.get(`SELECT count(*) AS n FROM ${table} WHERE project_id = ?`, [shop.id])) as {
          n: number
        }
      ).n
    expect([await count('sourcemaps'), await count('project_retention')]).toEqual([0, 0])
  })
})

describe('the parsed-map cache', () => {
  test('stays within its byte budget while every read is still symbolicated', async () => {
    const r = await start()
    const token = r.token(['sourcemaps:write'])
    const stack = await runAndCatch('node', app.script)
    const res = await r.handle(signed('/v1/ingest', event({ release: 'x', stack })))
    expect(res.status).toBe(200)
    // Two maps per release, under two names that both match the frames' file.
    for (const release of ['x', 'y']) {
      for (const name of ['app.min.js.map', 'dist/app.min.js.map']) {
        const form = multipart(release, app.mapText)
        form.set('filename', name)
        expect((await r.fetch(PATH, { method: 'POST', headers: bearer(token), body: form })).status).toBe(201)
      }
    }
    const sourcemaps = (cacheBytes: number) =>
      new SourceMaps(r.core.backend, {
        cacheBytes,
        maxMappings: r.core.config.sourcemaps.max_mappings,
        timeoutMs: r.core.config.sourcemaps.parse_timeout_ms,
        log: r.core.log,
      })
    const probe = sourcemaps(Number.MAX_SAFE_INTEGER)
    await probe.symbolicate('default', 'x', stack)
    const oneMap = (await probe.cacheStats()).bytes
    await probe.close()
    expect(oneMap).toBeGreaterThan(0)
    // Room for one parsed map only: alternating releases evict each other, results stay right.
    const small = sourcemaps(oneMap + 1)
    for (const release of ['x', 'y', 'x', 'y']) {
      const out = await small.symbolicate('default', release, stack)
      expect(out?.mapped_frames).toBe(4)
      const stats = await small.cacheStats()
      expect(stats.bytes).toBeLessThanOrEqual(oneMap + 1)
      expect(stats.maps).toBe(1)
    }
    await small.close()
    const none = sourcemaps(0)
    expect((await none.symbolicate('default', 'x', stack))?.mapped_frames).toBe(4)
    expect((await none.cacheStats()).maps).toBe(0)
    await none.close()
  })
})
