/**
 * Picks the command from argv and runs it; maps failures to exit codes and one-line
 * messages (see args.ts for the codes).
 *
 * Two passes of node:util parseArgs. The first knows every option of every command, so it
 * can tell option values from words (`bloop --config my.toml` has no command word, so it
 * is `serve`); its leading positionals pick the command, the longest match winning. The
 * second parses the rest strictly against that command's own options.
 */
import { parseArgs } from 'node:util'
import { ConfigError } from '../config/load'
import {
  type Command,
  type CommandContext,
  CommandFailed,
  GLOBAL_OPTIONS,
  type OptionSpec,
  parseCommandArgs,
  UsageError,
} from '../core/command'
import { StartupError } from '../ops/problems'
import { BackupRefused } from '../storage/backup'
import { COMMANDS, commandHelp, helpText } from './commands'
import { withDatabase } from './db'
import { versionLine } from './version'

export interface Io {
  out: (l: string) => void
  err: (l: string) => void
}

const stdio: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
}

/** Every option any command takes; two commands giving one name two types is a bug. */
function allOptions(): Record<string, OptionSpec> {
  const all: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS }
  for (const c of COMMANDS) {
    for (const [name, spec] of Object.entries(c.options ?? {})) {
      const seen = all[name]
      if (seen && (seen.type !== spec.type || seen.short !== spec.short))
        throw new Error(`expected one definition of --${name}, got two (${c.path.join(' ')})`)
      all[name] = spec
    }
  }
  return all
}

interface Located {
  cmd: Command | null
  /** argv without the command words. */
  rest: string[]
  words: string[]
  help: boolean
  version: boolean
}

function locate(argv: string[]): Located {
  const known = allOptions()
  const { tokens } = parseArgs({
    args: argv,
    options: known,
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const unknown = tokens.find((t) => t.kind === 'option' && !(t.name in known))
  if (unknown?.kind === 'option') throw new UsageError(`unknown option ${unknown.rawName}`)
  const positional = tokens.filter((t) => t.kind === 'positional')
  const words = positional.map((t) => t.value)
  const help = tokens.some((t) => t.kind === 'option' && t.name === 'help') || words[0] === 'help'
  const version = tokens.some((t) => t.kind === 'option' && t.name === 'version')
  const cmd =
    [...COMMANDS]
      .sort((a, b) => b.path.length - a.path.length)
      .find((c) => c.path.every((w, i) => words[i] === w)) ??
    (words.length === 0 ? (COMMANDS.find((c) => c.path[0] === 'serve') ?? null) : null)
  const drop = new Set(
    cmd && words.length > 0 ? positional.slice(0, cmd.path.length).map((t) => t.index) : [],
  )
  return { cmd, rest: argv.filter((_, i) => !drop.has(i)), words, help, version }
}

/** For `bloop project` alone: the subcommands of that word, or null when it is not a group. */
function groupHint(word: string | undefined): string | null {
  const subs = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === word).map((c) => c.path[1])
  return subs.length > 0 ? `bloop ${word} needs a subcommand: ${subs.join(', ')}` : null
}

export async function runCli(argv: string[], io: Io = stdio): Promise<number> {
  let located: Located
  try {
    located = locate(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    io.err(`error: ${err.message}\n\n${helpText()}`)
    return 2
  }
  const { cmd, rest, words, help, version } = located
  if (help) {
    io.out(cmd && words.length > 0 && words[0] !== 'help' ? commandHelp(cmd) : helpText())
    return 0
  }
  if (version) {
    io.out(versionLine())
    return 0
  }
  if (!cmd) {
    const hint = groupHint(words[0])
    io.err(`${hint ?? `unknown command: ${words.join(' ')}`}\n\n${helpText()}`)
    return 2
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest)
    const configPath = typeof values.config === 'string' ? values.config : undefined
    const ctx: CommandContext = {
      values,
      positionals,
      configPath,
      out: io.out,
      err: io.err,
      withDatabase: (work) => withDatabase(configPath, work),
    }
    return await cmd.run(ctx)
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error: ${(err as Error).message}\nusage: ${cmd.usage}\n(bloop --help lists every command)`)
      return 2
    }
    if (err instanceof ConfigError) {
      io.err(`configuration error: ${err.message}`)
      return 78
    }
    if (err instanceof StartupError) {
      io.err(`error: ${err.message}`)
      return 78
    }
    if (err instanceof CommandFailed || err instanceof BackupRefused) {
      io.err(`error: ${err.message}`)
      return 1
    }
    throw err
  }
}
