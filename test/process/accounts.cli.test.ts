/**
 * The operator's account and project commands as real processes on both backends (SQLite
 * at database.path, PostgreSQL at database.url), with the same cases: `project create |
 * list | rotate-key | dsn | delete`, `token create | list | revoke`, `user invite | list |
 * promote`, each reading and writing the configured database through the storage seam
 * (src/cli/db.ts; `project delete` through a writer of its own on that database).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { bloop } from '../cli.process'
import { TEST_SECRET, tempDir } from '../helpers'
import { BACKENDS, type PgCluster, startPg } from '../pg.helpers'

let pg: PgCluster
let dir: string
beforeAll(async () => {
  pg = await startPg()
  dir = tempDir('bloop-acctcli-')
})
afterAll(async () => {
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
})

const lines = (text: string) => text.trimEnd().split('\n')

for (const kind of BACKENDS) {
  describe(`account and project commands on ${kind}`, () => {
    let env: Record<string, string>
    const run = (...args: string[]) => bloop(args, { cwd: dir, env })

    beforeAll(async () => {
      env = {
        BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
        BLOOP__AUTH__RP_ORIGIN: 'https://errors.example.com',
        ...(kind === 'sqlite'
          ? { BLOOP__DATABASE__PATH: join(dir, 'bloop.db') }
          : { BLOOP__DATABASE__URL: await pg.createDatabase() }),
      }
      expect((await run('migrate')).code).toBe(0)
    })

    test('project create prints the key last; list shows it beside the default; rotate-key replaces it', async () => {
      const made = await run('project', 'create', '--name', 'Web shop', '--slug', 'shop')
      expect(made.code).toBe(0)
      const key = lines(made.stdout).at(-1) as string
      expect(key).toMatch(/^bloop_[0-9a-f]{64}$/)
      const again = await run('project', 'create', '--name', 'Twice', '--slug', 'shop')
      expect(again.code).toBe(2)
      expect(again.stderr).toContain('a project with the slug shop already exists')
      const listed = await run('project', 'list', '--keys')
      expect(lines(listed.stdout).map((l) => l.split('\t').slice(0, 2))).toEqual([
        ['SLUG', 'NAME'],
        ['default', 'Default'],
        ['shop', 'Web shop'],
      ])
      // The default project's key is the secret the database was first opened with.
      expect(lines(listed.stdout)[1]?.split('\t').at(-1)).toBe(TEST_SECRET)
      expect(lines(listed.stdout)[2]?.split('\t').at(-1)).toBe(key)
      const rotated = await run('project', 'rotate-key', '--slug', 'shop')
      expect(rotated.code).toBe(0)
      const fresh = lines(rotated.stdout).at(-1) as string
      expect(fresh).toMatch(/^bloop_[0-9a-f]{64}$/)
      expect(fresh).not.toBe(key)
      expect(
        lines((await run('project', 'list', '--keys')).stdout)[2]
          ?.split('\t')
          .at(-1),
      ).toBe(fresh)
      const dsn = await run('project', 'dsn', '--project', 'shop')
      expect(dsn.code).toBe(0)
      expect(lines(dsn.stdout).at(-1)).toMatch(/^https:\/\/[0-9a-f]{32}@errors\.example\.com\/\d+$/)
      const unknown = await run('project', 'rotate-key', '--slug', 'nope')
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain('project nope not found')
    }, 60_000)

    test('token create prints the token last; list names its project; revoke ends it once', async () => {
      const made = await run(
        'token',
        'create',
        '--project',
        'shop',
        '--scopes',
        'errors:read',
        '--name',
        'ci',
      )
      expect(made.code).toBe(0)
      expect(lines(made.stdout).at(-1)).toMatch(/^bloop_tk_[A-Za-z0-9_-]{43}$/)
      const listed = lines((await run('token', 'list', '--project', 'shop')).stdout)
      expect(listed).toHaveLength(2)
      const [id, project, name, , scopes, status] = (listed[1] as string).split('\t')
      expect([project, name, scopes, status]).toEqual(['shop', 'ci', 'errors:read', 'active'])
      expect((await run('token', 'revoke', id as string)).stdout).toContain(`revoked token ${id} ("ci")`)
      expect((await run('token', 'revoke', id as string)).stdout).toContain('was already revoked')
      expect(lines((await run('token', 'list')).stdout)[1]?.split('\t')[5]).toBe('revoked')
      const nowhere = await run('token', 'create', '--project', 'nope', '--scopes', 'errors:read')
      expect(nowhere.code).toBe(2)
      expect(nowhere.stderr).toContain('no project with slug nope')
    }, 60_000)

    test('user invite prints a link on rp_origin; an empty user list; promote names no one unknown', async () => {
      const invited = await run('user', 'invite', '--admin')
      expect(invited.code).toBe(0)
      expect(lines(invited.stdout)[0]).toMatch(/^admin invite [0-9a-f-]{36} expires /)
      expect(lines(invited.stdout).at(-1)).toMatch(
        /^https:\/\/errors\.example\.com\/auth\/login\?invite=[A-Za-z0-9_-]{43}$/,
      )
      expect(lines((await run('user', 'list')).stdout)).toEqual(['USERNAME\tROLE\tPASSKEYS\tCREATED\tID'])
      const nobody = await run('user', 'promote', 'ghost')
      expect(nobody.code).toBe(2)
      expect(nobody.stderr).toContain('no user named ghost')
    }, 60_000)

    test('project delete removes the project and its tokens, then its data; never the default', async () => {
      expect((await run('project', 'create', '--name', 'Gone', '--slug', 'gone')).code).toBe(0)
      expect((await run('token', 'create', '--project', 'gone', '--scopes', 'errors:read')).code).toBe(0)
      const deleted = await run('project', 'delete', 'gone')
      expect(deleted.code).toBe(0)
      expect(deleted.stderr).toMatch(/deleted project gone \([0-9a-f-]{36}\); removing its data/)
      expect(lines(deleted.stdout).at(-1)).toMatch(/^deleted project gone: removed 0 rows \(/)
      const slugs = lines((await run('project', 'list')).stdout).map((l) => l.split('\t')[0])
      expect(slugs).toEqual(['SLUG', 'default', 'shop'])
      expect(lines((await run('token', 'list')).stdout).map((l) => l.split('\t')[1])).toEqual([
        'PROJECT',
        'shop',
      ])
      const kept = await run('project', 'delete', 'default')
      expect(kept.code).toBe(2)
      expect(kept.stderr).toContain('the default project cannot be deleted')
    }, 60_000)
  })
}
