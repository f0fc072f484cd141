/**
 * Every documented invocation of the CLI, as real processes: the ways to start the
 * server (`bloop`, `bloop serve`, with `--config` before or after), help and version in
 * each spelling, every subcommand with its flags, and the wrong ones (exit 2 with usage).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { COMMANDS, helpText } from '../../src/cli/commands'
import { sign } from '../../src/errors/ingest/hmac'
import { MIGRATIONS } from '../../src/features'
import { bloop, configToml, startBloop } from '../cli.process'
import { event, TEST_SECRET, tempDir } from '../helpers'
import { REPO } from '../process'

const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.id))

const pkg = await Bun.file(join(REPO, 'package.json')).json()
const head = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: REPO })
const commit = head.exitCode === 0 ? head.stdout.toString().trim() : 'dev'
const VERSION_LINE = `bloop ${pkg.version} (commit ${commit}, from source)\n`

let dir: string
const secretEnv = { BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }

beforeAll(() => {
  dir = tempDir('bloop-args-')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('starting the server', () => {
  const forms: [string, (cfg: string) => string[]][] = [
    ['bloop --config f', (cfg) => ['--config', cfg]],
    ['bloop -c f', (cfg) => ['-c', cfg]],
    ['bloop --config=f', (cfg) => [`--config=${cfg}`]],
    ['bloop serve --config f', (cfg) => ['serve', '--config', cfg]],
    ['bloop --config f serve', (cfg) => ['--config', cfg, 'serve']],
  ]
  for (const [name, argv] of forms) {
    test(`${name} serves with the database the file names`, async () => {
      const work = tempDir('bloop-args-cfg-')
      const dbPath = join(work, 'from-config', 'bloop.db')
      writeFileSync(join(work, 'my.toml'), configToml(dbPath, `[auth]\nhmac_secret = "${TEST_SECRET}"`))
      const server = await startBloop(argv('my.toml'), { cwd: work })
      try {
        expect(existsSync(dbPath)).toBe(true)
        expect(existsSync(join(work, 'data'))).toBe(false)
        const body = JSON.stringify(event())
        const res = await fetch(`${server.url}/v1/ingest`, {
          method: 'POST',
          headers: { 'x-signature': sign(TEST_SECRET, body) },
          body,
        })
        expect(await res.json()).toEqual({ status: 'accepted' })
      } finally {
        expect(await server.stop()).toBe(0)
        rmSync(work, { recursive: true, force: true })
      }
    })
  }

  for (const argv of [[], ['serve']]) {
    test(`bloop ${argv.join(' ')} serves from the working directory's data/`, async () => {
      const work = tempDir('bloop-args-cwd-')
      const server = await startBloop(argv, {
        cwd: work,
        env: { ...secretEnv, BLOOP__SERVER__PORT: '0', BLOOP__SERVER__HOST: '127.0.0.1' },
      })
      try {
        expect(existsSync(join(work, 'data', 'bloop.db'))).toBe(true)
        expect((await fetch(`${server.url}/health`)).status).toBe(200)
      } finally {
        expect(await server.stop()).toBe(0)
        rmSync(work, { recursive: true, force: true })
      }
    })
  }
})

describe('help and version', () => {
  for (const argv of [['--help'], ['-h'], ['help'], ['serve', '--help'], ['--config', 'x.toml', '-h']]) {
    test(`bloop ${argv.join(' ')} prints the help and exits 0`, async () => {
      const r = await bloop(argv, { cwd: dir })
      expect(r.code).toBe(0)
      if (argv[0] === 'serve') expect(r.stdout).toStartWith('usage: bloop [serve] [--config path]\n')
      else expect(r.stdout).toBe(`${helpText()}\n`)
      expect(r.stderr).toBe('')
    })
  }

  test('the help lists every command', () => {
    for (const c of COMMANDS) expect(helpText()).toContain(`  ${c.usage}\n      ${c.summary}`)
  })

  test('bloop <command> --help prints that command alone', async () => {
    const r = await bloop(['token', 'create', '--help'], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      'usage: bloop token create --project <slug> --scopes a,b [--name n] [--expires-days d]',
      '',
      'Create an API token; prints the token alone on the last line.',
      '',
      'Options: --project <value>, --scopes <value>, --name <value>, --expires-days <value>',
    ])
  })

  for (const argv of [['--version'], ['-v'], ['version'], ['serve', '--version']]) {
    test(`bloop ${argv.join(' ')} prints the version, the commit and "from source", and exits`, async () => {
      const r = await bloop(argv, { cwd: dir })
      expect(r).toEqual({ code: 0, stdout: VERSION_LINE, stderr: '' })
    })
  }

  test('without git the commit is "dev"', async () => {
    const r = await bloop(['version'], { cwd: dir, path: '/nonexistent' })
    expect(r).toEqual({ code: 0, stdout: `bloop ${pkg.version} (commit dev, from source)\n`, stderr: '' })
  })
})

describe('wrong command lines exit 2 with usage, and never start a server', () => {
  const cases: [string[], string][] = [
    [['--bogus'], 'error: unknown option --bogus'],
    [['-x'], 'error: unknown option -x'],
    [['serve', '--bogus'], 'error: unknown option --bogus'],
    [['serve', '--port', '1'], 'error: unknown option --port'],
    [
      ['token', 'create', '--project', 'default', '--scopes', 'errors:read', '--bogus'],
      'unknown option --bogus',
    ],
    [['project', 'list', '--scopes', 'x'], "error: Unknown option '--scopes'"],
    [['serve', 'extra'], 'error: unexpected argument extra\nusage: bloop [serve] [--config path]'],
    [['my.toml'], 'unknown command: my.toml'],
    [['frobnicate'], 'unknown command: frobnicate'],
    [
      ['project'],
      'bloop project needs a subcommand: list, create, rotate-key, delete, dsn, rotate-sentry-key',
    ],
    [['--config'], "error: Option '-c, --config <value>' argument missing"],
    [['token', 'revoke'], 'error: <id> is required\nusage: bloop token revoke <id>'],
    [['backup'], 'error: <file> is required\nusage: bloop backup <file>'],
    [['user', 'delete', 'a', 'b'], 'error: unexpected argument b\nusage: bloop user delete <username>'],
    [['token', 'create'], 'error: --project is required'],
  ]
  for (const [argv, message] of cases) {
    test(`bloop ${argv.join(' ')}`, async () => {
      const r = await bloop(argv, { cwd: dir, env: { BLOOP__SERVER__PORT: '0' } })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stderr).toMatch(/usage|Usage:/)
      expect(r.stdout).toBe('')
      expect(existsSync(join(dir, 'data'))).toBe(false)
    })
  }
})

describe('every subcommand with its flags', () => {
  let work: string
  let env: Record<string, string>
  beforeAll(async () => {
    work = tempDir('bloop-args-db-')
    env = { ...secretEnv, BLOOP__AUTH__RP_ORIGIN: 'https://errors.example.com' }
    expect((await bloop(['migrate'], { cwd: work, env })).stdout).toStartWith('applied: 001_core')
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  const run = (...argv: string[]) => bloop(argv, { cwd: work, env })
  const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) as string

  test('migrate, config defaults, project and token commands', async () => {
    expect(await run('migrate')).toEqual({
      code: 0,
      stdout: `database is up to date\nschema version ${SCHEMA_VERSION}\n`,
      stderr: '',
    })
    const defaults = await run('config', 'defaults')
    expect(defaults.code).toBe(0)
    expect(defaults.stdout).toBe(await Bun.file(join(REPO, 'config.toml')).text())

    const created = await run('project', 'create', '--name', 'Web', '--slug', 'web')
    expect(created.code).toBe(0)
    const key = lastLine(created.stdout)
    expect(key).toMatch(/^bloop_[0-9a-f]{64}$/)
    const listed = await run('project', 'list')
    expect(listed.stdout.split('\n')[0]).toBe('SLUG\tNAME\tID\tNUMERIC_ID')
    expect(listed.stdout).toContain('\nweb\tWeb\t')
    const withKeys = await run('project', 'list', '--keys')
    expect(withKeys.stdout.split('\n')[0]).toBe('SLUG\tNAME\tID\tNUMERIC_ID\tKEY')
    expect(withKeys.stdout).toContain(`\t${key}\n`)
    const rotated = await run('project', 'rotate-key', '--slug', 'web')
    expect(lastLine(rotated.stdout)).toMatch(/^bloop_[0-9a-f]{64}$/)
    expect(lastLine(rotated.stdout)).not.toBe(key)
    const dsn = await run('project', 'dsn', '--project', 'web', '--origin', 'https://e.example.com')
    expect(lastLine(dsn.stdout)).toMatch(/^https:\/\/[0-9a-f]{32}@e\.example\.com\/2$/)
    const sentry = await run('project', 'rotate-sentry-key', '--project', 'web')
    expect(lastLine(sentry.stdout)).toMatch(/^https:\/\/[0-9a-f]{32}@errors\.example\.com\/2$/)

    const token = await run(
      'token',
      'create',
      '--project',
      'web',
      '--scopes',
      'errors:read',
      '--name',
      'ci',
      '--expires-days',
      '3',
    )
    expect(token.code).toBe(0)
    expect(lastLine(token.stdout)).toMatch(/^bloop_tk_[A-Za-z0-9_-]{43}$/)
    const tokens = await run('token', 'list', '--project', 'web')
    const [header, row] = tokens.stdout.trimEnd().split('\n')
    expect(header).toBe('ID\tPROJECT\tNAME\tPREFIX\tSCOPES\tSTATUS\tCREATED\tEXPIRES\tLAST_USED')
    const id = (row as string).split('\t')[0] as string
    expect((row as string).split('\t').slice(1, 6)).toEqual([
      'web',
      'ci',
      lastLine(token.stdout).slice(0, 16),
      'errors:read',
      'active',
    ])
    expect(await run('token', 'revoke', id)).toMatchObject({ code: 0 })
    expect((await run('token', 'list')).stdout).toContain('\terrors:read\trevoked\t')

    const deleted = await run('project', 'delete', 'web')
    expect(deleted.code).toBe(0)
    expect(deleted.stdout).toStartWith('deleted project web: removed 0 rows')
  })

  test('user commands', async () => {
    const invite = await run('user', 'invite')
    expect(lastLine(invite.stdout)).toStartWith('https://errors.example.com/auth/login?invite=')
    const admin = await run('user', 'invite', '--admin')
    expect(admin.stdout).toStartWith('admin invite ')
    expect(await run('user', 'list')).toEqual({
      code: 0,
      stdout: 'USERNAME\tROLE\tPASSKEYS\tCREATED\tID\n',
      stderr: '',
    })
    for (const word of ['promote', 'demote', 'delete']) {
      const r = await run('user', word, 'nobody')
      expect(r.code).toBe(2)
      expect(r.stderr).toStartWith('error: no user named nobody; see: bloop user list')
    }
  })

  test('backup', async () => {
    const r = await run('backup', join(work, 'copy.db'))
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${join(work, 'copy.db')}\n`)
    expect((await run('backup', join(work, 'copy.db'))).code).toBe(1)
    expect((await run('backup', join(work, 'copy.db'), '--force')).code).toBe(0)
  })
})
