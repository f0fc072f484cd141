/**
 * The errors write path as seam tasks on both backends, through SeamWriter (what
 * PostgreSQL runs; the writer thread runs the same functions in a SqliteBackend): the
 * commit (raw rows, issues, aggregates, hourly counts, the sample ring, the Sentry
 * event_id dedupe within a batch and across batches, the regression rule with "resolve in
 * the next release", a merged issue's events landing in its target), the fold of tags and
 * users after it, and retention's raw hook, which folds what the fold has not reached and
 * takes the event ids' claims with the events. The same steps on both databases leave the
 * same rows.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { NormalizedEvent } from '../../src/errors/event'
import { MAX_VALUES_PER_TAG, OTHER_VALUE } from '../../src/errors/tags'
import { errorsTasks } from '../../src/errors/tasks'
import type { Cutoffs } from '../../src/retention'
import type { Backend } from '../../src/storage/backend'
import { SeamWriter } from '../../src/storage/writer.backend'
import { normalizedEvent } from '../helpers'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const HOUR = 3_600_000
// This hour: PostgreSQL's raw events go to receive-day partitions made from yesterday on.
const T0 = Math.floor(Date.now() / HOUR) * HOUR
const tasks = {
  'errors.commit': errorsTasks['errors.commit'],
  'errors.fold': errorsTasks['errors.fold'],
  'errors.pruneRaw': errorsTasks['errors.pruneRaw'],
}

const ev = (over: Partial<NormalizedEvent>) => normalizedEvent({ project_id: 'p1', received_at: T0, ...over })

/** What the commit and the fold wrote, in key order, ids and numbers as numbers: compared across backends. */
async function dump(b: Backend) {
  const rows = (sql: string) => b.all<Record<string, unknown>>(sql)
  return {
    issues: await rows(
      `SELECT fingerprint, status, total_count, first_seen, last_seen, last_release, users_count, merged_into
       FROM issues ORDER BY fingerprint`,
    ),
    aggregates: await rows(
      'SELECT fingerprint, release, environment, total_count, first_seen, last_seen FROM error_aggregates ORDER BY 1, 2, 3',
    ),
    hourly: await rows(
      'SELECT fingerprint, hour_bucket, environment, source, release, count FROM event_counts_hourly ORDER BY 1, 2, 3, 4, 5',
    ),
    samples: await rows('SELECT fingerprint, slot, raw_event_id, message FROM samples ORDER BY 1, 2'),
    history: await rows(
      'SELECT fingerprint, old_status, new_status, changed_by FROM status_changes ORDER BY id',
    ),
    ids: await rows('SELECT project_id, event_id, received_at FROM raw_event_ids ORDER BY 1, 2'),
    tags: await rows(
      'SELECT fingerprint, key, value, count, last_seen FROM issue_tags ORDER BY fingerprint, key, value COLLATE BINARY',
    ),
    users: await rows(
      'SELECT fingerprint, scope, users FROM issue_user_sketches ORDER BY fingerprint, scope COLLATE BINARY',
    ),
    pairs: await rows('SELECT user_id_hash, fingerprint FROM issue_users ORDER BY 1, 2'),
  }
}

const dumps: Record<string, unknown> = {}

