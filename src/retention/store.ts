/**
 * Retention settings and storage figures (main thread: small administrative writes).
 *
 * The global windows live in `retention_settings`, seeded from `[retention]` on start.
 * Until an admin saves values through the API the row follows the config (so changing
 * BLOOP__RETENTION__RAW_EVENTS_DAYS and restarting works); afterwards the saved values win
 * and the config only seeds new databases.
 */
import { statSync } from 'node:fs'
import type { Db } from '../storage/db'
import type { ProjectOverride, RetentionSettings } from './policy'

export interface SettingsRow extends RetentionSettings {
  /** Who saved the values through the API; null while they come from the config. */
  set_by: string | null
  updated_at: number
}

export interface OverrideRow extends ProjectOverride {
  project_slug: string | null
  project_name: string | null
  set_by: string | null
  updated_at: number
}

/** Inserts the settings row from the config, or refreshes it while no admin has saved values. */
export function syncSettingsFromConfig(db: Db, config: RetentionSettings, now: number): SettingsRow {
  db.query(
    `INSERT INTO retention_settings (id, raw_events_days, hourly_counts_days, set_by, updated_at)
     VALUES (1, ?1, ?2, NULL, ?3)
     ON CONFLICT (id) DO UPDATE SET raw_events_days = ?1, hourly_counts_days = ?2, updated_at = ?3
     WHERE set_by IS NULL AND (raw_events_days != ?1 OR hourly_counts_days != ?2)`,
  ).run(config.raw_events_days, config.hourly_counts_days, now)
  return readSettings(db)
}

export function readSettings(db: Db): SettingsRow {
  const row = db
    .query<SettingsRow, []>(
      'SELECT raw_events_days, hourly_counts_days, set_by, updated_at FROM retention_settings WHERE id = 1',
    )
    .get()
  if (!row)
    throw new Error('expected a retention_settings row (syncSettingsFromConfig runs on start), got none')
  return row
}

export function readOverrides(db: Db): OverrideRow[] {
  return db
    .query<OverrideRow, []>(
      `SELECT r.project_id, p.slug AS project_slug, p.name AS project_name, r.raw_events_days, r.set_by,
              r.updated_at
       FROM project_retention r LEFT JOIN projects p ON p.id = r.project_id
       ORDER BY p.numeric_id, r.project_id`,
    )
    .all()
}

export interface SettingsChange {
  raw_events_days?: number
  hourly_counts_days?: number
  /** `raw_events_days: 0` removes the project's override. */
  per_project?: { project_id: string; raw_events_days: number }[]
}

/** Applies a validated change in one transaction. */
export function saveSettings(db: Db, change: SettingsChange, by: string, now: number): void {
  db.transaction(() => {
    if (change.raw_events_days !== undefined || change.hourly_counts_days !== undefined) {
      const current = readSettings(db)
      db.query(
        'UPDATE retention_settings SET raw_events_days = ?, hourly_counts_days = ?, set_by = ?, updated_at = ? WHERE id = 1',
      ).run(
        change.raw_events_days ?? current.raw_events_days,
        change.hourly_counts_days ?? current.hourly_counts_days,
        by,
        now,
      )
    }
    for (const p of change.per_project ?? []) {
      if (p.raw_events_days === 0) {
        db.query('DELETE FROM project_retention WHERE project_id = ?').run(p.project_id)
        continue
      }
      db.query(
        `INSERT INTO project_retention (project_id, raw_events_days, set_by, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (project_id) DO UPDATE SET raw_events_days = ?2, set_by = ?3, updated_at = ?4`,
      ).run(p.project_id, p.raw_events_days, by, now)
    }
  }).immediate()
}

/** Tables whose row counts the storage figures show. */
export const COUNTED_TABLES = [
  'raw_events',
  'event_counts_hourly',
  'samples',
  'issues',
  'error_aggregates',
  'status_changes',
  'sourcemaps',
] as const

export interface StorageFigures {
  /** page_count x page_size: the main database file, without the WAL. */
  db_size_bytes: number
  /** Free pages inside the file, not yet returned by incremental vacuum. */
  free_bytes: number
  /** The write-ahead log file (checkpointed into the database regularly). */
  wal_size_bytes: number
  raw_events_count: number
  hourly_counts_count: number
  oldest_raw_event_at: number | null
  rows: Record<(typeof COUNTED_TABLES)[number], number>
}

export function storageFigures(db: Db, walSize: number): StorageFigures {
  const pragma = (name: string) => (db.query(`PRAGMA ${name}`).get() as Record<string, number>)[name] ?? 0
  const pageSize = pragma('page_size')
  const rows = {} as StorageFigures['rows']
  for (const t of COUNTED_TABLES) {
    rows[t] = (db.query(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
  }
  const oldest = db.query('SELECT min(received_at) AS t FROM raw_events').get() as { t: number | null }
  return {
    db_size_bytes: pragma('page_count') * pageSize,
    free_bytes: pragma('freelist_count') * pageSize,
    wal_size_bytes: walSize,
    raw_events_count: rows.raw_events,
    hourly_counts_count: rows.event_counts_hourly,
    oldest_raw_event_at: oldest.t,
    rows,
  }
}

/** Size of the database's write-ahead log file; 0 when there is none (or an in-memory database). */
export function walSizeOf(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size
  } catch {
    return 0
  }
}
