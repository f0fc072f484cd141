/**
 * The CLI on the server's database, as real processes: it refuses to create one in the
 * wrong place, leaves the live default key alone, and administers tokens, projects and
 * users while a real server runs, including getting admin access back in a real browser.
 */
import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { addAuthenticator, launchChromium, reservePort } from '../browser'
import { bloop, configToml, startBloop } from '../cli.process'
import { bearer, event, TEST_SECRET, tempDir } from '../helpers'

const dirs: string[] = []
function dir(prefix = 'bloop-clidb-'): string {
  const d = tempDir(prefix)
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) as string

function query<T>(dbPath: string, sql: string): T[] {
  const db = new Database(dbPath, { readonly: true })
  try {
    return db.query<T, []>(sql).all()
  } finally {
    db.close()
  }
}

describe('without a database', () => {
  const commands = [
    ['token', 'create', '--project', 'default', '--scopes', 'errors:read'],
    ['token', 'list'],
    ['token', 'revoke', 'x'],
    ['project', 'list'],
    ['project', 'create', '--name', 'A', '--slug', 'a'],
    ['project', 'rotate-key', '--slug', 'a'],
    ['project', 'delete', 'a'],
    ['project', 'dsn', '--project', 'default'],
    ['project', 'rotate-sentry-key', '--project', 'default'],
    ['user', 'invite'],
    ['user', 'list'],
    ['user', 'promote', 'a'],
    ['user', 'demote', 'a'],
    ['user', 'delete', 'a'],
    ['backup', 'out.db'],
  ]
  for (const argv of commands) {
    test(`bloop ${argv.join(' ')} exits 78 and creates nothing`, async () => {
      const elsewhere = dir('bloop-elsewhere-')
      const r = await bloop(argv, { cwd: elsewhere })
      expect(r).toEqual({
        code: 78,
        stdout: '',
        stderr: `error: no database at ${join(elsewhere, 'data', 'bloop.db')}; run from the server's directory or pass --config (database.path picks the file)\n`,
      })
      expect(readdirSync(elsewhere)).toEqual([])
    })
  }

  test('migrate is the command that creates one (and serve, tested elsewhere)', async () => {
    const here = dir()
    expect((await bloop(['migrate'], { cwd: here })).code).toBe(0)
    expect(existsSync(join(here, 'data', 'bloop.db'))).toBe(true)
  })
})

