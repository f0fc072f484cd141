/**
 * Failures an operator causes and an operator fixes: a data directory that cannot be
 * written, a secret file that cannot be read, a database file that is not one, another
 * server holding the data directory. Each becomes one line that names the path, says what
 * is wrong in words and how to fix it; the CLI prints it without a stack trace and exits
 * 78 (EX_CONFIG), like a configuration error. A stack is for bugs, not for `chmod`.
 */
import { accessSync, constants, statSync } from 'node:fs'

export class StartupError extends Error {
  override name = 'StartupError'
}

/** What a Node file-system error code means, in words. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory, not a file',
  ENOENT: 'it does not exist',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ELOOP: 'too many symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
  EEXIST: 'a file of that name is in the way',
}

/** The user bloop runs as, for "make it writable by ..." (uid is what chmod/chown need). */
export function runningAs(): string {
  const uid = process.getuid?.()
  const name = process.env.USER ?? process.env.LOGNAME
  if (uid === undefined) return 'the user bloop runs as'
  return name ? `user ${name} (uid ${uid})` : `uid ${uid}`
}

/**
 * A StartupError for `err` when it is a file-system error (it has a code we know), else
 * null so the caller rethrows the original: an unknown failure keeps its stack.
 */
export function fsProblem(err: unknown, what: string, path: string, fix: string): StartupError | null {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !(code in REASONS)) return null
  return new StartupError(`${what} ${path}: ${REASONS[code]} (${code}); ${fix}`)
}

/** The fix for a data directory bloop cannot write. */
export function writableDirFix(dir: string): string {
  return (
    `make ${dir} a directory writable by ${runningAs()}, or point database.path ` +
    '(BLOOP__DATABASE__PATH) at a writable location'
  )
}

/**
 * Why `dir` cannot take a new file, when the file system says so (null when it can): for
 * failures that arrive without a reason, such as SQLite's "unable to open database file".
 */
export function whyNotWritable(dir: string): string | null {
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`
    accessSync(dir, constants.W_OK | constants.X_OK)
    return null
  } catch (err) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && code in REASONS ? `${REASONS[code]} (${code})` : null
  }
}
