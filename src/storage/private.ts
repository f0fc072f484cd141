/**
 * Files and directories for the service's user only. The data directory holds event
 * data, project keys and the HMAC secret: nothing in it is for other local users.
 *
 * `serve` sets the process umask to 0o077 first, so that what SQLite, DuckDB (database,
 * WAL, spill directory) and the secret writer create is born private whatever umask the
 * server was started with. The helpers below also set the modes explicitly, for files
 * made before that or by a process that kept its umask (the CLI, in-process tests).
 * Directories that already existed keep their modes: the data directory may be the
 * working directory, which is not bloop's to lock.
 */
import { chmodSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Makes files and directories created from now on by this process private. */
export function restrictUmask(): void {
  process.umask(0o077)
}

/** Creates `dir` and any missing parents, each 0700; existing ones are left as they are. */
export function makePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  if (first === undefined) return
  const top = resolve(first)
  for (let d = resolve(dir); ; d = dirname(d)) {
    chmodSync(d, PRIVATE_DIR_MODE)
    if (d === top || dirname(d) === d) break
  }
}

/** Sets `path` to 0600 if it exists (a WAL comes and goes with checkpoints). */
export function makePrivateFile(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