test("a CLI run without the server's configured secret leaves the default key alone", async () => {
  const here = dir()
  const served = await startBloop(['serve'], {
    cwd: here,
    env: {
      BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
    },
  })
  try {
    // The operator's shell lacks BLOOP__AUTH__HMAC_SECRET.
    const listed = await bloop(['project', 'list', '--keys'], { cwd: here })
    expect(listed.stdout.split('\n')[1]).toBe(`default\tDefault\tdefault\t1\t${TEST_SECRET}`)
    expect(existsSync(join(here, 'data', 'hmac_secret'))).toBe(false)
    const body = JSON.stringify(event())
    const res = await fetch(`${served.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'x-project-key': TEST_SECRET, 'x-signature': sign(TEST_SECRET, body) },
      body,
    })
    expect(res.status).toBe(200)
  } finally {
    expect(await served.stop()).toBe(0)
  }
})

describe('beside a running server', () => {
  test('token list and token revoke: a revoked token is refused at once', async () => {
    const here = dir()
    const env = {
      BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
    }
    const served = await startBloop(['serve'], { cwd: here, env })
    try {
      const created = await bloop(['project', 'create', '--name', 'Web', '--slug', 'web'], { cwd: here, env })
      const tokens: Record<string, string> = {}
      for (const slug of ['default', 'web']) {
        const r = await bloop(
          ['token', 'create', '--project', slug, '--scopes', 'errors:read', '--name', `t-${slug}`],
          {
            cwd: here,
            env,
          },
        )
        tokens[slug] = lastLine(r.stdout)
      }
      expect(created.code).toBe(0)
      const all = (await bloop(['token', 'list'], { cwd: here, env })).stdout.trimEnd().split('\n')
      expect(all).toHaveLength(3)
      const web = (await bloop(['token', 'list', '--project', 'web'], { cwd: here, env })).stdout
        .trimEnd()
        .split('\n')
      expect(web).toHaveLength(2)
      const [id, project, name, prefix, scopes, status] = (web[1] as string).split('\t')
      expect([project, name, prefix, scopes, status]).toEqual([
        'web',
        't-web',
        (tokens.web as string).slice(0, 16),
        'errors:read',
        'active',
      ])
      expect((await fetch(`${served.url}/v1/errors`, { headers: bearer(tokens.web as string) })).status).toBe(
        200,
      )

      const revoked = await bloop(['token', 'revoke', id as string], { cwd: here, env })
      expect(revoked).toEqual({
        code: 0,
        stdout: `revoked token ${id} ("t-web"); requests with it are refused from now on\n`,
        stderr: '',
      })
      const refused = await fetch(`${served.url}/v1/errors`, { headers: bearer(tokens.web as string) })
      expect(refused.status).toBe(401)
      expect(((await refused.json()) as { error: string }).error).toBe('API token has been revoked')
      expect(
        (await fetch(`${served.url}/v1/errors`, { headers: bearer(tokens.default as string) })).status,
      ).toBe(200)
      expect((await bloop(['token', 'revoke', 'no-such-id'], { cwd: here, env })).code).toBe(2)
    } finally {
      expect(await served.stop()).toBe(0)
    }
  })

  test('project delete removes the key at once and the data through the writer; also with the server stopped', async () => {
    const here = dir()
    const dbPath = join(here, 'data', 'bloop.db')
    const env = {
      BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
    }
    const served = await startBloop(['serve'], { cwd: here, env })
    const send = (key: string, events: Record<string, unknown>[]) => {
      const body = JSON.stringify({ events })
      return fetch(`${served.url}/v1/ingest/batch`, {
        method: 'POST',
        headers: { 'x-project-key': key, 'x-signature': sign(key, body) },
        body,
      })
    }
    const keys: Record<string, string> = {}
    try {
      for (const slug of ['web', 'ios']) {
        const r = await bloop(['project', 'create', '--name', slug, '--slug', slug], { cwd: here, env })
        keys[slug] = lastLine(r.stdout)
      }
      const batch = Array.from({ length: 50 }, (_, i) =>
        event({ message: `m ${i}`, route_or_procedure: `/r${i % 5}` }),
      )
      for (const key of [keys.web, keys.ios, TEST_SECRET]) {
        expect(((await (await send(key as string, batch)).json()) as { accepted: number }).accepted).toBe(50)
      }
      const deleted = await bloop(['project', 'delete', 'web'], {
        cwd: here,
        env: { ...env, BLOOP__RETENTION__PRUNE_BATCH_SIZE: '10' },
      })
      expect(deleted.code).toBe(0)
      expect(deleted.stdout).toStartWith('deleted project web: removed ')
      expect(deleted.stdout).toContain('raw_events 50')
      expect(deleted.stdout).toContain('issues 5')
      expect((await send(keys.web as string, batch.slice(0, 1))).status).toBe(401)
      const left = query<{ project_id: string; n: number }>(
        dbPath,
        'SELECT project_id, count(*) AS n FROM raw_events GROUP BY project_id ORDER BY project_id',
      )
      const ios = query<{ id: string }>(dbPath, "SELECT id FROM projects WHERE slug = 'ios'")[0]?.id
      expect(left).toEqual(
        [
          { project_id: 'default', n: 50 },
          { project_id: ios as string, n: 50 },
        ].sort((a, b) => a.project_id.localeCompare(b.project_id)),
      )
      expect((await bloop(['project', 'delete', 'default'], { cwd: here, env })).code).toBe(2)
    } finally {
      expect(await served.stop()).toBe(0)
    }
    // The server is gone: the CLI runs its own writer.
    const offline = await bloop(['project', 'delete', 'ios'], { cwd: here, env })
    expect(offline.code).toBe(0)
    expect(offline.stdout).toContain('raw_events 50')
    expect(query<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM raw_events')).toEqual([{ n: 50 }])
    expect(query<{ slug: string }>(dbPath, 'SELECT slug FROM projects')).toEqual([{ slug: 'default' }])
  })
})

describe('admin recovery', () => {
  test('user invite --admin registers a new admin in a real browser; the last admin is never demoted or deleted', async () => {
    const here = dir()
    const port = reservePort()
    const origin = `http://localhost:${port}`
    const dbPath = join(here, 'bloop.db')
    writeFileSync(
      join(here, 'bloop.toml'),
      configToml(
        dbPath,
        `[auth]\nhmac_secret = "${TEST_SECRET}"\nrp_id = "localhost"\nrp_origin = "${origin}"`,
      ).replace('port = 0', `port = ${port}`),
    )
    const cli = (...argv: string[]) => bloop([...argv, '--config', 'bloop.toml'], { cwd: here })
    const served = await startBloop(['serve', '--config', 'bloop.toml'], { cwd: here })
    const browser = await launchChromium()
    try {
      const register = async (url: string, field: 'setup' | 'invite', username: string) => {
        const context = await browser.newContext()
        const page = await context.newPage()
        await addAuthenticator(page)
        await page.goto(url)
        await page.waitForFunction((s) => document.body.dataset.state === s, field, { timeout: 15_000 })
        await page.fill(`#${field}-username`, username)
        await page.click(`#${field}-submit`)
        await page.waitForFunction(() => document.body.dataset.state === 'account', null, { timeout: 15_000 })
        const role = await page.textContent('#account-role')
        await context.close()
        return role
      }
      // The only admin, whose passkey is then "lost" (the browser context is gone).
      expect(await register(`${origin}/auth/login`, 'setup', 'alice')).toBe('Administrator')

      const invite = await cli('user', 'invite', '--admin')
      expect(invite.code).toBe(0)
      expect(invite.stdout).toStartWith('admin invite ')
      const link = lastLine(invite.stdout)
      expect(link).toStartWith(`${origin}/auth/login?invite=`)
      expect(await register(link, 'invite', 'rescue')).toBe('Administrator')
      const plain = lastLine((await cli('user', 'invite')).stdout)
      expect(await register(plain, 'invite', 'bob')).not.toBe('Administrator')

      const roles = async () =>
        (await cli('user', 'list')).stdout
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((l) => l.split('\t').slice(0, 3).join(' '))
      expect(await roles()).toEqual(['alice admin 1', 'rescue admin 1', 'bob user 1'])

      expect(await cli('user', 'delete', 'alice')).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^deleted user alice \(.+\), their passkeys and sessions\n$/),
        stderr: '',
      })
      expect(await cli('user', 'demote', 'rescue')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: the last admin cannot be demoted; make another user admin first\n',
      })
      expect(await cli('user', 'delete', 'rescue')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: the last admin cannot be deleted; make another user admin first\n',
      })
      expect((await cli('user', 'promote', 'bob')).stdout).toBe('bob is now an admin\n')
      expect((await cli('user', 'promote', 'bob')).stdout).toBe('bob is already an admin\n')
      expect((await cli('user', 'demote', 'rescue')).stdout).toBe('rescue is now a user\n')
      expect(await roles()).toEqual(['rescue user 1', 'bob admin 1'])
      expect(
        query<{ n: number }>(
          dbPath,
          "SELECT count(*) AS n FROM invites WHERE role = 'admin' AND used_at IS NOT NULL",
        ),
      ).toEqual([{ n: 1 }])
    } finally {
      await browser.close()
      expect(await served.stop()).toBe(0)
    }
  }, 60_000)
})
