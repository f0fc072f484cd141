import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { issueKey } from '../../src/errors/event'
import { seenInAll } from '../../src/errors/queries'
import { createToken, revokeToken } from '../../src/tokens/store'
import { bearer, event, projectIn, signed, startRuntime, type TestRuntime } from '../helpers'

const HOUR = 3_600_000
// A fixed clock: 2026-03-10 12:30 UTC. Tests move it forward explicitly.
let clock = Date.UTC(2026, 2, 10, 12, 30)
let rt: TestRuntime
let read: string
let write: string
let otherProjectToken: string
let otherKey: string

async function ingest(e: Record<string, unknown>, key?: string) {
  const res = await rt.handle(signed('/v1/ingest', event(e), { key }))
  expect(res.status).toBe(200)
}
async function get(path: string, token = read) {
  const res = await rt.fetch(path, { headers: bearer(token) })
  return { status: res.status, body: (await res.json()) as any }
}
async function post(path: string, token = write) {
  const res = await rt.fetch(path, { method: 'POST', headers: bearer(token) })
  return { status: res.status, body: (await res.json()) as any }
}
const fpOf = async (message: string) =>
  ((await get('/v1/errors?limit=200')).body.items as any[]).find((i) => i.message === message)
    .fingerprint as string

beforeAll(async () => {
  rt = await startRuntime({}, { now: () => clock })
  // The events are received on a fixed day in the past: PostgreSQL's raw_events is
  // partitioned by receive day (yesterday to a week ahead exist), so that day is made here.
  if (rt.core.backend.kind === 'postgres')
    await rt.core.backend.get('SELECT bloop_partitions_cover(?, ?, ?)', [
      'raw_events',
      clock,
      clock + 24 * HOUR,
    ])
  read = rt.token(['errors:read'])
  write = rt.token(['errors:read', 'errors:write'])
  const other = await projectIn(rt.core.backend, { name: 'Mobile', slug: 'mobile' })
  otherKey = other.api_key
  otherProjectToken = rt.token(['errors:read', 'errors:write'], other.id)

  // Issue A: 3 events over two releases and environments, one hour apart.
  await ingest({ message: 'A failed for user 1', release: '1.0.0', environment: 'production' })
  clock += HOUR
  await ingest({ message: 'A failed for user 2', release: '1.1.0', environment: 'production' })
  await ingest({ message: 'A failed for user 3', release: '1.1.0', environment: 'staging' })
  // Issue B: 1 event, another source and route.
  clock += HOUR
  await ingest({ message: 'B broke', source: 'ios', route_or_procedure: '/checkout', error_type: 'NSError' })
  // Issue C lives in the other project only.
  await ingest({ message: 'C in mobile' }, otherKey)
})
afterAll(() => rt.dispose())

describe('GET /v1/errors', () => {
  test('lists one row per issue with totals over releases and environments', async () => {
    const { status, body } = await get('/v1/errors')
    expect(status).toBe(200)
    expect(body.total).toBe(2)
    expect(body.limit).toBe(50)
    expect(body.offset).toBe(0)
    const [b, a] = body.items
    expect(b.message).toBe('B broke')
    expect(a.message).toBe('A failed for user 1')
    expect(a.total_count).toBe(3)
    expect(a.releases.sort()).toEqual(['1.0.0', '1.1.0'])
    expect(a.environments.sort()).toEqual(['production', 'staging'])
    expect(a.first_seen).toBe(Date.UTC(2026, 2, 10, 12, 30))
    expect(a.last_seen).toBe(Date.UTC(2026, 2, 10, 13, 30))
    expect(a.status).toBe('unresolved')
  })

  test('filters narrow the list; release and environment totals count only matching events', async () => {
    const byRelease = (await get('/v1/errors?release=1.1.0')).body
    expect(byRelease.items.map((i: any) => [i.message, i.total_count])).toEqual([['A failed for user 1', 2]])
    const byEnv = (await get('/v1/errors?environment=staging')).body
    expect(byEnv.items.map((i: any) => i.total_count)).toEqual([1])
    expect((await get('/v1/errors?source=ios')).body.items.map((i: any) => i.message)).toEqual(['B broke'])
    expect((await get('/v1/errors?route=/checkout')).body.total).toBe(1)
    expect((await get('/v1/errors?status=resolved')).body.total).toBe(0)
    const since = Date.UTC(2026, 2, 10, 14, 0)
    expect((await get(`/v1/errors?since=${since}`)).body.items.map((i: any) => i.message)).toEqual([
      'B broke',
    ])
    expect((await get(`/v1/errors?until=${since}`)).body.items.map((i: any) => i.message)).toEqual([
      'A failed for user 1',
    ])
  })

  test('sorts by count and first seen, and paginates', async () => {
    expect((await get('/v1/errors?sort=total_count')).body.items[0].total_count).toBe(3)
    expect((await get('/v1/errors?sort=first_seen')).body.items[0].message).toBe('B broke')
    const page = (await get('/v1/errors?limit=1&offset=1')).body
    expect(page.items.length).toBe(1)
    expect(page.total).toBe(2)
    expect(page.items[0].message).toBe('A failed for user 1')
    expect((await get('/v1/errors?limit=200')).body.limit).toBe(200)
  })

  test('invalid query values get 400 naming the parameter', async () => {
    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['sort=random', 'sort'],
      ['status=open', 'status'],
      ['since=yesterday', 'since'],
      ['limit=201', 'limit'],
      ['limit=1e2', 'limit'],
      ['offset=9223372036854775807', 'offset'],
      ['until=8640000000000001', 'until'],
      ['trend_hours=169', 'trend_hours'],
    ]) {
      const { status, body } = await get(`/v1/errors?${q}`)
      expect(status).toBe(400)
      expect(body.code).toBe('invalid_query')
      expect(body.field).toBe(field)
    }
  })

  test('a token sees only its own project', async () => {
    const { body } = await get('/v1/errors', otherProjectToken)
    expect(body.items.map((i: any) => i.message)).toEqual(['C in mobile'])
    expect((await get('/v1/errors?project_id=default', otherProjectToken)).status).toBe(404)
    expect((await get('/v1/errors?project_id=mobile', otherProjectToken)).status).toBe(200)
  })
})

