import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { emailContent } from '../../src/alerts/channels/email'
import { slackMessage } from '../../src/alerts/channels/slack'
import { firedPayload } from '../../src/alerts/message'
import type { Role } from '../../src/auth/users'
import type { CommittedIssue } from '../../src/errors'
import { MAX_BULK_MATCHING } from '../../src/errors/triage.model'
import { bearer, event, signed, startRuntime, type TestRuntime } from '../helpers'
import { type SignedInUser, signedIn } from '../security'

const HOUR = 3_600_000
let clock = Date.UTC(2026, 2, 10, 12, 0)
let rt: TestRuntime
let write: string
let alice: SignedInUser
let bob: SignedInUser

async function ingest(e: Record<string, unknown>) {
  const res = await rt.handle(signed('/v1/ingest', event(e)))
  expect(res.status).toBe(200)
}
async function call(
  method: string,
  path: string,
  body?: unknown,
  as: { token?: string; user?: SignedInUser } = {},
) {
  const headers: Record<string, string> = as.user
    ? { cookie: as.user.cookie, origin: rt.config.auth.rp_origin }
    : bearer(as.token ?? write)
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await rt.fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}
const get = (path: string, as?: { token?: string; user?: SignedInUser }) => call('GET', path, undefined, as)
const detail = async (fp: string) => (await get(`/v1/errors/${fp}`)).body
const trendTotal = async (fp: string) =>
  ((await get(`/v1/errors/${fp}/trend?hours=48`)).body as { count: number }[]).reduce(
    (n, p) => n + p.count,
    0,
  )

/** A signed-in user, seeded through the seam (test/security.ts `signInAs`, on either backend). */
async function signIn(username: string, role: Role): Promise<SignedInUser> {
  return signedIn(rt as TestRuntime, username, role)
}

beforeAll(async () => {
  rt = await startRuntime({}, { now: () => clock })
  // The events are received on a fixed day in the past: PostgreSQL's raw_events is
  // partitioned by receive day (yesterday to a week ahead exist), so that day is made here.
  if (rt.core.backend.kind === 'postgres')
    await rt.core.backend.get('SELECT bloop_partitions_cover(?, ?, ?)', [
      'raw_events',
      clock,
      clock + 48 * HOUR,
    ])
  write = rt.token(['errors:read', 'errors:write'])
  alice = await signIn('alice', 'admin')
  bob = await signIn('bob', 'user')
})
afterAll(() => rt.dispose())

