/**
 * Applies pending migrations, each in its own transaction, and records them in
 * `_migrations`. Safe to run on every start and from `bloop migrate`.
 */
import { StartupError } from '../ops/problems'
import type { Db } from './db'
import { MIGRATIONS, type Migration } from './migrations'

export interface MigrateResult {
  applied: string[]
  current: number
}

export function migrate(db: Db, migrations: Migration[] = MIGRATIONS, now = Date.now()): MigrateResult {
  db.run(
    'CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  )
  const done = new Set(
    db
      .query<{ id: number }, []>('SELECT id FROM _migrations')
      .all()
      .map((r) => r.id),
  )
  const applied: string[] = []
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue
    db.transaction(() => {
      db.run(m.sql)
      db.run('INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)', [m.id, m.name, now])
    }).immediate()
    applied.push(m.name)
  }
  const latest = Math.max(0, ...migrations.map((m) => m.id))
  const known = Math.max(0, ...done)
  if (known > latest) {
    throw new StartupError(
      `the database was migrated by a newer bloop (schema ${known}, this binary knows ${latest}); upgrade bloop`,
    )
  }
  return { applied, current: latest }
}
