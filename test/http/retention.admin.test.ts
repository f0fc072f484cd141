/**
 * The retention admin API over HTTP, as a signed-in admin: the settings view, changes and
 * their bounds, and the purge answer. Access rules come from the shared security suite.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { createSession } from '../../src/auth/sessions'
import { DAY_MS, HOUR_MS } from '../../src/core/time'
import { event, projectIn, signed, startRuntime, type TestRuntime } from '../helpers'
import { type SignedInUser, signedIn } from '../security'

// Access to these routes is checked by the shared suite (test/security.routes.ts).

const T0 = Date.UTC(2026, 4, 1, 9, 0, 0)
let rt: TestRuntime | null = null
let clock = T0
afterEach(async () => {
  await rt?.dispose()
  rt = null
  clock = T0
})

async function start(overrides: Parameters<typeof startRuntime>[0] = {}) {
  clock = T0 - 30 * DAY_MS
  rt = await startRuntime(overrides, { now: () => clock })
  const admin = await signInAs('alice', 'admin')
  const r = rt
  // A fresh session at the clock's current time: the clock jumps further than a session lives.
  const cookieNow = async (who: SignedInUser) =>
    `bloop_session=${await createSession(r.core.backend, who.id, clock, r.config.auth.session_ttl_secs)}`
  const call = async (method: string, path: string, body?: unknown, who: SignedInUser = admin) => {
    const res = await r.fetch(path, {
      method,
      headers: {
        cookie: await cookieNow(who),
        origin: 'http://localhost:5332',
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: res.status, body: await res.json() }
  }
  const ingestAt = async (at: number, n: number, key?: string) => {
    clock = at
    // PostgreSQL refuses a row outside every receive-day partition, and the migration made
    // only yesterday's through a week ahead of the real date: the day of `at` gets its
    // own here, as `bloop db copy` makes them for old data.
    if (r.core.backend.kind === 'postgres')
      await r.core.backend.get("SELECT bloop_partitions_cover('raw_events', ?, ?) AS n", [at, at])
    const events = Array.from({ length: n }, (_, i) => event({ message: `m${i}`, fingerprint: 'fp' }))
    expect((await r.handle(signed('/v1/ingest/batch', { events }, { key }))).status).toBe(200)
  }
  return { rt: r, call, ingestAt }
}

/** A user with a live session, on either backend (test/security.ts `signedIn`). */
async function signInAs(username: string, role: 'admin' | 'user'): Promise<SignedInUser> {
  return signedIn(rt as TestRuntime, username, role)
}

describe('GET /v1/admin/retention', () => {
  test('shows the global windows, overrides, storage figures and schedule', async () => {
    const startedAt = Date.now()
    const { rt, call, ingestAt } = await start({
      retention: { raw_events_days: 14, prune_interval_secs: 1800 },
    })
    const builtAt = Date.now()
    await projectIn(rt.core.backend, { name: 'Shop', slug: 'shop' })
    await ingestAt(T0 - 2 * HOUR_MS, 3)
    clock = T0
    expect(
      (
        await call('PUT', '/v1/admin/retention', {
          per_project: [{ project_id: 'shop', raw_events_days: 30 }],
        })
      ).status,
    ).toBe(200)
    const { status, body } = await call('GET', '/v1/admin/retention')
    expect(status).toBe(200)
    expect(body.global).toEqual({
      raw_events_days: 14,
      hourly_counts_days: 90,
      source: 'config',
      set_by: null,
      updated_at: T0 - 30 * DAY_MS,
    })
    expect(body.per_project).toEqual([
      {
        project_id: expect.any(String),
        project_slug: 'shop',
        project_name: 'Shop',
        raw_events_days: 30,
        set_by: 'alice',
        updated_at: T0,
      },
    ])
    expect(body.storage).toMatchObject({
      raw_events_count: 3,
      hourly_counts_count: 1,
      oldest_raw_event_at: T0 - 2 * HOUR_MS,
      rows: {
        raw_events: 3,
        event_counts_hourly: 1,
        samples: 3,
        issues: 1,
        error_aggregates: 1,
        status_changes: 0,
        sourcemaps: 0,
      },
    })
    expect(body.storage.db_size_bytes).toBeGreaterThan(0)
    expect(Object.keys(body.storage).sort()).toEqual(
      [
        'db_size_bytes',
        'free_bytes',
        'hourly_counts_count',
        'oldest_raw_event_at',
        'raw_events_count',
        'rows',
        'wal_size_bytes',
      ].sort(),
    )
    expect(body.schedule).toMatchObject({ prune_interval_secs: 1800, prune_batch_size: 2000, last_run: null })
    // The first scheduled pass is one interval after start.
    expect(body.schedule.next_run_at).toBeGreaterThanOrEqual(startedAt + 1800_000 - 5)
    expect(body.schedule.next_run_at).toBeLessThanOrEqual(builtAt + 1800_000 + 5)
  })
})

