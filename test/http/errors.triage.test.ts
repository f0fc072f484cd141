/**
 * Breadcrumbs, users affected, tags and search through the real app (docs/decisions.md,
 * "Breadcrumbs", "Users affected", "Tags", "Search"): bloop events in, the query API out.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { HOUR_MS } from '../../src/core/time'
import { MAX_BREADCRUMBS } from '../../src/errors/breadcrumbs'
import { foldWatermark } from '../../src/errors/fold'
import { bearer, event, normalizedEvent, signed, startRuntime, type TestRuntime, userIn } from '../helpers'

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0)
let clock = T0
let rt: TestRuntime
let auth: Record<string, string>
beforeAll(async () => {
  rt = await startRuntime({ rate_limit: { per_second: 100000, burst_size: 100000 } }, { now: () => clock })
  // The events are received at fixed times around T0, days before today: PostgreSQL's raw_events
  // is partitioned by receive day (yesterday to a week ahead exist), so their days are made here.
  if (rt.core.backend.kind === 'postgres')
    await rt.core.backend.get('SELECT bloop_partitions_cover(?, ?, ?)', [
      'raw_events',
      T0 - 3 * 24 * HOUR_MS,
      T0 + 24 * HOUR_MS,
    ])
  auth = bearer(rt.token(['errors:read', 'errors:write']))
})
afterAll(() => rt.dispose())

const batch = (events: Record<string, unknown>[]) => rt.handle(signed('/v1/ingest/batch', { events }))
/** Tags and users are folded in after the commit (src/errors/fold.ts): wait for that fold. */
const folded = () => rt.features.errors.fold()
const get = async <T = Record<string, unknown>>(path: string): Promise<T> => {
  const res = await rt.fetch(path, { headers: auth })
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}
type Listed = { items: { fingerprint: string; users_count: number; error_type: string }[]; total: number }

describe('breadcrumbs', () => {
  test('are stored with the event and answered oldest first on samples and occurrences', async () => {
    const crumbs = [
      { timestamp: T0 - 3000, category: 'navigation', message: '/cart' },
      {
        timestamp: T0 - 2000,
        type: 'http',
        category: 'fetch',
        level: 'error',
        data: { url: '/api/pay', status_code: 502 },
      },
      { timestamp: T0 - 1000, category: 'ui.click', message: 'button#retry' },
    ]
    const res = await rt.handle(signed('/v1/ingest', event({ fingerprint: 'crumbs', breadcrumbs: crumbs })))
    expect(res.status).toBe(200)
    const stored = [
      { timestamp: T0 - 3000, category: 'navigation', level: 'info', message: '/cart' },
      { ...crumbs[1], level: 'error' },
      { timestamp: T0 - 1000, category: 'ui.click', level: 'info', message: 'button#retry' },
    ]
    const detail = await get<{ samples: { breadcrumbs: unknown[] }[] }>('/v1/errors/crumbs')
    expect(detail.samples[0]?.breadcrumbs).toEqual(stored)
    const occ = await get<{ items: { breadcrumbs: unknown[] }[] }>('/v1/errors/crumbs/occurrences')
    expect(occ.items[0]?.breadcrumbs).toEqual(stored)
  })

  test('an event without breadcrumbs answers an empty list', async () => {
    await rt.handle(signed('/v1/ingest', event({ fingerprint: 'no-crumbs' })))
    const detail = await get<{ samples: { breadcrumbs: unknown[] }[] }>('/v1/errors/no-crumbs')
    expect(detail.samples[0]?.breadcrumbs).toEqual([])
  })

  test(`takes ${MAX_BREADCRUMBS} and answers 400 naming the field at ${MAX_BREADCRUMBS + 1}`, async () => {
    const crumbs = (n: number) => Array.from({ length: n }, (_, i) => ({ message: `s${i}` }))
    const okRes = await rt.handle(
      signed('/v1/ingest', event({ fingerprint: 'many', breadcrumbs: crumbs(MAX_BREADCRUMBS) })),
    )
    expect(okRes.status).toBe(200)
    const bad = await rt.handle(
      signed('/v1/ingest', event({ fingerprint: 'many', breadcrumbs: crumbs(MAX_BREADCRUMBS + 1) })),
    )
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({
      error: `breadcrumbs exceeds ${MAX_BREADCRUMBS} entries (got ${MAX_BREADCRUMBS + 1})`,
      code: 'invalid_field',
      field: 'breadcrumbs',
    })
    // In a batch the bad event is reported by index and the others are stored.
    const res = await batch([
      event({ fingerprint: 'many' }),
      event({ fingerprint: 'many', breadcrumbs: [{}, { level: 'loud' }] }),
    ])
    expect(await res.json()).toEqual({
      accepted: 1,
      dropped: 1,
      errors: [
        {
          index: 1,
          field: 'breadcrumbs[1].level',
          error: 'breadcrumbs[1].level must be one of fatal, error, warning, info, debug',
        },
      ],
    })
  })
})

