/**
 * The errors feature's reads on the storage seam (queries.ts, triage.read.ts, merge.ts
 * `groupOf`, comments, activity, settings, the search's SQL), on both backends with the
 * same rows and the same expected answers: the list with every filter, sort and page, the
 * release/environment breakdown over a merge group, the search language (free text
 * case-insensitive with LIKE's wildcards taken literally, tags, users, narrowing), an
 * issue's detail parts, trends zero-filled at the window's edge, stats, and the tracker
 * settings' upsert.
 *
 * The rows are written with plain INSERTs (the commit path, commit.ts, runs on the writer
 * thread's bun:sqlite connection only), at times near the real clock, since PostgreSQL
 * keeps raw events in partitions from yesterday on (docs/ARCHITECTURE.md, "Storage backends").
 * One file, over 400 lines, because every case reads the one data set below, so that each
 * expected value can be checked against the rows it comes from.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { activityOf } from '../../src/errors/activity'
import { commentsOf } from '../../src/errors/comments'
import type { IssueStatus } from '../../src/errors/commit'
import { issueKey } from '../../src/errors/event'
import { groupOf } from '../../src/errors/merge'
import type { ListQuery } from '../../src/errors/model'
import {
  findIssues,
  hourlySeries,
  type IssueFilters,
  type IssueRow,
  issueTrends,
  listIssues,
  seenInAll,
  statsOf,
} from '../../src/errors/queries'
import { withSearch } from '../../src/errors/search.route'
import { setTrackerTemplate, trackerTemplate } from '../../src/errors/settings'
import {
  type Directory,
  groupAggregates,
  groupHistory,
  groupOccurrences,
  groupSamples,
  groupTrend,
  membersOfPage,
  mergedInto,
  triageOf,
} from '../../src/errors/triage.read'
import type { Backend, Param } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const MIN = 60_000
const HOUR = 3_600_000
/** Half past the current hour: every raw event below falls in a partition PostgreSQL holds. */
const H = Math.floor(Date.now() / HOUR) * HOUR
const NOW = H + 30 * MIN

type Rec = Record<string, Param>

const insert = (b: Backend, table: string, row: Rec) => {
  const cols = Object.keys(row)
  return b.run(
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    Object.values(row),
  )
}

interface Issue {
  project_id: string
  fingerprint: string
  error_type: string
  message: string
  source: string
  route_or_procedure: string | null
  screen: string | null
  status: IssueStatus
  total_count: number
  first_seen: number
  last_seen: number
  users_count: number
  assignee_id: string | null
  assignee_name: string | null
  merged_into: string | null
}

const issue = (p: Partial<Issue> & Pick<Issue, 'project_id' | 'fingerprint'>): Issue => ({
  error_type: 'Error',
  message: 'failed',
  source: 'backend',
  route_or_procedure: null,
  screen: null,
  status: 'unresolved',
  total_count: 1,
  first_seen: NOW - HOUR,
  last_seen: NOW - HOUR,
  users_count: 0,
  assignee_id: null,
  assignee_name: null,
  merged_into: null,
  ...p,
})

