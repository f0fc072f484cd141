/**
 * The projects store (src/projects/store.ts) and project administration
 * (src/projects/manage.ts) on the storage seam, on both backends with the same cases: a
 * key finds its project by its SHA-256 only, the list is in creation order, a reference is
 * an id or a slug, the default project's key follows the secret until it is rotated, and a
 * slug is taken once even by two creators on two connections at the same moment.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { AppError } from '../../src/http/errors'
import { createProject, projectOr404, renameProject, rotateKey } from '../../src/projects/manage'
import {
  DEFAULT_PROJECT_ID,
  ensureDefaultProject,
  findProject,
  insertProject,
  listProjects,
  projectByKey,
  sha256hex,
} from '../../src/projects/store'
import type { Backend } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile, warmPool } from '../pg.helpers'

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

    test('a project row comes back from its insert, with its numeric id, and is found by id or slug', async () => {
      const row = await insertProject(
        b,
        { id: 'p-docs', name: 'Docs', slug: 'docs', apiKey: 'bloop_docs', createdBy: 'u2' },
        T0 + 5,
      )
      expect(row).toEqual({
        numeric_id: expect.any(Number),
        id: 'p-docs',
        name: 'Docs',
        slug: 'docs',
        api_key: 'bloop_docs',
        created_at: T0 + 5,
        created_by: 'u2',
      })
      const numbers = (await listProjects(b)).map((p) => p.numeric_id)
      expect(row.numeric_id).toBe(Math.max(...numbers))
      expect(await findProject(b, 'p-docs')).toEqual(row)
      expect(await findProject(b, 'docs')).toEqual(row)
      expect(await findProject(b, 'Docs')).toBeNull()
      expect(await projectOr404(b, 'docs')).toEqual(row)
      await expect(projectOr404(b, 'nope')).rejects.toThrow('project nope not found')
      const generated = await insertProject(b, { name: 'Gen', slug: 'gen' }, T0)
      expect(generated.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(generated.api_key).toMatch(/^bloop_[0-9a-f]{64}$/)
      expect((await projectByKey(b, generated.api_key))?.id).toBe(generated.id)
    })

    test('rename validates the name; rotation retires the old key at once', async () => {
      const row = await insertProject(b, { name: 'Old', slug: 'renamed', apiKey: 'bloop_old' }, T0)
      expect((await renameProject(b, 'renamed', '  New name  ')).name).toBe('New name')
      await expect(renameProject(b, 'renamed', '   ')).rejects.toThrow('name must be 1-')
      await expect(renameProject(b, 'missing', 'x')).rejects.toThrow('project missing not found')
      const rotated = await rotateKey(b, row.id)
      expect(rotated.api_key).toMatch(/^bloop_[0-9a-f]{64}$/)
      expect(await projectByKey(b, 'bloop_old')).toBeNull()
      expect((await projectByKey(b, rotated.api_key))?.slug).toBe('renamed')
    })
  })

  describe(`the default project and project creation on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
    })

    test('the default project is made once with the secret as key, and follows a new secret', async () => {
      const made = await ensureDefaultProject(b, 'secret-one', T0)
      expect(made).toMatchObject({
        id: DEFAULT_PROJECT_ID,
        slug: 'default',
        name: 'Default',
        api_key: 'secret-one',
      })
      expect(await ensureDefaultProject(b, 'secret-one', T0 + 1)).toEqual(made)
      // A rotated key stays while the secret is unchanged, restarts included.
      const rotated = await rotateKey(b, DEFAULT_PROJECT_ID)
      expect((await ensureDefaultProject(b, 'secret-one', T0 + 2)).api_key).toBe(rotated.api_key)
      // A new secret: the key follows it again.
      expect((await ensureDefaultProject(b, 'secret-two', T0 + 3)).api_key).toBe('secret-two')
      expect(await b.get("SELECT value FROM meta WHERE key = 'default_key_secret_hash'")).toEqual({
        value: sha256hex('secret-two'),
      })
      expect((await listProjects(b)).filter((p) => p.id === DEFAULT_PROJECT_ID)).toHaveLength(1)
      // The projects transaction's lock row is gone once it has committed.
      expect(await b.all("SELECT key FROM meta WHERE key LIKE 'lock:%'")).toEqual([])
    })

    test('creation validates the slug and refuses one taken as a slug or as an id', async () => {
      const shop = await createProject(b, { name: ' Shop ', slug: 'shop', createdBy: 'u1' }, T0)
      expect(shop).toMatchObject({ name: 'Shop', slug: 'shop', created_by: 'u1', created_at: T0 })
      await expect(createProject(b, { name: 'Again', slug: 'shop', createdBy: null }, T0)).rejects.toThrow(
        'a project with the slug shop already exists',
      )
      await expect(createProject(b, { name: 'Id', slug: 'default', createdBy: null }, T0)).rejects.toThrow(
        'a project with the slug default already exists',
      )
      await insertProject(b, { id: 'taken-id', name: 'T', slug: 't-slug' }, T0)
      await expect(
        createProject(b, { name: 'Clash', slug: 'taken-id', createdBy: null }, T0),
      ).rejects.toThrow('a project with the slug taken-id already exists')
      for (const slug of ['', 'Upper', '-lead', 'a'.repeat(64), 'sp ace']) {
        await expect(createProject(b, { name: 'x', slug, createdBy: null }, T0)).rejects.toThrow(
          'slug must be',
        )
      }
      expect((await createProject(b, { name: 'x', slug: 'a'.repeat(63), createdBy: null }, T0)).slug).toBe(
        'a'.repeat(63),
      )
    })

    test('two creators of one slug at once (two pooled connections on PostgreSQL): one project, the other is 409', async () => {
      await warmPool(b)
      const outcomes = await Promise.allSettled(
        [0, 1].map((i) => createProject(b, { name: `Race ${i}`, slug: 'race', createdBy: null }, T0)),
      )
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
      expect(refused.reason).toBeInstanceOf(AppError)
      expect((refused.reason as AppError).code).toBe('conflict')
      expect((await listProjects(b)).filter((p) => p.slug === 'race')).toHaveLength(1)
    })
  })
}
