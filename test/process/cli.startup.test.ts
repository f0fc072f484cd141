/**
 * Startup failures an operator causes, as real processes: each is one line naming the
 * path and the fix, exit 78, no stack. And one server per data directory: a second one is
 * refused naming the first; after `kill -9` of the first, a new one starts.
 *
 * The tests run as root, for whom chmod does not stop reads or writes. Two ways around it:
 * paths under a regular file (ENOTDIR, EISDIR: the kernel refuses those to root too), and,
 * for the permission cases themselves, the child runs as `nobody` through util-linux's
 * setpriv (when the tests run as root and setpriv exists; as another user they run
 * directly, since chmod then works as it should).
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUN, bloop, MAIN, type Ran, startBloop } from '../cli.process'
import { TEST_SECRET, tempDir } from '../helpers'

const dirs: string[] = []
function dir(prefix = 'bloop-startup-'): string {
  const d = tempDir(prefix)
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const serveEnv = { BLOOP__SERVER__PORT: '0', BLOOP__SERVER__HOST: '127.0.0.1' }
/** Who the children run as (no USER in their environment, so messages name the uid). */
const me = process.getuid?.()

function expectOneLine(r: Ran, line: string) {
  expect(r).toEqual({ code: 78, stdout: '', stderr: `${line}\n` })
}

describe('file-system failures are one line naming the path and the fix, exit 78', () => {
  test('a data directory under a regular file', async () => {
    const here = dir()
    writeFileSync(join(here, 'file'), '')
    const data = join(here, 'file', 'sub')
    const secretEnvs: Record<string, string>[] = [{}, { BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }]
    for (const secretEnv of secretEnvs) {
      const r = await bloop(['serve'], {
        cwd: here,
        env: { ...serveEnv, ...secretEnv, BLOOP__DATABASE__PATH: join(data, 'bloop.db') },
      })
      expectOneLine(
        r,
        `error: cannot create the data directory ${data}: a part of the path is a file, not a directory (ENOTDIR); ` +
          `make ${data} a directory writable by uid ${me}, or point database.path (BLOOP__DATABASE__PATH) at a writable location`,
      )
    }
    const migrate = await bloop(['migrate'], {
      cwd: here,
      env: { BLOOP__DATABASE__PATH: join(data, 'bloop.db') },
    })
    expect(migrate.code).toBe(78)
    expect(migrate.stderr).toStartWith(
      `error: cannot create the data directory ${data}: a part of the path is a file`,
    )
  })

  test('an hmac_secret that is a directory', async () => {
    const here = dir()
    mkdirSync(join(here, 'data', 'hmac_secret'), { recursive: true })
    const file = join(here, 'data', 'hmac_secret')
    expectOneLine(
      await bloop(['serve'], { cwd: here, env: serveEnv }),
      `error: cannot read the HMAC secret ${file}: it is a directory, not a file (EISDIR); ` +
        `make it readable by uid ${me} (chown it to that user, chmod 600), or set auth.hmac_secret`,
    )
  })

  test('a database file that is not a database', async () => {
    const here = dir()
    writeFileSync(join(here, 'bloop.db'), 'this is a text file, not SQLite '.repeat(10))
    expectOneLine(
      await bloop(['serve'], {
        cwd: here,
        env: {
          ...serveEnv,
          BLOOP__DATABASE__PATH: join(here, 'bloop.db'),
          BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
        },
      }),
      `error: ${join(here, 'bloop.db')} is not a SQLite database: point database.path at bloop's database, or move the file away to start a new one`,
    )
  })

  test('a config file that cannot be read', async () => {
    const here = dir()
    mkdirSync(join(here, 'conf.toml'))
    expectOneLine(
      await bloop(['--config', 'conf.toml'], { cwd: here }),
      `error: cannot read the config file conf.toml: it is a directory, not a file (EISDIR); give --config a TOML file readable by uid ${me}`,
    )
  })

  test('log.level = verbose lists the allowed values', async () => {
    const here = dir()
    const expected =
      'configuration error: invalid configuration: log.level must be one of "debug", "info", "warn", "error" (got "verbose")'
    expectOneLine(await bloop(['serve'], { cwd: here, env: { BLOOP__LOG__LEVEL: 'verbose' } }), expected)
    writeFileSync(join(here, 'config.toml'), '[log]\nlevel = "verbose"\n')
    expectOneLine(await bloop([], { cwd: here }), expected)
    expectOneLine(
      await bloop([], { cwd: here, env: { BLOOP__LOG__LEVEL: 'info', BLOOP__LOG__FORMAT: 'pretty' } }),
      'configuration error: invalid configuration: log.format must be one of "auto", "json", "text" (got "pretty")',
    )
  })
})