describe('releases and environments of a page of issues', () => {
  test('come from one query per project and match each issue’s own aggregates', async () => {
    const fpA = await fpOf('A failed for user 1')
    const fpC = (await get('/v1/errors', otherProjectToken)).body.items[0].fingerprint
    const mobile = (
      (await rt.core.backend.get("SELECT id FROM projects WHERE slug = 'mobile'")) as { id: string }
    ).id
    const seen = await seenInAll(rt.core.backend, [
      { project_id: 'default', fingerprint: fpA },
      { project_id: mobile, fingerprint: fpC },
      { project_id: 'default', fingerprint: fpC },
    ])
    expect(seen.get(issueKey('default', fpA))).toEqual({
      releases: ['1.1.0', '1.0.0'],
      environments: ['production', 'staging'],
    })
    expect(seen.get(issueKey(mobile, fpC))).toEqual({ releases: ['1.0.0'], environments: ['production'] })
    // C is not an issue of the default project: nothing leaks across projects.
    expect(seen.get(issueKey('default', fpC))).toEqual({ releases: [], environments: [] })
  })
})

describe('issue detail', () => {
  test('has the per release/environment breakdown, samples and history', async () => {
    const fp = await fpOf('A failed for user 1')
    const { status, body } = await get(`/v1/errors/${fp}`)
    expect(status).toBe(200)
    expect(body.fingerprint).toBe(fp)
    expect(body.total_count).toBe(3)
    expect(body.aggregates).toEqual([
      {
        release: '1.1.0',
        environment: 'production',
        total_count: 1,
        first_seen: clockAt(13, 30),
        last_seen: clockAt(13, 30),
      },
      {
        release: '1.1.0',
        environment: 'staging',
        total_count: 1,
        first_seen: clockAt(13, 30),
        last_seen: clockAt(13, 30),
      },
      {
        release: '1.0.0',
        environment: 'production',
        total_count: 1,
        first_seen: clockAt(12, 30),
        last_seen: clockAt(12, 30),
      },
    ])
    expect(body.samples.map((s: any) => s.message)).toEqual([
      'A failed for user 3',
      'A failed for user 2',
      'A failed for user 1',
    ])
    expect(body.samples[0].metadata).toBeNull()
    expect(body.history).toEqual([])
  })

  test('an unknown fingerprint is 404, another project’s is 404 too', async () => {
    expect((await get('/v1/errors/0000000000000000')).status).toBe(404)
    const fpC = (await get('/v1/errors', otherProjectToken)).body.items[0].fingerprint
    expect((await get(`/v1/errors/${fpC}`)).status).toBe(404)
    expect((await get(`/v1/errors/${fpC}/occurrences`)).status).toBe(404)
    expect((await post(`/v1/errors/${fpC}/resolve`)).status).toBe(404)
  })

  test('occurrences are the raw events, newest first, paginated', async () => {
    const fp = await fpOf('A failed for user 1')
    const { body } = await get(`/v1/errors/${fp}/occurrences?limit=2`)
    expect(body.total).toBe(3)
    expect(body.limit).toBe(2)
    expect(body.items.map((e: any) => e.message)).toEqual(['A failed for user 3', 'A failed for user 2'])
    expect(body.items[0].received_at).toBe(clockAt(13, 30))
    const rest = (await get(`/v1/errors/${fp}/occurrences?limit=2&offset=2`)).body
    expect(rest.items.map((e: any) => e.message)).toEqual(['A failed for user 1'])
  })

  test('trend is zero-filled hourly over `hours`', async () => {
    const fp = await fpOf('A failed for user 1')
    const { body } = await get(`/v1/errors/${fp}/trend?hours=4`)
    expect(body).toEqual([
      { hour_bucket: clockAt(11, 0), count: 0 },
      { hour_bucket: clockAt(12, 0), count: 1 },
      { hour_bucket: clockAt(13, 0), count: 2 },
      { hour_bucket: clockAt(14, 0), count: 0 },
    ])
    expect((await get(`/v1/errors/${fp}/trend?hours=720`)).body.length).toBe(720)
    expect((await get(`/v1/errors/${fp}/trend?hours=721`)).body).toEqual({
      error: 'query parameter hours: expected an integer from 1 to 720 (got "721")',
      code: 'invalid_query',
      field: 'hours',
    })
    expect((await get(`/v1/errors/${fp}/trend`)).body.length).toBe(72)
    expect((await get(`/v1/errors/${fp}/trend?hours=0`)).status).toBe(400)
    const staging = (await get(`/v1/errors/${fp}/trend?hours=2&environment=staging`)).body
    expect(staging.map((p: any) => p.count)).toEqual([1, 0])
  })

  test('global trends and stats cover the caller’s projects', async () => {
    const trend = (await get('/v1/trends?hours=3')).body
    expect(trend.map((p: any) => p.count)).toEqual([1, 2, 1])
    const stats = (await get('/v1/stats')).body
    expect(stats).toEqual({
      total_errors: 2,
      unresolved_errors: 2,
      total_events_24h: 4,
      top_routes: [
        { route: '/api/users', count: 3 },
        { route: '/checkout', count: 1 },
      ],
    })
  })

  test('errors of a release', async () => {
    const { body } = await get('/v1/releases/1.1.0/errors')
    expect(body.items.map((i: any) => [i.message, i.total_count])).toEqual([['A failed for user 1', 2]])
    const both = (await get('/v1/releases/1.0.0/errors')).body
    expect(both.items.map((i: any) => [i.message, i.total_count]).sort()).toEqual([
      ['A failed for user 1', 1],
      ['B broke', 1],
    ])
    expect((await get('/v1/releases/9.9.9/errors')).body.total).toBe(0)
  })
})

