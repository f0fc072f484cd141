/**
 * What a CLI command is and how its arguments are read (node:util parseArgs): the contract
 * between the features that contribute commands and the CLI (src/cli/) that runs them.
 * Exit codes, for scripts and the README:
 *
 * - 0: done.
 * - 1: the command ran and failed, or refused (a backup file that exists, the last admin).
 * - 2: usage: an unknown command or option, a missing or malformed argument.
 * - 78: configuration or environment (EX_CONFIG from sysexits.h): a bad config value, no
 *   database where the config points, a data directory that cannot be written, another
 *   server holding the data directory. The message names the key or the path, and the fix.
 */
import { parseArgs } from 'node:util'
import type { Config } from '../config/schema'
import type { Backend } from '../storage/backend'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
}

export interface Command {
  /** Words that select the command, e.g. ["token", "create"]. */
  path: string[]
  usage: string
  summary: string
  options?: Record<string, OptionSpec>
  /** Names of the positional arguments after the command words; all required. None if absent. */
  args?: string[]
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number> | number
}

export interface CommandContext {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
  configPath?: string
  out: (line: string) => void
  err: (line: string) => void
  /**
   * Runs `work` on the configured database (SQLite at database.path, which must already
   * exist, or PostgreSQL at database.url), migrated; closes it afterwards. Given by the CLI
   * (it knows every feature's migrations), so a feature's commands need nothing but this
   * context. The database comes through the storage seam, so a command's stores run on
   * either backend.
   */
  withDatabase<T>(work: (backend: Backend, config: Config) => T | Promise<T>): Promise<T>
}

/** Options every command takes, before or after its words. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
}

/** Exit 2: the command line is wrong. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Exit 1: the command was understood and refused or failed; the message says why. */
export class CommandFailed extends Error {
  override name = 'CommandFailed'
}

/** Parses what follows the command words, strictly: an option the command lacks is an error. */
export function parseCommandArgs(cmd: Command, argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...GLOBAL_OPTIONS, ...cmd.options },
    allowPositionals: true,
    strict: true,
  })
  const wanted = cmd.args ?? []
  if (positionals.length > wanted.length) {
    throw new UsageError(`unexpected argument ${positionals[wanted.length]}`)
  }
  if (positionals.length < wanted.length) {
    throw new UsageError(`<${wanted[positionals.length]}> is required`)
  }
  return { values: values as Record<string, string | boolean | undefined>, positionals }
}

export function requireString(values: CommandContext['values'], name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}
