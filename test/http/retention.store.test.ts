/**
 * Retention on the storage seam, on both backends with the same cases: the settings
 * follow the config until an admin saves them, a change applies in one transaction,
 * overrides come with their project's names, the storage figures count every table, and a
 * pass deletes exactly what expired. On PostgreSQL, where raw events and LLM spans are
 * range-partitioned by receive day, the pass drops whole days of raw events as partitions
 * (counted all the same), drops the LLM span days before the oldest stored trace, and the
 * feature creates the partitions ahead on start.
 *
 * The pass runs through a SeamWriter with a raw-events hook written here on the seam: the
 * errors feature's own hook is a writer-thread task (test/http/retention.prune.test.ts runs
 * it through the real server).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { testConfig } from '../../src/config/load'
import { DAY_MS, HOUR_MS } from '../../src/core/time'
import { Guard } from '../../src/http/auth'
import { createLogger } from '../../src/ops/log'
import { type PruneArgs, type PruneStep, retention, Sweeper, type SweeperWriter } from '../../src/retention'
import { updateRetention } from '../../src/retention/service'
import {
  COUNTED_TABLES,
  readOverrides,
  readSettings,
  saveSettings,
  storageFigures,
  syncSettingsFromConfig,
} from '../../src/retention/store'
import type { Backend, Queryable } from '../../src/storage/backend'
import { WriterLoad } from '../../src/storage/load'
import type { SqliteBackend } from '../../src/storage/sqlite'
import { seamTask, storageTasks } from '../../src/storage/tasks'
import { DROP_LOCK_TIMEOUT_MS, partitionsOf } from '../../src/storage/upkeep'
import { SeamWriter } from '../../src/storage/writer.backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

/** Noon of today (UTC): the partitions PostgreSQL's migration made start yesterday. */
const D0 = Math.floor(Date.now() / DAY_MS) * DAY_MS
const NOW = D0 + 12 * HOUR_MS
const dayName = (table: string, day: number) =>
  `${table}_p${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`

const addProject = (b: Queryable, id: string, numericId?: number) =>
  b.run(
    `INSERT INTO projects (${numericId === undefined ? '' : 'numeric_id, '}id, name, slug, api_key, api_key_hash, created_at)
     VALUES (${numericId === undefined ? '' : '?, '}?, ?, ?, ?, ?, ?)`,
    [
      ...(numericId === undefined ? [] : [numericId]),
      id,
      id.toUpperCase(),
      `${id}-slug`,
      `key-${id}`,
      `hash-${id}`,
      NOW,
    ],
  )

const addRaw = (b: Queryable, projectId: string, receivedAt: number, n = 1) =>
  b.insertMany(
    'raw_events',
    [
      'project_id',
      'fingerprint',
      'timestamp',
      'received_at',
      'source',
      'environment',
      'release',
      'error_type',
      'message',
    ],
    Array.from({ length: n }, () => [
      projectId,
      'fp',
      receivedAt,
      receivedAt,
      'web',
      'prod',
      '1.0',
      'E',
      'm',
    ]),
  )

const rawCount = async (b: Queryable, projectId: string) =>
  Number(
    (await b.get<{ n: number }>('SELECT count(*) AS n FROM raw_events WHERE project_id = ?', [projectId]))?.n,
  )

/** A raw-events hook on the seam: deletes the expired rows, in one batch. */
const seamTasks = {
  ...storageTasks,
  'test.pruneRaw': seamTask(async (tx: Queryable, a: PruneArgs): Promise<PruneStep> => {
    const rows = await tx.all<{ id: number; project_id: string; received_at: number }>(
      'SELECT id, project_id, received_at FROM raw_events WHERE received_at < ? ORDER BY received_at, id LIMIT ?',
      [a.cutoffs.raw_scan_until, a.limit],
    )
    const by_project: Record<string, number> = {}
    let deleted = 0
    for (const r of rows) {
      if (!(r.received_at < (a.cutoffs.raw_by_project[r.project_id] ?? a.cutoffs.raw_default))) continue
      await tx.run('DELETE FROM raw_events WHERE id = ?', [r.id])
      by_project[r.project_id] = (by_project[r.project_id] ?? 0) + 1
      deleted++
    }
    return { deleted, by_project, next: null }
  }),
}

