/**
 * The database side of CLI commands: open the configured database, run the command's
 * work, close it whatever happens. Kept apart from commands.ts so feature commands can
 * use it without importing the command table.
 *
 * The database must exist: a command run from the wrong directory (or with the wrong
 * config) would otherwise create an empty database and a new HMAC secret there, and print
 * tokens that the real server has never heard of. Only `serve` and `migrate` create one.
 */
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { resolveSecret } from '../config/secret'
import { MIGRATIONS } from '../features'
import { DEFAULT_PROJECT_ID, ensureDefaultProject, findProject } from '../projects'
import type { Backend } from '../storage/backend'
import type { Db } from '../storage/db'
import { migrate } from '../storage/migrate'
import { openStorage, requireExistingDatabase } from '../storage/open'
import { SqliteBackend } from '../storage/sqlite'

/** The configured database, which must already exist, migrated; closed after `work`. */
export async function withDatabase<T>(
  configPath: string | undefined,
  work: (db: Db, config: Config, backend: Backend) => T | Promise<T>,
): Promise<T> {
  const config = loadConfig({ path: configPath })
  requireExistingDatabase(config.database.path)
  const db = openStorage(config.database.path)
  try {
    migrate(db, MIGRATIONS)
    // After `bloop migrate` alone there is no default project yet. Once there is one, its
    // key is the server's business: re-syncing it to whatever secret this shell resolves
    // (say, without the server's BLOOP__AUTH__HMAC_SECRET) would change the live key.
    if (!findProject(db, DEFAULT_PROJECT_ID)) ensureDefaultProject(db, resolveSecret(config).secret)
    return await work(db, config, new SqliteBackend(db))
  } finally {
    db.close()
  }
}
