/**
 * The database side of CLI commands: open the configured database (migrated, default
 * project in place), run the command's work, close it whatever happens. Kept apart from
 * commands.ts so feature commands can use it without importing the command table.
 */
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { resolveSecret } from '../config/secret'
import { ensureDefaultProject, findProject, type ProjectRow } from '../projects/store'
import { type Db, openDatabase } from '../storage/db'
import { migrate } from '../storage/migrate'
import { type CommandContext, UsageError } from './args'

export function withDatabase<T>(ctx: CommandContext, work: (db: Db, config: Config) => T): T {
  const config = loadConfig({ path: ctx.configPath })
  const db = openDatabase(config.database.path)
  try {
    migrate(db)
    ensureDefaultProject(db, resolveSecret(config).secret)
    return work(db, config)
  } finally {
    db.close()
  }
}

/** The project named on the command line, or a usage error pointing at `project list`. */
export function projectOrUsage(db: Db, slug: string): ProjectRow {
  const project = findProject(db, slug)
  if (!project) throw new UsageError(`no project with slug ${slug}; see: bloop project list`)
  return project
}