describe('users affected', () => {
  test('counts distinct users in total, in the last 24 hours and per release, exactly while few', async () => {
    clock = T0 - 30 * HOUR_MS
    // Two days ago: users a, b, c on 1.0.0.
    await batch(
      ['a', 'b', 'c', 'a'].map((u) => event({ fingerprint: 'users-1', release: '1.0.0', user_id_hash: u })),
    )
    clock = T0
    // Now: b again, d, e on 2.0.0; and one event without a user.
    await batch([
      ...['b', 'd', 'e', 'e'].map((u) =>
        event({ fingerprint: 'users-1', release: '2.0.0', user_id_hash: u }),
      ),
      event({ fingerprint: 'users-1', release: '2.0.0' }),
    ])
    await folded()
    const detail = await get<{ users_count: number; users: unknown }>('/v1/errors/users-1')
    expect(detail.users_count).toBe(5)
    expect(detail.users).toEqual({
      total: 5,
      last_24h: 3,
      by_release: [
        { release: '1.0.0', users: 3 },
        { release: '2.0.0', users: 3 },
      ],
    })
  })

  test('the list carries users_count and sorts by it', async () => {
    await batch([
      ...Array.from({ length: 12 }, (_, i) => event({ fingerprint: 'users-2', user_id_hash: `u${i}` })),
      ...Array.from({ length: 20 }, () => event({ fingerprint: 'users-3', user_id_hash: 'same' })),
    ])
    await folded()
    const list = await get<Listed>('/v1/errors?sort=users_count&limit=3')
    expect(list.items.map((i) => [i.fingerprint, i.users_count])).toEqual([
      ['users-2', 12],
      ['users-1', 5],
      ['users-3', 1],
    ])
  })

  test('hourly sketches go with the hourly window; the total stays', async () => {
    const hourly = async () =>
      (
        (await rt.core.backend.get(
          "SELECT count(*) AS n FROM issue_user_sketches WHERE scope LIKE 'h:%' AND fingerprint = 'users-1'",
        )) as { n: number }
      ).n
    expect(await hourly()).toBe(2)
    const step = await rt.writer.run('errors.pruneUsersHourly', {
      cutoffs: { hourly_last_bucket: T0 - 2 * HOUR_MS } as never,
      after: null,
      limit: 1000,
    })
    expect(step.next).toBeNull()
    expect(await hourly()).toBe(1)
    expect((await get<{ users: { total: number } }>('/v1/errors/users-1')).users.total).toBe(5)
  })

  test('a pass walks the issues in small steps and resumes where its budget ended', async () => {
    for (const hoursAgo of [50, 49, 48]) {
      clock = T0 - hoursAgo * HOUR_MS
      await batch([event({ fingerprint: 'users-4', user_id_hash: `old-${hoursAgo}` })])
    }
    await folded()
    clock = T0
    const old = async () =>
      (
        (await rt.core.backend.get(
          "SELECT count(*) AS n FROM issue_user_sketches WHERE scope LIKE 'h:%' AND scope < ?",
          [`h:${String((T0 - 2 * HOUR_MS) / HOUR_MS).padStart(8, '0')}`],
        )) as { n: number }
      ).n
    expect(await old()).toBe(3)
    let after: unknown = null
    let steps = 0
    let deleted = 0
    do {
      const step = (await rt.writer.run('errors.pruneUsersHourly', {
        cutoffs: { hourly_last_bucket: T0 - 2 * HOUR_MS } as never,
        after: after as never,
        limit: 1,
      })) as { deleted: number; next: unknown }
      expect(step.deleted).toBeLessThanOrEqual(1)
      deleted += step.deleted
      after = step.next
      steps++
    } while (after !== null && steps < 1000)
    expect(deleted).toBe(3)
    expect(await old()).toBe(0)
    expect((await get<{ users: { total: number } }>('/v1/errors/users-4')).users.total).toBe(3)
  })
})