for (const kind of BACKENDS) {
  describe(`the errors write path on ${kind}`, () => {
    let b: Backend
    let w: SeamWriter<typeof tasks>
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      w = new SeamWriter(b, tasks, 10)
    })

    test('a commit stores each new event once, groups them by issue and answers what alerting needs', async () => {
      const r = await w.run('errors.commit', {
        sampleSize: 3,
        events: [
          ev({ fingerprint: 'a', event_id: 'e1', message: 'a1', user_id_hash: 'u1', release: '1.0' }),
          ev({ fingerprint: 'a', event_id: 'e2', message: 'a2', user_id_hash: 'u2', release: '1.0' }),
          // The same Sentry event twice in one batch: stored once.
          ev({ fingerprint: 'a', event_id: 'e1', message: 'a1 again', release: '1.0' }),
          ev({ fingerprint: 'b', message: 'b1', received_at: T0 + HOUR, environment: 'staging' }),
          ev({ fingerprint: 'a', message: 'a3', user_id_hash: 'u1', release: '1.1', received_at: T0 + 5 }),
          ev({ fingerprint: 'a', message: 'a4', release: '1.1', received_at: T0 + 6 }),
        ],
      })
      expect(r.inserted).toEqual([1, 1, 0, 1, 1, 1])
      expect([r.first_raw_id, r.last_raw_id]).toEqual([1, 5])
      expect(
        r.issues.map((i) => [
          i.fingerprint,
          i.is_new,
          i.regressed,
          i.status,
          i.total_count,
          i.first_seen,
          i.last_seen,
        ]),
      ).toEqual([
        ['a', true, false, 'unresolved', 4, T0, T0 + 6],
        ['b', true, false, 'unresolved', 1, T0 + HOUR, T0 + HOUR],
      ])
      expect(r.issues[0]?.breakdown).toEqual([
        { environment: 'production', source: 'api', release: '1.0', route: null, count: 2 },
        { environment: 'production', source: 'api', release: '1.1', route: null, count: 2 },
      ])
      // A resend in a later batch is not stored either; a new id is.
      const again = await w.run('errors.commit', {
        sampleSize: 3,
        events: [
          ev({ fingerprint: 'a', event_id: 'e2', release: '1.0' }),
          ev({ fingerprint: 'a', event_id: 'e3', message: 'a5', release: '1.0' }),
        ],
      })
      expect(again.inserted).toEqual([0, 1])
      expect(again.issues.map((i) => [i.fingerprint, i.is_new, i.total_count])).toEqual([['a', false, 5]])
      const d = await dump(b)
      expect(d.ids).toEqual([
        { project_id: 'p1', event_id: 'e1', received_at: T0 },
        { project_id: 'p1', event_id: 'e2', received_at: T0 },
        { project_id: 'p1', event_id: 'e3', received_at: T0 },
      ])
      expect(d.aggregates).toEqual([
        {
          fingerprint: 'a',
          release: '1.0',
          environment: 'production',
          total_count: 3,
          first_seen: T0,
          last_seen: T0,
        },
        {
          fingerprint: 'a',
          release: '1.1',
          environment: 'production',
          total_count: 2,
          first_seen: T0 + 5,
          last_seen: T0 + 6,
        },
        {
          fingerprint: 'b',
          release: '1.0.0',
          environment: 'staging',
          total_count: 1,
          first_seen: T0 + HOUR,
          last_seen: T0 + HOUR,
        },
      ])
      expect(d.hourly).toEqual([
        {
          fingerprint: 'a',
          hour_bucket: T0,
          environment: 'production',
          source: 'api',
          release: '1.0',
          count: 3,
        },
        {
          fingerprint: 'a',
          hour_bucket: T0,
          environment: 'production',
          source: 'api',
          release: '1.1',
          count: 2,
        },
        {
          fingerprint: 'b',
          hour_bucket: T0 + HOUR,
          environment: 'staging',
          source: 'api',
          release: '1.0.0',
          count: 1,
        },
      ])
      // A ring of 3 holds the issue's newest 3 events: the k-th in slot k mod 3.
      expect(d.samples).toEqual([
        { fingerprint: 'a', slot: 0, raw_event_id: 5, message: 'a4' },
        { fingerprint: 'a', slot: 1, raw_event_id: 6, message: 'a5' },
        { fingerprint: 'a', slot: 2, raw_event_id: 4, message: 'a3' },
        { fingerprint: 'b', slot: 0, raw_event_id: 3, message: 'b1' },
      ])
      // Nothing of tags or users at commit: the fold counts them.
      expect([d.tags, d.users, d.pairs]).toEqual([[], [], []])
    })

    test('a resolved issue reopens on its next event; resolved in the next release, only on a newer one', async () => {
      await b.run("UPDATE issues SET status = 'resolved' WHERE fingerprint = 'b'")
      // Resolved in the next release while 1.1 was current (first seen at T0 + 5).
      await b.run(
        "UPDATE issues SET status = 'resolved', resolved_in_release = 'next', resolved_release_seen = ? WHERE fingerprint = 'a'",
        [T0 + 5],
      )
      const same = await w.run('errors.commit', {
        sampleSize: 3,
        events: [ev({ fingerprint: 'a', release: '1.1', received_at: T0 + 10 }), ev({ fingerprint: 'b' })],
      })
      expect(same.issues.map((i) => [i.fingerprint, i.regressed, i.status])).toEqual([
        ['a', false, 'resolved'],
        ['b', true, 'unresolved'],
      ])
      const newer = await w.run('errors.commit', {
        sampleSize: 3,
        events: [ev({ fingerprint: 'a', release: '2.0', received_at: T0 + 20 })],
      })
      expect(newer.issues.map((i) => [i.fingerprint, i.regressed, i.status, i.total_count])).toEqual([
        ['a', true, 'unresolved', 7],
      ])
      expect((await dump(b)).history).toEqual([
        { fingerprint: 'b', old_status: 'resolved', new_status: 'unresolved', changed_by: 'system' },
        { fingerprint: 'a', old_status: 'resolved', new_status: 'unresolved', changed_by: 'system' },
      ])
    })

    test("a merged issue's events count in its target, once, even with the target in the same batch", async () => {
      await b.run("UPDATE issues SET merged_into = 'a' WHERE fingerprint = 'b'")
      await b.run(
        "INSERT INTO issue_merges (project_id, fingerprint, target, old_status, merged_by, merged_at) VALUES ('p1', 'b', 'a', 'unresolved', 'test', ?)",
        [T0],
      )
      await b.run("UPDATE issues SET status = 'resolved' WHERE fingerprint = 'a'")
      const r = await w.run('errors.commit', {
        sampleSize: 3,
        events: [
          ev({ fingerprint: 'b', user_id_hash: 'u3', received_at: T0 + 30 }),
          ev({ fingerprint: 'a', received_at: T0 + 31 }),
        ],
      })
      // One entry for the target: reopened once, by the first event, with both counted.
      expect(
        r.issues.map((i) => [i.fingerprint, i.regressed, i.status, i.total_count, i.merged_from ?? null]),
      ).toEqual([['a', true, 'unresolved', 9, ['b']]])
      const d = await dump(b)
      expect(d.issues.map((i) => [i.fingerprint, i.status, i.total_count, i.merged_into])).toEqual([
        ['a', 'unresolved', 9, null],
        ['b', 'unresolved', 3, 'a'],
      ])
      expect(d.history.filter((h) => h.fingerprint === 'a')).toHaveLength(2)
    })

    test('the fold counts tags and users once, folding past the limit into the other value', async () => {
      const many = Array.from({ length: MAX_VALUES_PER_TAG + 5 }, (_, i) =>
        ev({
          fingerprint: 'c',
          metadata: JSON.stringify({ tags: { order: `o${i}` } }),
          received_at: T0 + 40 + i,
        }),
      )
      await w.run('errors.commit', { sampleSize: 3, events: many })
      expect(await w.run('errors.fold', { limit: 7 })).toMatchObject({ folded: 7, through: 7, more: true })
      expect(await w.run('errors.fold', { limit: 10_000 })).toMatchObject({
        folded: 109,
        through: 116,
        more: false,
      })
      expect(await w.run('errors.fold', { limit: 10_000 })).toMatchObject({ folded: 0, through: 116 })
      const d = await dump(b)
      const order = d.tags.filter((t) => t.fingerprint === 'c' && t.key === 'order')
      expect(order).toHaveLength(MAX_VALUES_PER_TAG + 1)
      expect(order.find((t) => t.value === OTHER_VALUE)).toEqual({
        fingerprint: 'c',
        key: 'order',
        value: OTHER_VALUE,
        count: 5,
        last_seen: T0 + 40 + MAX_VALUES_PER_TAG + 4,
      })
      expect(d.pairs).toEqual([
        { user_id_hash: 'u1', fingerprint: 'a' },
        { user_id_hash: 'u2', fingerprint: 'a' },
        { user_id_hash: 'u3', fingerprint: 'b' },
      ])
      // The target of a merge group counts the union of its members' users.
      expect(d.issues.map((i) => [i.fingerprint, i.users_count])).toEqual([
        ['a', 3],
        ['b', 1],
        ['c', 0],
      ])
      expect(d.users.filter((u) => u.fingerprint === 'a')).toEqual([
        { fingerprint: 'a', scope: `h:${String(T0 / HOUR).padStart(8, '0')}`, users: 2 },
        { fingerprint: 'a', scope: 'r:1.0', users: 2 },
        { fingerprint: 'a', scope: 'r:1.1', users: 1 },
        { fingerprint: 'a', scope: 't', users: 2 },
      ])
    })

    test('retention folds what the fold has not reached, then deletes the expired events and their id claims', async () => {
      await w.run('errors.commit', {
        sampleSize: 3,
        events: [ev({ fingerprint: 'd', event_id: 'late', metadata: JSON.stringify({ tags: { k: 'v' } }) })],
      })
      const cutoffs: Cutoffs = {
        raw_default: T0 + 25,
        raw_by_project: {},
        raw_scan_until: T0 + 25,
        hourly_last_bucket: 0,
        now: T0 + 25,
      }
      const r = await w.run('errors.pruneRaw', { cutoffs, after: null, limit: 1000 })
      // Received before T0 + 25: raw ids 1, 2 and 4-9 (1, 2 and 6 with event ids), and the late one.
      expect(r).toMatchObject({ deleted: 9, by_project: { p1: 9 }, next: null })
      const d = await dump(b)
      expect(d.ids).toEqual([])
      expect(d.tags.filter((t) => t.fingerprint === 'd' && t.key === 'k')).toEqual([
        { fingerprint: 'd', key: 'k', value: 'v', count: 1, last_seen: T0 },
      ])
      expect(await b.get('SELECT count(*) AS n FROM raw_events')).toEqual({ n: 108 })
      dumps[kind] = await dump(b)
      // An id whose event went may be stored again (SQLite may hand out the deleted newest
      // raw id again, PostgreSQL never: compared before this).
      const back = await w.run('errors.commit', {
        sampleSize: 3,
        events: [ev({ fingerprint: 'd', event_id: 'e1' })],
      })
      expect(back.inserted).toEqual([1])
    })
  })
}

describe('both backends', () => {
  test('the same steps leave the same rows', () => {
    expect(Object.keys(dumps)).toEqual([...BACKENDS])
    expect(dumps.postgres).toEqual(dumps.sqlite)
  })
})
