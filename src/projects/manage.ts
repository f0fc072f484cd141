/**
 * Project administration shared by the HTTP routes and the CLI: create, rename, rotate the
 * ingest key, delete.
 *
 * - Slugs: `^[a-z0-9][a-z0-9-]{0,62}$`, unique, and never equal to another project's id
 *   (a reference may be an id or a slug, so the two must not collide).
 * - Rotation takes effect on the next request: ingest looks the key up in the database
 *   every time (no cache), so the old key fails at once. Rotating the default project's
 *   key also retires the HMAC secret for requests without X-Project-Key, which are
 *   signed with that project's current key.
 * - Deletion removes the row (and, by cascade, its API tokens) at once, so its key and
 *   tokens stop working immediately; the event data is then removed in batches through
 *   the writer thread, in the background, because a large project takes longer than an
 *   HTTP request should. A crash mid-way is finished by `resumePurges` at the next start.
 * - The `default` project cannot be deleted: requests without X-Project-Key land in it.
 */

import type { ProjectDataTable } from '../core/feature'
import { AppError } from '../http/errors'
import type { Logger } from '../ops/log'
import type { Backend, Queryable } from '../storage/backend'
import type { TaskRunner } from '../storage/tasks'
import { NAME_MAX, SLUG_PATTERN } from './model'
import {
  DEFAULT_PROJECT_ID,
  deleteProjectRow,
  findProject,
  insertProject,
  newApiKey,
  type ProjectRow,
  projectsTransaction,
  renameProjectRow,
  setApiKey,
} from './store'
import { orphanedProjects, type ProjectsTasks } from './tasks'

const SLUG = new RegExp(SLUG_PATTERN)

export function validName(raw: string): string {
  const name = raw.trim()
  if (name.length === 0 || name.length > NAME_MAX) {
    throw new AppError('invalid_field', `name must be 1-${NAME_MAX} characters`, { field: 'name' })
  }
  return name
}

export function validSlug(slug: string): string {
  if (!SLUG.test(slug)) {
    throw new AppError(
      'invalid_field',
      'slug must be 1-63 characters of lowercase letters, digits and hyphens, starting with a letter or digit',
      { field: 'slug' },
    )
  }
  return slug
}

export async function createProject(
  b: Backend,
  p: { name: string; slug: string; createdBy: string | null },
  now: number,
): Promise<ProjectRow> {
  const name = validName(p.name)
  const slug = validSlug(p.slug)
  return projectsTransaction(b, async (tx) => {
    if (await findProject(tx, slug))
      throw new AppError('conflict', `a project with the slug ${slug} already exists`)
    return insertProject(tx, { name, slug, createdBy: p.createdBy }, now)
  })
}

/** The project a path refers to (id or slug), or 404. */
export async function projectOr404(q: Queryable, ref: string): Promise<ProjectRow> {
  const row = await findProject(q, ref)
  if (!row) throw new AppError('not_found', `project ${ref} not found`)
  return row
}

export async function renameProject(q: Queryable, ref: string, rawName: string): Promise<ProjectRow> {
  const row = await projectOr404(q, ref)
  await renameProjectRow(q, row.id, validName(rawName))
  return projectOr404(q, row.id)
}

export async function rotateKey(q: Queryable, ref: string): Promise<ProjectRow> {
  const row = await projectOr404(q, ref)
  await setApiKey(q, row.id, newApiKey())
  return projectOr404(q, row.id)
}

export interface PurgeDeps {
  /** Where the project row is deleted. */
  backend: Queryable
  writer: TaskRunner<ProjectsTasks>
  log: Logger
  batchSize: number
  /** Every feature's project data, in removal order (purgeOrder). */
  tables: readonly ProjectDataTable[]
}

/** Rows removed per table, and the failure that stopped the removal early (null when done). */
export interface PurgeOutcome {
  removed: Record<string, number>
  error: string | null
}

/** Deletes the project row now; returns the row and the promise of its data removal. */
export async function deleteProject(
  d: PurgeDeps,
  ref: string,
): Promise<{ row: ProjectRow; purged: Promise<PurgeOutcome> }> {
  const row = await projectOr404(d.backend, ref)
  if (row.id === DEFAULT_PROJECT_ID) {
    throw new AppError(
      'conflict',
      'the default project cannot be deleted: requests signed without X-Project-Key land in it',
    )
  }
  await deleteProjectRow(d.backend, row.id)
  d.log.info('project deleted; removing its data', { project_id: row.id, slug: row.slug })
  return { row, purged: purgeProjectData(d, row.id) }
}

/** Removes every event row of `projectId`, batch by batch; resolves with the counts. */
export async function purgeProjectData(d: PurgeDeps, projectId: string): Promise<PurgeOutcome> {
  const removed: Record<string, number> = Object.fromEntries(d.tables.map((t) => [t.table, 0]))
  try {
    // A second pass catches events that were already queued when the project was deleted.
    for (let pass = 0; pass < 2; pass++) {
      for (const { table } of d.tables) {
        for (;;) {
          const { deleted } = await d.writer.run('projects.purge', {
            project_id: projectId,
            table,
            batch: d.batchSize,
          })
          removed[table] = (removed[table] ?? 0) + deleted
          if (deleted < d.batchSize) break
        }
      }
    }
    d.log.info('project data removed', { project_id: projectId, removed })
    return { removed, error: null }
  } catch (err) {
    d.log.warn('project data removal stopped; it resumes at the next start', {
      project_id: projectId,
      removed,
      error: (err as Error).message,
    })
    return { removed, error: (err as Error).message }
  }
}

/** Finishes the data removal of projects deleted before a crash or shutdown. */
export async function resumePurges(d: PurgeDeps): Promise<void> {
  for (const id of await orphanedProjects(d.backend, d.tables)) await purgeProjectData(d, id)
}
