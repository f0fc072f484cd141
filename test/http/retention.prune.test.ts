/**
 * Retention against the real runtime: events arrive through /v1/ingest at times set by an
 * injected clock, and passes run through the real sweeper (the one the purge route and
 * the schedule use) and the real writer thread. The HTTP side is in test/http/retention.admin.test.ts.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { DAY_MS, HOUR_MS } from '../../src/core/time'
import { retentionView, updateRetention } from '../../src/retention/service'
import { readSettings, syncSettingsFromConfig } from '../../src/retention/store'
import { Sweeper } from '../../src/retention/sweeper'
import {
  bearer,
  event,
  type Overrides,
  onSqliteOnly,
  projectIn,
  signed,
  startRuntime,
  type TestRuntime,
} from '../helpers'

const T0 = Date.UTC(2026, 2, 10, 12, 0, 0)

let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.dispose()
  rt = null
})

interface Clocked {
  rt: TestRuntime
  clock: { now: number }
  /** Moves the clock to `at` (never backwards) and sends `events` through /v1/ingest/batch. */
  ingestAt(at: number, events: Record<string, unknown>[], key?: string): Promise<void>
  /** Moves the clock to T0 and runs a pass through the sweeper the purge route uses. */
  purge(): ReturnType<Sweeper['run']>
  rawCount(projectId?: string): Promise<number>
  sweeper(): Sweeper
}

async function clocked(overrides: Overrides = {}): Promise<Clocked> {
  const clock = { now: T0 - 365 * DAY_MS }
  rt = await startRuntime(overrides, { now: () => clock.now })
  const r = rt
  return {
    rt: r,
    clock,
    async ingestAt(at, events, key) {
      expect(at).toBeGreaterThanOrEqual(clock.now)
      clock.now = at
      // PostgreSQL refuses a row outside every receive-day partition, and the migration
      // made only yesterday's through a week ahead of the real date: the days from `at`
      // through T0's get theirs here, as `bloop db copy` makes them for old data. Only
      // those: an empty partition before the cutoff would be one more step of a pass.
      if (r.core.backend.kind === 'postgres')
        await r.core.backend.get("SELECT bloop_partitions_cover('raw_events', ?, ?) AS n", [at, T0])
      const res = await r.handle(signed('/v1/ingest/batch', { events }, { key }))
      expect(res.status).toBe(200)
      expect((await res.json()).accepted).toBe(events.length)
    },
    purge() {
      clock.now = T0
      return r.features.retention.sweeper.run('purge')
    },
    async rawCount(projectId) {
      const row =
        projectId === undefined
          ? await r.core.backend.get('SELECT count(*) AS n FROM raw_events')
          : await r.core.backend.get('SELECT count(*) AS n FROM raw_events WHERE project_id = ?', [projectId])
      return row?.n as number
    },
    sweeper: () => r.features.retention.sweeper,
  }
}

const many = (n: number, over: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => event({ message: `boom ${i}`, fingerprint: 'fp-1', ...over }))

