/** Picks the command from argv and runs it; maps failures to exit codes and clear messages. */
import { ConfigError } from '../config/load'
import { type CommandContext, parseCommandArgs, UsageError } from './args'
import { COMMANDS, helpText } from './commands'

export async function runCli(
  argv: string[],
  io: { out: (l: string) => void; err: (l: string) => void } = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  },
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'))
  if (argv.includes('--help') || argv.includes('-h') || words[0] === 'help') {
    io.out(helpText())
    return 0
  }
  if (argv.includes('--version')) argv = ['version']
  // Longest matching command path wins; no command words means `serve`.
  const cmd =
    [...COMMANDS]
      .sort((a, b) => b.path.length - a.path.length)
      .find((c) => c.path.every((w, i) => words[i] === w)) ??
    (words.length === 0 ? COMMANDS.find((c) => c.path[0] === 'serve') : undefined)
  if (!cmd) {
    io.err(`unknown command: ${words.join(' ')}\n\n${helpText()}`)
    return 2
  }
  try {
    const rest = [...argv]
    for (const w of cmd.path) rest.splice(rest.indexOf(w), 1)
    const { values, positionals } = parseCommandArgs(cmd, rest)
    const ctx: CommandContext = {
      values,
      positionals,
      configPath: typeof values.config === 'string' ? values.config : undefined,
      out: io.out,
      err: io.err,
    }
    return await cmd.run(ctx)
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error: ${(err as Error).message}\nusage: ${cmd.usage}`)
      return 2
    }
    if (err instanceof ConfigError) {
      io.err(`configuration error: ${err.message}`)
      return 78
    }
    throw err
  }
}