describe('PUT /v1/admin/retention', () => {
  test('accepts windows of exactly 1 and 3650 days and answers the new view', async () => {
    const { call } = await start()
    clock = T0
    const res = await call('PUT', '/v1/admin/retention', { raw_events_days: 1, hourly_counts_days: 3650 })
    expect(res.status).toBe(200)
    expect(res.body.global).toEqual({
      raw_events_days: 1,
      hourly_counts_days: 3650,
      source: 'admin',
      set_by: 'alice',
      updated_at: T0,
    })
  })

  test('rejects 0 and 3651 days with 400 naming the field, changing nothing', async () => {
    const { call } = await start()
    for (const body of [
      { raw_events_days: 0 },
      { raw_events_days: 3651 },
      { hourly_counts_days: 0 },
      { hourly_counts_days: 3651 },
    ]) {
      const res = await call('PUT', '/v1/admin/retention', body)
      expect([res.status, res.body.field]).toEqual([400, Object.keys(body)[0]])
    }
    const bad = await call('PUT', '/v1/admin/retention', {
      per_project: [{ project_id: 'default', raw_events_days: 3651 }],
    })
    expect([bad.status, bad.body.field]).toEqual([400, 'per_project.0.raw_events_days'])
    const unknown = await call('PUT', '/v1/admin/retention', {
      per_project: [{ project_id: 'nope', raw_events_days: 3 }],
    })
    expect([unknown.status, unknown.body.field]).toEqual([400, 'per_project.0.project_id'])
    const broken = await call('PUT', '/v1/admin/retention', '{"raw_events_days": ')
    expect([broken.status, broken.body.code]).toEqual([400, 'invalid_json'])
    const view = (await call('GET', '/v1/admin/retention')).body
    expect(view.global).toMatchObject({ raw_events_days: 7, hourly_counts_days: 90, source: 'config' })
    expect(view.per_project).toEqual([])
  })

  test('sets a project override by slug and removes it with 0', async () => {
    const { call } = await start()
    const set = await call('PUT', '/v1/admin/retention', {
      per_project: [{ project_id: 'default', raw_events_days: 3650 }],
    })
    expect(
      set.body.per_project.map((p: { project_id: string; raw_events_days: number }) => [
        p.project_id,
        p.raw_events_days,
      ]),
    ).toEqual([['default', 3650]])
    const removed = await call('PUT', '/v1/admin/retention', {
      per_project: [{ project_id: 'default', raw_events_days: 0 }],
    })
    expect(removed.body.per_project).toEqual([])
    expect(removed.body.global.source).toBe('config')
  })
})

describe('POST /v1/admin/retention/purge', () => {
  test('needs {"confirm": true}', async () => {
    const { call } = await start()
    for (const body of [{ confirm: false }, {}, { confirm: 'yes' }]) {
      const res = await call('POST', '/v1/admin/retention/purge', body)
      expect([res.status, res.body.field]).toEqual([400, 'confirm'])
    }
    const empty = await call('POST', '/v1/admin/retention/purge', '')
    expect([empty.status, empty.body.code]).toEqual([400, 'invalid_json'])
  })

  test('answers exactly what it deleted, per project, and the pass shows in the view', async () => {
    const { rt, call, ingestAt } = await start({ retention: { raw_events_days: 7, hourly_counts_days: 10 } })
    const shop = await projectIn(rt.core.backend, { name: 'Shop', slug: 'shop' })
    await ingestAt(T0 - 20 * DAY_MS, 4)
    await ingestAt(T0 - 20 * DAY_MS, 2, shop.api_key)
    await ingestAt(T0 - 8 * DAY_MS, 3, shop.api_key)
    await ingestAt(T0 - DAY_MS, 5)
    clock = T0
    const res = await call('POST', '/v1/admin/retention/purge', { confirm: true })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      status: 'ok',
      trigger: 'purge',
      started_at: T0,
      finished_at: T0,
      raw_events_deleted: 9,
      hourly_counts_deleted: 2,
      users_hourly_deleted: 0,
      // PostgreSQL drops the whole days before the cutoff (T0 - 20 and T0 - 8 days) as
      // partitions; SQLite has none.
      partitions_dropped: rt.core.backend.kind === 'postgres' ? { raw_events: 2 } : {},
      per_project: [
        { project_id: shop.id, raw_events_deleted: 5 },
        { project_id: 'default', raw_events_deleted: 4 },
      ],
      cutoffs: {
        raw_events_before: T0 - 7 * DAY_MS,
        hourly_buckets_through: T0 - 10 * DAY_MS - HOUR_MS,
        per_project: {},
      },
    })
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'cutoffs',
        'duration_ms',
        'finished_at',
        'hourly_counts_deleted',
        'llm_traces_deleted',
        'pages_freed',
        'partitions_dropped',
        'per_project',
        'phases_ms',
        'raw_events_deleted',
        'started_at',
        'status',
        'trigger',
        'users_hourly_deleted',
      ].sort(),
    )
    const view = (await call('GET', '/v1/admin/retention')).body
    expect(view.storage.raw_events_count).toBe(5)
    const { status: _status, ...report } = res.body
    expect(view.schedule.last_run).toEqual(report)
  })
})
