/** DSNs and credentials (pure), and the CLI that prints and rotates a project's DSN. */
import { describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../../src/cli/run'
import {
  formatDsn,
  keyFromEnvelopeDsn,
  keysFromRequest,
  parseAuthHeader,
  parseDsn,
} from '../../src/sentry/dsn'
import { TEST_SECRET, tempDir } from '../helpers'

const KEY = '0123456789abcdef0123456789abcdef'

describe('DSNs', () => {
  test('format and parse round-trip, keeping the scheme, port and any path prefix', () => {
    expect(formatDsn(KEY, 7, 'https://errors.example.com')).toBe(`https://${KEY}@errors.example.com/7`)
    expect(formatDsn(KEY, 7, 'http://127.0.0.1:5332/')).toBe(`http://${KEY}@127.0.0.1:5332/7`)
    expect(formatDsn(KEY, 7, 'https://example.com/bloop')).toBe(`https://${KEY}@example.com/bloop/7`)
    expect(parseDsn(`https://${KEY}@example.com/bloop/7`)).toEqual({
      publicKey: KEY,
      projectId: 7,
      origin: 'https://example.com/bloop',
    })
  })

  test('an old-style DSN with a secret is read for its key', () => {
    expect(parseDsn(`https://${KEY}:secret@sentry.io/42`)?.publicKey).toBe(KEY)
  })

  test('strings that are not DSNs are refused', () => {
    for (const s of [
      '',
      'not a url',
      `ftp://${KEY}@h/1`,
      'https://h/1',
      `https://${KEY}@h/`,
      `https://${KEY}@h/abc`,
    ]) {
      expect(parseDsn(s)).toBeNull()
    }
  })
})

describe('credentials', () => {
  test('X-Sentry-Auth is parsed into its pairs, quoted or not', () => {
    expect(parseAuthHeader(`Sentry sentry_version=7, sentry_key=${KEY},sentry_client="raven/1"`)).toEqual({
      sentry_version: '7',
      sentry_key: KEY,
      sentry_client: 'raven/1',
    })
    expect(parseAuthHeader('Bearer abc')).toBeNull()
  })

  test('keys come from the auth header, an Authorization: Sentry header and the query', () => {
    const q = new URLSearchParams(`sentry_key=${KEY}`)
    expect(keysFromRequest(new Headers({ 'x-sentry-auth': `Sentry sentry_key=${KEY}` }), q)).toEqual([
      { key: KEY, source: 'X-Sentry-Auth header' },
      { key: KEY, source: 'sentry_key query parameter' },
    ])
    expect(
      keysFromRequest(new Headers({ authorization: `Sentry sentry_key=${KEY}` }), new URLSearchParams()),
    ).toEqual([{ key: KEY, source: 'X-Sentry-Auth header' }])
    expect(
      keysFromRequest(new Headers({ authorization: 'Bearer bloop_tk_x' }), new URLSearchParams()),
    ).toEqual([])
  })

  test('an envelope dsn header names a key and a project', () => {
    expect(keyFromEnvelopeDsn(`http://${KEY}@h:1/3`)).toEqual({
      key: KEY,
      source: 'envelope dsn header',
      projectId: 3,
    })
    expect(keyFromEnvelopeDsn(undefined)).toBeNull()
    expect(keyFromEnvelopeDsn(42)).toBe('malformed')
    expect(keyFromEnvelopeDsn('nope')).toBe('malformed')
  })
})

describe('CLI', () => {
  test('project dsn prints the DSN; rotate-sentry-key prints a new one and the old key stops working', async () => {
    const dir = tempDir('bloop-sentry-cli-')
    try {
      const config = join(dir, 'config.toml')
      writeFileSync(
        config,
        `[database]\npath = "${join(dir, 'b.db')}"\n[auth]\nhmac_secret = "${TEST_SECRET}"\n`,
      )
      const run = async (...argv: string[]) => {
        const out: string[] = []
        const err: string[] = []
        const code = await runCli([...argv, '--config', config], {
          out: (l) => out.push(l),
          err: (l) => err.push(l),
        })
        return { code, out, err }
      }
      // The CLI works on the server's database; `migrate` is the command that creates one.
      expect((await run('migrate')).code).toBe(0)
      const shown = await run('project', 'dsn', '--project', 'default')
      expect(shown.code).toBe(0)
      expect(shown.out.at(-1)).toMatch(/^http:\/\/[0-9a-f]{32}@localhost:5332\/1$/)
      const custom = await run(
        'project',
        'dsn',
        '--project',
        'default',
        '--origin',
        'https://errors.example.com/x',
      )
      const key = (shown.out.at(-1) as string).slice('http://'.length, 'http://'.length + 32)
      expect(custom.out.at(-1)).toBe(`https://${key}@errors.example.com/x/1`)
      const rotated = await run('project', 'rotate-sentry-key', '--project', 'default')
      expect(rotated.code).toBe(0)
      expect(rotated.out.at(-1)).toMatch(/^http:\/\/[0-9a-f]{32}@localhost:5332\/1$/)
      expect(rotated.out.at(-1)).not.toBe(shown.out.at(-1))
      expect((await run('project', 'dsn', '--project', 'default')).out.at(-1)).toBe(rotated.out.at(-1))
      expect((await run('project', 'dsn', '--project', 'nope')).code).toBe(2)
      expect((await run('project', 'dsn', '--project', 'default', '--origin', 'ftp://x')).code).toBe(2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
