/**
 * Choosing PostgreSQL from the command line: `database.url` / BLOOP__DATABASE__URL with
 * `bloop migrate` and `bloop serve` as an operator runs them (real processes, a private
 * PostgreSQL server). An unreachable database stops startup with what to check.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { featuresNotOn } from '../../src/core/feature'
import { FEATURES } from '../../src/features'
import { bloop } from '../cli.process'
import { TEST_SECRET, tempDir } from '../helpers'
import { freePort, type PgCluster, startPg } from '../pg.helpers'

let pg: PgCluster
let dir: string
beforeAll(async () => {
  pg = await startPg()
  dir = tempDir('bloop-pgcli-')
})
afterAll(async () => {
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
})

const run = (args: string[], url: string, extra: Record<string, string> = {}) =>
  bloop(args, {
    cwd: dir,
    env: {
      BLOOP__DATABASE__URL: url,
      BLOOP__AUTH__HMAC_SECRET: TEST_SECRET,
      BLOOP__SERVER__PORT: '0',
      ...extra,
    },
  })

describe('database.url', () => {
  test('bloop migrate brings a PostgreSQL database up to date, once', async () => {
    const url = await pg.createDatabase()
    const first = await run(['migrate'], url)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/applied: 001_core, 002_accounts, .*llm\/202612020610_llm_query_indexes/)
    expect(first.stdout).toMatch(/schema version \d+ \(PostgreSQL\)/)
    const again = await run(['migrate'], url)
    expect(again.stdout.split('\n')[0]).toBe('database is up to date')
  }, 30_000)

  test('serve against an unreachable database exits 78 saying what to check, the password hidden', async () => {
    const port = freePort()
    const r = await run(['serve'], `postgres://bloop:hunter22@127.0.0.1:${port}/bloop`)
    expect(r.code).toBe(78)
    const out = r.stdout + r.stderr
    expect(out).toContain(
      `cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused; check that PostgreSQL runs and listens on that address`,
    )
    expect(out).not.toContain('hunter22')
  }, 30_000)

  // Until every feature declares `postgres` (src/features.ts), serve names those that do
  // not and stops; the list shrinks as the stores are converted.
  const notYet = featuresNotOn('postgres', FEATURES)

  test.if(notYet.length > 0)(
    'serve against a reachable database migrates it, then exits 78 naming the features not on PostgreSQL yet',
    async () => {
      const url = await pg.createDatabase()
      const r = await run(['serve'], url)
      expect(r.code).toBe(78)
      const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('do not run on PostgreSQL'))
      expect(lines.length).toBe(1)
      expect(lines[0]).toContain(
        `database.url: the PostgreSQL database is reachable and migrated, but these features do not run on PostgreSQL yet: ${notYet.join(', ')}; unset database.url (BLOOP__DATABASE__URL) to serve from SQLite`,
      )
      expect(r.stdout + r.stderr).not.toContain('listening')
      const m = await run(['migrate'], url)
      expect(m.stdout.split('\n')[0]).toBe('database is up to date')
    },
    30_000,
  )

  test("a TLS mode outside libpq's list is refused naming the key", async () => {
    const r = await run(['migrate'], 'postgres://x@127.0.0.1/x', { BLOOP__DATABASE__TLS: 'sometimes' })
    expect(r.code).toBe(78)
    expect(r.stdout + r.stderr).toContain('database.tls')
  }, 30_000)
})
