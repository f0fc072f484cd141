/**
 * The HMAC secret rules (docs/decisions.md, "Configuration and the secret"): a configured secret must be at least 32 characters and
 * not the placeholder; with none configured, one is generated on first run and kept in the
 * data directory so that restarts keep the same key.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fsProblem, runningAs, writableDirFix } from '../ops/problems'
import { makePrivateDir, makePrivateFile, PRIVATE_FILE_MODE } from '../storage/private'
import { ConfigError } from './load'
import type { Config } from './schema'

export const SECRET_FILE = 'hmac_secret'
const PLACEHOLDER = 'change-me-in-production'
const MIN_LENGTH = 32

export interface ResolvedSecret {
  secret: string
  /** true when the secret came from config.toml or BLOOP__AUTH__HMAC_SECRET. */
  configured: boolean
  /** true when this run generated it (first run). */
  generated: boolean
  file?: string
}

export function dataDirOf(config: Pick<Config, 'database'>): string {
  return dirname(resolve(config.database.path))
}

export function resolveSecret(config: Config): ResolvedSecret {
  const configured = config.auth.hmac_secret
  if (configured !== '') {
    if (configured === PLACEHOLDER) {
      throw new ConfigError(
        `auth.hmac_secret is the placeholder "${PLACEHOLDER}". Set a random value of at least ${MIN_LENGTH} characters ` +
          `(for example: openssl rand -hex 32), or remove the key to let bloop generate one in the data directory.`,
      )
    }
    if (configured.length < MIN_LENGTH) {
      throw new ConfigError(
        `auth.hmac_secret is ${configured.length} characters; it must be at least ${MIN_LENGTH}. ` +
          `Generate one with: openssl rand -hex 32`,
      )
    }
    return { secret: configured, configured: true, generated: false }
  }
  const dir = dataDirOf(config)
  const file = join(dir, SECRET_FILE)
  if (existsSync(file)) {
    const secret = explained(
      () => readFileSync(file, 'utf8'),
      'cannot read the HMAC secret',
      file,
      () => `make it readable by ${runningAs()} (chown it to that user, chmod 600), or set auth.hmac_secret`,
    ).trim()
    if (secret.length < MIN_LENGTH) {
      throw new ConfigError(
        `${file} holds a secret shorter than ${MIN_LENGTH} characters; delete it to generate a new one`,
      )
    }
    return { secret, configured: false, generated: false, file }
  }
  const secret = `bloop_${randomBytes(32).toString('hex')}`
  explained(
    () => {
      makePrivateDir(dir)
      writeFileSync(file, `${secret}\n`, { mode: PRIVATE_FILE_MODE })
      makePrivateFile(file)
    },
    'cannot write the HMAC secret',
    file,
    () => writableDirFix(dir),
  )
  return { secret, configured: false, generated: true, file }
}

/** Runs `fn`; a file-system failure becomes a one-line StartupError naming `path`. */
function explained<T>(fn: () => T, what: string, path: string, fix: () => string): T {
  try {
    return fn()
  } catch (err) {
    throw fsProblem(err, what, path, fix()) ?? err
  }
}
