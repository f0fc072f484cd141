/**
 * The Sentry event_id key table (storage/migrations/202612021755_raw_event_ids.sql) on both
 * backends: the statement the errors commit is to run per event with an event_id stores a
 * key once and reports a resend as a conflict (0 rows), per project; a key goes with its
 * receive time. On PostgreSQL this is the dedupe the partitioned raw_events cannot index.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { Backend } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const CLAIM =
  'INSERT INTO raw_event_ids (project_id, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT (project_id, event_id) DO NOTHING'

for (const kind of BACKENDS) {
  describe(`raw_event_ids on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
    })

    test('the first copy of an event_id is claimed, a resend is not, per project', async () => {
      const claims = await b.transaction(async (tx) => {
        const out: number[] = []
        for (const [p, id] of [
          ['shop', 'a1'],
          ['shop', 'a1'],
          ['blog', 'a1'],
          ['shop', 'b2'],
        ] as const)
          out.push((await tx.run(CLAIM, [p, id, 1_000])).changes)
        return out
      })
      expect(claims).toEqual([1, 0, 1, 1])
      // A resend in a later transaction is still a duplicate.
      expect((await b.run(CLAIM, ['shop', 'b2', 2_000])).changes).toBe(0)
      expect(
        await b.all(
          'SELECT project_id, event_id, received_at FROM raw_event_ids ORDER BY project_id, event_id',
        ),
      ).toEqual([
        { project_id: 'blog', event_id: 'a1', received_at: 1_000 },
        { project_id: 'shop', event_id: 'a1', received_at: 1_000 },
        { project_id: 'shop', event_id: 'b2', received_at: 1_000 },
      ])
    })

    test('keys past the retention cutoff go by receive time, and the event_id is new again', async () => {
      await b.run(CLAIM, ['shop', 'late', 5_000])
      expect((await b.run('DELETE FROM raw_event_ids WHERE received_at < ?', [2_000])).changes).toBe(3)
      expect((await b.run(CLAIM, ['shop', 'a1', 6_000])).changes).toBe(1)
      expect((await b.run(CLAIM, ['shop', 'late', 6_000])).changes).toBe(0)
    })
  })
}
