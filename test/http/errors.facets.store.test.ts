/**
 * The issue detail's users affected (users.ts `usersOf`) and the tag facets
 * (tags.ts `facetsOf`) on the storage seam: the same rows on both backends, the same
 * answers, over a merge group and nothing outside it (another issue, another project, an
 * hour before the day's window).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { HOUR_MS, hourBucket } from '../../src/core/time'
import { sketchOf, userHash32 } from '../../src/errors/sketch'
import { facetsOf, OTHER_VALUE } from '../../src/errors/tags'
import { usersOf } from '../../src/errors/users'
import type { Backend, Param } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const NOW = hourBucket(Date.now()) + 30 * 60_000
const hour = (hoursAgo: number) =>
  `h:${String((hourBucket(NOW) - hoursAgo * HOUR_MS) / HOUR_MS).padStart(8, '0')}`
const sketch = (...users: string[]) => sketchOf(users.map(userHash32))

const insert = (b: Backend, table: string, row: Record<string, Param>) => {
  const cols = Object.keys(row)
  return b.run(
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    Object.values(row),
  )
}

/** The merge group: issue `a` of project p1 with `b` merged into it. */
const GROUP = ['a', 'b']

async function seed(b: Backend): Promise<void> {
  const sketches: [string, string, string, Uint8Array][] = [
    ['p1', 'a', 't', sketch('u1', 'u2', 'u4')],
    ['p1', 'b', 't', sketch('u2', 'u3')],
    ['p1', 'a', 'r:2.0', sketch('u1', 'u2', 'u4')],
    ['p1', 'a', 'r:1.0', sketch('u1')],
    ['p1', 'b', 'r:1.0', sketch('u3')],
    ['p1', 'b', 'r:0.9', sketch('u2', 'u3')],
    ['p1', 'a', hour(0), sketch('u1', 'u2')],
    ['p1', 'b', hour(23), sketch('u2', 'u3')],
    // An hour before the window and sketches outside the group: never counted.
    ['p1', 'a', hour(24), sketch('u9')],
    ['p1', 'c', 't', sketch('u5', 'u6', 'u7')],
    ['p2', 'a', 't', sketch('u5', 'u6', 'u7')],
  ]
  for (const [project_id, fingerprint, scope, s] of sketches)
    await insert(b, 'issue_user_sketches', { project_id, fingerprint, scope, sketch: s, users: 0 })
  const tags: [string, string, string, string, number, number][] = [
    ['p1', 'a', 'browser', 'Chrome 120', 5, 100],
    ['p1', 'b', 'browser', 'Chrome 120', 2, 300],
    ['p1', 'a', 'browser', 'Firefox 121', 4, 200],
    ['p1', 'b', 'browser', OTHER_VALUE, 1, 50],
    ['p1', 'a', 'os', 'Linux', 3, 150],
    ['p1', 'c', 'os', 'Windows', 9, 400],
    ['p2', 'a', 'os', 'macOS', 9, 400],
  ]
  for (const [project_id, fingerprint, key, value, count, last_seen] of tags)
    await insert(b, 'issue_tags', { project_id, fingerprint, key, value, count, last_seen })
  const aggregates: [string, string, string, string, number, number][] = [
    ['p1', 'a', '2.0', 'production', 6, 500],
    ['p1', 'a', '1.0', 'staging', 2, 90],
    ['p1', 'b', '2.0', 'staging', 3, 700],
    ['p1', 'c', '2.0', 'production', 50, 900],
  ]
  for (const [project_id, fingerprint, release, environment, total_count, last_seen] of aggregates)
    await insert(b, 'error_aggregates', {
      project_id,
      fingerprint,
      release,
      environment,
      total_count,
      first_seen: 1,
      last_seen,
    })
}

for (const kind of BACKENDS) {
  describe(`users affected and tag facets on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await seed(b)
    })

    test('users: the union over the group, the last 24 hours and per release, most first', async () => {
      expect(await usersOf(b, 'p1', GROUP, NOW)).toEqual({
        total: 4,
        last_24h: 3,
        by_release: [
          { release: '2.0', users: 3 },
          { release: '0.9', users: 2 },
          { release: '1.0', users: 2 },
        ],
      })
    })

    test('users of one fingerprint alone, and of an issue without sketches', async () => {
      expect(await usersOf(b, 'p1', ['b'], NOW)).toEqual({
        total: 2,
        last_24h: 2,
        by_release: [
          { release: '0.9', users: 2 },
          { release: '1.0', users: 1 },
        ],
      })
      expect(await usersOf(b, 'p1', ['none'], NOW)).toEqual({ total: 0, last_24h: 0, by_release: [] })
    })

    test('facets: tags and the aggregates’ release and environment, summed over the group', async () => {
      expect(await facetsOf(b, 'p1', GROUP, 10)).toEqual([
        {
          key: 'browser',
          total: 12,
          distinct: 3,
          values: [
            { value: 'Chrome 120', count: 7, share: 7 / 12, last_seen: 300 },
            { value: 'Firefox 121', count: 4, share: 4 / 12, last_seen: 200 },
            { value: OTHER_VALUE, count: 1, share: 1 / 12, last_seen: 50 },
          ],
        },
        {
          key: 'environment',
          total: 11,
          distinct: 2,
          values: [
            { value: 'production', count: 6, share: 6 / 11, last_seen: 500 },
            { value: 'staging', count: 5, share: 5 / 11, last_seen: 700 },
          ],
        },
        {
          key: 'os',
          total: 3,
          distinct: 1,
          values: [{ value: 'Linux', count: 3, share: 1, last_seen: 150 }],
        },
        {
          key: 'release',
          total: 11,
          distinct: 2,
          values: [
            { value: '2.0', count: 9, share: 9 / 11, last_seen: 700 },
            { value: '1.0', count: 2, share: 2 / 11, last_seen: 90 },
          ],
        },
      ])
    })

    test('facets keep the top values per tag with the total and distinct count of all', async () => {
      const facets = await facetsOf(b, 'p1', GROUP, 1)
      expect(facets.map((f) => [f.key, f.total, f.distinct, f.values.map((v) => v.value)])).toEqual([
        ['browser', 12, 3, ['Chrome 120']],
        ['environment', 11, 2, ['production']],
        ['os', 3, 1, ['Linux']],
        ['release', 11, 2, ['2.0']],
      ])
      expect(await facetsOf(b, 'p1', ['none'], 10)).toEqual([])
    })
  })
}
