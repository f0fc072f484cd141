/**
 * The errors feature's maintenance writer tasks as seam tasks on both backends, through
 * SeamWriter (what PostgreSQL runs; the writer thread runs the same functions in a
 * SqliteBackend): the sample rings re-laid when the reservoir size changes, its record in
 * `meta` upserted (a first start inserts it, a later change replaces it); the retention
 * hooks of the hourly counts and of the hourly user sketches, batch by batch with their
 * cursors, to the cutoff hour inclusive and nothing after it.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { sketchOf } from '../../src/errors/sketch'
import { errorsTasks } from '../../src/errors/tasks'
import type { Backend } from '../../src/storage/backend'
import { SeamWriter } from '../../src/storage/writer.backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const HOUR = 3_600_000
const tasks = {
  'errors.resizeSampleRings': errorsTasks['errors.resizeSampleRings'],
  'errors.pruneHourly': errorsTasks['errors.pruneHourly'],
  'errors.pruneUsersHourly': errorsTasks['errors.pruneUsersHourly'],
}
/** The sweeper's cutoffs, of which these hooks read the last expired hour only. */
const cutoffs = { hourly_last_bucket: T0 - 3 * HOUR } as never
const hourScope = (hoursAgo: number) => `h:${String((T0 - hoursAgo * HOUR) / HOUR).padStart(8, '0')}`

async function issue(b: Backend, fingerprint: string, total: number, samples: [raw: number, slot: number][]) {
  await b.run(
    `INSERT INTO issues (project_id, fingerprint, error_type, message, source, total_count, first_seen, last_seen,
       last_release, last_environment) VALUES ('p1', ?, 'TypeError', 'boom', 'api', ?, ?, ?, '1.0', 'production')`,
    [fingerprint, total, T0, T0],
  )
  for (const [raw, slot] of samples)
    await b.run(
      `INSERT INTO samples (project_id, fingerprint, raw_event_id, timestamp, captured_at, source, environment,
         release, error_type, message, slot) VALUES ('p1', ?, ?, ?, ?, 'api', 'production', '1.0', 'TypeError', 'boom', ?)`,
      [fingerprint, raw, T0 + raw, T0 + raw, slot],
    )
}

/** Per sample, newest first within an issue: [fingerprint, raw_event_id, slot]. */
const ring = async (b: Backend) =>
  (
    await b.all<{ fingerprint: string; raw_event_id: number; slot: number }>(
      'SELECT fingerprint, raw_event_id, slot FROM samples ORDER BY fingerprint, raw_event_id DESC',
    )
  ).map((r) => [r.fingerprint, Number(r.raw_event_id), Number(r.slot)])

const recorded = async (b: Backend) =>
  (await b.get<{ value: string }>("SELECT value FROM meta WHERE key = 'sample_reservoir_size'"))?.value ??
  null