describe('merge and unmerge', () => {
  test('a round trip keeps exact counts, and events after the merge land in the target', async () => {
    // A: 3 events (release 1.0, production), B: 2 events an hour later (1.1, staging).
    for (let i = 0; i < 3; i++)
      await ingest({ fingerprint: 'm-a', release: '1.0', environment: 'production' })
    clock += HOUR
    for (let i = 0; i < 2; i++) await ingest({ fingerprint: 'm-b', release: '1.1', environment: 'staging' })
    const beforeA = await detail('m-a')
    const beforeB = await detail('m-b')
    expect([beforeA.total_count, beforeB.total_count]).toEqual([3, 2])

    const merged = await call('POST', '/v1/errors/bulk', {
      action: 'merge',
      target: 'm-a',
      fingerprints: ['m-a', 'm-b'],
    })
    expect(merged).toEqual({ status: 200, body: { action: 'merge', matched: 2, changed: 1 } })

    const a = await detail('m-a')
    expect(a.total_count).toBe(5)
    expect(a.first_seen).toBe(beforeA.first_seen)
    expect(a.last_seen).toBe(beforeB.last_seen)
    expect(a.merged).toEqual(['m-b'])
    expect(a.aggregates.map((r: any) => [r.release, r.environment, r.total_count])).toEqual([
      ['1.1', 'staging', 2],
      ['1.0', 'production', 3],
    ])
    expect(a.samples.length).toBe(5)
    expect(await trendTotal('m-a')).toBe(5)
    expect((await get('/v1/errors/m-a/occurrences')).body.total).toBe(5)
    expect(a.activity.map((x: any) => [x.kind, x.fingerprint, x.actor])).toEqual([
      ['merged', 'm-a', 'token:test-errors:read-errors:write'],
      ['merged_into', 'm-b', 'token:test-errors:read-errors:write'],
    ])
    const b = await detail('m-b')
    expect(b.merged_into).toBe('m-a')
    // The list shows the target only, with the group's totals and releases.
    const list = (await get('/v1/errors?trend_hours=4')).body.items.filter((i: any) =>
      i.fingerprint.startsWith('m-'),
    )
    expect(list.map((i: any) => [i.fingerprint, i.total_count, i.releases.sort()])).toEqual([
      ['m-a', 5, ['1.0', '1.1']],
    ])
    expect(list[0].trend.reduce((n: number, x: number) => n + x, 0)).toBe(5)
    const byRelease = (await get('/v1/errors?release=1.1')).body.items.filter((i: any) =>
      i.fingerprint.startsWith('m-'),
    )
    expect(byRelease.map((i: any) => [i.fingerprint, i.total_count])).toEqual([['m-a', 2]])

    // New events of B land in A; B's own totals grow too (what unmerge gives back).
    clock += HOUR
    for (let i = 0; i < 4; i++) await ingest({ fingerprint: 'm-b', release: '1.2', environment: 'staging' })
    const after = await detail('m-a')
    expect(after.total_count).toBe(9)
    expect(after.last_seen).toBe(clock)
    expect(await trendTotal('m-a')).toBe(9)
    expect((await detail('m-b')).total_count).toBe(6)

    // Comments of the merged issue show on the target too.
    await call('POST', '/v1/errors/m-b/comments', { body: 'on b' })
    expect((await get('/v1/errors/m-a/comments')).body.map((c: any) => [c.fingerprint, c.body])).toEqual([
      ['m-b', 'on b'],
    ])
    const un = await call('POST', '/v1/errors/unmerge', { fingerprints: ['m-b'] })
    expect(un).toEqual({ status: 200, body: { unmerged: [{ fingerprint: 'm-b', target: 'm-a' }] } })
    const a2 = await detail('m-a')
    const b2 = await detail('m-b')
    expect([a2.total_count, a2.first_seen, a2.last_seen, a2.merged]).toEqual([
      3,
      beforeA.first_seen,
      beforeA.last_seen,
      [],
    ])
    expect([b2.total_count, b2.first_seen, b2.last_seen, b2.merged_into]).toEqual([
      6,
      beforeB.first_seen,
      clock,
      null,
    ])
    expect(await trendTotal('m-a')).toBe(3)
    expect(await trendTotal('m-b')).toBe(6)
    // B's own sample ring kept its newest 5 (the reservoir's size) through the merge: the
    // 4 events sent while merged and the newest of its 2 before.
    const occurrences = (await get('/v1/errors/m-b/occurrences')).body.items.map((e: any) => e.id)
    expect(b2.samples.map((x: any) => x.release)).toEqual(['1.2', '1.2', '1.2', '1.2', '1.1'])
    expect(b2.samples.length).toBe(5)
    expect(occurrences.length).toBe(6)
    expect(a2.samples.length).toBe(3)
    expect(a2.comments).toEqual([])
    // Events after the unmerge stay in B.
    await ingest({ fingerprint: 'm-b', release: '1.2', environment: 'staging' })
    expect([(await detail('m-a')).total_count, (await detail('m-b')).total_count]).toEqual([3, 7])
    // Unmerging what is not merged changes nothing.
    expect((await call('POST', '/v1/errors/unmerge', { fingerprints: ['m-b'] })).body).toEqual({
      unmerged: [],
    })
  })

  test('merging into a resolved target reopens it on the next event of a merged fingerprint', async () => {
    await ingest({ fingerprint: 'r-a' })
    await ingest({ fingerprint: 'r-b' })
    await call('POST', '/v1/errors/bulk', { action: 'merge', target: 'r-a', fingerprints: ['r-b'] })
    await call('POST', '/v1/errors/r-a/resolve')
    await ingest({ fingerprint: 'r-b' })
    const a = await detail('r-a')
    expect(a.status).toBe('unresolved')
    expect(a.history[0]).toMatchObject({
      fingerprint: 'r-a',
      old_status: 'resolved',
      new_status: 'unresolved',
      changed_by: 'system',
    })
    expect(a.regressions).toEqual([clock])
  })

  test('refuses a merge into a merged issue, unknown issues and a missing target', async () => {
    await ingest({ fingerprint: 'x-a' })
    await ingest({ fingerprint: 'x-b' })
    await ingest({ fingerprint: 'x-c' })
    await call('POST', '/v1/errors/bulk', { action: 'merge', target: 'x-a', fingerprints: ['x-b'] })
    const intoMerged = await call('POST', '/v1/errors/bulk', {
      action: 'merge',
      target: 'x-b',
      fingerprints: ['x-c'],
    })
    expect(intoMerged.status).toBe(400)
    expect(intoMerged.body.error).toBe('x-b is merged into x-a')
    expect(
      (await call('POST', '/v1/errors/bulk', { action: 'merge', target: 'x-a', fingerprints: ['nope'] }))
        .status,
    ).toBe(404)
    const taken = await call('POST', '/v1/errors/bulk', {
      action: 'merge',
      target: 'x-c',
      fingerprints: ['x-b'],
    })
    expect([taken.status, taken.body.error]).toEqual([400, 'x-b is already merged into x-a'])
    expect((await detail('x-c')).merged).toEqual([])
    const noTarget = await call('POST', '/v1/errors/bulk', { action: 'merge', fingerprints: ['x-c'] })
    expect([noTarget.status, noTarget.body.field]).toEqual([400, 'target'])
  })
})