describe('status changes', () => {
  test('resolve, ignore, mute and unresolve record who changed what', async () => {
    const fp = await fpOf('B broke')
    for (const [action, status] of [
      ['resolve', 'resolved'],
      ['ignore', 'ignored'],
      ['mute', 'muted'],
      ['unresolve', 'unresolved'],
    ]) {
      const { status: code, body } = await post(`/v1/errors/${fp}/${action}`)
      expect(code).toBe(200)
      expect(body.status).toBe(status)
    }
    const history = (await get(`/v1/errors/${fp}/history`)).body
    expect(history.map((h: any) => [h.old_status, h.new_status])).toEqual([
      ['muted', 'unresolved'],
      ['ignored', 'muted'],
      ['resolved', 'ignored'],
      ['unresolved', 'resolved'],
    ])
    expect(history[0].changed_by).toBe('test-errors:read-errors:write'.replace(/^/, 'token:'))
    expect(history[0].changed_at).toBe(clock)
    expect((await post(`/v1/errors/${fp}/close`)).status).toBe(404)
  })

  test('a new event on a resolved issue reopens it with history by "system"; muted stays muted', async () => {
    const fp = await fpOf('A failed for user 1')
    await post(`/v1/errors/${fp}/resolve`)
    clock += 1000
    await ingest({ message: 'A failed for user 4', release: '1.2.0' })
    const detail = (await get(`/v1/errors/${fp}`)).body
    expect(detail.status).toBe('unresolved')
    expect(detail.history[0]).toMatchObject({
      old_status: 'resolved',
      new_status: 'unresolved',
      changed_by: 'system',
    })
    expect(detail.history[0].changed_at).toBe(clock)

    await post(`/v1/errors/${fp}/mute`)
    await ingest({ message: 'A failed for user 5' })
    expect((await get(`/v1/errors/${fp}`)).body.status).toBe('muted')
  })

  test('scopes: a read-only token cannot change status (403); bad tokens are 401', async () => {
    const fp = await fpOf('B broke')
    const denied = await post(`/v1/errors/${fp}/resolve`, read)
    expect(denied.status).toBe(403)
    expect(denied.body.code).toBe('insufficient_scope')
    const alertsOnly = rt.token(['alerts:read'])
    expect((await get('/v1/errors', alertsOnly)).status).toBe(403)
    expect((await get('/v1/errors', 'bloop_tk_nope')).status).toBe(401)
    const noAuth = await rt.fetch('/v1/errors')
    expect(noAuth.status).toBe(401)
    const { token, row } = await createToken(rt.core.backend, {
      projectId: 'default',
      name: 'soon',
      scopes: ['errors:read'],
    })
    expect((await get('/v1/errors', token)).status).toBe(200)
    await revokeToken(rt.core.backend, row.id)
    const revoked = await get('/v1/errors', token)
    expect(revoked.status).toBe(401)
    expect(revoked.body.error).toContain('revoked')
    const expired = await createToken(
      rt.core.backend,
      {
        projectId: 'default',
        name: 'old',
        scopes: ['errors:read'],
        expiresInDays: 1,
      },
      clock - 2 * 86_400_000,
    )
    const exp = await get('/v1/errors', expired.token)
    expect(exp.status).toBe(401)
    expect(exp.body.error).toContain('expired')
  })
})

function clockAt(h: number, m: number) {
  return Date.UTC(2026, 2, 10, h, m)
}