// shop: a (assigned, with c merged into it), b (resolved), d (muted, frontend);
// blog: its own issue under the same fingerprint a.
const ISSUES = {
  a: issue({
    project_id: 'shop',
    fingerprint: 'a',
    error_type: 'TypeError',
    message: 'cannot read x of undefined',
    route_or_procedure: '/checkout',
    screen: 'Cart',
    total_count: 7,
    first_seen: NOW - 30 * HOUR,
    last_seen: NOW - HOUR,
    users_count: 2,
    assignee_id: 'u1',
    assignee_name: 'ada',
  }),
  b: issue({
    project_id: 'shop',
    fingerprint: 'b',
    error_type: 'RangeError',
    message: 'Invalid array length 100%',
    status: 'resolved',
    total_count: 3,
    first_seen: NOW - 20 * HOUR,
    last_seen: NOW - 2 * HOUR,
    users_count: 5,
  }),
  c: issue({
    project_id: 'shop',
    fingerprint: 'c',
    error_type: 'TypeError',
    message: 'Failed to fetch_user',
    route_or_procedure: '/api/users',
    total_count: 2,
    first_seen: NOW - 30 * HOUR,
    last_seen: NOW - 30 * MIN,
    merged_into: 'a',
  }),
  d: issue({
    project_id: 'shop',
    fingerprint: 'd',
    message: 'Read Timeout on fetchXuser',
    source: 'frontend',
    route_or_procedure: '/api/orders',
    status: 'muted',
    total_count: 10,
    first_seen: NOW - 8 * HOUR,
    last_seen: NOW - 3 * HOUR,
    users_count: 1,
  }),
  blogA: issue({
    project_id: 'blog',
    fingerprint: 'a',
    error_type: 'TypeError',
    message: 'cannot read y',
    route_or_procedure: '/checkout',
    first_seen: NOW - 5 * HOUR,
    last_seen: NOW - 5 * HOUR,
  }),
}

/** An issue as the list answers it (no merge link, no last release). */
const row = (i: Issue, counts: Partial<Pick<IssueRow, 'total_count' | 'first_seen' | 'last_seen'>> = {}) => {
  const { merged_into: _, ...rest } = i
  return { ...rest, ...counts }
}

const AGGREGATES: [string, string, string, string, number, number, number][] = [
  ['shop', 'a', '1.0.0', 'production', 3, NOW - 10 * HOUR, NOW - 6 * HOUR],
  ['shop', 'a', '1.1.0', 'production', 2, NOW - 4 * HOUR, NOW - HOUR],
  ['shop', 'c', '1.1.0', 'production', 1, NOW - 30 * HOUR, NOW - 3 * HOUR],
  ['shop', 'c', '1.2.0', 'staging', 1, NOW - 40 * MIN, NOW - 30 * MIN],
  ['shop', 'b', '1.0.0', 'staging', 3, NOW - 20 * HOUR, NOW - 2 * HOUR],
  ['shop', 'd', '1.2.0', 'production', 10, NOW - 8 * HOUR, NOW - 3 * HOUR],
  ['blog', 'a', '2.0.0', 'production', 1, NOW - 5 * HOUR, NOW - 5 * HOUR],
]

const HOURLY: [string, string, number, string, number][] = [
  ['shop', 'a', H - 30 * HOUR, 'production', 5],
  ['shop', 'a', H - 6 * HOUR, 'production', 3],
  ['shop', 'a', H - HOUR, 'production', 2],
  ['shop', 'c', H - 3 * HOUR, 'production', 1],
  ['shop', 'c', H, 'staging', 1],
  ['shop', 'b', H - 2 * HOUR, 'staging', 3],
  ['shop', 'd', H - 3 * HOUR, 'production', 10],
  ['blog', 'a', H - 5 * HOUR, 'production', 1],
]

/** A stored event with every field the reads answer. */
const event = (id: number, project_id: string, fingerprint: string, at: number, more: Rec = {}) => ({
  id,
  project_id,
  fingerprint,
  timestamp: at - 1000,
  source: 'backend',
  environment: 'production',
  release: '1.1.0',
  app_version: '3.2',
  build_number: null,
  route_or_procedure: '/checkout',
  screen: null,
  error_type: 'TypeError',
  message: `event ${id}`,
  stack: `at f (app.js:${id}:1)`,
  http_status: 500,
  request_id: `req-${id}`,
  user_id_hash: null,
  device_id_hash: null,
  metadata: '{"k":1}',
  event_id: `e${id}`,
  level: 'error',
  breadcrumbs: null,
  ...more,
})

