/**
 * `issue_users` (docs/decisions.md, "Users affected"): the (issue, user) pairs the `user:`
 * search reads, on a real SQLite file. A database from before the table gets the pairs of
 * the raw events it already holds, once each, and loses the per-event index it replaces.
 */
import { afterEach, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { MIGRATIONS } from '../../src/features'
import { openDatabase } from '../../src/storage/db'
import { migrate } from '../../src/storage/migrate'
import { tempDir } from '../helpers'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

test('an existing database gets one pair per issue and user of its raw events, and no per-event user index', () => {
  const dir = tempDir('bloop-issue-users-')
  dirs.push(dir)
  const db = openDatabase(join(dir, 'b.db'))
  const before = MIGRATIONS.filter((m) => m.id < 202612022300)
  expect(MIGRATIONS.length - before.length).toBeGreaterThanOrEqual(1)
  migrate(db, before)
  const raw = (fp: string, user: string | null, project = 'default') =>
    db.run(
      `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
         error_type, message, user_id_hash) VALUES (?, ?, 1, 1, 'web', 'prod', '1', 'E', 'm', ?)`,
      [project, fp, user],
    )
  raw('a', 'u1')
  raw('a', 'u1')
  raw('a', 'u2')
  raw('b', 'u1')
  raw('b', null)
  raw('a', 'u1', 'other')
  migrate(db, MIGRATIONS)
  expect(
    db.query('SELECT project_id, user_id_hash, fingerprint FROM issue_users ORDER BY 1, 2, 3').all(),
  ).toEqual([
    { project_id: 'default', user_id_hash: 'u1', fingerprint: 'a' },
    { project_id: 'default', user_id_hash: 'u1', fingerprint: 'b' },
    { project_id: 'default', user_id_hash: 'u2', fingerprint: 'a' },
    { project_id: 'other', user_id_hash: 'u1', fingerprint: 'a' },
  ])
  expect(db.query("SELECT name FROM sqlite_master WHERE name = 'raw_events_user'").all()).toEqual([])
  db.close()
})
