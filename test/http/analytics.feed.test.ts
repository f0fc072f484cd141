/**
 * @sqlite-only: the DuckDB copy and its feed exist only on SQLite (on PostgreSQL the insight
 * endpoints read the database itself: test/http/analytics.postgres.test.ts).
 *
 * The feed that keeps the DuckDB copy equal to SQLite: catch-up after a restart, no double
 * counting, rebuild when SQLite reuses raw ids, first start on an existing database,
 * compaction and hourly retention, and a broken DuckDB that must not affect ingest.
 * The copy is compared with SQLite's own hourly counts, which the writer keeps in the same
 * transactions as the raw events.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync } from 'node:fs'
import { hourlyByKey } from '../../src/analytics/store'
import type { Config } from '../../src/config/schema'
import type { NormalizedEvent } from '../../src/errors/event'
import { createLogger } from '../../src/ops/log'
import { saveSettings } from '../../src/retention/store'
import { buildRuntime, type Runtime } from '../../src/server'
import { openDatabase } from '../../src/storage/db'
import { H, makeEvent } from '../analytics.reference'
import { bearer, startRuntime, type TestRuntime } from '../helpers'

const T0 = Date.UTC(2026, 4, 20, 14, 30)
let now = T0
const clock = () => now
const cleanup: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
  now = T0
})

async function start(overrides: Parameters<typeof startRuntime>[0] = {}): Promise<TestRuntime> {
  const rt = await startRuntime(overrides, { now: clock })
  cleanup.push(() => rt.dispose())
  return rt
}

/** A second runtime on the same files (a restart); closed before the first one's cleanup. */
async function reopen(config: Config): Promise<Runtime> {
  const rt = await buildRuntime(config, { log: createLogger('error', () => {}), now: clock })
  cleanup.push(() => rt.close())
  await rt.features.analytics.analytics.ready
  return rt
}

async function submit(rt: Runtime, events: NormalizedEvent[]) {
  const ack = rt.features.errors.queue.submit(events)
  if (ack === 'full') throw new Error('expected the queue to accept the batch')
  return ack
}

function spread(n: number, fromHoursAgo: number, seed = 1): NormalizedEvent[] {
  const out: NormalizedEvent[] = []
  for (let i = 0; i < n; i++) {
    const k = (i * 7919 + seed * 104729) % 9973
    out.push(
      makeEvent({
        fingerprint: `fp-${k % 13}`,
        received_at: now - Math.floor(((k % 1000) / 1000) * fromHoursAgo * H),
        environment: ['production', 'staging'][k % 2] as string,
        source: ['api', 'web', 'ios'][k % 3] as string,
        release: ['1.0', '1.1'][Math.floor(k / 5000)] as string,
      }),
    )
  }
  return out
}

const sortRows = <T extends unknown[]>(rows: T[]) =>
  [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))

/** The copy holds exactly SQLite's hourly counts and first-seen times. */
async function expectCopyEqualsSqlite(rt: Runtime) {
  const duck = rt.features.analytics.analytics.copy
  if (!duck) throw new Error('expected the analytics copy to be open')
  const copy = await hourlyByKey(duck)
  const sqlite = rt.core.db
    .query(
      'SELECT project_id, fingerprint, hour_bucket, environment, source, release, count FROM event_counts_hourly',
    )
    .values()
  expect(sortRows(copy)).toEqual(sortRows(sqlite as unknown[][]) as typeof copy)
  const firstCopy = await duck.query(
    'SELECT project_id, fingerprint, release, environment, first_seen FROM first_seen',
  )
  const firstSqlite = rt.core.db
    .query('SELECT project_id, fingerprint, release, environment, first_seen FROM error_aggregates')
    .all()
  const key = (r: Record<string, unknown>) => JSON.stringify(r)
  expect(firstCopy.map(key).sort()).toEqual(firstSqlite.map((r) => key(r as Record<string, unknown>)).sort())
  expect(copy.length).toBeGreaterThan(0)
}