const RAW = [
  event(1, 'shop', 'a', NOW - 10 * HOUR, { user_id_hash: 'u-hash-1', release: '1.0.0' }),
  event(2, 'shop', 'a', NOW - 4 * HOUR),
  event(3, 'shop', 'c', NOW - 3 * HOUR, { user_id_hash: 'u-hash-9' }),
  event(4, 'shop', 'a', NOW - HOUR, { breadcrumbs: '[{"message":"click"}]' }),
  event(5, 'blog', 'a', NOW - 5 * HOUR, { release: '2.0.0' }),
  event(6, 'shop', 'c', NOW - 30 * MIN, { environment: 'staging', release: '1.2.0' }),
]
const rawOf = (id: number) => ({
  ...(RAW[id - 1] as Rec),
  received_at: (RAW[id - 1]?.timestamp as number) + 1000,
})

/** Samples: [sample id, raw event id, slot]. */
const SAMPLES: [number, number, number][] = [
  [1, 1, 0],
  [2, 4, 1],
  [3, 3, 0],
]
const sampleOf = ([id, raw]: [number, number, number]) => ({
  ...(RAW[raw - 1] as Rec),
  id,
  captured_at: (RAW[raw - 1]?.timestamp as number) + 1000,
})

const HISTORY = [
  {
    id: 1,
    project_id: 'shop',
    fingerprint: 'b',
    old_status: 'unresolved',
    new_status: 'resolved',
    changed_by: 'ada',
    changed_at: NOW - 90 * MIN,
  },
  {
    id: 2,
    project_id: 'shop',
    fingerprint: 'a',
    old_status: 'resolved',
    new_status: 'unresolved',
    changed_by: 'system',
    changed_at: NOW - 2 * HOUR,
  },
  {
    id: 3,
    project_id: 'shop',
    fingerprint: 'c',
    old_status: 'unresolved',
    new_status: 'ignored',
    changed_by: 'ada',
    changed_at: NOW - 5 * HOUR,
  },
  {
    id: 4,
    project_id: 'shop',
    fingerprint: 'a',
    old_status: 'unresolved',
    new_status: 'resolved',
    changed_by: 'ada',
    changed_at: NOW - 3 * HOUR,
  },
]

const COMMENTS = [
  {
    id: 1,
    project_id: 'shop',
    fingerprint: 'a',
    author_id: 'u1',
    author: 'ada',
    body: 'looking',
    created_at: NOW - 50 * MIN,
  },
  {
    id: 2,
    project_id: 'shop',
    fingerprint: 'c',
    author_id: 'u2',
    author: 'bob',
    body: 'same as a',
    created_at: NOW - 40 * MIN,
  },
  {
    id: 3,
    project_id: 'shop',
    fingerprint: 'a',
    author_id: 'u2',
    author: 'bob',
    body: 'fixed?',
    created_at: NOW - 20 * MIN,
  },
  {
    id: 4,
    project_id: 'blog',
    fingerprint: 'a',
    author_id: 'u1',
    author: 'ada',
    body: 'other project',
    created_at: NOW - 10 * MIN,
  },
]

const ACTIVITY = [
  {
    id: 1,
    project_id: 'shop',
    fingerprint: 'c',
    kind: 'merged_into',
    actor: 'ada',
    at: NOW - HOUR,
    detail: { target: 'a' },
  },
  {
    id: 2,
    project_id: 'shop',
    fingerprint: 'a',
    kind: 'merged',
    actor: 'ada',
    at: NOW - HOUR,
    detail: { fingerprints: ['c'] },
  },
  {
    id: 3,
    project_id: 'shop',
    fingerprint: 'a',
    kind: 'assigned',
    actor: 'bob',
    at: NOW - 45 * MIN,
    detail: { assignee: 'ada', assignee_id: 'u1' },
  },
]

const TAGS: [string, string, string, string, number][] = [
  ['shop', 'a', 'browser', 'Chrome', 4],
  ['shop', 'c', 'browser', 'Firefox', 1],
  ['shop', 'b', 'browser', 'Chrome', 2],
  ['shop', 'd', 'os', 'Linux', 10],
]