describe('triage of a merged issue', () => {
  test('a status change or an assignment of a merged issue applies to its target', async () => {
    await ingest({ fingerprint: 'y-a' })
    await ingest({ fingerprint: 'y-b' })
    await call('POST', '/v1/errors/bulk', { action: 'merge', target: 'y-a', fingerprints: ['y-b'] })
    expect((await call('POST', '/v1/errors/y-b/ignore')).body).toMatchObject({ status: 'ignored' })
    await call('PUT', '/v1/errors/y-b/assignee', { assignee: 'alice' })
    const a = await detail('y-a')
    expect([a.status, a.assignee?.username]).toEqual(['ignored', 'alice'])
    expect((await detail('y-b')).status).toBe('unresolved')
    await call('PUT', '/v1/errors/y-b/assignee', { assignee: null })
    expect((await detail('y-a')).assignee).toBeNull()
  })
})

describe('resolve in the next release', () => {
  test('across three releases: the current and older ones do not reopen, a newer one does', async () => {
    // Releases first seen in this order: 3.0, 3.1, 3.2 (3.2 arrives after the resolution).
    await ingest({ fingerprint: 'n-x', release: '3.0' })
    clock += HOUR
    await ingest({ fingerprint: 'n-other', release: '3.1' })
    await ingest({ fingerprint: 'n-x', release: '3.1' })
    const res = await call('POST', '/v1/errors/n-x/resolve_next')
    expect(res.body).toMatchObject({
      status: 'resolved',
      previous_status: 'unresolved',
      resolved_in_release: '3.1',
    })
    expect((await detail('n-x')).resolved_in_release).toBe('3.1')

    clock += HOUR
    await ingest({ fingerprint: 'n-x', release: '3.1' })
    await ingest({ fingerprint: 'n-x', release: '3.0' })
    await ingest({ fingerprint: 'n-x' }) // no release: never newer
    let d = await detail('n-x')
    expect([d.status, d.total_count, d.regressions]).toEqual(['resolved', 5, []])

    clock += HOUR
    await ingest({ fingerprint: 'n-x', release: '3.2' })
    d = await detail('n-x')
    expect([d.status, d.total_count, d.resolved_in_release, d.regressions]).toEqual([
      'unresolved',
      6,
      null,
      [clock],
    ])
    expect(d.first_release).toBe('3.0')
    expect(d.last_release).toBe('3.2')
    expect(d.activity[0]).toMatchObject({ kind: 'resolved_next_release', detail: { release: '3.1' } })
    // Resolved plainly, any event reopens it again.
    await call('POST', '/v1/errors/n-x/resolve')
    await ingest({ fingerprint: 'n-x', release: '3.0' })
    expect((await detail('n-x')).status).toBe('unresolved')
  })

  test('as a bulk action: each issue remembers the release current at resolution', async () => {
    await ingest({ fingerprint: 'nb-1', release: '6.0' })
    await ingest({ fingerprint: 'nb-2', release: '6.1' })
    const r = await call('POST', '/v1/errors/bulk', {
      action: 'resolve_next',
      fingerprints: ['nb-1', 'nb-2'],
    })
    expect(r.body).toEqual({ action: 'resolve_next', matched: 2, changed: 2 })
    for (const fp of ['nb-1', 'nb-2']) {
      const d = await detail(fp)
      expect([d.status, d.resolved_in_release, d.history[0].changed_by]).toEqual([
        'resolved',
        '6.1',
        'token:test-errors:read-errors:write',
      ])
    }
    await ingest({ fingerprint: 'nb-1', release: '6.1' })
    await ingest({ fingerprint: 'nb-2', release: '6.2' })
    expect([(await detail('nb-1')).status, (await detail('nb-2')).status]).toEqual(['resolved', 'unresolved'])
  })

  test('a release seen elsewhere in the project before the resolution is not newer', async () => {
    await ingest({ fingerprint: 'n-y', release: '4.0' })
    await ingest({ fingerprint: 'n-y-other', release: '4.1' })
    clock += HOUR
    await ingest({ fingerprint: 'n-y-newest', release: '4.2' })
    await call('POST', '/v1/errors/n-y/resolve_next')
    expect((await detail('n-y')).resolved_in_release).toBe('4.2')
    await ingest({ fingerprint: 'n-y', release: '4.1' })
    await ingest({ fingerprint: 'n-y', release: '4.2' })
    expect((await detail('n-y')).status).toBe('resolved')
  })
})

