/**
 * The fold of tag counts and users affected (src/errors/fold.ts) on a real SQLite file:
 * exactly once whatever the step size, across a restart and a failed fold; raw ids SQLite
 * hands out again after a deletion are still counted; retention folds before it deletes; an
 * existing database starts its watermark after the events its commits counted.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { commitEvents } from '../../src/errors/commit'
import type { NormalizedEvent } from '../../src/errors/event'
import { foldEvents, foldWatermark } from '../../src/errors/fold'
import { pruneRawBatch } from '../../src/errors/prune'
import { MIGRATIONS } from '../../src/features'
import type { Cutoffs } from '../../src/retention'
import { type Db, openDatabase } from '../../src/storage/db'
import { migrate } from '../../src/storage/migrate'
import { normalizedEvent, taskOnSqlite, tempDir } from '../helpers'

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0)
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function fresh(migrations = MIGRATIONS): { db: Db; path: string } {
  const dir = tempDir('bloop-fold-')
  dirs.push(dir)
  const path = join(dir, 'b.db')
  const db = openDatabase(path)
  migrate(db, migrations)
  return { db, path }
}

/** 600 events of 4 issues: 130 values of one tag on `f0` (past the 100 kept), 40 users, 3 releases, 2 hours. */
function events(): NormalizedEvent[] {
  return Array.from({ length: 600 }, (_, i) =>
    normalizedEvent({
      fingerprint: `f${i % 4}`,
      received_at: T0 + (i < 300 ? 0 : 3_600_000),
      release: `1.${i % 3}`,
      user_id_hash: i % 5 === 0 ? null : `u${i % 40}`,
      metadata: JSON.stringify({ order: `o${Math.floor(i / 4) % 130}`, tags: { browser: `b${i % 6}` } }),
    }),
  )
}

/** The writer's seam tasks, each in its own transaction on `db`, as the writer thread runs them. */
const commit = (db: Db, events: NormalizedEvent[]) => taskOnSqlite(db, (tx) => commitEvents(tx, events, 5))
const fold = (db: Db, a: { limit: number }) => taskOnSqlite(db, (tx) => foldEvents(tx, a))
const watermark = (db: Db) => taskOnSqlite(db, (tx) => foldWatermark(tx))
const pruneRaw = (db: Db, a: Parameters<typeof pruneRawBatch>[1]) =>
  taskOnSqlite(db, (tx) => pruneRawBatch(tx, a))

const commitAll = async (db: Db, all: NormalizedEvent[], batch = 50) => {
  for (let i = 0; i < all.length; i += batch) await commit(db, all.slice(i, i + batch))
}

/** Everything the fold writes, in key order. */
const facets = (db: Db) => ({
  tags: db.query('SELECT fingerprint, key, value, count, last_seen FROM issue_tags ORDER BY 1, 2, 3').all(),
  sketches: db
    .query('SELECT fingerprint, scope, hex(sketch) AS sketch, users FROM issue_user_sketches ORDER BY 1, 2')
    .all(),
  users: db.query('SELECT fingerprint, users_count FROM issues ORDER BY 1').all(),
})

const lastRaw = (db: Db) => (db.query('SELECT max(id) AS n FROM raw_events').get() as { n: number }).n