async function seed(b: Backend) {
  for (const i of Object.values(ISSUES))
    await insert(b, 'issues', { ...i, last_release: 'x', last_environment: 'production' })
  for (const [
    project_id,
    fingerprint,
    release,
    environment,
    total_count,
    first_seen,
    last_seen,
  ] of AGGREGATES)
    await insert(b, 'error_aggregates', {
      project_id,
      fingerprint,
      release,
      environment,
      total_count,
      first_seen,
      last_seen,
    })
  for (const [project_id, fingerprint, hour_bucket, environment, count] of HOURLY)
    await insert(b, 'event_counts_hourly', {
      project_id,
      fingerprint,
      hour_bucket,
      environment,
      source: 'backend',
      release: '1.0.0',
      count,
    })
  for (const r of RAW) await insert(b, 'raw_events', rawOf(r.id))
  // The users the fold would have paired with their issues (src/errors/users.ts).
  for (const r of RAW)
    if (r.user_id_hash)
      await insert(b, 'issue_users', {
        project_id: r.project_id,
        user_id_hash: r.user_id_hash,
        fingerprint: r.fingerprint,
      })
  for (const s of SAMPLES) await insert(b, 'samples', { ...sampleOf(s), raw_event_id: s[1], slot: s[2] })
  for (const h of HISTORY) await insert(b, 'status_changes', h)
  for (const c of COMMENTS) await insert(b, 'issue_comments', c)
  for (const a of ACTIVITY) await insert(b, 'issue_activity', { ...a, detail: JSON.stringify(a.detail) })
  for (const [project_id, fingerprint, key, value, count] of TAGS)
    await insert(b, 'issue_tags', { project_id, fingerprint, key, value, count, last_seen: NOW - HOUR })
  await insert(b, 'issue_merges', {
    project_id: 'shop',
    fingerprint: 'c',
    target: 'a',
    old_status: 'unresolved',
    merged_by: 'ada',
    merged_at: NOW - HOUR,
  })
  await setTrackerTemplate(b, 'shop', 'https://tracker.example/new?title={title}&u={url}', NOW - HOUR)
}

const USERS = [
  { id: 'u1', username: 'ada' },
  { id: 'u2', username: 'bob' },
]
const directory: Directory = {
  user: async (ref) => USERS.find((u) => u.id === ref || u.username === ref) ?? null,
  users: async () => USERS,
  projectSlug: async (id) => (id === 'shop' ? 'shop-slug' : null),
  origin: 'https://bloop.example/',
}

const base: IssueFilters = { projectIds: ['shop'], sort: 'last_seen', limit: 50, offset: 0 }
const fps = (r: { items: { project_id: string; fingerprint: string }[]; total: number }) => ({
  items: r.items.map((i) => `${i.project_id}/${i.fingerprint}`),
  total: r.total,
})

