/**
 * The triage writer tasks (src/errors/triage.tasks.ts) on both backends through SeamWriter,
 * the writer PostgreSQL uses (the writer thread runs the same functions in a SqliteBackend;
 * test/http/errors.triage.test.ts covers that path over HTTP): status changes with their
 * history and "resolve in the next release", a bulk batch, assignment with its activity, a
 * merged issue triaged as its target, merge refusals, a merge of a merge target, unmerge
 * restoring totals, sightings and status, and comments deleted only by their author.
 */
import { beforeEach, describe, expect, test } from 'bun:test'
import { activityOf } from '../../src/errors/activity'
import { commentsOf } from '../../src/errors/comments'
import { groupOf } from '../../src/errors/merge'
import { triageTasks } from '../../src/errors/triage.tasks'
import type { Backend, Param } from '../../src/storage/backend'
import { SeamWriter } from '../../src/storage/writer.backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const H = 3_600_000

/** Issues of project p: [fingerprint, status, total, first_seen, last_seen, last release]. */
const ISSUES: [string, string, number, number, number, string][] = [
  ['a', 'unresolved', 5, T0, T0 + 5 * H, '1.1'],
  ['b', 'ignored', 3, T0 - 2 * H, T0 + 2 * H, '1.0'],
  ['c', 'unresolved', 2, T0 + H, T0 + 9 * H, '1.2'],
  ['d', 'resolved', 1, T0 + 3 * H, T0 + 3 * H, '1.0'],
]
/** Aggregates: [fingerprint, release, total, first_seen, last_seen]. */
const AGGREGATES: [string, string, number, number, number][] = [
  ['a', '1.0', 3, T0, T0 + H],
  ['a', '1.1', 2, T0 + 4 * H, T0 + 5 * H],
  ['b', '1.0', 3, T0 - 2 * H, T0 + 2 * H],
  ['c', '1.2', 2, T0 + H, T0 + 9 * H],
  ['d', '1.0', 1, T0 + 3 * H, T0 + 3 * H],
]

async function seed(b: Backend) {
  for (const [fingerprint, status, total, first, last, release] of ISSUES)
    await b.run(
      `INSERT INTO issues (project_id, fingerprint, error_type, message, source, status, total_count, first_seen, last_seen, last_release, last_environment)
       VALUES ('p', ?, 'Error', 'boom', 'web', ?, ?, ?, ?, ?, 'production')`,
      [fingerprint, status, total, first, last, release],
    )
  for (const [fingerprint, release, total, first, last] of AGGREGATES)
    await b.run(
      `INSERT INTO error_aggregates (project_id, fingerprint, release, environment, total_count, first_seen, last_seen)
       VALUES ('p', ?, ?, 'production', ?, ?, ?)`,
      [fingerprint, release, total, first, last],
    )
}

const issue = (b: Backend, fp: string) =>
  b.get<Record<string, Param>>(
    `SELECT status, total_count, first_seen, last_seen, last_release, merged_into, assignee_id, assignee_name,
            resolved_in_release, resolved_release_seen
     FROM issues WHERE project_id = 'p' AND fingerprint = ?`,
    [fp],
  )
const history = (b: Backend) =>
  b.all('SELECT fingerprint, old_status, new_status, changed_by, changed_at FROM status_changes ORDER BY id')
const kinds = async (b: Backend, fps: string[]) =>
  (await activityOf(b, 'p', fps)).map((r) => `${r.fingerprint}:${r.kind}:${JSON.stringify(r.detail)}`)