describe('bulk actions', () => {
  test('resolve an explicit list: every change in the history with who did it', async () => {
    await ingest({ fingerprint: 'b-1' })
    await ingest({ fingerprint: 'b-2' })
    const r = await call(
      'POST',
      '/v1/errors/bulk',
      { action: 'resolve', fingerprints: ['b-1', 'b-2'] },
      { user: alice },
    )
    expect(r).toEqual({ status: 200, body: { action: 'resolve', matched: 2, changed: 2 } })
    for (const fp of ['b-1', 'b-2']) {
      const d = await detail(fp)
      expect(d.status).toBe('resolved')
      expect(d.history[0]).toMatchObject({
        old_status: 'unresolved',
        new_status: 'resolved',
        changed_by: 'alice',
      })
    }
    // Again: matched, nothing changed.
    expect(
      (await call('POST', '/v1/errors/bulk', { action: 'resolve', fingerprints: ['b-1'] })).body.changed,
    ).toBe(0)
  })

  test('every issue matching a list query, in writer batches', async () => {
    const batch = Array.from({ length: 250 }, (_, i) =>
      event({ fingerprint: `q-${i}`, environment: 'bulkenv' }),
    )
    const res = await rt.handle(signed('/v1/ingest/batch', { events: batch.slice(0, 100) }))
    expect(res.status).toBe(200)
    for (const part of [batch.slice(100, 200), batch.slice(200)])
      expect((await rt.handle(signed('/v1/ingest/batch', { events: part }))).status).toBe(200)
    const r = await call('POST', '/v1/errors/bulk', {
      action: 'mute',
      matching: 'environment=bulkenv&status=unresolved',
    })
    expect(r.body).toEqual({ action: 'mute', matched: 250, changed: 250 })
    expect((await get('/v1/errors?environment=bulkenv&status=muted')).body.total).toBe(250)
    const bad = await call('POST', '/v1/errors/bulk', { action: 'mute', matching: 'status=sleeping' })
    expect([bad.status, bad.body.field]).toEqual([400, 'status'])
    const both = await call('POST', '/v1/errors/bulk', {
      action: 'mute',
      matching: '',
      fingerprints: ['q-1'],
    })
    expect(both.status).toBe(400)
  })

  test('an explicit list holds at most 500 fingerprints: 500 pass, 501 are refused', async () => {
    const fps = Array.from({ length: 501 }, (_, i) => `cap-${i}`)
    for (let i = 0; i < 500; i += 100) {
      const events = fps.slice(i, i + 100).map((fingerprint) => event({ fingerprint }))
      expect((await rt.handle(signed('/v1/ingest/batch', { events }))).status).toBe(200)
    }
    const ok = await call('POST', '/v1/errors/bulk', { action: 'ignore', fingerprints: fps.slice(0, 500) })
    expect(ok.body).toEqual({ action: 'ignore', matched: 500, changed: 500 })
    const over = await call('POST', '/v1/errors/bulk', { action: 'ignore', fingerprints: fps })
    expect(over.status).toBe(400)
    expect(over.body.field).toBe('fingerprints')
  })
})

