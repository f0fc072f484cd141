import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { runCli } from '../../src/cli/run'
import { TEST_SECRET, tempDir } from '../helpers'

async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = []
  const err: string[] = []
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) })
    return { code, out, err }
  } finally {
    for (const k of Object.keys(env)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

/** A migrated database in a new directory (`migrate` is what creates one for the CLI). */
async function dbEnv() {
  const dir = tempDir()
  const env = { BLOOP__DATABASE__PATH: join(dir, 'bloop.db'), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
  expect((await cli(['migrate'], env)).code).toBe(0)
  return { dir, env }
}

describe('cli', () => {
  test('--help lists every command', async () => {
    const { code, out } = await cli(['--help'])
    expect(code).toBe(0)
    const text = out.join('\n')
    for (const c of [
      'bloop [serve]',
      'bloop migrate',
      'bloop version',
      'bloop project list',
      'bloop token create',
    ]) {
      expect(text).toContain(c)
    }
  })

  test('version prints the package version and the commit of the checkout', async () => {
    const { code, out } = await cli(['version'])
    expect(code).toBe(0)
    const pkg = await Bun.file(join(import.meta.dir, '..', '..', 'package.json')).json()
    const head = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: import.meta.dir })
    const commit = head.exitCode === 0 ? head.stdout.toString().trim() : 'dev'
    expect(out).toEqual([`bloop ${pkg.version} (commit ${commit}, from source)`])
  })

  test('migrate applies the schema once', async () => {
    const dir = tempDir()
    const env = { BLOOP__DATABASE__PATH: join(dir, 'bloop.db'), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
    const first = await cli(['migrate'], env)
    expect(first.code).toBe(0)
    expect(first.out[0]).toStartWith('applied: 001_core')
    const again = await cli(['migrate'], env)
    expect(again.out[0]).toBe('database is up to date')
  })

  test('token create prints the token alone on the last line, and it is stored hashed', async () => {
    const { dir, env } = await dbEnv()
    const { code, out, err } = await cli(
      [
        'token',
        'create',
        '--project',
        'default',
        '--scopes',
        'errors:read,alerts:write',
        '--name',
        'ci',
        '--expires-days',
        '30',
      ],
      env,
    )
    expect(code).toBe(0)
    expect(out.length).toBe(1)
    const token = out.at(-1) as string
    expect(token).toMatch(/^bloop_tk_[A-Za-z0-9_-]{43}$/)
    expect(err.join('\n')).toContain('created token "ci"')
    const db = new Database(join(dir, 'bloop.db'))
    const row = db.query('SELECT * FROM api_tokens').get() as Record<string, unknown>
    db.close()
    expect(row.token_hash).toBe(new Bun.CryptoHasher('sha256').update(token).digest('hex'))
    expect(JSON.stringify(row)).not.toContain(token)
    expect(JSON.parse(row.scopes as string)).toEqual(['errors:read', 'alerts:write'])
  })

  test('token create refuses unknown scopes and projects with a usage message', async () => {
    const { env } = await dbEnv()
    const bad = await cli(['token', 'create', '--project', 'default', '--scopes', 'errors:delete'], env)
    expect(bad.code).toBe(2)
    expect(bad.err.join('\n')).toContain('invalid scope errors:delete')
    const missing = await cli(['token', 'create', '--project', 'nope', '--scopes', 'errors:read'], env)
    expect(missing.code).toBe(2)
    expect(missing.err.join('\n')).toContain('no project with slug nope')
    const noArgs = await cli(['token', 'create'], env)
    expect(noArgs.code).toBe(2)
    expect(noArgs.err.join('\n')).toContain('--project is required')
  })

  test('project list shows the default project', async () => {
    const { env } = await dbEnv()
    const { code, out } = await cli(['project', 'list'], env)
    expect(code).toBe(0)
    expect(out[1]).toBe('default\tDefault\tdefault\t1')
  })

  test('an unknown command exits 2 with help; a config error exits 78 naming the key', async () => {
    const unknown = await cli(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.err[0]).toContain('unknown command: frobnicate')
    const badConfig = await cli(['project', 'list'], { BLOOP__SERVER__PORT: 'x' })
    expect(badConfig.code).toBe(78)
    expect(badConfig.err[0]).toContain('BLOOP__SERVER__PORT')
  })
})
