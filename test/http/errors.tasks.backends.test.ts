/**
 * The errors feature's maintenance writer tasks as seam tasks on both backends, through
 * SeamWriter (what PostgreSQL runs; the writer thread runs the same functions in a
 * SqliteBackend): the sample rings re-laid when the reservoir size changes, its record in
 * `meta` upserted (a first start inserts it, a later change replaces it).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { errorsTasks } from '../../src/errors/tasks'
import type { Backend } from '../../src/storage/backend'
import { SeamWriter } from '../../src/storage/writer.backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const tasks = { 'errors.resizeSampleRings': errorsTasks['errors.resizeSampleRings'] }

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
  })
}