/** Runs bloop as `nobody` when the tests are root (chmod does not stop root), else directly. */
function asUnprivileged(args: string[], cwd: string, env: Record<string, string>): Promise<Ran> | null {
  const root = process.getuid?.() === 0
  if (root && !Bun.which('setpriv')) return null
  if (!root) return bloop(args, { cwd, env })
  return (async () => {
    const proc = Bun.spawn(
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', BUN, MAIN, ...args],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
        stdout: 'pipe',
        stderr: 'pipe',
      },
    )
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    return { code, stdout, stderr }
  })()
}

describe('permissions (as an unprivileged user)', () => {
  const uid = process.getuid?.() === 0 ? 65534 : (process.getuid?.() as number)

  /** A directory the unprivileged user owns (tempDir is 0700 root's). */
  function owned(): string {
    const here = dir()
    chmodSync(here, 0o755)
    if (process.getuid?.() === 0) chownSync(here, 65534, 65534)
    return here
  }

  test('a data directory chmod 0500', async () => {
    const here = owned()
    const data = join(here, 'data')
    mkdirSync(data)
    if (process.getuid?.() === 0) chownSync(data, 65534, 65534)
    chmodSync(data, 0o500)
    const fix = `make ${data} a directory writable by uid ${uid}, or point database.path (BLOOP__DATABASE__PATH) at a writable location`
    const served = asUnprivileged(['serve'], here, serveEnv)
    if (!served) return
    expectOneLine(
      await served,
      `error: cannot create the lock file ${join(data, 'bloop.lock')}: permission denied (EACCES); ${fix}`,
    )
    expectOneLine(
      (await asUnprivileged(['migrate'], here, {})) as Ran,
      `error: cannot open the database ${join(data, 'bloop.db')}: permission denied (EACCES); ${fix}`,
    )
    expect(readdirSync(data)).toEqual([])
  })

  test('an hmac_secret chmod 0000', async () => {
    const here = owned()
    const data = join(here, 'data')
    mkdirSync(data)
    const file = join(data, 'hmac_secret')
    writeFileSync(file, `bloop_${'ab'.repeat(32)}\n`)
    if (process.getuid?.() === 0) {
      chownSync(data, 65534, 65534)
      chownSync(file, 65534, 65534)
    }
    chmodSync(file, 0o000)
    const served = asUnprivileged(['serve'], here, serveEnv)
    if (!served) return
    expectOneLine(
      await served,
      `error: cannot read the HMAC secret ${file}: permission denied (EACCES); ` +
        `make it readable by uid ${uid} (chown it to that user, chmod 600), or set auth.hmac_secret`,
    )
  })
})

describe('one server per data directory', () => {
  test('a second server is refused naming the first; after kill -9 of the first a new one starts', async () => {
    const here = dir()
    const env = { ...serveEnv, BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
    const first = await startBloop(['serve'], { cwd: here, env })
    const second = await bloop(['serve'], { cwd: here, env })
    expect(second.code).toBe(78)
    expect(second.stdout).toBe('')
    expect(second.stderr).toMatch(
      new RegExp(
        `^error: another bloop server \\(pid ${first.proc.pid} on .+, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z in ${here}\\) is using the data directory ${join(here, 'data')}; ` +
          'stop it first, or give this one its own database.path \\(BLOOP__DATABASE__PATH\\)\\n$',
      ),
    )
    // The refused one touched nothing: the first still serves.
    expect((await fetch(`${first.url}/health`)).status).toBe(200)
    // The CLI keeps working beside it.
    expect((await bloop(['project', 'list'], { cwd: here, env })).code).toBe(0)
    expect((await bloop(['migrate'], { cwd: here, env })).code).toBe(0)

    first.proc.kill('SIGKILL')
    await first.exited
    expect(existsSync(join(here, 'data', 'bloop.lock'))).toBe(true)
    const third = await startBloop(['serve'], { cwd: here, env })
    expect((await fetch(`${third.url}/health`)).status).toBe(200)
    expect(await third.stop()).toBe(0)
    // A clean stop releases it as well.
    const fourth = await startBloop(['serve'], { cwd: here, env })
    expect(await fourth.stop()).toBe(0)
  })

  test('another database path in the same directory is the same data directory', async () => {
    const here = dir()
    const env = { ...serveEnv, BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
    const first = await startBloop(['serve'], {
      cwd: here,
      env: { ...env, BLOOP__DATABASE__PATH: join(here, 'a.db') },
    })
    try {
      const other = await bloop(['serve'], {
        cwd: here,
        env: { ...env, BLOOP__DATABASE__PATH: join(here, 'b.db') },
      })
      expect(other.code).toBe(78)
      expect(other.stderr).toContain(`(pid ${first.proc.pid} `)
    } finally {
      expect(await first.stop()).toBe(0)
    }
  })
})
