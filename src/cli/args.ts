/** Argument parsing shared by every command (node:util parseArgs). */
import { parseArgs } from 'node:util'

export interface Command {
  /** Words that select the command, e.g. ["token", "create"]. */
  path: string[]
  usage: string
  summary: string
  options?: Record<string, { type: 'string' | 'boolean'; short?: string }>
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number> | number
}

export interface CommandContext {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
  configPath?: string
  out: (line: string) => void
  err: (line: string) => void
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      ...cmd.options,
    },
    allowPositionals: true,
    strict: true,
  })
  return { values: values as Record<string, string | boolean | undefined>, positionals }
}

export function requireString(values: CommandContext['values'], name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}
