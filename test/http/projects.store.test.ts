/**
 * The projects store's lookups on the storage seam (src/projects/store.ts: `projectByKey`,
 * `listProjects`, what the Guard asks per request), on both backends with the same cases:
 * a key finds its project by its SHA-256 only, and the list is in creation order.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { listProjects, projectByKey, sha256hex } from '../../src/projects/store'
import type { Backend } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000

const addProject = (b: Backend, id: string, key: string, createdBy: string | null = null) =>
  b.run(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [id, id.toUpperCase(), `${id}-slug`, key, sha256hex(key), T0, createdBy],
  )

for (const kind of BACKENDS) {
  describe(`project lookups on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'shop', 'bloop_shop-key', 'u1')
      await addProject(b, 'blog', 'bloop_blog-key')
    })

    test('a key finds its project; another key, the hash itself or no key find nothing', async () => {
      const shop = await projectByKey(b, 'bloop_shop-key')
      expect(shop).toEqual({
        numeric_id: expect.any(Number),
        id: 'shop',
        name: 'SHOP',
        slug: 'shop-slug',
        api_key: 'bloop_shop-key',
        created_at: T0,
        created_by: 'u1',
      })
      expect((await projectByKey(b, 'bloop_blog-key'))?.id).toBe('blog')
      expect(await projectByKey(b, 'bloop_SHOP-key')).toBeNull()
      expect(await projectByKey(b, sha256hex('bloop_shop-key'))).toBeNull()
      expect(await projectByKey(b, '')).toBeNull()
    })

    test('the list holds every project in creation order, and follows a rotated key', async () => {
      expect((await listProjects(b)).map((p) => [p.id, p.slug])).toEqual([
        ['shop', 'shop-slug'],
        ['blog', 'blog-slug'],
      ])
      await b.run('UPDATE projects SET api_key = ?, api_key_hash = ? WHERE id = ?', [
        'bloop_new',
        sha256hex('bloop_new'),
        'blog',
      ])
      expect(await projectByKey(b, 'bloop_blog-key')).toBeNull()
      expect((await projectByKey(b, 'bloop_new'))?.id).toBe('blog')
      expect((await listProjects(b)).find((p) => p.id === 'blog')?.api_key).toBe('bloop_new')
    })
  })
}
