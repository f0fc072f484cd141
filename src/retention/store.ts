/**
 * Retention settings and storage figures (small administrative writes, on the storage
 * seam: SQLite and PostgreSQL alike, test/http/retention.store.test.ts runs both).
 *
 * The global windows live in `retention_settings`, seeded from `[retention]` on start.
 * Until an admin saves values through the API the row follows the config (so changing
 * BLOOP__RETENTION__RAW_EVENTS_DAYS and restarting works); afterwards the saved values win
 * and the config only seeds new databases.
 */
import type { Backend, Queryable } from '../storage/backend'
import type { Db } from '../storage/db'
import { databaseSize } from '../storage/upkeep'
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
export async function syncSettingsFromConfig(
  q: Queryable,
  config: RetentionSettings,
  now: number,
): Promise<SettingsRow> {
  await q.run(
    `INSERT INTO retention_settings (id, raw_events_days, hourly_counts_days, set_by, updated_at)
     VALUES (1, ?1, ?2, NULL, ?3)
     ON CONFLICT (id) DO UPDATE SET raw_events_days = ?1, hourly_counts_days = ?2, updated_at = ?3
     WHERE set_by IS NULL AND (raw_events_days != ?1 OR hourly_counts_days != ?2)`,
    [config.raw_events_days, config.hourly_counts_days, now],
  )
  return readSettings(q)
}

const SETTINGS =
  'SELECT raw_events_days, hourly_counts_days, set_by, updated_at FROM retention_settings WHERE id = 1'

const settingsOrThrow = (row: SettingsRow | null): SettingsRow => {
  if (!row)
    throw new Error('expected a retention_settings row (syncSettingsFromConfig runs on start), got none')
  return row
}

export async function readSettings(q: Queryable): Promise<SettingsRow> {
  return settingsOrThrow(await q.get<SettingsRow>(SETTINGS))
}

/**
 * The same read on a SQLite connection, for the analytics feed, which asks for the hourly
 * window synchronously and runs only beside SQLite (its DuckDB copy is fed from that file).
 */
export function readSettingsOnSqlite(db: Db): SettingsRow {
  return settingsOrThrow(db.query<SettingsRow, []>(SETTINGS).get())
}

export function readOverrides(q: Queryable): Promise<OverrideRow[]> {
  return q.all<OverrideRow>(
    `SELECT r.project_id, p.slug AS project_slug, p.name AS project_name, r.raw_events_days, r.set_by,
            r.updated_at
     FROM project_retention r LEFT JOIN projects p ON p.id = r.project_id
     ORDER BY p.numeric_id, r.project_id`,
  )
}

export interface SettingsChange {
  raw_events_days?: number
  hourly_counts_days?: number
  /** `raw_events_days: 0` removes the project's override. */
  per_project?: { project_id: string; raw_events_days: number }[]
}

/** Applies a validated change in one transaction. */
export function saveSettings(b: Backend, change: SettingsChange, by: string, now: number): Promise<void> {
  return b.transaction(async (tx) => {
    if (change.raw_events_days !== undefined || change.hourly_counts_days !== undefined) {
      const current = await readSettings(tx)
      await tx.run(
        'UPDATE retention_settings SET raw_events_days = ?, hourly_counts_days = ?, set_by = ?, updated_at = ? WHERE id = 1',
        [
          change.raw_events_days ?? current.raw_events_days,
          change.hourly_counts_days ?? current.hourly_counts_days,
          by,
          now,
        ],
      )
    }
    for (const p of change.per_project ?? []) {
      if (p.raw_events_days === 0) {
        await tx.run('DELETE FROM project_retention WHERE project_id = ?', [p.project_id])
        continue
      }
      await tx.run(
        `INSERT INTO project_retention (project_id, raw_events_days, set_by, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (project_id) DO UPDATE SET raw_events_days = ?2, set_by = ?3, updated_at = ?4`,
        [p.project_id, p.raw_events_days, by, now],
      )
    }
  })
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
  /** SQLite: page_count x page_size, the main file without the WAL. PostgreSQL: the database's size. */
  db_size_bytes: number
  /** SQLite: free pages inside the file, not yet returned by incremental vacuum (0 on PostgreSQL). */
  free_bytes: number
  /** SQLite: the write-ahead log file, checkpointed into the database regularly (0 on PostgreSQL). */
  wal_size_bytes: number
  raw_events_count: number
  hourly_counts_count: number
  oldest_raw_event_at: number | null
  rows: Record<(typeof COUNTED_TABLES)[number], number>
}

export async function storageFigures(b: Backend): Promise<StorageFigures> {
  const rows = {} as StorageFigures['rows']
  for (const t of COUNTED_TABLES) {
    rows[t] = Number((await b.get<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))?.n ?? 0)
  }
  const oldest = await b.get<{ t: number | null }>('SELECT min(received_at) AS t FROM raw_events')
  return {
    ...(await databaseSize(b)),
    raw_events_count: rows.raw_events,
    hourly_counts_count: rows.event_counts_hourly,
    oldest_raw_event_at: oldest?.t ?? null,
    rows,
  }
}
