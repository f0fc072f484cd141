/**
 * The CLI (SPEC 1). The same commands work in `bun src/main.ts` and the compiled binary;
 * all but `serve` work directly on the configured database, so a headless install can be
 * driven without a browser (and while the server runs: SQLite WAL allows it).
 */
import pkg from '../../package.json'
import { userInvite, userList } from '../auth/cli'
import { ConfigError, loadConfig } from '../config/load'
import { renderDefaultConfig } from '../config/render'
import { isScope, SCOPES, type Scope } from '../http/auth'
import { projectCreate, projectRotateKey } from '../projects/cli'
import { listProjects } from '../projects/store'
import { projectDsn, projectRotateSentryKey } from '../sentry/cli'
import { serve } from '../server'
import { sourcemapsUpload } from '../sourcemaps/cli'
import { openDatabase } from '../storage/db'
import { migrate } from '../storage/migrate'
import { createToken } from '../tokens/store'
import { type Command, requireString, UsageError } from './args'
import { projectOrUsage, withDatabase } from './db'

export const VERSION: string = pkg.version

const serveCommand: Command = {
  path: ['serve'],
  usage: 'bloop [serve] [--config path]',
  summary: 'Run the server (the default command).',
  async run(ctx) {
    const config = loadConfig({ path: ctx.configPath })
    const served = await serve(config)
    await new Promise<void>((resolveExit) => {
      const stop = (signal: string) => {
        served.runtime.services.log.info('signal received', { signal })
        served.stop().then(resolveExit)
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
    })
    return 0
  },
}

const migrateCommand: Command = {
  path: ['migrate'],
  usage: 'bloop migrate [--config path]',
  summary: 'Apply pending database migrations and exit.',
  run(ctx) {
    const config = loadConfig({ path: ctx.configPath })
    const db = openDatabase(config.database.path)
    const r = migrate(db)
    db.close()
    ctx.out(r.applied.length > 0 ? `applied: ${r.applied.join(', ')}` : 'database is up to date')
    ctx.out(`schema version ${r.current}`)
    return 0
  },
}

const versionCommand: Command = {
  path: ['version'],
  usage: 'bloop version',
  summary: 'Print the version.',
  run(ctx) {
    ctx.out(`bloop ${VERSION}`)
    return 0
  },
}

const projectList: Command = {
  path: ['project', 'list'],
  usage: 'bloop project list [--config path]',
  summary: 'List projects (slug, name, numeric id).',
  run(ctx) {
    const rows = withDatabase(ctx, listProjects)
    ctx.out(['SLUG', 'NAME', 'ID', 'NUMERIC_ID'].join('\t'))
    for (const p of rows) ctx.out([p.slug, p.name, p.id, String(p.numeric_id)].join('\t'))
    return 0
  },
}

const tokenCreate: Command = {
  path: ['token', 'create'],
  usage: 'bloop token create --project <slug> --scopes a,b [--name n] [--expires-days d]',
  summary: 'Create an API token; prints the token alone on the last line.',
  options: {
    project: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    'expires-days': { type: 'string' },
  },
  run(ctx) {
    const slug = requireString(ctx.values, 'project')
    const scopes = requireString(ctx.values, 'scopes')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
    const bad = scopes.filter((x) => !isScope(x))
    if (scopes.length === 0 || bad.length > 0) {
      throw new UsageError(`invalid scope ${bad.join(', ') || '(none)'}; choose from ${SCOPES.join(', ')}`)
    }
    const daysRaw = ctx.values['expires-days']
    let days: number | null = null
    if (typeof daysRaw === 'string') {
      days = Number(daysRaw)
      if (!Number.isInteger(days) || days < 1 || days > 3650)
        throw new UsageError('--expires-days must be 1-3650')
    }
    return withDatabase(ctx, (db) => {
      const project = projectOrUsage(db, slug)
      const name =
        typeof ctx.values.name === 'string' ? ctx.values.name : `cli-${new Date().toISOString().slice(0, 10)}`
      const { token, row } = createToken(db, {
        projectId: project.id,
        name,
        scopes: scopes as Scope[],
        expiresInDays: days,
        createdBy: 'cli',
      })
      ctx.err(
        `created token "${row.name}" (${row.id}) for project ${project.slug} with scopes ${scopes.join(',')}` +
          (row.expires_at ? `, expires ${new Date(row.expires_at).toISOString()}` : ''),
      )
      ctx.out(token)
      return 0
    })
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
  projectList,
  tokenCreate,
  projectCreate,
  projectRotateKey,
  userInvite,
  userList,
  projectDsn,
  projectRotateSentryKey,
  sourcemapsUpload,
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
    'Options:',
    '  -c, --config <path>  config file (default: config.toml in the working directory, if present)',
    '  -h, --help           show this help',
    '',
    'Every config key can also be set as BLOOP__SECTION__KEY, e.g. BLOOP__SERVER__PORT=8080.',
  ].join('\n')
}

export { ConfigError }