for (const kind of BACKENDS) {
  describe(`errors reads on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await seed(b)
    })

    /** The list for a search query (search.route.ts), as GET /v1/errors?query= runs it. */
    const searched = async (query: string, projectIds = ['shop']) => {
      const s = await withSearch(
        { query, sort: 'last_seen', limit: 50, offset: 0 } as ListQuery,
        directory,
        projectIds,
      )
      const { release, environment, source, route, status } = s.q
      return fps(
        await listIssues(b, {
          ...base,
          projectIds,
          release,
          environment,
          source,
          route,
          status,
          search: s.search,
          ...(s.assigneeId === undefined ? {} : { assigneeId: s.assigneeId }),
          ...(s.q.assigned === 'any'
            ? { assigned: true }
            : s.q.assigned === 'none'
              ? { assigned: false }
              : {}),
        }),
      )
    }

    test('the list answers unmerged issues with every column, by last sighting', async () => {
      expect(await listIssues(b, base)).toEqual({
        items: [row(ISSUES.a), row(ISSUES.b), row(ISSUES.d)],
        total: 3,
      })
      expect(fps(await listIssues(b, { ...base, projectIds: [] }))).toEqual({ items: [], total: 0 })
      expect(fps(await listIssues(b, { ...base, projectIds: ['shop', 'blog'] }))).toEqual({
        items: ['shop/a', 'shop/b', 'shop/d', 'blog/a'],
        total: 4,
      })
    })

    test('the list sorts by each key and pages with the total of all matches', async () => {
      expect(fps(await listIssues(b, { ...base, sort: 'total_count' })).items).toEqual([
        'shop/d',
        'shop/a',
        'shop/b',
      ])
      expect(fps(await listIssues(b, { ...base, sort: 'first_seen' })).items).toEqual([
        'shop/d',
        'shop/b',
        'shop/a',
      ])
      expect(fps(await listIssues(b, { ...base, sort: 'users_count' })).items).toEqual([
        'shop/b',
        'shop/a',
        'shop/d',
      ])
      expect(fps(await listIssues(b, { ...base, sort: 'total_count', limit: 1, offset: 1 }))).toEqual({
        items: ['shop/a'],
        total: 3,
      })
      expect(fps(await listIssues(b, { ...base, offset: 3 }))).toEqual({ items: [], total: 3 })
    })

    test('the list filters by status, source, route, assignment and a sighting window with inclusive ends', async () => {
      const only = async (f: Partial<IssueFilters>) => fps(await listIssues(b, { ...base, ...f })).items
      expect(await only({ status: 'muted' })).toEqual(['shop/d'])
      expect(await only({ source: 'frontend' })).toEqual(['shop/d'])
      expect(await only({ route: '/checkout' })).toEqual(['shop/a'])
      expect(await only({ assigned: true })).toEqual(['shop/a'])
      expect(await only({ assigned: false })).toEqual(['shop/b', 'shop/d'])
      expect(await only({ assigneeId: 'u1' })).toEqual(['shop/a'])
      expect(await only({ assigneeId: 'u2' })).toEqual([])
      expect(await only({ since: NOW - 2 * HOUR })).toEqual(['shop/a', 'shop/b'])
      expect(await only({ until: NOW - 2 * HOUR })).toEqual(['shop/b', 'shop/d'])
      expect(await only({ since: NOW - 2 * HOUR + 1, until: NOW - HOUR })).toEqual(['shop/a'])
    })

    test('a release or environment counts the merge group’s rows of it for the target', async () => {
      expect(await listIssues(b, { ...base, release: '1.1.0' })).toEqual({
        items: [row(ISSUES.a, { total_count: 3, first_seen: NOW - 30 * HOUR, last_seen: NOW - HOUR })],
        total: 1,
      })
      expect(await listIssues(b, { ...base, environment: 'staging' })).toEqual({
        items: [
          row(ISSUES.a, { total_count: 1, first_seen: NOW - 40 * MIN, last_seen: NOW - 30 * MIN }),
          row(ISSUES.b, { total_count: 3, first_seen: NOW - 20 * HOUR, last_seen: NOW - 2 * HOUR }),
        ],
        total: 2,
      })
      expect(fps(await listIssues(b, { ...base, release: '1.1.0', since: NOW - HOUR }))).toEqual({
        items: ['shop/a'],
        total: 1,
      })
      expect(fps(await listIssues(b, { ...base, release: '1.1.0', since: NOW - HOUR + 1 }))).toEqual({
        items: [],
        total: 0,
      })
      expect(fps(await listIssues(b, { ...base, release: '9.9.9' }))).toEqual({ items: [], total: 0 })
    })

    test('free text matches type, message and route case-insensitively, taking % and _ literally', async () => {
      expect(await searched('TIMEOUT')).toEqual({ items: ['shop/d'], total: 1 })
      expect(await searched('rangeerror')).toEqual({ items: ['shop/b'], total: 1 })
      expect(await searched('orders')).toEqual({ items: ['shop/d'], total: 1 })
      expect(await searched('%')).toEqual({ items: ['shop/b'], total: 1 })
      expect(await searched('100%')).toEqual({ items: ['shop/b'], total: 1 })
      // `_` is no wildcard: "fetchXuser" does not match, and c (fetch_user) is merged away.
      expect(await searched('fetch_user')).toEqual({ items: [], total: 0 })
      expect(await searched('"read of"')).toEqual({ items: [], total: 0 })
      expect(await searched('"read x of"')).toEqual({ items: ['shop/a'], total: 1 })
      expect(await searched('cannot undefined')).toEqual({ items: ['shop/a'], total: 1 })
      expect(await searched('cannot', ['shop', 'blog'])).toEqual({ items: ['shop/a', 'blog/a'], total: 2 })
    })

    test('tags and users select their issues, a merged issue’s for its target, and narrow a breakdown', async () => {
      expect(await searched('browser:Chrome')).toEqual({ items: ['shop/a', 'shop/b'], total: 2 })
      expect(await searched('browser:Firefox')).toEqual({ items: ['shop/a'], total: 1 })
      expect(await searched('browser:Chrome os:Linux')).toEqual({ items: [], total: 0 })
      expect(await searched('os:Linux is:muted')).toEqual({ items: ['shop/d'], total: 1 })
      expect(await searched('user:u-hash-9')).toEqual({ items: ['shop/a'], total: 1 })
      expect(await searched('user:u-hash-1')).toEqual({ items: ['shop/a'], total: 1 })
      expect(await searched('user:nobody')).toEqual({ items: [], total: 0 })
      expect(await searched('browser:Chrome', ['shop', 'blog'])).toEqual({
        items: ['shop/a', 'shop/b'],
        total: 2,
      })
      expect(await searched('assigned:ada')).toEqual({ items: ['shop/a'], total: 1 })
      expect(await searched('is:unassigned')).toEqual({ items: ['shop/b', 'shop/d'], total: 2 })
      const narrowed = await withSearch(
        { query: 'release:1.1.0 browser:Firefox', sort: 'last_seen', limit: 50, offset: 0 } as ListQuery,
        directory,
        ['shop'],
      )
      expect(narrowed.search?.narrows).toBe(true)
      expect(await listIssues(b, { ...base, release: narrowed.q.release, search: narrowed.search })).toEqual({
        items: [row(ISSUES.a, { total_count: 3, first_seen: NOW - 30 * HOUR, last_seen: NOW - HOUR })],
        total: 1,
      })
    })

    test('an issue is found by fingerprint across the reach, most recent first', async () => {
      expect((await findIssues(b, ['shop', 'blog'], 'a')).map((i) => i.project_id)).toEqual(['shop', 'blog'])
      expect(await findIssues(b, ['blog'], 'a')).toEqual([row(ISSUES.blogA)])
      expect(await findIssues(b, ['blog'], 'b')).toEqual([])
      expect(await findIssues(b, [], 'a')).toEqual([])
    })

    test('a page’s releases, environments and merge members come per project', async () => {
      const seen = await seenInAll(b, [
        { project_id: 'shop', fingerprint: 'a' },
        { project_id: 'shop', fingerprint: 'c' },
        { project_id: 'blog', fingerprint: 'a' },
        { project_id: 'blog', fingerprint: 'c' },
      ])
      expect([...seen]).toEqual([
        [issueKey('shop', 'a'), { releases: ['1.1.0', '1.0.0'], environments: ['production'] }],
        [issueKey('shop', 'c'), { releases: ['1.2.0', '1.1.0'], environments: ['staging', 'production'] }],
        [issueKey('blog', 'a'), { releases: ['2.0.0'], environments: ['production'] }],
        [issueKey('blog', 'c'), { releases: [], environments: [] }],
      ])
      const members = await membersOfPage(b, [
        { project_id: 'shop', fingerprint: 'a' },
        { project_id: 'shop', fingerprint: 'b' },
        { project_id: 'blog', fingerprint: 'a' },
      ])
      expect([...members]).toEqual([[issueKey('shop', 'a'), [{ project_id: 'shop', fingerprint: 'c' }]]])
    })

    test('an issue’s detail parts combine its merge group', async () => {
      const group = await groupOf(b, 'shop', 'a')
      expect(group).toEqual(['a', 'c'])
      expect(await groupOf(b, 'shop', 'c')).toEqual(['c'])
      expect(await mergedInto(b, 'shop', 'c')).toBe('a')
      expect(await mergedInto(b, 'shop', 'a')).toBeNull()
      expect(await mergedInto(b, 'shop', 'zz')).toBeNull()
      expect(await groupAggregates(b, 'shop', group)).toEqual([
        {
          release: '1.2.0',
          environment: 'staging',
          total_count: 1,
          first_seen: NOW - 40 * MIN,
          last_seen: NOW - 30 * MIN,
        },
        {
          release: '1.1.0',
          environment: 'production',
          total_count: 3,
          first_seen: NOW - 30 * HOUR,
          last_seen: NOW - HOUR,
        },
        {
          release: '1.0.0',
          environment: 'production',
          total_count: 3,
          first_seen: NOW - 10 * HOUR,
          last_seen: NOW - 6 * HOUR,
        },
      ])
      expect(await groupSamples(b, 'shop', group)).toEqual(
        [SAMPLES[1], SAMPLES[2], SAMPLES[0]].map((s) => sampleOf(s as [number, number, number])) as never,
      )
      expect(await groupHistory(b, 'shop', group)).toEqual([HISTORY[3], HISTORY[2], HISTORY[1]] as never)
      expect(await commentsOf(b, 'shop', group)).toEqual([COMMENTS[0], COMMENTS[1], COMMENTS[2]] as never)
      expect(await activityOf(b, 'shop', group)).toEqual([ACTIVITY[2], ACTIVITY[1], ACTIVITY[0]] as never)
    })

    test('occurrences of the group page newest first with the total', async () => {
      const group = await groupOf(b, 'shop', 'a')
      expect(await groupOccurrences(b, 'shop', group, 2, 1)).toEqual({
        items: [rawOf(4), rawOf(3)] as never,
        total: 5,
      })
      expect(await groupOccurrences(b, 'blog', ['a'], 10, 0)).toEqual({
        items: [rawOf(5)] as never,
        total: 1,
      })
      expect(await groupOccurrences(b, 'shop', group, 10, 5)).toEqual({ items: [], total: 5 })
    })

    test('the triage fields: assignee, merge links, release span, regressions, tracker link', async () => {
      const group = await groupOf(b, 'shop', 'a')
      const aggregates = await groupAggregates(b, 'shop', group)
      const history = await groupHistory(b, 'shop', group)
      const [a] = await findIssues(b, ['shop'], 'a')
      expect(await triageOf(b, directory, a as IssueRow, group, aggregates, history)).toEqual({
        assignee: { id: 'u1', username: 'ada' },
        merged_into: null,
        merged: ['c'],
        resolved_in_release: null,
        first_release: '1.1.0',
        last_release: '1.2.0',
        regressions: [NOW - 2 * HOUR],
        tracker_url: `https://tracker.example/new?title=${encodeURIComponent('TypeError: cannot read x of undefined')}&u=${encodeURIComponent('https://bloop.example/issues/a?project=shop-slug')}`,
        activity: [ACTIVITY[2], ACTIVITY[1], ACTIVITY[0]] as never,
        comments: [COMMENTS[0], COMMENTS[1], COMMENTS[2]] as never,
      })
      const [blogA] = await findIssues(b, ['blog'], 'a')
      const triage = await triageOf(b, directory, blogA as IssueRow, ['a'], [], [])
      expect(triage.tracker_url).toBeNull()
      expect(triage.assignee).toBeNull()
      expect(triage.comments).toEqual([COMMENTS[3]] as never)
      const [c] = await findIssues(b, ['shop'], 'c')
      expect((await triageOf(b, directory, c as IssueRow, ['c'], [], [])).merged_into).toBe('a')
    })

    test('trends are zero-filled hourly counts, oldest first, the window’s first hour included', async () => {
      const group = await groupOf(b, 'shop', 'a')
      const hours = (n: number) => Array.from({ length: n }, (_, i) => H - (n - 1 - i) * HOUR)
      const series = (counts: number[]) =>
        hours(counts.length).map((hour_bucket, i) => ({ hour_bucket, count: counts[i] as number }))
      expect(await groupTrend(b, { projectId: 'shop', group, hours: 6, now: NOW })).toEqual(
        series([0, 0, 1, 0, 2, 1]),
      )
      expect(await groupTrend(b, { projectId: 'shop', group, hours: 7, now: NOW })).toEqual(
        series([3, 0, 0, 1, 0, 2, 1]),
      )
      expect(
        await groupTrend(b, { projectId: 'shop', group, hours: 6, now: NOW, environment: 'staging' }),
      ).toEqual(series([0, 0, 0, 0, 0, 1]))
      const day = await hourlySeries(b, { projectIds: ['shop'], hours: 24, now: NOW })
      expect(day.length).toBe(24)
      expect(day.filter((p) => p.count > 0)).toEqual([
        { hour_bucket: H - 6 * HOUR, count: 3 },
        { hour_bucket: H - 3 * HOUR, count: 11 },
        { hour_bucket: H - 2 * HOUR, count: 3 },
        { hour_bucket: H - HOUR, count: 2 },
        { hour_bucket: H, count: 1 },
      ])
      expect((await hourlySeries(b, { projectIds: [], hours: 3, now: NOW })).map((p) => p.count)).toEqual([
        0, 0, 0,
      ])
      const trends = await issueTrends(
        b,
        [
          { project_id: 'shop', fingerprint: 'a' },
          { project_id: 'shop', fingerprint: 'c' },
          { project_id: 'blog', fingerprint: 'a' },
        ],
        6,
        NOW,
      )
      expect([...trends]).toEqual([
        [issueKey('shop', 'a'), [0, 0, 0, 0, 2, 0]],
        [issueKey('shop', 'c'), [0, 0, 1, 0, 0, 1]],
        [issueKey('blog', 'a'), [1, 0, 0, 0, 0, 0]],
      ])
    })

    test('stats count unmerged and unresolved issues, the last day’s events and the top routes', async () => {
      expect(await statsOf(b, ['shop'], NOW)).toEqual({
        total_errors: 3,
        unresolved_errors: 1,
        total_events_24h: 20,
        top_routes: [
          { route: '/api/orders', count: 10 },
          { route: '/checkout', count: 7 },
          { route: '/api/users', count: 2 },
        ],
      })
      expect(await statsOf(b, ['shop', 'blog'], NOW)).toEqual({
        total_errors: 4,
        unresolved_errors: 2,
        total_events_24h: 21,
        top_routes: [
          { route: '/api/orders', count: 10 },
          { route: '/checkout', count: 8 },
          { route: '/api/users', count: 2 },
        ],
      })
      expect(await statsOf(b, ['nobody'], NOW)).toEqual({
        total_errors: 0,
        unresolved_errors: 0,
        total_events_24h: 0,
        top_routes: [],
      })
    })

    test('the tracker template is stored, replaced and removed per project', async () => {
      expect(await trackerTemplate(b, 'shop')).toBe('https://tracker.example/new?title={title}&u={url}')
      expect(await trackerTemplate(b, 'blog')).toBeNull()
      await setTrackerTemplate(b, 'blog', 'https://a.example/{fingerprint}', NOW)
      await setTrackerTemplate(b, 'blog', 'https://b.example/{fingerprint}', NOW + 1)
      expect(await trackerTemplate(b, 'blog')).toBe('https://b.example/{fingerprint}')
      expect(await b.get('SELECT updated_at FROM error_settings WHERE project_id = ?', ['blog'])).toEqual({
        updated_at: NOW + 1,
      })
      await setTrackerTemplate(b, 'blog', null, NOW + 2)
      expect(await trackerTemplate(b, 'blog')).toBeNull()
      expect(await trackerTemplate(b, 'shop')).toBe('https://tracker.example/new?title={title}&u={url}')
    })
  })
}
