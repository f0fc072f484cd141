/**
 * Removing a deleted project's data (a seam task of the writer, so on either backend; one
 * batch per task, so ingest commits interleave with a large purge instead of waiting
 * behind it).
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
import type { Queryable } from '../storage/backend'
import type { Db } from '../storage/db'
import { seamTask, type TaskTable } from '../storage/tasks'

/** The tables in removal order, from the features' lists in feature (dependency) order. */
export function purgeOrder(lists: readonly (readonly ProjectDataTable[] | undefined)[]): ProjectDataTable[] {
  return [...lists].reverse().flatMap((l) => l ?? [])
}

/** Deletes up to `batch` rows of `projectId` from `t`; returns how many. */
async function purgeBatch(
  tx: Queryable,
  t: ProjectDataTable,
  projectId: string,
  batch: number,
): Promise<number> {
  const key = t.key.join(', ')
  const target = t.key.length === 1 ? key : `(${key})`
  const r = await tx.run(
    `DELETE FROM ${t.table} WHERE ${target} IN (SELECT ${key} FROM ${t.table} WHERE project_id = ? LIMIT ?)`,
    [projectId, Math.max(1, Math.floor(batch))],
  )
  return r.changes
}

/**
 * The task `projects.purge`, over the tables every feature declared (src/writer.tasks.ts
 * builds it from their tasks.ts files). A table not declared is refused.
 */
export function purgeTasks(tables: readonly ProjectDataTable[]) {
  const byName = new Map(tables.map((t) => [t.table, t]))
  return {
    /** Deletes one batch of a deleted project's rows from one table. */
    'projects.purge': seamTask(async (tx, a: { project_id: string; table: string; batch: number }) => {
      const t = byName.get(a.table)
      if (!t) throw new Error(`expected a project data table, got ${a.table}`)
      return { deleted: await purgeBatch(tx, t, a.project_id, a.batch) }
    }),
  } satisfies TaskTable
}

export type ProjectsTasks = ReturnType<typeof purgeTasks>

/** The marker table's project ids without a project row; null when no table is declared. */
function orphansSql(tables: readonly ProjectDataTable[]): string | null {
  const marker = tables[tables.length - 1]
  if (!marker) return null
  return `SELECT DISTINCT project_id FROM ${marker.table} WHERE project_id NOT IN (SELECT id FROM projects) ORDER BY project_id`
}

/** Project ids that still have rows in the marker table but no project row: purges a crash interrupted. */
export function orphanedProjectIds(db: Db, tables: readonly ProjectDataTable[]): string[] {
  const sql = orphansSql(tables)
  if (sql === null) return []
  return db
    .query<{ project_id: string }, []>(sql)
    .all()
    .map((r) => r.project_id)
}

/** `orphanedProjectIds` over the storage seam, for either backend. */
export async function orphanedProjects(q: Queryable, tables: readonly ProjectDataTable[]): Promise<string[]> {
  const sql = orphansSql(tables)
  if (sql === null) return []
  return (await q.all<{ project_id: string }>(sql)).map((r) => r.project_id)
}