function sweeperOn(b: Backend): Sweeper {
  const seam = new SeamWriter(b, seamTasks)
  const writer: SweeperWriter = {
    prune: (task, args) => seam.run(task as 'test.pruneRaw', args),
    vacuum: (a) => seam.run('storage.vacuum', a),
  }
  return new Sweeper({
    backend: b,
    writer,
    log: createLogger('error'),
    now: () => NOW,
    batchSize: 1000,
    hooks: [{ name: 'raw_events', task: 'test.pruneRaw' }],
    pause: async () => {},
  })
}

for (const kind of BACKENDS) {
  describe(`retention settings on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'second', 2)
      await addProject(b, 'first', 1)
    })

    test('follow the config until an admin saves values, which then win', async () => {
      expect(await syncSettingsFromConfig(b, { raw_events_days: 9, hourly_counts_days: 30 }, NOW)).toEqual({
        raw_events_days: 9,
        hourly_counts_days: 30,
        set_by: null,
        updated_at: NOW,
      })
      // The same config again changes nothing, not even the time.
      await syncSettingsFromConfig(b, { raw_events_days: 9, hourly_counts_days: 30 }, NOW + 1)
      expect((await readSettings(b)).updated_at).toBe(NOW)
      await syncSettingsFromConfig(b, { raw_events_days: 14, hourly_counts_days: 30 }, NOW + 2)
      expect(await readSettings(b)).toMatchObject({ raw_events_days: 14, updated_at: NOW + 2 })
      await saveSettings(b, { hourly_counts_days: 60 }, 'alice', NOW + 3)
      await syncSettingsFromConfig(b, { raw_events_days: 3, hourly_counts_days: 3 }, NOW + 4)
      expect(await readSettings(b)).toEqual({
        raw_events_days: 14,
        hourly_counts_days: 60,
        set_by: 'alice',
        updated_at: NOW + 3,
      })
    })

    test('overrides come with their project, in project order, and 0 removes one', async () => {
      await saveSettings(
        b,
        {
          per_project: [
            { project_id: 'second', raw_events_days: 20 },
            { project_id: 'first', raw_events_days: 2 },
          ],
        },
        'bob',
        NOW,
      )
      expect(await readOverrides(b)).toEqual([
        {
          project_id: 'first',
          project_slug: 'first-slug',
          project_name: 'FIRST',
          raw_events_days: 2,
          set_by: 'bob',
          updated_at: NOW,
        },
        {
          project_id: 'second',
          project_slug: 'second-slug',
          project_name: 'SECOND',
          raw_events_days: 20,
          set_by: 'bob',
          updated_at: NOW,
        },
      ])
      // By slug through the service, as the admin API names them.
      await updateRetention(
        b,
        { per_project: [{ project_id: 'second-slug', raw_events_days: 0 }] },
        'bob',
        NOW,
      )
      expect((await readOverrides(b)).map((o) => o.project_id)).toEqual(['first'])
    })

    test('a change that fails half-way changes nothing', async () => {
      const before = await readSettings(b)
      await expect(
        saveSettings(
          b,
          { raw_events_days: 99, per_project: [{ project_id: 'no-such-project', raw_events_days: 5 }] },
          'eve',
          NOW + 9,
        ),
      ).rejects.toThrow()
      expect(await readSettings(b)).toEqual(before)
      expect((await readOverrides(b)).map((o) => o.project_id)).toEqual(['first'])
    })

    test('the storage figures count every table and measure the database', async () => {
      await addRaw(b, 'first', NOW - HOUR_MS, 3)
      await addRaw(b, 'first', NOW - 2 * HOUR_MS)
      const f = await storageFigures(b)
      expect(f.raw_events_count).toBe(4)
      expect(f.oldest_raw_event_at).toBe(NOW - 2 * HOUR_MS)
      expect(f.rows).toEqual(
        Object.fromEntries(COUNTED_TABLES.map((t) => [t, t === 'raw_events' ? 4 : 0])) as never,
      )
      if (b.kind === 'sqlite') {
        const db = (b as SqliteBackend).db
        const pragma = (n: string) => (db.query(`PRAGMA ${n}`).get() as Record<string, number>)[n] as number
        expect(f.db_size_bytes).toBe(pragma('page_count') * pragma('page_size'))
        expect(f.free_bytes).toBe(pragma('freelist_count') * pragma('page_size'))
        expect(f.wal_size_bytes).toBeGreaterThan(0)
      } else {
        const size = await b.get<{ n: number }>('SELECT pg_database_size(current_database()) AS n')
        expect(f.db_size_bytes).toBe(Number(size?.n))
        expect(f.free_bytes).toBe(0)
        expect(f.wal_size_bytes).toBe(0)
      }
    })
  })

  describe(`a retention pass on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'plain')
      await addProject(b, 'long')
      if (kind === 'postgres') {
        // Old days, as `db copy` would bring them (the migration made yesterday onwards).
        for (const t of ['raw_events', 'llm_spans'])
          await b.get('SELECT bloop_partitions_cover(?, ?, ?)', [t, D0 - 12 * DAY_MS, D0])
      }
    })

    test('deletes exactly what left its window; on PostgreSQL whole days go as partitions', async () => {
      await syncSettingsFromConfig(b, { raw_events_days: 7, hourly_counts_days: 90 }, NOW)
      await saveSettings(b, { per_project: [{ project_id: 'long', raw_events_days: 10 }] }, 'admin', NOW)
      // Days 12 and 11 ago: expired for every project (the longest window is 10 days).
      await addRaw(b, 'plain', D0 - 12 * DAY_MS + HOUR_MS, 2)
      await addRaw(b, 'long', D0 - 12 * DAY_MS + 2 * HOUR_MS)
      await addRaw(b, 'plain', D0 - 11 * DAY_MS + HOUR_MS)
      // 8 days ago: expired for plain (7 days), kept for long (10 days).
      await addRaw(b, 'plain', D0 - 8 * DAY_MS, 2)
      await addRaw(b, 'long', D0 - 8 * DAY_MS)
      // Yesterday: kept.
      await addRaw(b, 'plain', D0 - DAY_MS)
      await addRaw(b, 'long', D0 - DAY_MS)

      const report = await sweeperOn(b).run('purge')
      expect(report.raw_events_deleted).toBe(6)
      expect(report.per_project).toEqual([
        { project_id: 'plain', raw_events_deleted: 5 },
        { project_id: 'long', raw_events_deleted: 1 },
      ])
      expect(await rawCount(b, 'plain')).toBe(1)
      expect(await rawCount(b, 'long')).toBe(2)
      if (kind === 'postgres') {
        // And the LLM span days before yesterday: no trace is stored.
        expect(report.partitions_dropped).toEqual({ raw_events: 2, llm_spans: 11 })
        const days = await partitionsOf(b, 'raw_events')
        expect(days[0]).toBe(dayName('raw_events', D0 - 10 * DAY_MS))
        expect(days).not.toContain(dayName('raw_events', D0 - 11 * DAY_MS))
      } else {
        expect(report.partitions_dropped).toEqual({})
        expect(await partitionsOf(b, 'raw_events')).toEqual([])
      }
      const again = await sweeperOn(b).run('purge')
      expect(again.raw_events_deleted).toBe(0)
      expect(again.per_project).toEqual([])
    })

    test('on PostgreSQL the LLM span days before the oldest stored trace are dropped, its own day kept', async () => {
      const { backend: b } = await freshBackend(kind, pg(), { migrated: true })
      await syncSettingsFromConfig(b, { raw_events_days: 7, hourly_counts_days: 90 }, NOW)
      if (kind !== 'postgres') {
        // SQLite keeps spans in one table: nothing to drop, and the pass says so.
        expect((await sweeperOn(b).run('purge')).partitions_dropped).toEqual({})
        return
      }
      await b.get('SELECT bloop_partitions_cover(?, ?, ?)', ['llm_spans', D0 - 12 * DAY_MS, D0])
      const created = D0 - 5 * DAY_MS + HOUR_MS
      await b.run(
        `INSERT INTO llm_traces (project_id, id, status, started_at, created_at, updated_at)
         VALUES ('plain', 't1', 'completed', ?, ?, ?)`,
        [created, created, created],
      )
      await b.run(
        `INSERT INTO llm_spans (received_at, project_id, trace_id, id, span_type, status, started_at, cost_source)
         VALUES (?, 'plain', 't1', 's1', 'generation', 'ok', ?, 'unknown')`,
        [created, created],
      )
      const before = await partitionsOf(b, 'llm_spans')
      expect(before[0]).toBe(dayName('llm_spans', D0 - 12 * DAY_MS))
      const report = await sweeperOn(b).run('purge')
      // Days 12 through 6 ago: seven empty partitions.
      expect(report.partitions_dropped).toEqual({ llm_spans: 7 })
      const after = await partitionsOf(b, 'llm_spans')
      expect(after[0]).toBe(dayName('llm_spans', D0 - 5 * DAY_MS))
      expect(after).toHaveLength(before.length - 7)
      const spans = await b.get<{ n: number }>('SELECT count(*) AS n FROM llm_spans')
      expect(Number(spans?.n)).toBe(1)
    })
  })

  describe(`a retention pass beside a long reader on ${kind}`, () => {
    test('a day whose partition cannot be locked within a second is deleted row by row instead', async () => {
      const fresh = await freshBackend(kind, pg(), { migrated: true })
      const b = fresh.backend
      await addProject(b, 'plain')
      await syncSettingsFromConfig(b, { raw_events_days: 7, hourly_counts_days: 90 }, NOW)
      const old = D0 - 12 * DAY_MS
      if (kind === 'postgres') await b.get('SELECT bloop_partitions_cover(?, ?, ?)', ['raw_events', old, old])
      await addRaw(b, 'plain', old + HOUR_MS, 3)
      let release = () => {}
      let blocking: Promise<unknown> = Promise.resolve()
      if (kind === 'postgres') {
        // Another node's transaction reading that day, still open.
        const other = await fresh.another()
        let locked = () => {}
        const isLocked = new Promise<void>((r) => (locked = r))
        const released = new Promise<void>((r) => (release = r))
        blocking = other.transaction(async (tx) => {
          await tx.exec(`LOCK TABLE ${dayName('raw_events', old)} IN ACCESS SHARE MODE`)
          locked()
          await released
        })
        await isLocked
      }
      const started = performance.now()
      const report = await sweeperOn(b).run('purge')
      release()
      await blocking
      expect(report.raw_events_deleted).toBe(3)
      expect(report.per_project).toEqual([{ project_id: 'plain', raw_events_deleted: 3 }])
      expect(report.partitions_dropped.raw_events).toBeUndefined()
      expect(await rawCount(b, 'plain')).toBe(0)
      if (kind === 'postgres') {
        expect(performance.now() - started).toBeGreaterThanOrEqual(DROP_LOCK_TIMEOUT_MS)
        expect(await partitionsOf(b, 'raw_events')).toContain(dayName('raw_events', old))
        // Once the reader is gone, the next pass drops the emptied day.
        const next = await sweeperOn(b).run('purge')
        expect(next.partitions_dropped.raw_events).toBe(1)
        expect(next.raw_events_deleted).toBe(0)
        expect(await partitionsOf(b, 'raw_events')).not.toContain(dayName('raw_events', old))
      }
    })
  })

  describe(`the retention feature's start on ${kind}`, () => {
    test('creates the partitions of the days ahead that are missing (PostgreSQL) on start and on schedule', async () => {
      const { backend: b } = await freshBackend(kind, pg(), { migrated: true })
      const ahead = [3, 5, 7].map((d) => D0 + d * DAY_MS)
      if (kind === 'postgres') {
        for (const day of ahead) {
          await b.exec(`DROP TABLE ${dayName('raw_events', day)}`)
          await b.exec(`DROP TABLE ${dayName('llm_spans', day)}`)
        }
        expect(await partitionsOf(b, 'raw_events')).not.toContain(dayName('raw_events', ahead[0] as number))
      }
      const running = await retention.start({
        config: testConfig(),
        backend: b,
        // The routes are not called here.
        guard: new Guard({} as never, []),
        log: createLogger('error'),
        now: () => NOW,
        load: new WriterLoad(),
        writer: {
          prune: async () => ({ deleted: 0, next: null }),
          vacuum: async () => ({ freed: 0, remaining: 0 }),
        },
        hooks: [],
        partitionsEveryMs: 1000,
      })
      try {
        if (kind === 'postgres') {
          for (const t of ['raw_events', 'llm_spans']) {
            const days = await partitionsOf(b, t)
            for (const day of ahead) expect(days).toContain(dayName(t, day))
          }
          // Today's rows are taken.
          await addRaw(b, 'default', Date.now())
          // And the schedule makes them again while running (the cron ticks every second).
          const later = dayName('raw_events', ahead[1] as number)
          await b.exec(`DROP TABLE ${later}`)
          let back = false
          for (let i = 0; i < 50 && !back; i++) {
            await Bun.sleep(100)
            back = (await partitionsOf(b, 'raw_events')).includes(later)
          }
          expect(back).toBe(true)
        } else {
          expect(await partitionsOf(b, 'raw_events')).toEqual([])
        }
        expect(await readSettings(b)).toMatchObject({ raw_events_days: 7, set_by: null })
      } finally {
        await running.stop?.()
      }
    })
  })
}
