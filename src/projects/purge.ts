/**
 * Removing a deleted project's event data (runs on the writer thread, one batch per task,
 * so ingest commits interleave with a large purge instead of waiting behind it).
 *
 * Tables are emptied in this order; `issues` goes last, so a purge cut short by a crash
 * leaves issue rows behind, and the startup sweep (`orphanedProjectIds`) finds and
 * finishes it. Features that add event tables keyed by project_id add them here.
 */
import type { Db } from '../storage/db'

/** Table -> the columns that identify a row (rowid tables use their integer key). */
export const PROJECT_DATA_TABLES = {
  raw_events: ['id'],
  samples: ['id'],
  status_changes: ['id'],
  event_counts_hourly: ['project_id', 'fingerprint', 'hour_bucket', 'environment', 'source', 'release'],
  error_aggregates: ['project_id', 'fingerprint', 'release', 'environment'],
  issues: ['project_id', 'fingerprint'],
} as const satisfies Record<string, readonly string[]>

export type ProjectDataTable = keyof typeof PROJECT_DATA_TABLES

export function isProjectDataTable(t: string): t is ProjectDataTable {
  return Object.hasOwn(PROJECT_DATA_TABLES, t)
}

/** Deletes up to `batch` rows of `projectId` from `table`; returns how many. */
export function purgeBatch(db: Db, projectId: string, table: string, batch: number): number {
  if (!isProjectDataTable(table)) throw new Error(`expected a project data table, got ${table}`)
  const key = PROJECT_DATA_TABLES[table].join(', ')
  const target = PROJECT_DATA_TABLES[table].length === 1 ? key : `(${key})`
  return db
    .query(
      `DELETE FROM ${table} WHERE ${target} IN (SELECT ${key} FROM ${table} WHERE project_id = ? LIMIT ?)`,
    )
    .run(projectId, Math.max(1, Math.floor(batch))).changes
}

/** Project ids that still have issues but no project row: purges a crash interrupted. */
export function orphanedProjectIds(db: Db): string[] {
  return db
    .query<{ project_id: string }, []>(
      'SELECT DISTINCT project_id FROM issues WHERE project_id NOT IN (SELECT id FROM projects)',
    )
    .all()
    .map((r) => r.project_id)
}
