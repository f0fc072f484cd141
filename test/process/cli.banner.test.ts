/**
 * The first-run banner as an operator meets it: the signed curl command, taken from the
 * server's output exactly as shown and run by a real bash against the running server.
 * On a terminal (script(1) gives the server one) and with `log.format = "text"` the
 * banner is plain text; through a pipe, and with `log.format = "json"` even on a
 * terminal, startup lines stay JSON and the command is the `curl` field. The key and the
 * curl appear on the first run only; later starts show the key masked.
 */
import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { maskKey } from '../../src/errors/ingest/banner'
import { BUN, bloop, MAIN, type Running, shell, startBloop } from '../cli.process'
import { tempDir } from '../helpers'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** No secret configured (local default mode), loopback, a free port. */
function fresh(extra: Record<string, string> = {}) {
  const dir = tempDir('bloop-banner-')
  dirs.push(dir)
  return { dir, env: { BLOOP__SERVER__PORT: '0', BLOOP__SERVER__HOST: '127.0.0.1', ...extra } }
}

/** The server under script(1): its stdout is a terminal, as when an operator starts it. */
function onTerminal(dir: string, env: Record<string, string>): Promise<Running> {
  return startBloop([], { cwd: dir, env, cmd: ['script', '-qfec', `exec ${BUN} ${MAIN} serve`, '/dev/null'] })
}

function storedMessages(dir: string): string[] {
  const db = new Database(join(dir, 'data', 'bloop.db'), { readonly: true })
  try {
    return db
      .query<{ message: string }, []>('SELECT message FROM raw_events')
      .all()
      .map((r) => r.message)
  } finally {
    db.close()
  }
}

const curlLines = (lines: string[]) => lines.filter((l) => l.startsWith('curl '))
const secretOf = (dir: string) => readFileSync(join(dir, 'data', 'hmac_secret'), 'utf8').trim()

async function expectAccepted(command: string) {
  const r = await shell(command)
  expect(r.code).toBe(0)
  expect(r.stdout).toBe('{"status":"accepted"}')
}

describe('first-run banner', () => {
  test('on a terminal it is plain text, and the curl line as shown is accepted by the server', async () => {
    const { dir, env } = fresh()
    const server = await onTerminal(dir, env)
    try {
      const key = secretOf(dir)
      expect(server.lines).toContain(`  default project key: ${key}`)
      const [curl, ...more] = curlLines(server.lines)
      expect(more).toEqual([])
      expect(curl).toStartWith(`curl -X POST http://127.0.0.1:${server.port}/v1/ingest `)
      // Nothing on the terminal is a JSON line.
      expect(server.lines.filter((l) => l.startsWith('{'))).toEqual([])
      await expectAccepted(curl as string)
      expect(storedMessages(dir)).toEqual(['Hello from bloop: this is a test error'])
    } finally {
      server.proc.kill('SIGTERM')
      await server.exited
    }
  })

  test('through a pipe it is a JSON line whose curl field is accepted by the server', async () => {
    const { dir, env } = fresh()
    const server = await startBloop(['serve'], { cwd: dir, env })
    try {
      expect(server.lines.every((l) => l.startsWith('{'))).toBe(true)
      const first = server.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'first run: generated an HMAC secret')
      expect(first.default_project_key).toBe(secretOf(dir))
      expect(first.data_dir).toBe(join(dir, 'data'))
      expect(curlLines(server.lines)).toEqual([])
      await expectAccepted(first.curl)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })

  test('log.format = "text" prints it for humans through a pipe too', async () => {
    const { dir, env } = fresh({ BLOOP__LOG__FORMAT: 'text' })
    const server = await startBloop(['serve'], { cwd: dir, env })
    try {
      expect(
        server.lines.some((l) =>
          / INFO {2}listening host=127\.0\.0\.1 port=\d+ url=http:\/\/localhost:\d+$/.test(l),
        ),
      ).toBe(true)
      const [curl] = curlLines(server.lines)
      await expectAccepted(curl as string)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })

  test('log.format = "json" keeps JSON lines on a terminal', async () => {
    const { dir, env } = fresh({ BLOOP__LOG__FORMAT: 'json' })
    const server = await onTerminal(dir, env)
    try {
      expect(server.lines.filter((l) => l !== '').every((l) => l.startsWith('{'))).toBe(true)
      const first = server.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'first run: generated an HMAC secret')
      await expectAccepted(first.curl)
    } finally {
      server.proc.kill('SIGTERM')
      await server.exited
    }
  })
})

describe('later starts', () => {
  test('log the key masked, never in full and without the curl; project list --keys prints it', async () => {
    const { dir, env } = fresh()
    const first = await startBloop(['serve'], { cwd: dir, env })
    expect(await first.stop()).toBe(0)
    const key = secretOf(dir)

    const again = await startBloop(['serve'], { cwd: dir, env })
    expect(await again.stop()).toBe(0)
    const output = again.lines.join('\n')
    expect(output).not.toContain(key)
    expect(output).not.toContain('curl')
    const line = again.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'using the HMAC secret from the data directory')
    expect(line.default_project_key).toBe(`bloop_${key.slice(6, 10)}…${key.slice(-2)}`)
    expect(line.default_project_key).toBe(maskKey(key))
    expect(line.hint).toBe('bloop project list --keys prints the keys')

    // On a terminal as well.
    const onTty = await onTerminal(dir, env)
    onTty.proc.kill('SIGTERM')
    await onTty.exited
    expect(onTty.lines.join('\n')).not.toContain(key)
    expect(onTty.lines.join('\n')).toContain(`default_project_key=${maskKey(key)}`)

    const listed = await bloop(['project', 'list', '--keys'], { cwd: dir })
    expect(listed.stdout.split('\n')[1]).toBe(`default\tDefault\tdefault\t1\t${key}`)
  })

  test('a configured secret is never logged, not even on the first run', async () => {
    const secret = 'configured-0123456789abcdef0123456789abcdef'
    const { dir, env } = fresh({ BLOOP__AUTH__HMAC_SECRET: secret })
    const server = await startBloop(['serve'], { cwd: dir, env })
    expect(await server.stop()).toBe(0)
    expect(server.lines.join('\n')).not.toContain(secret)
    expect(server.lines.join('\n')).not.toContain(maskKey(secret))
  })
})