describe('bulk actions over a list query', () => {
  // 10,001 new issues in 101 commits: seconds on SQLite, several times that on PostgreSQL
  // (a network round trip per statement, the fold after each commit), so its own timeout.
  test(`all matching holds at most ${MAX_BULK_MATCHING} issues: that many pass, one more is refused`, async () => {
    // Exactly MAX_BULK_MATCHING issues in one environment, in batches of 100.
    const fps = Array.from({ length: MAX_BULK_MATCHING }, (_, i) => `all-${i}`)
    for (let i = 0; i < fps.length; i += 100) {
      const events = fps.slice(i, i + 100).map((fingerprint) => event({ fingerprint, environment: 'cap-at' }))
      expect((await rt.handle(signed('/v1/ingest/batch', { events }))).status).toBe(200)
    }
    const ok = await call('POST', '/v1/errors/bulk', { action: 'ignore', matching: 'environment=cap-at' })
    expect(ok).toEqual({
      status: 200,
      body: { action: 'ignore', matched: MAX_BULK_MATCHING, changed: MAX_BULK_MATCHING },
    })
    const over = await call('POST', '/v1/errors/bulk', {
      action: 'unresolve',
      matching: 'environment=cap-at&status=ignored',
    })
    expect(over.body).toEqual({ action: 'unresolve', matched: MAX_BULK_MATCHING, changed: MAX_BULK_MATCHING })
    // One issue more than the cap: refused as a whole, nothing changed.
    await ingest({ fingerprint: 'all-extra', environment: 'cap-at' })
    const refused = await call('POST', '/v1/errors/bulk', {
      action: 'resolve',
      matching: 'environment=cap-at',
    })
    expect([refused.status, refused.body.field]).toEqual([400, 'matching'])
    const resolved = await get('/v1/errors?environment=cap-at&status=resolved&limit=1')
    expect(resolved.body.total).toBe(0)
  }, 180_000)
})

describe('assignment and comments', () => {
  test('assign to a user, filter by assigned=me, unassign; unknown users are refused', async () => {
    await ingest({ fingerprint: 'as-1' })
    await ingest({ fingerprint: 'as-2' })
    const r = await call('PUT', '/v1/errors/as-1/assignee', { assignee: 'bob' }, { user: alice })
    expect(r).toEqual({
      status: 200,
      body: { project_id: 'default', fingerprint: 'as-1', assignee: { id: bob.id, username: 'bob' } },
    })
    await call('POST', '/v1/errors/bulk', { action: 'assign', fingerprints: ['as-2'], assignee: alice.id })
    const mine = (await get('/v1/errors?assigned=me', { user: bob })).body.items
    expect(mine.map((i: any) => [i.fingerprint, i.assignee_name])).toEqual([['as-1', 'bob']])
    expect(
      (await get('/v1/errors?assigned=me', { user: alice })).body.items.map((i: any) => i.fingerprint),
    ).toEqual(['as-2'])
    expect((await get('/v1/errors?assigned=any')).body.total).toBe(2)
    const tokenMe = await get('/v1/errors?assigned=me')
    expect([tokenMe.status, tokenMe.body.field]).toEqual([400, 'assigned'])
    const unknown = await call('PUT', '/v1/errors/as-1/assignee', { assignee: 'carol' })
    expect([unknown.status, unknown.body.field]).toEqual([400, 'assignee'])
    const d = await detail('as-1')
    expect(d.assignee).toEqual({ id: bob.id, username: 'bob' })
    expect(d.activity[0]).toMatchObject({ kind: 'assigned', actor: 'alice', detail: { assignee: 'bob' } })
    await call('PUT', '/v1/errors/as-1/assignee', { assignee: null })
    expect((await detail('as-1')).assignee).toBeNull()
    expect((await get('/v1/errors?assigned=me', { user: bob })).body.total).toBe(0)
    const users = (await get('/v1/triage/assignees')).body.map((u: any) => u.username)
    expect(users).toEqual(['alice', 'bob'])
  })

  test('comments carry author and time; only the author deletes one', async () => {
    await ingest({ fingerprint: 'c-1' })
    const made = await call('POST', '/v1/errors/c-1/comments', { body: 'Looking into it' }, { user: alice })
    expect(made.status).toBe(201)
    expect(made.body).toMatchObject({
      author: 'alice',
      author_id: alice.id,
      body: 'Looking into it',
      created_at: clock,
    })
    await call('POST', '/v1/errors/c-1/comments', { body: 'Same on iOS' }, { user: bob })
    const list = (await get('/v1/errors/c-1/comments')).body
    expect(list.map((c: any) => [c.author, c.body])).toEqual([
      ['alice', 'Looking into it'],
      ['bob', 'Same on iOS'],
    ])
    const notMine = await call('DELETE', `/v1/errors/c-1/comments/${made.body.id}`, undefined, { user: bob })
    expect(notMine.status).toBe(403)
    // A token cannot delete comments: deleting is a person's act (own, or any as an admin).
    expect((await call('DELETE', `/v1/errors/c-1/comments/${made.body.id}`)).status).toBe(403)
    const mine = await call('DELETE', `/v1/errors/c-1/comments/${made.body.id}`, undefined, { user: alice })
    expect(mine.body).toEqual({ deleted: made.body.id })
    expect(
      (await call('DELETE', `/v1/errors/c-1/comments/${made.body.id}`, undefined, { user: alice })).status,
    ).toBe(404)
    const d = await detail('c-1')
    expect(d.comments.map((c: any) => c.body)).toEqual(['Same on iOS'])
    expect(d.activity.map((a: any) => [a.kind, a.actor])).toEqual([
      ['comment_deleted', 'alice'],
      ['commented', 'bob'],
      ['commented', 'alice'],
    ])
    // The comment cap: 4000 characters pass, 4001 are refused.
    expect((await call('POST', '/v1/errors/c-1/comments', { body: 'x'.repeat(4000) })).status).toBe(201)
    const long = await call('POST', '/v1/errors/c-1/comments', { body: 'x'.repeat(4001) })
    expect([long.status, long.body.field]).toEqual([400, 'body'])
  })
})

