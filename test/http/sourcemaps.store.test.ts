/**
 * The source maps store (src/sourcemaps/store.ts) and symbolication through it
 * (src/sourcemaps/service.ts) on the storage seam, on both backends with the same cases:
 * an upload is stored compressed and replaced in place, listing pages newest first per
 * project and release, deletion is per project, the stored bytes come back exactly, and a
 * stack from a real minified build is mapped with the read thread fed through the seam
 * (a cold cache asks for the maps, a warm one does not need them).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { createLogger } from '../../src/ops/log'
import { SourceMaps } from '../../src/sourcemaps/service'
import {
  deleteSourceMap,
  listSourceMaps,
  mapData,
  packSourceMap,
  putSourceMap,
  refsForRelease,
  unpackSourceMap,
} from '../../src/sourcemaps/store'
import type { Backend, Queryable } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'
import { type Build, buildApp, runAndCatch } from '../sourcemaps.helpers'

const pg = privatePgPerFile()
const T0 = 1_767_225_600_000

let app: Build
let stack: string
beforeAll(async () => {
  app = await buildApp()
  stack = await runAndCatch('node', app.script)
})
afterAll(() => rmSync(app.dir, { recursive: true, force: true }))

const addProject = (b: Queryable, id: string) =>
  b.run(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [id, id.toUpperCase(), `${id}-slug`, `key-${id}`, `hash-${id}`, T0],
  )

const text = (s: string) => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>
const put = (b: Backend, projectId: string, release: string, filename: string, map: string, now: number) =>
  putSourceMap(b, {
    project_id: projectId,
    release,
    filename,
    file: 'app.min.js',
    packed: packSourceMap(text(map)),
    uploaded_by: 'ci',
    now,
  })

const SMALL = (n: number) =>
  JSON.stringify({ version: 3, sources: [`s${n}.ts`], names: [], mappings: 'AAAA' })

for (const kind of BACKENDS) {
  describe(`source maps store on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'shop')
      await addProject(b, 'blog')
    })

    test('an upload is stored compressed, and the same name is replaced in place', async () => {
      const first = await put(b, 'shop', '1.0', 'app.min.js.map', SMALL(1), T0)
      expect(first).toEqual({
        replaced: false,
        row: {
          id: expect.any(Number),
          project_id: 'shop',
          release: '1.0',
          filename: 'app.min.js.map',
          file: 'app.min.js',
          size_bytes: SMALL(1).length,
          stored_bytes: packSourceMap(text(SMALL(1))).data.byteLength,
          sha256: packSourceMap(text(SMALL(1))).sha256,
          uploaded_at: T0,
          uploaded_by: 'ci',
        },
      })
      const again = await put(b, 'shop', '1.0', 'app.min.js.map', SMALL(22), T0 + 1)
      expect(again.replaced).toBe(true)
      expect(again.row.id).toBe(first.row.id)
      expect(again.row.sha256).toBe(packSourceMap(text(SMALL(22))).sha256)
      const [data] = await mapData(b, [first.row.id])
      expect(data?.id).toBe(first.row.id)
      expect(unpackSourceMap(data?.data as Uint8Array<ArrayBuffer>)).toBe(SMALL(22))
      expect(await mapData(b, [999_999])).toEqual([])
      expect(await mapData(b, [])).toEqual([])
    })

    test('listing is per project and release, newest first, paged, with the total', async () => {
      for (let n = 0; n < 5; n++)
        await put(b, 'blog', n < 3 ? '2.0' : '2.1', `f${n}.js.map`, SMALL(n), T0 + n)
      const page = await listSourceMaps(b, 'blog', { limit: 2, offset: 1 })
      expect(page.total).toBe(5)
      expect(page.items.map((m) => m.filename)).toEqual(['f3.js.map', 'f2.js.map'])
      const release = await listSourceMaps(b, 'blog', { release: '2.0', limit: 10, offset: 0 })
      expect(release.total).toBe(3)
      expect(release.items.map((m) => m.filename)).toEqual(['f2.js.map', 'f1.js.map', 'f0.js.map'])
      expect(await listSourceMaps(b, 'blog', { release: 'none', limit: 10, offset: 0 })).toEqual({
        items: [],
        total: 0,
      })
      const refs = await refsForRelease(b, 'blog', '2.1')
      expect(refs.map((r) => r.filename).sort()).toEqual(['f3.js.map', 'f4.js.map'])
      expect(refs[0]).toEqual({
        id: expect.any(Number),
        filename: expect.any(String),
        map_file: 'app.min.js',
        uploaded_at: expect.any(Number),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        size_bytes: SMALL(3).length,
      })
    })

    test('a map is deleted only through its own project', async () => {
      const { row } = await put(b, 'shop', '3.0', 'gone.js.map', SMALL(3), T0)
      expect(await deleteSourceMap(b, 'blog', row.id)).toBe(false)
      expect(await deleteSourceMap(b, 'shop', row.id)).toBe(true)
      expect(await deleteSourceMap(b, 'shop', row.id)).toBe(false)
      expect(await refsForRelease(b, 'shop', '3.0')).toEqual([])
    })

    test('a real minified stack is mapped through the stored map, cold and warm', async () => {
      await put(b, 'shop', 'app-1', 'app.min.js.map', app.mapText, T0)
      // Counts the reads of stored map bytes the read thread asks for.
      let byteReads = 0
      const counting: Queryable = {
        kind: b.kind,
        dialect: b.dialect,
        all: (sql, p) => {
          if (sql.startsWith('SELECT id, data FROM sourcemaps')) byteReads++
          return b.all(sql, p)
        },
        get: (sql, p) => b.get(sql, p),
        run: (sql, p) => b.run(sql, p),
        exec: (sql) => b.exec(sql),
        insertMany: (t, c, r) => b.insertMany(t, c, r),
        runMany: (sql, r) => b.runMany(sql, r),
        getEach: (sql, r) => b.getEach(sql, r),
      }
      const maps = new SourceMaps(counting, {
        cacheBytes: 64 * 1024 * 1024,
        maxMappings: 1_000_000,
        timeoutMs: 10_000,
        log: createLogger('error'),
      })
      try {
        const cold = await maps.symbolicate('shop', 'app-1', stack)
        expect(cold?.mapped_frames).toBe(4)
        const top = cold?.frames.find((f) => f.original)?.original
        expect([top?.file.split('/').pop(), top?.line, top?.function]).toEqual([
          'util.ts',
          app.lineOf('util.ts', 'THROWS HERE'),
          'formatCity',
        ])
        expect((await maps.cacheStats()).maps).toBe(1)
        expect(byteReads).toBe(1)
        const warm = await maps.symbolicate('shop', 'app-1', stack)
        expect(warm).toEqual(cold)
        expect(byteReads).toBe(1)
        // Another project's release of the same name has no maps.
        expect(await maps.symbolicate('blog', 'app-1', stack)).toBeNull()
      } finally {
        await maps.close()
      }
    })
  })
}
