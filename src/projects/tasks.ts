/**
 * Removing a deleted project's data (runs on the writer thread, one batch per task, so
 * ingest commits interleave with a large purge instead of waiting behind it).
 *
 * Which tables: every feature declares its tables of per-project rows (`projectData` in
 * its feature object, from its tasks.ts). They are emptied features last-to-first (a
 * feature's rows go before those of the features it builds on), each feature's tables in
 * its declared order. The last table emptied is the marker: a purge cut short by a crash
 * leaves rows there, and the startup sweep (`orphanedProjectIds`) finds and finishes it.
 * The errors feature lists `issues` last and comes first among the features holding such
 * rows, so the marker is `issues` (its key leads with project_id, so the sweep is cheap).
 */
import type { ProjectDataTable } from '../core/feature'
import type { Db } from '../storage/db'
import type { TaskTable } from '../storage/tasks'

/** The tables in removal order, from the features' lists in feature (dependency) order. */
export function purgeOrder(lists: readonly (readonly ProjectDataTable[] | undefined)[]): ProjectDataTable[] {
  return [...lists].reverse().flatMap((l) => l ?? [])
}

/** Deletes up to `batch` rows of `projectId` from `t`; returns how many. */
function purgeBatch(db: Db, t: ProjectDataTable, projectId: string, batch: number): number {
  const key = t.key.join(', ')
  const target = t.key.length === 1 ? key : `(${key})`
  return db
    .query(
      `DELETE FROM ${t.table} WHERE ${target} IN (SELECT ${key} FROM ${t.table} WHERE project_id = ? LIMIT ?)`,
    )
    .run(projectId, Math.max(1, Math.floor(batch))).changes
}

/**
 * The task `projects.purge`, over the tables every feature declared (src/writer.tasks.ts
 * builds it from their tasks.ts files). A table not declared is refused.
 */
export function purgeTasks(tables: readonly ProjectDataTable[]) {
  const byName = new Map(tables.map((t) => [t.table, t]))
  return {
    /** Deletes one batch of a deleted project's rows from one table. */
    'projects.purge': (db: Db, a: { project_id: string; table: string; batch: number }) => {
      const t = byName.get(a.table)
      if (!t) throw new Error(`expected a project data table, got ${a.table}`)
      return { deleted: purgeBatch(db, t, a.project_id, a.batch) }
    },
  } satisfies TaskTable
}

export type ProjectsTasks = ReturnType<typeof purgeTasks>

/** Project ids that still have rows in the marker table but no project row: purges a crash interrupted. */
export function orphanedProjectIds(db: Db, tables: readonly ProjectDataTable[]): string[] {
  const marker = tables[tables.length - 1]
  if (!marker) return []
  return db
    .query<{ project_id: string }, []>(
      `SELECT DISTINCT project_id FROM ${marker.table} WHERE project_id NOT IN (SELECT id FROM projects)`,
    )
    .all()
    .map((r) => r.project_id)
}