describe('alert payloads', () => {
  test('a committed issue carries its assignee, and a merged fingerprint its target, into the payload', async () => {
    await ingest({ fingerprint: 'al-target' })
    await ingest({ fingerprint: 'al-merged' })
    await call('PUT', '/v1/errors/al-target/assignee', { assignee: 'bob' })
    await call('POST', '/v1/errors/bulk', {
      action: 'merge',
      target: 'al-target',
      fingerprints: ['al-merged'],
    })
    const seen: CommittedIssue[] = []
    rt.features.errors.onCommit((result) => {
      seen.push(...result.issues)
    })
    await ingest({ fingerprint: 'al-merged', release: '9.9' })
    expect(seen.map((i) => [i.fingerprint, i.assignee, i.merged_from, i.total_count])).toEqual([
      ['al-target', 'bob', ['al-merged'], 3],
    ])
    const payload = firedPayload({
      alertId: 'a-1',
      now: clock,
      origin: 'https://bloop.example',
      rule: { id: 1, name: 'r', rule_type: 'new_issue', config: { type: 'new_issue' } } as never,
      project: { id: 'default', slug: 'default', name: 'Default' },
      reason: 'regression',
      stats: { type: 'new_issue' } as never,
      issue: seen[0] as CommittedIssue,
      matched: 1,
      latest: null,
    })
    expect(payload.issue).toMatchObject({ fingerprint: 'al-target', assignee: 'bob', total_count: 3 })
    expect(slackMessage(payload).text).toContain(' · assigned to bob')
    expect(emailContent(payload).text).toContain('\nAssigned to: bob\n')
  })
})

describe('the tracker link', () => {
  test('a per-project template, validated, rendered with URL-encoded values', async () => {
    await ingest({ fingerprint: 't-1', error_type: 'TypeError', message: 'a & b?' })
    const template = 'https://github.com/acme/app/issues/new?title={title}&body={url}'
    const put = await call('PUT', '/v1/triage/settings?project_id=default', { tracker_template: template })
    expect(put.body).toEqual({ project_id: 'default', tracker_template: template })
    const d = await detail('t-1')
    const issueUrl = `${rt.config.auth.rp_origin}/issues/t-1?project=default`
    expect(d.tracker_url).toBe(
      `https://github.com/acme/app/issues/new?title=${encodeURIComponent('TypeError: a & b?')}&body=${encodeURIComponent(issueUrl)}`,
    )
    for (const bad of ['javascript:alert(1)//{url}', 'ftp://x/{title}', 'https://x/{nope}', 'not a url'])
      expect((await call('PUT', '/v1/triage/settings', { tracker_template: bad })).status).toBe(400)
    expect((await get('/v1/triage/settings')).body.tracker_template).toBe(template)
    await call('PUT', '/v1/triage/settings', { tracker_template: null })
    expect((await detail('t-1')).tracker_url).toBeNull()
  })
})
