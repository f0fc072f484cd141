/**
 * What `bloop version` prints: the package version, the commit and the build date. The
 * compiled executable gets the commit and date from build.ts (as defines, fixed at build
 * time); a source checkout asks git for the commit and says it runs from source. "dev"
 * stands for a commit that cannot be known (a tarball without .git, no git installed).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import pkg from '../../package.json'

export const VERSION: string = pkg.version

export interface BuildInfo {
  version: string
  commit: string
  /** ISO date of the build, or null when running from source. */
  built: string | null
}

function sourceCommit(): string {
  try {
    const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: join(import.meta.dir, '..', '..'),
      encoding: 'utf8',
      timeout: 2000,
    })
    const sha = r.status === 0 ? r.stdout.trim() : ''
    return /^[0-9a-f]{4,40}$/.test(sha) ? sha : 'dev'
  } catch {
    return 'dev'
  }
}

export function buildInfo(): BuildInfo {
  // Replaced by build.ts in the executable; empty (unset) when running from source.
  const commit = process.env.BLOOP_BUILD_COMMIT ?? ''
  const built = process.env.BLOOP_BUILD_DATE ?? ''
  if (built !== '') return { version: VERSION, commit: commit || 'dev', built }
  return { version: VERSION, commit: sourceCommit(), built: null }
}

export function versionLine(info: BuildInfo = buildInfo()): string {
  return `bloop ${info.version} (commit ${info.commit}, ${info.built ? `built ${info.built}` : 'from source'})`
}
