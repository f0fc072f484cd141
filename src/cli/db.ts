/**
 * The database side of CLI commands: open the configured database, run the command's
 * work, close it whatever happens. Kept apart from commands.ts so feature commands can
 * use it without importing the command table.
 *
 * It opens through the storage seam (`openBackend`): SQLite at database.path, or
 * PostgreSQL when database.url is set, so every command works on either. A SQLite
 * database must exist: a command run from the wrong directory (or with the wrong config)
 * would otherwise create an empty database and a new HMAC secret there, and print tokens
 * that the real server has never heard of. Only `serve` and `migrate` create one.
 */
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { resolveSecret } from '../config/secret'
import { MIGRATIONS } from '../features'
import { DEFAULT_PROJECT_ID, ensureDefaultProject, findProject } from '../projects'
import type { Backend } from '../storage/backend'
import { migrateBackend } from '../storage/migrate'
import { openBackend, requireExistingDatabase } from '../storage/open'

/** The configured database, which must already exist, migrated; closed after `work`. */
export async function withDatabase<T>(
  configPath: string | undefined,
  work: (backend: Backend, config: Config) => T | Promise<T>,
): Promise<T> {
  const config = loadConfig({ path: configPath })
  if (config.database.url === '') requireExistingDatabase(config.database.path)
  const backend = await openBackend(config.database)
  try {
    await migrateBackend(backend, MIGRATIONS)
    // After `bloop migrate` alone there is no default project yet. Once there is one, its
    // key is the server's business: re-syncing it to whatever secret this shell resolves
    // (say, without the server's BLOOP__AUTH__HMAC_SECRET) would change the live key.
    if (!(await findProject(backend, DEFAULT_PROJECT_ID)))
      await ensureDefaultProject(backend, resolveSecret(config).secret)
    return await work(backend, config)
  } finally {
    await backend.close()
  }
}