describe('catch-up', () => {
  test('copies, after a restart, the events that were acknowledged but not yet copied, once', async () => {
    // An hour between feed steps: after the first commit nothing more is copied.
    const a = await start({ analytics: { sync_interval_ms: 3_600_000 } })
    await a.features.analytics.analytics.ready
    await submit(a, spread(300, 50, 1))
    await submit(a, spread(300, 50, 2))
    await submit(a, spread(300, 50, 3))
    const behind = a.features.analytics.analytics.feed?.position ?? 0
    const committed = a.core.db.query<{ n: number }, []>('SELECT max(id) AS n FROM raw_events').get()?.n
    expect(committed).toBe(900)
    expect(behind).toBeLessThan(900)
    const config = a.config
    await a.close()

    const b = await reopen(config)
    expect(b.features.analytics.analytics.feed?.position).toBe(900)
    expect(b.features.analytics.analytics.feed?.counters.rebuilds).toBe(0)
    await expectCopyEqualsSqlite(b)
    await b.close()

    // Another restart with nothing new changes nothing (no double counting).
    const c = await reopen(config)
    expect(c.features.analytics.analytics.feed?.counters.steps).toBe(0)
    await expectCopyEqualsSqlite(c)
  })

  test('counts each event once while batches and feed steps interleave', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 } })
    await rt.features.analytics.analytics.ready
    const acks = []
    for (let i = 0; i < 60; i++) acks.push(submit(rt, spread(25, 30, i)))
    await Promise.all(acks)
    await rt.features.analytics.analytics.syncNow()
    expect(rt.features.analytics.analytics.feed?.counters.steps).toBeGreaterThan(1)
    await expectCopyEqualsSqlite(rt)
  })
})

describe('what the feed reads', () => {
  test('only what was committed: a row written inside a transaction still open on the main connection is not copied', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 } })
    const analytics = rt.features.analytics.analytics
    await analytics.ready
    await submit(rt, spread(100, 20, 7))
    await analytics.syncNow()
    expect(analytics.feed?.position).toBe(100)
    const rolledBack = new Error('rolled back on purpose')
    const during = await rt.core.backend
      .transaction(async (tx) => {
        await tx.run(
          `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
                                   error_type, message)
           SELECT project_id, 'fp-uncommitted', timestamp, received_at, source, environment, release, error_type,
                  message
           FROM raw_events WHERE id = 100`,
        )
        expect(await tx.get('SELECT max(id) AS n FROM raw_events')).toEqual({ n: 101 })
        await analytics.syncNow()
        throw Object.assign(rolledBack, { position: analytics.feed?.position })
      })
      .catch((err: Error & { position?: number }) => err)
    expect(during).toBe(rolledBack)
    expect((during as Error & { position?: number }).position).toBe(100)
    // The id the rolled-back row had is handed to a committed event; the copy counts it once.
    await submit(rt, spread(10, 2, 8))
    await analytics.syncNow()
    expect(analytics.feed?.position).toBe(110)
    expect(analytics.feed?.counters.rebuilds).toBe(1)
    await expectCopyEqualsSqlite(rt)
  })
})

describe('reused raw ids', () => {
  test('rebuild the copy when retention emptied raw_events and ids start again at 1', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 } })
    await rt.features.analytics.analytics.ready
    await submit(rt, spread(200, 20, 1))
    await rt.features.analytics.analytics.syncNow()
    const rebuilds = rt.features.analytics.analytics.feed?.counters.rebuilds ?? 0
    rt.core.db.run('DELETE FROM raw_events')
    await submit(rt, spread(50, 2, 2))
    expect(rt.core.db.query<{ n: number }, []>('SELECT max(id) AS n FROM raw_events').get()?.n).toBe(50)
    await rt.features.analytics.analytics.syncNow()
    expect(rt.features.analytics.analytics.feed?.counters.rebuilds).toBe(rebuilds + 1)
    await expectCopyEqualsSqlite(rt)
  })

  test('rebuild the copy when the newest raw events were deleted and their ids handed out again', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 } })
    await rt.features.analytics.analytics.ready
    await submit(rt, spread(100, 20, 3))
    await rt.features.analytics.analytics.syncNow()
    // A purge of the newest rows (their counts removed too, as a project purge would).
    rt.core.db.run('DELETE FROM raw_events WHERE id > 80')
    rt.core.db.run('DELETE FROM event_counts_hourly')
    rt.core.db.run(
      `INSERT INTO event_counts_hourly (project_id, fingerprint, hour_bucket, environment, source, release, count)
       SELECT project_id, fingerprint, received_at / 3600000 * 3600000, environment, source, release, count(*)
       FROM raw_events GROUP BY 1, 2, 3, 4, 5, 6`,
    )
    // Ids 81-130: 81-100 were copied before and now belong to other events.
    await submit(rt, spread(50, 2, 4))
    await rt.features.analytics.analytics.syncNow()
    await expectCopyEqualsSqlite(rt)
    const copy = await hourlyByKey(
      rt.features.analytics.analytics.copy as NonNullable<
        Runtime['features']['analytics']['analytics']['copy']
      >,
    )
    expect(copy.reduce((n, r) => n + r[6], 0)).toBe(130)
  })
})

