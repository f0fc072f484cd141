/**
 * The Sentry keys store (src/sentry/store.ts), the first store on the storage seam, on both
 * backends with the same cases: each project gets a key when it is created (a trigger on
 * SQLite, its twin on PostgreSQL), lookups by project, numeric id and key (any case), a
 * rotation that retires the old key at once, and the DSN.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import {
  dsnFor,
  keyMatches,
  rotateSentryKey,
  sentryProjectByKey,
  sentryProjectByNumericId,
  sentryProjectOf,
} from '../../src/sentry/store'
import type { Backend } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const addProject = (b: Backend, id: string) =>
  b.get<{ numeric_id: number }>(
    `INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
     RETURNING numeric_id`,
    [id, id.toUpperCase(), id, `key-${id}`, `hash-${id}`, 1_767_225_600_000],
  )

for (const kind of BACKENDS) {
  describe(`Sentry keys on ${kind}`, () => {
    let b: Backend
    let shopId: number
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      shopId = (await addProject(b, 'shop'))?.numeric_id as number
      await addProject(b, 'blog')
    })

    test('a new project gets a 32-hex key of its own, and lookups find it by id, number and key', async () => {
      const shop = await sentryProjectOf(b, 'shop')
      const blog = await sentryProjectOf(b, 'blog')
      expect(shop).toEqual({
        id: 'shop',
        numeric_id: shopId,
        slug: 'shop',
        sentry_public_key: expect.stringMatching(/^[0-9a-f]{32}$/),
      })
      expect(blog?.sentry_public_key).toMatch(/^[0-9a-f]{32}$/)
      expect(blog?.sentry_public_key).not.toBe(shop?.sentry_public_key)
      expect(await sentryProjectByNumericId(b, shopId)).toEqual(shop)
      const key = shop?.sentry_public_key as string
      expect(await sentryProjectByKey(b, key.toUpperCase())).toEqual(shop)
      expect(keyMatches(shop as NonNullable<typeof shop>, key.toUpperCase())).toBe(true)
      expect(keyMatches(shop as NonNullable<typeof shop>, blog?.sentry_public_key as string)).toBe(false)
      expect(await sentryProjectOf(b, 'nope')).toBeNull()
      expect(await sentryProjectByNumericId(b, 99_999)).toBeNull()
    })

    test('rotation replaces the key at once: the old one finds nothing, the new one the project', async () => {
      const old = (await sentryProjectOf(b, 'shop'))?.sentry_public_key as string
      const fresh = (await rotateSentryKey(b, 'shop')) as string
      expect(fresh).toMatch(/^[0-9a-f]{32}$/)
      expect(fresh).not.toBe(old)
      expect(await sentryProjectByKey(b, old)).toBeNull()
      expect((await sentryProjectByKey(b, fresh))?.id).toBe('shop')
      expect(await rotateSentryKey(b, 'nope')).toBeNull()
    })

    test('the DSN carries the current key and the numeric id under the origin', async () => {
      const key = (await sentryProjectOf(b, 'shop'))?.sentry_public_key as string
      expect(await dsnFor(b, { id: 'shop' }, 'https://errors.example.com')).toBe(
        `https://${key}@errors.example.com/${shopId}`,
      )
      expect(await dsnFor(b, { id: 'nope' }, 'https://errors.example.com')).toBeNull()
    })

    test('inside a transaction it reads and writes through that transaction', async () => {
      const before = (await sentryProjectOf(b, 'blog'))?.sentry_public_key
      await expect(
        b.transaction(async (tx) => {
          await rotateSentryKey(tx, 'blog')
          expect((await sentryProjectOf(tx, 'blog'))?.sentry_public_key).not.toBe(before)
          throw new Error('roll back')
        }),
      ).rejects.toThrow('roll back')
      expect((await sentryProjectOf(b, 'blog'))?.sentry_public_key).toBe(before)
    })
  })
}