describe('the fold', () => {
  test('counts nothing at commit, then each event once, whatever the size of its steps', async () => {
    const all = events()
    const once = fresh().db
    await commitAll(once, all)
    expect(facets(once)).toEqual({
      tags: [],
      sketches: [],
      users: ['f0', 'f1', 'f2', 'f3'].map((fingerprint) => ({ fingerprint, users_count: 0 })),
    })
    expect(await fold(once, { limit: 1_000_000 })).toMatchObject({ folded: 600, through: 600, more: false })
    const reference = facets(once)
    // f0 holds 130 values of `order` (o0-o19 twice): the first 100 kept, the last 30 counted as (other).
    const order = (
      reference.tags as { fingerprint: string; key: string; value: string; count: number }[]
    ).filter((t) => t.fingerprint === 'f0' && t.key === 'order')
    expect(order.length).toBe(101)
    expect(order.find((t) => t.value === '(other)')?.count).toBe(30)
    expect(reference.users).toEqual([
      // Ten users an issue (u<i mod 40> with i mod 4 fixed), less the two whose events carry none.
      { fingerprint: 'f0', users_count: 8 },
      { fingerprint: 'f1', users_count: 8 },
      { fingerprint: 'f2', users_count: 8 },
      { fingerprint: 'f3', users_count: 8 },
    ])

    for (const step of [2, 7, 50, 599]) {
      const db = fresh().db
      await commitAll(db, all)
      let steps = 0
      while ((await fold(db, { limit: step })).more) steps++
      expect({ step, steps, through: await watermark(db) }).toEqual({
        step,
        steps: Math.floor(600 / step),
        through: 600,
      })
      expect(facets(db)).toEqual(reference)
      // Interleaved with commits, as under load: the same counts again.
      const mixed = fresh().db
      for (let i = 0; i < all.length; i += 50) {
        await commit(mixed, all.slice(i, i + 50))
        await fold(mixed, { limit: step })
      }
      while ((await fold(mixed, { limit: step })).more) {}
      expect(facets(mixed)).toEqual(reference)
    }
  })

  test('resumes from its watermark after a restart, and a failed fold changes nothing', async () => {
    const all = events()
    const reference = fresh().db
    await commitAll(reference, all)
    await fold(reference, { limit: 1_000_000 })

    const { db, path } = fresh()
    await commitAll(db, all)
    expect(await fold(db, { limit: 250 })).toMatchObject({ folded: 250, through: 250, more: true })
    db.close()
    const reopened = openDatabase(path)
    expect(await watermark(reopened)).toBe(250)
    // A fold that fails half-way (here a write refused by a trigger) rolls back whole.
    const before = facets(reopened)
    reopened.run(
      "CREATE TEMP TRIGGER refuse BEFORE INSERT ON issue_user_sketches BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    await expect(fold(reopened, { limit: 1_000_000 })).rejects.toThrow('disk full')
    expect(await watermark(reopened)).toBe(250)
    expect(facets(reopened)).toEqual(before)
    reopened.run('DROP TRIGGER refuse')
    expect(await fold(reopened, { limit: 1_000_000 })).toMatchObject({ folded: 350, through: 600 })
    expect(await fold(reopened, { limit: 1_000_000 })).toMatchObject({ folded: 0, through: 600, more: false })
    expect(facets(reopened)).toEqual(facets(reference))
    reopened.close()
  })

  test('counts events whose ids SQLite handed out again after the newest raw rows were deleted', async () => {
    const { db } = fresh()
    await commitAll(db, events().slice(0, 10))
    await fold(db, { limit: 100 })
    expect(await watermark(db)).toBe(10)
    // As a deleted project or retention can: the newest rows go, so their ids come back.
    db.run('DELETE FROM raw_events WHERE id > 6')
    await commit(
      db,
      [1, 2, 3].map(() => normalizedEvent({ fingerprint: 'again', received_at: T0, metadata: '{"k":"v"}' })),
    )
    expect(lastRaw(db)).toBe(9)
    expect(await watermark(db)).toBe(6)
    expect(await fold(db, { limit: 100 })).toMatchObject({ folded: 3, through: 9 })
    expect(db.query("SELECT count FROM issue_tags WHERE fingerprint = 'again' AND key = 'k'").get()).toEqual({
      count: 3,
    })
  })

  test('retention folds the raw events the fold has not counted before it deletes them', async () => {
    const { db } = fresh()
    await commitAll(db, events().slice(0, 20))
    const cutoffs: Cutoffs = {
      raw_default: T0 + 10 * 3_600_000,
      raw_by_project: {},
      raw_scan_until: T0 + 10 * 3_600_000,
      hourly_last_bucket: 0,
      now: T0 + 10 * 3_600_000,
    }
    await fold(db, { limit: 12 })
    expect(await watermark(db)).toBe(12)
    expect(await pruneRaw(db, { cutoffs, after: null, limit: 15 })).toMatchObject({ deleted: 15 })
    expect(await watermark(db)).toBe(20)
    expect(await pruneRaw(db, { cutoffs, after: { received_at: T0, id: 15 }, limit: 15 })).toMatchObject({
      deleted: 5,
      next: null,
    })
    expect(lastRaw(db)).toBeNull()
    const tags = db.query("SELECT sum(count) AS n FROM issue_tags WHERE key = 'browser'").get() as {
      n: number
    }
    expect(tags.n).toBe(20)
  })

  test('an existing database starts after the events its commits counted themselves', async () => {
    const before = MIGRATIONS.filter((m) => m.id < 202612021705)
    expect(MIGRATIONS.length - before.length).toBeGreaterThanOrEqual(1)
    const { db } = fresh(before)
    db.run(
      `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
         error_type, message) VALUES ('default', 'old', 1, 1, 'web', 'prod', '1', 'E', 'm'),
         ('default', 'old', 2, 2, 'web', 'prod', '1', 'E', 'm')`,
    )
    migrate(db, MIGRATIONS)
    expect(await watermark(db)).toBe(2)
    expect(await fold(db, { limit: 100 })).toMatchObject({ folded: 0, through: 2 })
  })
})
