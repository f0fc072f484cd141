/**
 * CLI: `bloop project create | rotate-key | delete` (work directly on the database).
 * `delete` removes the data the way the API does, batch by batch through a writer of its
 * own on the same database (ProjectDeleteDeps), so it works whether or not the server runs.
 */

import type { Config } from '../config/schema'
import type { Command } from '../core/command'
import { CommandFailed, requireString, UsageError } from '../core/command'
import type { ProjectDataTable } from '../core/feature'
import { AppError } from '../http/errors'
import { createLogger, type Logger } from '../ops/log'
import type { Backend, Queryable } from '../storage/backend'
import type { TaskRunner } from '../storage/tasks'
import { createProject, deleteProject, rotateKey } from './manage'
import { findProject, listProjects, type ProjectRow } from './store'
import type { ProjectsTasks } from './tasks'

/** The project named on the command line, or a usage error pointing at `project list`. */
export async function projectOrUsage(q: Queryable, slug: string): Promise<ProjectRow> {
  const project = await findProject(q, slug)
  if (!project) throw new UsageError(`no project with slug ${slug}; see: bloop project list`)
  return project
}

/** A refused change (bad slug, duplicate, unknown project) is a usage error with the same message. */
async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof AppError) throw new UsageError(err.message)
    throw err
  }
}

export const projectCreate: Command = {
  path: ['project', 'create'],
  usage: 'bloop project create --name <name> --slug <slug>',
  summary: 'Create a project; prints its api key alone on the last line.',
  options: { name: { type: 'string' }, slug: { type: 'string' } },
  run(ctx) {
    const name = requireString(ctx.values, 'name')
    const slug = requireString(ctx.values, 'slug')
    return ctx.withDatabase(async (b) => {
      const row = await asUsage(() => createProject(b, { name, slug, createdBy: null }, Date.now()))
      ctx.out(`created project ${row.slug} ("${row.name}", id ${row.id}, numeric id ${row.numeric_id})`)
      ctx.out(row.api_key)
      return 0
    })
  },
}

export const projectRotateKey: Command = {
  path: ['project', 'rotate-key'],
  usage: 'bloop project rotate-key --slug <slug>',
  summary: 'Replace a project key (the old one stops working at once); prints the new key last.',
  options: { slug: { type: 'string' } },
  run(ctx) {
    const slug = requireString(ctx.values, 'slug')
    return ctx.withDatabase(async (b) => {
      const row = await asUsage(() => rotateKey(b, slug))
      ctx.out(`rotated the key of project ${row.slug}; SDKs using the old key are refused from now on`)
      ctx.out(row.api_key)
      return 0
    })
  },
}

/**
 * What `project delete` needs from the CLI: a writer of its own on the configured
 * database (on SQLite a writer thread, serialized with a running server's by SQLite; on
 * PostgreSQL the seam writer over the command's backend), and every feature's tables.
 */
export interface ProjectDeleteDeps {
  openWriter(
    config: Config,
    backend: Backend,
    log: Logger,
  ): TaskRunner<ProjectsTasks> & {
    whenReady(): Promise<void>
    close(): Promise<void>
  }
  tables: readonly ProjectDataTable[]
}

export const projectDelete = (deps: ProjectDeleteDeps): Command => ({
  path: ['project', 'delete'],
  usage: 'bloop project delete <slug>',
  summary:
    'Delete a project: its key and tokens stop working at once, then its events, issues and counts are removed.',
  args: ['slug'],
  run(ctx) {
    const slug = ctx.positionals[0] as string
    return ctx.withDatabase(async (b, config) => {
      // Only warnings and failures: the command prints its own summary.
      const log = createLogger('warn', (line) => ctx.err(line))
      const writer = deps.openWriter(config, b, log)
      try {
        await writer.whenReady()
        const { row, purged } = await asUsage(() =>
          deleteProject(
            { backend: b, writer, log, batchSize: config.retention.prune_batch_size, tables: deps.tables },
            slug,
          ),
        )
        ctx.err(`deleted project ${row.slug} (${row.id}); removing its data`)
        const { removed, error } = await purged
        const total = Object.values(removed).reduce((a, b) => a + b, 0)
        if (error) {
          throw new CommandFailed(
            `project ${row.slug} is deleted, but removing its data stopped after ${total} rows (${error}); the server finishes it at its next start`,
          )
        }
        const detail = Object.entries(removed)
          .map(([table, n]) => `${table} ${n}`)
          .join(', ')
        ctx.out(`deleted project ${row.slug}: removed ${total} rows (${detail})`)
        return 0
      } finally {
        await writer.close()
      }
    })
  },
})

export const projectList: Command = {
  path: ['project', 'list'],
  usage: 'bloop project list [--keys]',
  summary: 'List projects (slug, name, id, numeric id); --keys adds each ingest key in full.',
  options: { keys: { type: 'boolean' } },
  async run(ctx) {
    const rows = await ctx.withDatabase((b) => listProjects(b))
    const keys = ctx.values.keys === true
    ctx.out(['SLUG', 'NAME', 'ID', 'NUMERIC_ID', ...(keys ? ['KEY'] : [])].join('\t'))
    for (const p of rows) {
      ctx.out([p.slug, p.name, p.id, String(p.numeric_id), ...(keys ? [p.api_key] : [])].join('\t'))
    }
    return 0
  },
}