for (const kind of BACKENDS) {
  describe(`errors maintenance tasks on ${kind}`, () => {
    let b: Backend
    let w: SeamWriter<typeof tasks>
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      w = new SeamWriter(b, tasks, 10)
      // A ring of 5: the k-th event of an issue sits in slot k mod 5.
      await issue(b, 'a', 7, [
        [1, 3],
        [2, 4],
        [3, 0],
        [4, 1],
        [5, 2],
      ])
      await issue(b, 'b', 2, [
        [6, 1],
        [7, 2],
      ])
    })

    test('a smaller ring keeps each issue’s newest samples, renumbered from its count, and records the size', async () => {
      expect(await recorded(b)).toBeNull()
      expect(await w.run('errors.resizeSampleRings', { sampleSize: 3 })).toEqual({ dropped: 2, moved: 5 })
      expect(await ring(b)).toEqual([
        ['a', 5, 0],
        ['a', 4, 2],
        ['a', 3, 1],
        ['b', 7, 1],
        ['b', 6, 0],
      ])
      expect(await recorded(b)).toBe('3')
    })

    test('the same size again changes nothing', async () => {
      expect(await w.run('errors.resizeSampleRings', { sampleSize: 3 })).toEqual({ dropped: 0, moved: 0 })
      expect((await ring(b)).map((r) => r[2])).toEqual([0, 2, 1, 1, 0])
    })

    test('a larger ring moves every sample and replaces the recorded size', async () => {
      expect(await w.run('errors.resizeSampleRings', { sampleSize: 4 })).toEqual({ dropped: 0, moved: 5 })
      expect(await ring(b)).toEqual([
        ['a', 5, 2],
        ['a', 4, 1],
        ['a', 3, 0],
        ['b', 7, 1],
        ['b', 6, 0],
      ])
      expect(await recorded(b)).toBe('4')
      expect(await b.get('SELECT count(*) AS n FROM meta WHERE key = ?', ['sample_reservoir_size'])).toEqual({
        n: 1,
      })
    })

    test('hourly counts go in batches of the limit, up to the cutoff hour inclusive', async () => {
      const rows: [string, number, string][] = [
        ['a', 5, 'production'],
        ['a', 4, 'production'],
        ['a', 4, 'staging'],
        ['b', 3, 'production'],
        ['a', 2, 'production'],
        ['b', 1, 'staging'],
      ]
      for (const [fp, hoursAgo, env] of rows)
        await b.run(
          `INSERT INTO event_counts_hourly (project_id, fingerprint, hour_bucket, environment, source, release, count)
           VALUES ('p1', ?, ?, ?, 'api', '1.0', 3)`,
          [fp, T0 - hoursAgo * HOUR, env],
        )
      const steps = []
      for (let i = 0; i < 3; i++)
        steps.push(await w.run('errors.pruneHourly', { cutoffs, after: null, limit: 2 }))
      expect(steps).toEqual([
        { deleted: 2, next: true },
        { deleted: 2, next: true },
        { deleted: 0, next: null },
      ])
      const left = await b.all<{ fingerprint: string; hour_bucket: number }>(
        'SELECT fingerprint, hour_bucket FROM event_counts_hourly ORDER BY hour_bucket',
      )
      expect(left.map((r) => [r.fingerprint, (T0 - Number(r.hour_bucket)) / HOUR])).toEqual([
        ['a', 2],
        ['b', 1],
      ])
    })

    test('hourly user sketches go issue by issue within the budget, resuming at the cursor', async () => {
      const scopes: [string, string][] = [
        ['a', hourScope(5)],
        ['a', hourScope(4)],
        ['a', hourScope(1)],
        ['a', 't'],
        ['b', hourScope(3)],
        ['b', hourScope(2)],
        ['b', 'r:1.0'],
      ]
      for (const [fp, scope] of scopes)
        await b.run(
          `INSERT INTO issue_user_sketches (project_id, fingerprint, scope, sketch, users) VALUES ('p1', ?, ?, ?, 1)`,
          [fp, scope, sketchOf([1])],
        )
      const a = { project_id: 'p1', fingerprint: 'a' }
      const bb = { project_id: 'p1', fingerprint: 'b' }
      const steps = []
      let after: typeof a | null = null
      do {
        const step: { deleted: number; next: typeof a | null } = await w.run('errors.pruneUsersHourly', {
          cutoffs,
          after,
          limit: 1,
        })
        steps.push(step)
        after = step.next
      } while (after !== null && steps.length < 20)
      // Out of budget inside an issue, the next call starts with it again (the empty cursor: from the first).
      expect(steps).toEqual([
        { deleted: 1, next: { project_id: '', fingerprint: '' } },
        { deleted: 1, next: { project_id: '', fingerprint: '' } },
        { deleted: 0, next: a },
        { deleted: 1, next: a },
        { deleted: 0, next: bb },
        { deleted: 0, next: null },
      ])
      const left = await b.all<{ fingerprint: string; scope: string }>(
        'SELECT fingerprint, scope FROM issue_user_sketches ORDER BY fingerprint, scope',
      )
      expect(left.map((r) => [r.fingerprint, r.scope])).toEqual([
        ['a', hourScope(1)],
        ['a', 't'],
        ['b', hourScope(2)],
        ['b', 'r:1.0'],
      ])
      expect(await w.run('errors.pruneUsersHourly', { cutoffs, after: null, limit: 1000 })).toEqual({
        deleted: 0,
        next: null,
      })
    })
  })
}
