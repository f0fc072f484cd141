/**
 * LLM data leaves with its retention window (global, or the project's own) through the
 * retention sweeper's writer tasks, rollups adjusted in the same transaction; a deleted
 * project's LLM rows are removed with its other data.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { DAY_MS } from '../../src/retention/policy'
import { projectIn, sessionIn, startRuntime, type TestRuntime, userIn } from '../helpers'
import { signedTrace, span, trace } from '../llm.helpers'

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0)
let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.dispose()
  rt = null
})

async function start() {
  const clock = { now: T0 }
  const r = await startRuntime({ llm_tracing: { default_content_storage: 'full' } }, { now: () => clock.now })
  rt = r
  // T0 and the days before it are in the past: PostgreSQL needs llm_spans' partitions for them.
  if (r.core.backend.kind === 'postgres')
    await r.core.backend.get('SELECT bloop_partitions_cover(?, ?, ?)', [
      'llm_spans',
      T0 - 60 * DAY_MS,
      T0 + DAY_MS,
    ])
  // An admin with a session, the way a passkey sign-in makes them (same stores).
  const user = await userIn(r.core.backend, { username: 'retention-admin', role: 'admin' }, r.core.now())
  const admin = {
    cookie: `bloop_session=${await sessionIn(r.core.backend, user.id, r.core.now(), r.config.auth.session_ttl_secs)}`,
  }
  const adminCall = (method: string, path: string, body?: unknown) =>
    r.fetch(path, {
      method,
      headers: { cookie: admin.cookie, origin: 'http://localhost:5332', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  const sendAt = async (at: number, id: string, key?: string, startedAt = at) => {
    clock.now = at
    const body = trace({
      id,
      started_at: startedAt,
      ended_at: startedAt + 1200,
      spans: [span({ started_at: startedAt })],
    })
    expect((await r.handle(signedTrace('/v1/traces', body, { key }))).status).toBe(200)
  }
  const count = async (table: string) =>
    ((await r.core.backend.get(`SELECT count(*) AS n FROM ${table}`)) as { n: number }).n
  return { r, clock, adminCall, sendAt, count }
}

describe('LLM retention', () => {
  test('a pass removes traces older than retention_days with their spans, scores and rollups; exactly the window stays', async () => {
    const { r, clock, adminCall, sendAt, count } = await start()
    await sendAt(T0 - 30 * DAY_MS - 1, 'old')
    await sendAt(T0 - 30 * DAY_MS, 'edge')
    await sendAt(T0, 'new')
    const writer = r.token(['llm:write'])
    const score = await r.fetch('/v1/llm/traces/old/scores', {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'quality', value: 0.5 }),
    })
    expect(score.status).toBe(200)
    expect(await count('llm_usage_hourly')).toBe(3)
    clock.now = T0
    const res = await adminCall('POST', '/v1/admin/retention/purge', { confirm: true })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ llm_traces_deleted: 1 })
    const ids = await r.core.backend.all('SELECT id FROM llm_traces ORDER BY id COLLATE BINARY')
    expect(ids).toEqual([{ id: 'edge' }, { id: 'new' }])
    expect(await count('llm_spans')).toBe(2)
    expect(await count('llm_scores')).toBe(0)
    expect(await count('llm_search')).toBe(2)
    expect(await count('llm_usage_hourly')).toBe(2)
    expect(
      await r.core.backend.get('SELECT CAST(sum(trace_count) AS INTEGER) AS n FROM llm_trace_hourly'),
    ).toEqual({ n: 2 })
  })

  test("a project's own window wins over the global one, longer or shorter", async () => {
    const { r, clock, adminCall, sendAt } = await start()
    const shop = await projectIn(r.core.backend, { name: 'Shop', slug: 'shop' })
    const writer = r.token(['llm:write'], shop.id)
    const set = await r.fetch('/v1/llm/settings', {
      method: 'PUT',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ retention_days: 60 }),
    })
    expect(await set.json()).toMatchObject({ retention_days: 60, retention_days_source: 'project' })
    await sendAt(T0 - 40 * DAY_MS, 'shop-40d', shop.api_key)
    await sendAt(T0 - 40 * DAY_MS, 'default-40d')
    clock.now = T0
    expect(
      await (await adminCall('POST', '/v1/admin/retention/purge', { confirm: true })).json(),
    ).toMatchObject({
      llm_traces_deleted: 1,
    })
    expect(await r.core.backend.all('SELECT id FROM llm_traces')).toEqual([{ id: 'shop-40d' }])
    const bad = await r.fetch('/v1/llm/settings', {
      method: 'PUT',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ retention_days: 0 }),
    })
    expect(bad.status).toBe(400)
  })

  test('retention judges the server receive time, not the client started_at', async () => {
    const { clock, adminCall, sendAt, r } = await start()
    // Received now, but the client says it started 400 days ago (a wrong clock or a backfill).
    await sendAt(T0, 'skewed', undefined, T0 - 400 * DAY_MS)
    clock.now = T0
    expect(
      await (await adminCall('POST', '/v1/admin/retention/purge', { confirm: true })).json(),
    ).toMatchObject({
      llm_traces_deleted: 0,
    })
    expect(await r.core.backend.all('SELECT id FROM llm_traces')).toEqual([{ id: 'skewed' }])
  })

  test('deleting a project removes its LLM rows, and only its', async () => {
    const { r, adminCall, sendAt, count } = await start()
    const shop = await projectIn(r.core.backend, { name: 'Gone', slug: 'gone' })
    await sendAt(T0, 'gone-1', shop.api_key)
    await sendAt(T0, 'kept-1')
    expect(await count('llm_traces')).toBe(2)
    expect((await adminCall('DELETE', '/v1/projects/gone')).status).toBe(200)
    for (let i = 0; i < 100 && (await count('llm_traces')) > 1; i++) await Bun.sleep(20)
    await Bun.sleep(50)
    const left = async (table: string) =>
      (
        (await r.core.backend.get(`SELECT count(*) AS n FROM ${table} WHERE project_id = ?`, [shop.id])) as {
          n: number
        }
      ).n
    for (const table of ['llm_traces', 'llm_spans', 'llm_usage_hourly', 'llm_trace_hourly'])
      expect(await left(table)).toBe(0)
    expect(await r.core.backend.all('SELECT id FROM llm_traces')).toEqual([{ id: 'kept-1' }])
    expect(await count('llm_search')).toBe(1)
  })
})