describe('first start on an existing database', () => {
  test('takes history older than raw-event retention from SQLite’s hourly counts', async () => {
    const a = await start({ analytics: { enabled: false } })
    await submit(a, spread(400, 24 * 10, 5))
    const config = a.config
    await a.close()
    // Retention pruned raw events older than 7 days while analytics was off.
    const db = openDatabase(config.database.path)
    db.run('DELETE FROM raw_events WHERE received_at < ?', [now - 7 * 24 * H])
    const kept = db.query<{ n: number }, []>('SELECT count(*) AS n FROM raw_events').get()?.n ?? 0
    db.close()
    expect(kept).toBeLessThan(400)

    const b = await reopen({ ...config, analytics: { ...config.analytics, enabled: true } })
    await expectCopyEqualsSqlite(b)
    const token = (
      await (
        await import('../../src/tokens/store')
      ).createToken(b.core.backend, {
        projectId: 'default',
        name: 't',
        scopes: ['errors:read'],
      })
    ).token
    const res = await b.handle(
      new Request('http://localhost/v1/analytics/environments?hours=720', { headers: bearer(token) }),
    )
    expect(((await res.json()) as { total_count: number }).total_count).toBe(400)
  })
})

describe('compaction and retention', () => {
  test('merges the partial rows of a past hour into one per key, totals unchanged', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 } })
    await rt.features.analytics.analytics.ready
    const duck = rt.features.analytics.analytics.copy
    if (!duck) throw new Error('expected the copy')
    for (let i = 0; i < 3; i++) {
      await submit(rt, [makeEvent({ fingerprint: 'same', received_at: now - i })])
      await rt.features.analytics.analytics.syncNow()
    }
    const rows = async () =>
      (
        await duck.query<{ n: number }>('SELECT count(*) AS n FROM hourly WHERE fingerprint = $f', {
          f: 'same',
        })
      )[0]?.n
    expect(await rows()).toBe(3)
    now += H
    await submit(rt, [makeEvent({ fingerprint: 'other', received_at: now })])
    await rt.features.analytics.analytics.syncNow()
    expect(await rows()).toBe(1)
    expect(rt.features.analytics.analytics.feed?.counters.compactions).toBeGreaterThan(0)
    await expectCopyEqualsSqlite(rt)
  })

  test('drops hours older than retention.hourly_counts_days from the copy', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 }, retention: { hourly_counts_days: 2 } })
    await rt.features.analytics.analytics.ready
    const cutoff = Math.floor(now / H) * H - 2 * 24 * H
    await submit(rt, [
      makeEvent({ fingerprint: 'old', received_at: cutoff - 1 }),
      makeEvent({ fingerprint: 'kept', received_at: cutoff }),
    ])
    await rt.features.analytics.analytics.syncNow()
    const copy = await hourlyByKey(rt.features.analytics.analytics.copy as never)
    expect(copy.map((r) => r[1])).toEqual(['kept'])
  })

  test('follows the hourly retention an admin sets at run time, not only the config file', async () => {
    const rt = await start({ analytics: { sync_interval_ms: 0 }, retention: { hourly_counts_days: 30 } })
    await rt.features.analytics.analytics.ready
    await saveSettings(rt.core.backend, { hourly_counts_days: 1 }, 'admin-id', now)
    const cutoff = Math.floor(now / H) * H - 24 * H
    await submit(rt, [
      makeEvent({ fingerprint: 'two-days-old', received_at: cutoff - 1 }),
      makeEvent({ fingerprint: 'recent', received_at: cutoff }),
    ])
    await rt.features.analytics.analytics.syncNow()
    const copy = await hourlyByKey(rt.features.analytics.analytics.copy as never)
    expect(copy.map((r) => r[1])).toEqual(['recent'])
  })
})

describe('failure isolation', () => {
  test('a DuckDB file that cannot be opened answers 503 and leaves ingest working', async () => {
    const dir = (await import('../helpers')).tempDir()
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }))
    // A directory where the DuckDB file should be.
    mkdirSync(`${dir}/bloop.db.analytics.duckdb`)
    const base = await start()
    const config = { ...base.config, database: { ...base.config.database, path: `${dir}/bloop.db` } }
    const rt = await reopen(config)
    expect(rt.features.analytics.analytics.state).toBe('failed')
    expect(await submit(rt, [makeEvent({ fingerprint: 'x', received_at: now })])).toEqual({
      stored: 1,
      inserted: [1],
    })
    const token = (
      await (
        await import('../../src/tokens/store')
      ).createToken(rt.core.backend, {
        projectId: 'default',
        name: 't',
        scopes: ['errors:read'],
      })
    ).token
    const res = await rt.handle(
      new Request('http://localhost/v1/analytics/spikes', { headers: bearer(token) }),
    )
    expect(res.status).toBe(503)
    const body = (await res.json()) as { error: string; code: string }
    expect(body.code).toBe('unavailable')
    expect(body.error).toContain('analytics could not start')
  })
})
