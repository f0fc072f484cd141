/**
 * The CLI (docs/decisions.md, "The CLI"). The same commands work in `bun src/main.ts` and the compiled binary;
 * all but `serve` work directly on the configured database, so a headless install can be
 * driven without a browser (and while the server runs: SQLite WAL allows it). Only
 * `serve` and `migrate` create a database; the others refuse to run without one.
 */
import { resolve } from 'node:path'
import { userDelete, userDemote, userInvite, userList, userPromote } from '../admin'
import { ConfigError, loadConfig } from '../config/load'
import { renderDefaultConfig } from '../config/render'
import { type Command, GLOBAL_OPTIONS } from '../core/command'
import { MIGRATIONS, PROJECT_DATA } from '../features'
import { projectCreate, projectDelete, projectList, projectRotateKey } from '../projects'
import { projectDsn, projectRotateSentryKey } from '../sentry'
import { serve } from '../server'
import { sourcemapsUpload } from '../sourcemaps'
import { migrate, migratePostgres } from '../storage/migrate'
import { openPostgres, openStorage } from '../storage/open'
import { tokenCreate, tokenList, tokenRevoke } from '../tokens'
import { openSeamWriter, openWriter } from '../writer'
import { backupCommand } from './backup'
import { dbCopyCommand } from './dbcopy'
import { VERSION, versionLine } from './version'

export { VERSION }

const serveCommand: Command = {
  path: ['serve'],
  usage: 'bloop [serve] [--config path]',
  summary: 'Run the server (the default command).',
  async run(ctx) {
    const config = loadConfig({ path: ctx.configPath })
    // Listened for before startup: a SIGTERM right after the `listening` line (a service
    // manager, a test) must drain, not kill the process with the default action.
    const signal = new Promise<string>((resolveSignal) => {
      process.once('SIGTERM', () => resolveSignal('SIGTERM'))
      process.once('SIGINT', () => resolveSignal('SIGINT'))
    })
    const served = await serve(config)
    served.runtime.core.log.info('signal received', { signal: await signal })
    await served.stop()
    return 0
  },
}

const migrateCommand: Command = {
  path: ['migrate'],
  usage: 'bloop migrate [--config path]',
  summary: 'Create the database if needed, apply pending migrations and exit.',
  async run(ctx) {
    const config = loadConfig({ path: ctx.configPath })
    if (config.database.url !== '') {
      const pg = await openPostgres(config.database)
      try {
        const r = await migratePostgres(pg, MIGRATIONS)
        ctx.out(r.applied.length > 0 ? `applied: ${r.applied.join(', ')}` : 'database is up to date')
        ctx.out(`schema version ${r.current} (PostgreSQL)`)
      } finally {
        await pg.close()
      }
      return 0
    }
    const db = openStorage(config.database.path)
    try {
      const r = migrate(db, MIGRATIONS)
      ctx.out(r.applied.length > 0 ? `applied: ${r.applied.join(', ')}` : 'database is up to date')
      ctx.out(`schema version ${r.current}`)
    } finally {
      db.close()
    }
    return 0
  },
}

const versionCommand: Command = {
  path: ['version'],
  usage: 'bloop version | --version | -v',
  summary: 'Print the version, the commit and the build date.',
  run(ctx) {
    ctx.out(versionLine())
    return 0
  },
}

const configDefaults: Command = {
  path: ['config', 'defaults'],
  usage: 'bloop config defaults',
  summary: 'Print a config.toml with every key, its default and the reason for it.',
  run(ctx) {
    ctx.out(renderDefaultConfig().trimEnd())
    return 0
  },
}

export const COMMANDS: Command[] = [
  serveCommand,
  migrateCommand,
  versionCommand,
  configDefaults,
  backupCommand,
  dbCopyCommand,
  projectList,
  projectCreate,
  projectRotateKey,
  projectDelete({
    // Chosen as `migrate` chooses: database.url names PostgreSQL.
    openWriter: (config, backend, log) =>
      config.database.url !== ''
        ? openSeamWriter(backend)
        : openWriter({ dbPath: resolve(config.database.path), log }),
    tables: PROJECT_DATA,
  }),
  projectDsn,
  projectRotateSentryKey,
  tokenCreate,
  tokenList,
  tokenRevoke,
  userInvite,
  userList,
  userPromote,
  userDemote,
  userDelete,
  sourcemapsUpload,
]

const OPTIONS_HELP = [
  'Options:',
  '  -c, --config <path>  config file (default: config.toml in the working directory, if present)',
  '  -h, --help           show this help (after a command: that command only)',
  '  -v, --version        print the version',
]

const EXIT_HELP = [
  'Exit codes: 0 done; 1 failed or refused; 2 usage (unknown command or option);',
  '78 configuration or environment (bad config value, no database, unwritable data directory,',
  'another server on the data directory).',
]

export function helpText(): string {
  // `serve` first, then the rest grouped by their first word.
  const ordered = [...COMMANDS].sort((a, b) =>
    a.path[0] === 'serve' ? -1 : b.path[0] === 'serve' ? 1 : a.path.join(' ').localeCompare(b.path.join(' ')),
  )
  return [
    `bloop ${VERSION}: self-hosted error observability`,
    '',
    'Usage:',
    ...ordered.flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '',
    ...OPTIONS_HELP,
    '',
    'Every config key can also be set as BLOOP__SECTION__KEY, e.g. BLOOP__SERVER__PORT=8080.',
    'Every command but serve, migrate, version, config defaults and sourcemaps upload needs',
    "the server's database: run it from the server's directory or pass --config.",
    '',
    ...EXIT_HELP,
  ].join('\n')
}

/** `bloop <command> --help`. */
export function commandHelp(cmd: Command): string {
  const own = Object.entries(cmd.options ?? {}).filter(([name]) => !(name in GLOBAL_OPTIONS))
  return [
    `usage: ${cmd.usage}`,
    '',
    cmd.summary,
    ...(own.length > 0
      ? ['', `Options: ${own.map(([n, o]) => `--${n}${o.type === 'string' ? ' <value>' : ''}`).join(', ')}`]
      : []),
    '',
    ...OPTIONS_HELP,
  ].join('\n')
}

export { ConfigError }