describe('the fold of tags and users after the commit', () => {
  test('an idle server folds a lone event by itself, without anyone asking', async () => {
    await batch([
      event({ fingerprint: 'lone', user_id_hash: 'lone-user', metadata: { tags: { browser: 'Lynx' } } }),
    ])
    const last = (
      (await rt.core.backend.get('SELECT max(id) AS n FROM raw_events')) as {
        n: number
      }
    ).n
    // Polled, not slept: the fold starts within the interval of the previous one.
    const deadline = performance.now() + 10_000
    while ((await foldWatermark(rt.core.backend)) < last && performance.now() < deadline) await Bun.sleep(10)
    expect(await foldWatermark(rt.core.backend)).toBe(last)
    const tags = await get<{ key: string; values: { value: string }[] }[]>('/v1/errors/lone/tags')
    expect(tags.find((t) => t.key === 'browser')?.values.map((v) => v.value)).toEqual(['Lynx'])
    expect((await get<{ users_count: number }>('/v1/errors/lone')).users_count).toBe(1)
  })

  test("the fold gives a merge group's target the union of the group's users, which the list sorts by", async () => {
    const users = (fingerprint: string, ids: string[]) =>
      ids.map((u) => event({ fingerprint, user_id_hash: u }))
    await batch([
      ...users('m-a', ['x1', 'x2']),
      ...users('m-b', ['x2', 'x3', 'x4']),
      ...users('m-c', ['y1', 'y2', 'y3']),
    ])
    await folded()
    const ranked = async () =>
      (await get<Listed>('/v1/errors?sort=users_count&limit=200')).items
        .filter((i) => i.fingerprint.startsWith('m-'))
        .map((i) => [i.fingerprint, i.users_count])
    expect(await ranked()).toEqual([
      ['m-b', 3],
      ['m-c', 3],
      ['m-a', 2],
    ])
    const post = (path: string, body: unknown) =>
      rt.fetch(path, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect(
      (await post('/v1/errors/bulk', { action: 'merge', target: 'm-a', fingerprints: ['m-b'] })).status,
    ).toBe(200)
    // At once, before any new event: the group's users are x1-x4.
    expect(await ranked()).toEqual([
      ['m-a', 4],
      ['m-c', 3],
    ])
    // The merged fingerprint's next events, once folded, count for the group: x1-x5, one
    // user in both counted once.
    await batch(users('m-b', ['x5', 'x1']))
    await folded()
    expect(await ranked()).toEqual([
      ['m-a', 5],
      ['m-c', 3],
    ])
    expect((await get<{ users: { total: number } }>('/v1/errors/m-a')).users.total).toBe(5)
    // Unmerged, each has its own users again at once: m-b holds x1-x5, m-a x1 and x2.
    expect((await post('/v1/errors/unmerge', { fingerprints: ['m-b'] })).status).toBe(200)
    expect(await ranked()).toEqual([
      ['m-b', 5],
      ['m-c', 3],
      ['m-a', 2],
    ])
  })
})

describe('tags', () => {
  test('top values per tag with counts and shares', async () => {
    const ev = (browser: string, plan: string) =>
      event({ fingerprint: 'tagged', environment: 'prod', metadata: { plan, tags: { browser } } })
    await batch([ev('Chrome', 'pro'), ev('Chrome', 'pro'), ev('Chrome', 'free'), ev('Firefox', 'pro')])
    await folded()
    const facets = await get<{ key: string; total: number; distinct: number; values: unknown[] }[]>(
      '/v1/errors/tagged/tags?top=1',
    )
    const byKey = Object.fromEntries(facets.map((f) => [f.key, f]))
    expect(Object.keys(byKey).sort()).toEqual([
      'browser',
      'environment',
      'plan',
      'release',
      'route',
      'source',
    ])
    expect(byKey.browser).toEqual({
      key: 'browser',
      total: 4,
      distinct: 2,
      values: [{ value: 'Chrome', count: 3, share: 0.75, last_seen: T0 }],
    })
    expect(byKey.plan?.values).toEqual([{ value: 'pro', count: 3, share: 0.75, last_seen: T0 }])
    expect(byKey.environment?.values).toEqual([{ value: 'prod', count: 4, share: 1, last_seen: T0 }])
  })

  test('a tag keeps 100 distinct values per issue, then counts the rest as (other)', async () => {
    await batch(
      Array.from({ length: 100 }, (_, i) => event({ fingerprint: 'ids', metadata: { order: `o${i}` } })),
    )
    await batch(
      Array.from({ length: 5 }, (_, i) => event({ fingerprint: 'ids', metadata: { order: `late${i}` } })),
    )
    await batch([event({ fingerprint: 'ids', metadata: { order: 'o7' } })])
    await folded()
    const order = (
      await get<
        { key: string; total: number; distinct: number; values: { value: string; count: number }[] }[]
      >('/v1/errors/ids/tags?top=2')
    ).find((f) => f.key === 'order')
    expect(order).toMatchObject({ total: 106, distinct: 101 })
    expect(order?.values.slice(0, 2).map((v) => [v.value, v.count])).toEqual([
      ['(other)', 5],
      ['o7', 2],
    ])
    // 120 new values in one commit (a group commit of several requests): the first 100 are
    // kept, the last 20 counted as (other).
    await rt.writer.run('errors.commit', {
      events: Array.from({ length: 120 }, (_, i) =>
        normalizedEvent({
          fingerprint: 'ids-2',
          received_at: clock,
          metadata: JSON.stringify({ order: `n${i}` }),
        }),
      ),
      sampleSize: 5,
    })
    await folded()
    const second = (
      await get<
        { key: string; total: number; distinct: number; values: { value: string; count: number }[] }[]
      >('/v1/errors/ids-2/tags?top=100')
    ).find((f) => f.key === 'order')
    expect(second).toMatchObject({ total: 120, distinct: 101 })
    expect(second?.values[0]).toMatchObject({ value: '(other)', count: 20 })
    expect(second?.values.some((v) => v.value === 'n0')).toBe(true)
    expect(second?.values.some((v) => v.value === 'n100')).toBe(false)

    // Two issues in one commit share its upserts: each keeps its own 100 values, and only
    // its own values past them are counted as (other).
    await rt.writer.run('errors.commit', {
      events: Array.from({ length: 220 }, (_, i) =>
        normalizedEvent({
          fingerprint: i % 2 === 0 ? 'ids-a' : 'ids-b',
          received_at: clock,
          metadata: JSON.stringify({ order: `v${i >> 1}` }),
        }),
      ),
      sampleSize: 5,
    })
    await folded()
    for (const fp of ['ids-a', 'ids-b']) {
      const facet = (
        await get<
          { key: string; total: number; distinct: number; values: { value: string; count: number }[] }[]
        >(`/v1/errors/${fp}/tags?top=100`)
      ).find((f) => f.key === 'order')
      expect(facet).toMatchObject({ total: 110, distinct: 101 })
      expect(facet?.values[0]).toMatchObject({ value: '(other)', count: 10 })
      expect(facet?.values.some((v) => v.value === 'v0')).toBe(true)
      expect(facet?.values.some((v) => v.value === 'v100')).toBe(false)
    }
  })
})

describe('search', () => {
  test('free text, tags, built-ins and users narrow the list', async () => {
    await batch([
      event({
        fingerprint: 's-1',
        error_type: 'TimeoutError',
        message: 'read timeout after 30s',
        environment: 'prod',
        user_id_hash: 'zed',
      }),
      event({
        fingerprint: 's-2',
        error_type: 'TypeError',
        message: 'x is undefined',
        route_or_procedure: '/api/timeout-test',
        environment: 'prod',
      }),
      event({
        fingerprint: 's-3',
        error_type: 'TypeError',
        message: 'y is undefined',
        environment: 'staging',
        metadata: { tags: { browser: 'Safari' } },
      }),
    ])
    await folded()
    const fps = async (q: string) =>
      (await get<Listed>(`/v1/errors?limit=200&query=${encodeURIComponent(q)}`)).items
        .map((i) => i.fingerprint)
        .filter((f) => f.startsWith('s-'))
        .sort()
    expect(await fps('timeout')).toEqual(['s-1', 's-2'])
    expect(await fps('TIMEOUT environment:prod typeerror')).toEqual(['s-2'])
    expect(await fps('"read timeout"')).toEqual(['s-1'])
    expect(await fps('browser:Safari')).toEqual(['s-3'])
    expect(await fps('browser:Safari is:resolved')).toEqual([])
    expect(await fps('user:zed')).toEqual(['s-1'])
    expect(await fps('undefined env:staging')).toEqual(['s-3'])
    // LIKE's wildcards are literal in search text.
    expect(await fps('%')).toEqual([])
    const total = (await get<Listed>(`/v1/errors?query=${encodeURIComponent('"is undefined"')}`)).total
    expect(total).toBe(2)
  })

  test('a tag filter with a release starts from the tagged issues and counts their merge groups exactly', async () => {
    const e = (fingerprint: string, release: string, browser: string, user: string) =>
      event({ fingerprint, release, user_id_hash: user, metadata: { tags: { browser } } })
    await batch([
      e('q-a', '2.0', 'Firefox', 'qu1'),
      e('q-a', '2.0', 'Firefox', 'qu1'),
      e('q-a', '3.0', 'Chrome', 'qu2'),
      e('q-b', '2.0', 'Opera', 'qu3'),
      e('q-b', '2.0', 'Opera', 'qu3'),
      e('q-b', '2.0', 'Opera', 'qu1'),
      e('q-c', '2.0', 'Firefox', 'qu4'),
    ])
    await folded()
    const merged = await rt.fetch('/v1/errors/bulk', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'merge', target: 'q-a', fingerprints: ['q-a', 'q-b'] }),
    })
    expect(merged.status).toBe(200)
    const counts = async (q: string) =>
      (
        await get<{ items: { fingerprint: string; total_count: number }[] }>(
          `/v1/errors?limit=200&query=${encodeURIComponent(q)}`,
        )
      ).items
        .filter((i) => i.fingerprint.startsWith('q-'))
        .map((i) => [i.fingerprint, i.total_count])
        .sort()
    // The tag is on the merged fingerprint only; the target's group answers with its rows of
    // the release: 2 of its own and 3 of the merged one.
    expect(await counts('release:2.0 browser:Opera')).toEqual([['q-a', 5]])
    expect(await counts('release:2.0 browser:Firefox')).toEqual([
      ['q-a', 5],
      ['q-c', 1],
    ])
    expect(await counts('release:3.0 browser:Opera')).toEqual([['q-a', 1]])
    expect(await counts('release:4.0 browser:Firefox')).toEqual([])
    expect(await counts('release:2.0 browser:Firefox user:qu4')).toEqual([['q-c', 1]])
    // Users over the group: the total is the union of every release's sketch of both.
    const users = (await get<{ users: Record<string, unknown> }>('/v1/errors/q-a')).users
    expect(users).toEqual({
      total: 3,
      last_24h: 3,
      by_release: [
        { release: '2.0', users: 2 },
        { release: '3.0', users: 1 },
      ],
    })
  })

  test('an invalid query is a 400 naming its position; a contradiction with a parameter too', async () => {
    const res = await rt.fetch(`/v1/errors?query=${encodeURIComponent('TypeError is:open')}`, {
      headers: auth,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error:
        'query at character 11: is:open is unknown; use unresolved, resolved, ignored, muted, assigned or unassigned',
      code: 'invalid_query',
      field: 'query',
    })
    const clash = await rt.fetch('/v1/errors?environment=prod&query=env:staging', { headers: auth })
    expect(clash.status).toBe(400)
    expect(((await clash.json()) as { error: string }).error).toBe(
      'query: environment:staging contradicts the environment parameter (prod)',
    )
  })

  test('assignment filters go to the assignment list query: assigned to a user, anyone, nobody', async () => {
    expect((await userIn(rt.core.backend, { id: 'u-ann', username: 'ann', role: 'user' }, clock)).id).toBe(
      'u-ann',
    )
    const put = await rt.fetch('/v1/errors/s-2/assignee', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ assignee: 'ann' }),
    })
    expect(put.status).toBe(200)
    const fps = async (q: string) =>
      (await get<Listed>(`/v1/errors?limit=200&query=${encodeURIComponent(q)}`)).items
        .map((i) => i.fingerprint)
        .filter((f) => f.startsWith('s-'))
        .sort()
    expect(await fps('assigned:ann')).toEqual(['s-2'])
    expect(await fps('assigned:u-ann undefined')).toEqual(['s-2'])
    expect(await fps('is:assigned')).toEqual(['s-2'])
    expect(await fps('is:unassigned')).toEqual(['s-1', 's-3'])
    expect(await fps('assigned:none')).toEqual(['s-1', 's-3'])
    const nobody = await rt.fetch('/v1/errors?query=assigned:zed', { headers: auth })
    expect(nobody.status).toBe(400)
    expect(((await nobody.json()) as { error: string }).error).toBe('query: assigned:zed names no user')
    // "me" is the signed-in user: a token has none (the assignment feature's rule).
    const me = await rt.fetch('/v1/errors?query=assigned:me', { headers: auth })
    expect(me.status).toBe(400)
    // A bulk action over everything matching a search selects what the list shows.
    const bulk = await rt.fetch('/v1/errors/bulk', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'mute',
        matching: `query=${encodeURIComponent('browser:Safari undefined')}`,
      }),
    })
    expect(((await bulk.json()) as { matched: number }).matched).toBe(1)
    expect(await fps('is:muted')).toEqual(['s-3'])
    // Merged into s-1, s-3's tags and users find s-1, the issue the list shows.
    const merge = await rt.fetch('/v1/errors/bulk', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'merge', fingerprints: ['s-3'], target: 's-1' }),
    })
    expect(merge.status).toBe(200)
    expect(await fps('browser:Safari')).toEqual(['s-1'])
    const facets = await get<{ key: string; values: { value: string }[] }[]>('/v1/errors/s-1/tags')
    expect(facets.find((f) => f.key === 'browser')?.values.map((v) => v.value)).toEqual(['Safari'])
    const both = await rt.fetch('/v1/errors?assigned=any&query=is:unassigned', { headers: auth })
    expect(((await both.json()) as { error: string }).error).toBe(
      'query: an assignment filter and the assigned parameter together',
    )
  })
})