for (const kind of BACKENDS) {
  describe(`triage tasks on ${kind}`, () => {
    let b: Backend
    let w: SeamWriter<typeof triageTasks>
    beforeEach(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      w = new SeamWriter(b, triageTasks)
      await seed(b)
    })

    test('a status change writes its history once, and an unknown issue answers null', async () => {
      const change = {
        project_id: 'p',
        fingerprint: 'a',
        status: 'resolved',
        changed_by: 'ada',
        now: T0 + 6 * H,
      } as const
      expect(await w.run('errors.setStatus', change)).toEqual({
        old_status: 'unresolved',
        status: 'resolved',
        resolved_in_release: null,
      })
      expect(await w.run('errors.setStatus', { ...change, now: T0 + 7 * H })).toEqual({
        old_status: 'resolved',
        status: 'resolved',
        resolved_in_release: null,
      })
      expect(await history(b)).toEqual([
        {
          fingerprint: 'a',
          old_status: 'unresolved',
          new_status: 'resolved',
          changed_by: 'ada',
          changed_at: T0 + 6 * H,
        },
      ])
      expect(await w.run('errors.setStatus', { ...change, fingerprint: 'zz' })).toBeNull()
    })

    test('resolving in the next release stores the newest release and its first sighting', async () => {
      expect(
        await w.run('errors.setStatus', {
          project_id: 'p',
          fingerprint: 'b',
          status: 'resolved',
          next_release: true,
          changed_by: 'ada',
          now: T0 + 10 * H,
        }),
      ).toEqual({ old_status: 'ignored', status: 'resolved', resolved_in_release: '1.1' })
      // 1.1 was first seen last (T0 + 4 h), though 1.2 was seen most recently.
      expect(await issue(b, 'b')).toMatchObject({
        status: 'resolved',
        resolved_in_release: '1.1',
        resolved_release_seen: T0 + 4 * H,
      })
      expect(await kinds(b, ['b'])).toEqual(['b:resolved_next_release:{"release":"1.1"}'])
    })

    test('a bulk batch counts the issues it changed and skips the unknown', async () => {
      expect(
        await w.run('errors.setStatuses', {
          items: ['a', 'b', 'd', 'zz'].map((fingerprint) => ({ project_id: 'p', fingerprint })),
          status: 'resolved',
          changed_by: 'bob',
          now: T0 + 10 * H,
        }),
      ).toEqual({ changed: 2 })
      expect((await history(b)).map((h) => (h as { fingerprint: string }).fingerprint)).toEqual(['a', 'b'])
    })

    test('assignment records who and when, and assigning the same user again changes nothing', async () => {
      const items = [{ project_id: 'p', fingerprint: 'a' }]
      const ada = { id: 'u1', username: 'ada' }
      expect(await w.run('errors.assign', { items, assignee: ada, actor: 'bob', now: T0 })).toEqual({
        changed: 1,
      })
      expect(await w.run('errors.assign', { items, assignee: ada, actor: 'bob', now: T0 + 1 })).toEqual({
        changed: 0,
      })
      expect(await issue(b, 'a')).toMatchObject({ assignee_id: 'u1', assignee_name: 'ada' })
      expect(await w.run('errors.assign', { items, assignee: null, actor: 'bob', now: T0 + 2 })).toEqual({
        changed: 1,
      })
      expect(await issue(b, 'a')).toMatchObject({ assignee_id: null, assignee_name: null })
      expect(await kinds(b, ['a'])).toEqual([
        'a:unassigned:{}',
        'a:assigned:{"assignee":"ada","assignee_id":"u1"}',
      ])
    })

    test('a merge combines totals and sightings in the target; a merged issue is triaged as it', async () => {
      expect(
        await w.run('errors.merge', {
          project_id: 'p',
          target: 'a',
          fingerprints: ['a', 'b', 'c'],
          actor: 'ada',
          now: T0,
        }),
      ).toEqual({ merged: ['b', 'c'] })
      expect(await issue(b, 'a')).toMatchObject({
        total_count: 10,
        first_seen: T0 - 2 * H,
        last_seen: T0 + 9 * H,
        last_release: '1.2',
      })
      expect(await issue(b, 'b')).toMatchObject({ merged_into: 'a', total_count: 3 })
      expect(await groupOf(b, 'p', 'a')).toEqual(['a', 'b', 'c'])
      // Merging again changes nothing; the status of a member is its target's.
      expect(
        await w.run('errors.merge', {
          project_id: 'p',
          target: 'a',
          fingerprints: ['b'],
          actor: 'ada',
          now: T0,
        }),
      ).toEqual({ merged: [] })
      expect(
        await w.run('errors.setStatus', {
          project_id: 'p',
          fingerprint: 'c',
          status: 'muted',
          changed_by: 'ada',
          now: T0 + H,
        }),
      ).toEqual({ old_status: 'unresolved', status: 'muted', resolved_in_release: null })
      expect((await issue(b, 'a'))?.status).toBe('muted')
      expect((await issue(b, 'c'))?.status).toBe('unresolved')
      expect(await kinds(b, ['a', 'b', 'c'])).toEqual([
        'a:merged:{"fingerprints":["b","c"]}',
        'c:merged_into:{"target":"a"}',
        'b:merged_into:{"target":"a"}',
      ])
    })

    test('a merge is refused for an unknown or merged target and a source merged elsewhere', async () => {
      const merge = (target: string, fingerprints: string[]) =>
        w.run('errors.merge', { project_id: 'p', target, fingerprints, actor: 'ada', now: T0 })
      expect(await merge('zz', ['a'])).toEqual({ error: 'no issue with fingerprint zz', field: 'target' })
      expect(await merge('a', ['zz'])).toEqual({
        error: 'no issue with fingerprint zz',
        field: 'fingerprints',
      })
      expect(await merge('a', ['b'])).toEqual({ merged: ['b'] })
      expect(await merge('b', ['c'])).toEqual({ error: 'b is merged into a', field: 'target' })
      expect(await merge('c', ['b'])).toEqual({ error: 'b is already merged into a', field: 'fingerprints' })
      // A refused merge wrote nothing: c is as seeded.
      expect(await issue(b, 'c')).toMatchObject({ merged_into: null, total_count: 2 })
    })

    test('merging a target hands its members over, and unmerge restores each exactly', async () => {
      const merge = (target: string, fingerprints: string[]) =>
        w.run('errors.merge', { project_id: 'p', target, fingerprints, actor: 'ada', now: T0 })
      expect(await merge('c', ['d'])).toEqual({ merged: ['d'] })
      expect(await issue(b, 'c')).toMatchObject({ total_count: 3 })
      expect(await merge('a', ['c'])).toEqual({ merged: ['c'] })
      expect(await groupOf(b, 'p', 'a')).toEqual(['a', 'c', 'd'])
      expect(await issue(b, 'a')).toMatchObject({ total_count: 8, first_seen: T0, last_seen: T0 + 9 * H })
      expect(await issue(b, 'c')).toMatchObject({ total_count: 2, merged_into: 'a' })
      expect(await issue(b, 'd')).toMatchObject({ merged_into: 'a' })

      expect(
        await w.run('errors.unmerge', {
          project_id: 'p',
          fingerprints: ['c', 'zz', 'b'],
          actor: 'bob',
          now: T0 + H,
        }),
      ).toEqual({ unmerged: [{ fingerprint: 'c', target: 'a' }] })
      expect(await issue(b, 'a')).toMatchObject({
        total_count: 6,
        first_seen: T0,
        last_seen: T0 + 5 * H,
        last_release: '1.1',
      })
      expect(await issue(b, 'c')).toMatchObject({ merged_into: null, status: 'unresolved', total_count: 2 })
      expect(
        await w.run('errors.unmerge', { project_id: 'p', fingerprints: ['d'], actor: 'bob', now: T0 + H }),
      ).toEqual({ unmerged: [{ fingerprint: 'd', target: 'a' }] })
      expect(await issue(b, 'd')).toMatchObject({ merged_into: null, status: 'resolved' })
      expect(await issue(b, 'a')).toMatchObject({ total_count: 5, first_seen: T0, last_seen: T0 + 5 * H })
    })

    test('a comment is stored with its activity; only its author (or an admin) deletes it', async () => {
      const ref = { project_id: 'p', fingerprint: 'a' }
      const row = await w.run('errors.comment', {
        ...ref,
        author_id: 'u1',
        author: 'ada',
        body: 'looking',
        now: T0,
      })
      expect(row).toEqual({
        id: expect.any(Number),
        ...ref,
        author_id: 'u1',
        author: 'ada',
        body: 'looking',
        created_at: T0,
      })
      expect(await commentsOf(b, 'p', ['a'])).toEqual([row as never])
      expect(
        await w.run('errors.comment', {
          project_id: 'p',
          fingerprint: 'zz',
          author_id: 'u1',
          author: 'ada',
          body: 'x',
          now: T0,
        }),
      ).toBeNull()
      const id = (row as { id: number }).id
      const del = (author_id: string | null, onFp = 'a', which = id) =>
        w.run('errors.deleteComment', {
          project_id: 'p',
          fingerprint: onFp,
          id: which,
          author_id,
          actor: 'x',
          now: T0 + 1,
        })
      expect(await del('u2')).toBe('not_author')
      expect(await del('u1', 'b')).toBe('missing')
      expect(await del('u1')).toBe('deleted')
      expect(await del('u1')).toBe('missing')
      const other = await w.run('errors.comment', {
        ...ref,
        author_id: 'u2',
        author: 'bob',
        body: 'hm',
        now: T0 + 2,
      })
      expect(await del(null, 'a', (other as { id: number }).id)).toBe('deleted')
      expect(await commentsOf(b, 'p', ['a'])).toEqual([])
      expect(await kinds(b, ['a'])).toEqual([
        `a:comment_deleted:{"comment_id":${(other as { id: number }).id}}`,
        `a:commented:{"comment_id":${(other as { id: number }).id}}`,
        `a:comment_deleted:{"comment_id":${id}}`,
        `a:commented:{"comment_id":${id}}`,
      ])
    })
  })
}
