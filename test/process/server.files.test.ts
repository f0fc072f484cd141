/**
 * What the server writes is for its own user only, whatever umask it was started with: a
 * real server process started under umask 022 creates its data directory, generates the
 * HMAC secret, ingests with analytics on (so DuckDB's WAL exists), and every directory it
 * made is 0700 and every file in it 0600.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { findProjectOnSqlite } from '../../src/projects/store'
import { signed, startRuntime, tempDir } from '../helpers'
import { REPO, type ServerProcess, spawnServer } from '../process'

let dir: string
let data: string
let server: ServerProcess

/** Every directory and file under `root` with its permission bits, by relative path. */
function modes(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const visit = (path: string) => {
    const st = statSync(path)
    out[relative(dir, path) || '.'] = (st.mode & 0o777).toString(8)
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name))
  }
  visit(root)
  return out
}

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const end = performance.now() + ms
  while (!probe()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}:\n${server.lines.join('\n')}`)
    await Bun.sleep(20)
  }
}

beforeAll(async () => {
  dir = tempDir('bloop-files-')
  // Two levels the server has to create itself.
  data = join(dir, 'var', 'bloop')
  server = await spawnServer({
    dir,
    cmd: ['sh', '-c', 'umask 022 && exec "$0" "$@"', process.execPath, join(REPO, 'src/main.ts'), 'serve'],
    env: {
      BLOOP__DATABASE__PATH: join(data, 'bloop.db'),
      // No configured secret: it is generated into the data directory.
      BLOOP__AUTH__HMAC_SECRET: '',
      BLOOP__ANALYTICS__ENABLED: 'true',
      BLOOP__ANALYTICS__SYNC_INTERVAL_MS: '0',
    },
  })
})

afterAll(async () => {
  server?.proc.kill('SIGTERM')
  await server?.exited
  rmSync(dir, { recursive: true, force: true })
})

describe('a server started with umask 022', () => {
  test('creates its data directory 0700 and every file in it 0600, the DuckDB WAL included', async () => {
    const secret = readFileSync(join(data, 'hmac_secret'), 'utf8').trim()
    for (let i = 0; i < 3; i++) {
      const req = signed(
        '/v1/ingest',
        { source: 'api', environment: 'prod', error_type: 'E', message: `m ${i}` },
        { secret },
      )
      const res = await fetch(server.url + new URL(req.url).pathname, {
        method: 'POST',
        headers: req.headers,
        body: await req.text(),
      })
      expect(res.status).toBe(200)
    }
    // The copy opens with the first committed errors (src/analytics/service.ts).
    await until('analytics to be ready', () =>
      server.lines.some((l) => l.includes('"msg":"analytics ready"')),
    )
    const wal = join(data, 'bloop.db.analytics.duckdb.wal')
    await until('the DuckDB WAL', () => existsSync(wal))

    const found = modes(join(dir, 'var'))
    // The files this test is about, so a rename cannot make it pass by walking nothing.
    for (const name of [
      'bloop.db',
      'bloop.db-wal',
      'bloop.db-shm',
      'hmac_secret',
      'bloop.db.analytics.duckdb',
      'bloop.db.analytics.duckdb.wal',
    ]) {
      expect(Object.keys(found)).toContain(join('var', 'bloop', name))
    }
    const expected: Record<string, string> = {}
    for (const path of Object.keys(found)) {
      expected[path] = statSync(join(dir, path)).isDirectory() ? '700' : '600'
    }
    expect(found).toEqual(expected)
  })
})

describe('an in-process runtime that keeps umask 022', () => {
  test('sets the same modes itself on what it creates', async () => {
    const before = process.umask(0o022)
    const rt = await startRuntime({
      database: { path: join(dir, 'inproc', 'data', 'bloop.db') },
      auth: { hmac_secret: '' },
      analytics: { enabled: true, sync_interval_ms: 0 },
    })
    try {
      const res = await rt.handle(
        signed(
          '/v1/ingest',
          { source: 'api', environment: 'prod', error_type: 'E', message: 'm' },
          { secret: findProjectOnSqlite(rt.core.db, 'default')?.api_key },
        ),
      )
      expect(res.status).toBe(200)
      await rt.features.analytics.analytics.syncNow()
      const found = modes(join(dir, 'inproc'))
      expect(Object.keys(found)).toContain(join('inproc', 'data', 'bloop.db.analytics.duckdb.wal'))
      expect(Object.keys(found)).toContain(join('inproc', 'data', 'hmac_secret'))
      const expected: Record<string, string> = {}
      for (const path of Object.keys(found)) {
        expected[path] = statSync(join(dir, path)).isDirectory() ? '700' : '600'
      }
      expect(found).toEqual(expected)
    } finally {
      await rt.close()
      process.umask(before)
    }
  })
})