describe('pruning raw events', () => {
  test('events received before the window go, events inside it stay, by receive time', async () => {
    const c = await clocked({ retention: { raw_events_days: 7 } })
    await c.ingestAt(T0 - 8 * DAY_MS, many(3))
    await c.ingestAt(T0 - 7 * DAY_MS - 1, many(2))
    await c.ingestAt(T0 - 7 * DAY_MS, many(4))
    await c.ingestAt(T0 - DAY_MS, many(1))
    const report = await c.purge()
    expect(report.raw_events_deleted).toBe(5)
    expect(report.per_project).toEqual([{ project_id: 'default', raw_events_deleted: 5 }])
    expect(report.cutoffs.raw_events_before).toBe(T0 - 7 * DAY_MS)
    const left = await c.rt.core.backend.all(
      'SELECT received_at AS t, count(*) AS n FROM raw_events GROUP BY received_at ORDER BY t',
    )
    expect(left).toEqual([
      { t: T0 - 7 * DAY_MS, n: 4 },
      { t: T0 - DAY_MS, n: 1 },
    ])
  })

  test('seconds and milliseconds clients are treated alike: the client timestamp never decides', async () => {
    const c = await clocked({ retention: { raw_events_days: 7 } })
    const old = T0 - 10 * DAY_MS
    const recent = T0 - DAY_MS
    await c.ingestAt(old, [
      event({ message: 'old seconds', timestamp: Math.floor(old / 1000) }),
      event({ message: 'old millis', timestamp: old }),
    ])
    await c.ingestAt(recent, [
      event({ message: 'recent seconds', timestamp: Math.floor(recent / 1000) }),
      event({ message: 'recent millis', timestamp: recent }),
      // A client clock 30 days behind (or a seconds value read as ms elsewhere) must not expire it.
      event({ message: 'recent, stale client clock', timestamp: Math.floor((T0 - 30 * DAY_MS) / 1000) }),
    ])
    const report = await c.purge()
    expect(report.raw_events_deleted).toBe(2)
    const kept = await c.rt.core.backend.all('SELECT message, timestamp FROM raw_events ORDER BY id')
    expect(kept).toEqual([
      { message: 'recent seconds', timestamp: Math.floor(recent / 1000) * 1000 },
      { message: 'recent millis', timestamp: recent },
      { message: 'recent, stale client clock', timestamp: Math.floor((T0 - 30 * DAY_MS) / 1000) * 1000 },
    ])
  })

  test('project overrides win over the global window, and 0 removes an override', async () => {
    const c = await clocked({ retention: { raw_events_days: 7 } })
    const long = await projectIn(c.rt.core.backend, { name: 'Long', slug: 'long' })
    const short = await projectIn(c.rt.core.backend, { name: 'Short', slug: 'short' })
    await updateRetention(
      c.rt.core.backend,
      {
        per_project: [
          { project_id: 'long', raw_events_days: 30 },
          { project_id: short.id, raw_events_days: 1 },
        ],
      },
      'admin',
      T0,
    )
    const senders = [
      [undefined, 1],
      [long.api_key, 2],
      [short.api_key, 3],
    ] as const
    for (const [key, n] of senders) await c.ingestAt(T0 - 10 * DAY_MS, many(n), key)
    for (const [key, n] of senders) await c.ingestAt(T0 - 2 * DAY_MS, many(n), key)
    const report = await c.purge()
    // default: its 10-day-old event; long (30 days): nothing; short (1 day): all six.
    expect(report.raw_events_deleted).toBe(7)
    expect(report.per_project).toEqual([
      { project_id: short.id, raw_events_deleted: 6 },
      { project_id: 'default', raw_events_deleted: 1 },
    ])
    expect(await c.rawCount('default')).toBe(1)
    expect(await c.rawCount(long.id)).toBe(4)
    expect(await c.rawCount(short.id)).toBe(0)

    await updateRetention(
      c.rt.core.backend,
      { per_project: [{ project_id: long.id, raw_events_days: 0 }] },
      'admin',
      T0,
    )
    const view = await retentionView(c.rt.core.backend, c.rt.config, { nextRunAt: null, lastRun: null })
    expect(view.per_project.map((p) => [p.project_slug, p.raw_events_days])).toEqual([['short', 1]])
    const again = await c.purge()
    expect(again.per_project).toEqual([{ project_id: long.id, raw_events_deleted: 2 }])
    expect(await c.rawCount(long.id)).toBe(2)
  })

  test('an unknown project in an override is refused with 400 naming the entry', async () => {
    const c = await clocked()
    let caught: unknown
    try {
      await updateRetention(
        c.rt.core.backend,
        { per_project: [{ project_id: 'nope', raw_events_days: 3 }] },
        'a',
        T0,
      )
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({ status: 400, extra: { field: 'per_project.0.project_id' } })
  })

  test('the purge answer counts exactly what was deleted, and a second purge deletes nothing', async () => {
    const c = await clocked({ retention: { raw_events_days: 3, hourly_counts_days: 5 } })
    // 3 hours 6 days ago (hourly rows expire), 2 hours 4 days ago (raw only), 1 hour now.
    for (const h of [2, 1, 0]) await c.ingestAt(T0 - 6 * DAY_MS - h * HOUR_MS, many(2))
    for (const h of [1, 0]) await c.ingestAt(T0 - 4 * DAY_MS - h * HOUR_MS, many(3))
    await c.ingestAt(T0, many(1))
    const hourly = async () =>
      (await c.rt.core.backend.get('SELECT count(*) AS n FROM event_counts_hourly'))?.n
    expect(await hourly()).toBe(6)
    const report = await c.purge()
    expect(report.raw_events_deleted).toBe(12)
    expect(report.hourly_counts_deleted).toBe(3)
    expect(await c.rawCount()).toBe(1)
    expect(await hourly()).toBe(3)
    const second = await c.purge()
    expect(second.raw_events_deleted).toBe(0)
    expect(second.hourly_counts_deleted).toBe(0)
  })

  test('issues, aggregates, samples and status history survive the pruning of their events', async () => {
    const c = await clocked({ retention: { raw_events_days: 1, hourly_counts_days: 1 } })
    await c.ingestAt(T0 - 3 * DAY_MS, many(4, { release: '1.0.0' }))
    await c.ingestAt(T0 - 2 * DAY_MS, many(3, { release: '1.1.0' }))
    const token = c.rt.token()
    const resolved = await c.rt.fetch('/v1/errors/fp-1/resolve', { method: 'POST', headers: bearer(token) })
    expect(resolved.status).toBe(200)
    const before = await (await c.rt.fetch('/v1/errors/fp-1', { headers: bearer(token) })).json()

    const report = await c.purge()
    expect(report.raw_events_deleted).toBe(7)
    expect(await c.rawCount()).toBe(0)

    const after = await (await c.rt.fetch('/v1/errors/fp-1', { headers: bearer(token) })).json()
    expect(after.total_count).toBe(7)
    expect(after.status).toBe('resolved')
    expect(after.aggregates).toEqual(before.aggregates)
    expect(
      after.aggregates.map((a: { release: string; total_count: number }) => [a.release, a.total_count]),
    ).toEqual(
      expect.arrayContaining([
        ['1.0.0', 4],
        ['1.1.0', 3],
      ]),
    )
    expect(after.samples).toHaveLength(5)
    expect(after.samples).toEqual(before.samples)
    expect(after.history).toHaveLength(1)
    expect(after.history).toEqual(before.history)
    const occurrences = await (
      await c.rt.fetch('/v1/errors/fp-1/occurrences', { headers: bearer(token) })
    ).json()
    expect(occurrences.total).toBe(0)
  })

  test('ingest is acknowledged between prune batches: each batch is its own small transaction', async () => {
    const c = await clocked({ retention: { raw_events_days: 1, prune_batch_size: 10 } })
    // Received in the cutoff's own day, so PostgreSQL too deletes them batch by batch
    // instead of dropping their day's partition at once.
    await c.ingestAt(T0 - DAY_MS - HOUR_MS, many(45))
    c.clock.now = T0
    // This server's writer and retention hooks, with a pause of the test's own.
    const { backend, writer, log, now, hooks } = c.rt.features.retention.sweeper.deps
    const acks: number[] = []
    let pauses = 0
    const sweeper = new Sweeper({
      backend,
      writer,
      log,
      now,
      hooks,
      batchSize: 10,
      pause: async () => {
        pauses++
        // An event sent between two batches is committed and answered before the next batch.
        const res = await c.rt.handle(signed('/v1/ingest', event({ message: `during ${pauses}` })))
        acks.push(res.status)
      },
    })
    const report = await sweeper.run('purge')
    expect(report.raw_events_deleted).toBe(45)
    // 45 rows in batches of at most 10: five raw batches, one hourly batch (nothing older
    // than 90 days), one batch of users-affected hourly sketches (none that old), one LLM
    // trace batch (none stored) and one vacuum step, each followed by a pause.
    expect(pauses).toBe(9)
    expect(acks).toEqual(Array(9).fill(200))
    expect(await c.rawCount()).toBe(pauses)
  })

  test('while ingest is active the pass rests twice as long as each batch took; idle, it does not rest', async () => {
    const c = await clocked({ retention: { raw_events_days: 1 } })
    // In the cutoff's own day: deleted batch by batch on PostgreSQL too (see above).
    await c.ingestAt(T0 - DAY_MS - HOUR_MS, many(25))
    c.clock.now = T0
    const { backend, writer, log, now, hooks } = c.rt.features.retention.sweeper.deps
    const run = async (active: boolean) => {
      const rests: number[] = []
      const sweeper = new Sweeper({
        backend,
        writer,
        log,
        now,
        hooks,
        batchSize: 10,
        ingestActive: () => active,
        sleep: async (ms) => {
          rests.push(ms)
        },
      })
      return { report: await sweeper.run('purge'), rests }
    }
    const busy = await run(true)
    expect(busy.report.raw_events_deleted).toBe(25)
    // Three raw batches, one hourly batch, one users-affected hourly batch, one LLM trace
    // batch, one vacuum step: a rest after each.
    expect(busy.rests).toHaveLength(7)
    expect(busy.rests.every((ms) => ms > 0)).toBe(true)
    const idle = await run(false)
    expect(idle.rests).toEqual([])
  })

  test('a purge asked for during a scheduled pass runs after it and counts only its own deletions', async () => {
    const c = await clocked({ retention: { raw_events_days: 1, prune_batch_size: 10 } })
    await c.ingestAt(T0 - 2 * DAY_MS, many(25))
    c.clock.now = T0
    const scheduled = c.sweeper().run('schedule')
    const purge = c.purge()
    const [a, b] = await Promise.all([scheduled, purge])
    expect(a.raw_events_deleted).toBe(25)
    expect(b.raw_events_deleted).toBe(0)
    expect(c.sweeper().last).toEqual(b)
  })

  // SQLite's own file: its pages, auto_vacuum and freelist (PostgreSQL's space is autovacuum's).
  onSqliteOnly(
    'freed pages go back to the file system with incremental vacuum, not a full VACUUM',
    async () => {
      const c = await clocked({ retention: { raw_events_days: 1 } })
      const db = c.rt.core.db
      const pragma = (name: string) =>
        (db.query(`PRAGMA ${name}`).get() as Record<string, number>)[name] as number
      expect(pragma('auto_vacuum')).toBe(2) // INCREMENTAL
      const stack = `Error: big\n${'    at frame (https://cdn.example.com/app.js:1:1)\n'.repeat(150)}`
      // Three 7 KB stacks per request stay under the 32 KB payload cap.
      for (let i = 0; i < 70; i++) await c.ingestAt(T0 - 2 * DAY_MS, many(3, { stack }))
      const pagesBefore = pragma('page_count')
      const report = await c.purge()
      expect(report.raw_events_deleted).toBe(210)
      expect(report.pages_freed).toBeGreaterThan(300)
      expect(pragma('freelist_count')).toBe(0)
      expect(pragma('page_count')).toBe(pagesBefore - report.pages_freed)
    },
  )
})

describe('retention settings', () => {
  test('config values seed the settings and follow the config until an admin saves values', async () => {
    const c = await clocked({ retention: { raw_events_days: 9, hourly_counts_days: 30 } })
    const b = c.rt.core.backend
    expect(await readSettings(b)).toMatchObject({ raw_events_days: 9, hourly_counts_days: 30, set_by: null })
    // A restart with a changed config (BLOOP__RETENTION__RAW_EVENTS_DAYS=14) applies it.
    await syncSettingsFromConfig(b, { raw_events_days: 14, hourly_counts_days: 30 }, T0 + 1)
    expect(await readSettings(b)).toMatchObject({ raw_events_days: 14, set_by: null, updated_at: T0 + 1 })
    await updateRetention(b, { raw_events_days: 21 }, 'alice', T0 + 2)
    expect(await readSettings(b)).toMatchObject({
      raw_events_days: 21,
      hourly_counts_days: 30,
      set_by: 'alice',
    })
    // Once saved through the API, the stored values win over the config.
    await syncSettingsFromConfig(b, { raw_events_days: 3, hourly_counts_days: 3 }, T0 + 3)
    expect(await readSettings(b)).toMatchObject({
      raw_events_days: 21,
      hourly_counts_days: 30,
      set_by: 'alice',
    })
    const view = await retentionView(b, c.rt.config, { nextRunAt: null, lastRun: null })
    expect(view.global).toEqual({
      raw_events_days: 21,
      hourly_counts_days: 30,
      source: 'admin',
      set_by: 'alice',
      updated_at: T0 + 2,
    })
  })

  test('the view reports storage: rows per table, the oldest event and the schedule', async () => {
    const c = await clocked({ retention: { prune_interval_secs: 600, prune_batch_size: 500 } })
    await c.ingestAt(T0 - HOUR_MS, many(3))
    await c.ingestAt(T0, many(2, { fingerprint: 'fp-2' }))
    const view = await retentionView(c.rt.core.backend, c.rt.config, {
      nextRunAt: new Date(T0 + 600_000),
      lastRun: null,
    })
    expect(view.storage.raw_events_count).toBe(5)
    expect(view.storage.hourly_counts_count).toBe(2)
    expect(view.storage.oldest_raw_event_at).toBe(T0 - HOUR_MS)
    expect(view.storage.rows).toEqual({
      raw_events: 5,
      event_counts_hourly: 2,
      samples: 5,
      issues: 2,
      error_aggregates: 2,
      status_changes: 0,
      sourcemaps: 0,
    })
    expect(view.schedule).toEqual({
      prune_interval_secs: 600,
      prune_batch_size: 500,
      next_run_at: T0 + 600_000,
      last_run: null,
    })
  })

  // SQLite's own file: its size is its pages, and its write-ahead log is beside it.
  onSqliteOnly('the view reports the database size from its pages, and the WAL file', async () => {
    const c = await clocked()
    await c.ingestAt(T0, many(2))
    const db = c.rt.core.db
    const view = await retentionView(c.rt.core.backend, c.rt.config, { nextRunAt: null, lastRun: null })
    const pageSize = (db.query('PRAGMA page_size').get() as { page_size: number }).page_size
    const pageCount = (db.query('PRAGMA page_count').get() as { page_count: number }).page_count
    expect(view.storage.db_size_bytes).toBe(pageSize * pageCount)
    expect(view.storage.wal_size_bytes).toBeGreaterThan(0)
  })
})

describe('the prune schedule', () => {
  test('the prune job ticks every second and stops when the runtime closes', async () => {
    const c = await clocked({ retention: { prune_interval_secs: 900 } })
    const job = c.rt.app.store.cron.retention
    // Each tick only checks whether the interval has elapsed (see retention/routes.ts).
    expect((job.nextRun()?.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(1000)
    expect(job.isStopped()).toBe(false)
    await c.rt.dispose()
    rt = null
    expect(job.isStopped()).toBe(true)
  })
})
