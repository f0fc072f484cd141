/**
 * Restart during ingest: a real server process is killed with SIGKILL while clients are
 * sending batches and the DuckDB copy is behind; after a restart and its catch-up, the copy
 * holds exactly SQLite's counts, every acknowledged event included, none twice.
 */
import { afterAll, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Duck } from '../../src/analytics/duckdb'
import { duckdbPathOf } from '../../src/analytics/service'
import { hourlyByKey, readState } from '../../src/analytics/store'
import { openDatabase } from '../../src/storage/db'
import { cli, signedBatch, stop, until } from '../analytics.process'
import { bearer, tempDir } from '../helpers'
import { spawnServer } from '../process'

const ROOT = join(import.meta.dir, '..', '..')
const dir = tempDir('bloop-restart-')
const dbPath = join(dir, 'bloop.db')
const cmd = [process.execPath, join(ROOT, 'src', 'main.ts'), 'serve']
// Feed steps 200 ms apart: several run during the ingest, and the newest commits are never copied yet.
const env = { BLOOP__DATABASE__PATH: dbPath, BLOOP__ANALYTICS__SYNC_INTERVAL_MS: '200' }

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function sqliteCounts() {
  const db = openDatabase(dbPath)
  try {
    const raw = db
      .query<{ n: number; max: number }, []>('SELECT count(*) AS n, max(id) AS max FROM raw_events')
      .get()
    const hourly = db
      .query(
        'SELECT project_id, fingerprint, hour_bucket, environment, source, release, count FROM event_counts_hourly',
      )
      .values()
    return { events: raw?.n ?? 0, maxId: raw?.max ?? 0, hourly }
  } finally {
    db.close()
  }
}

async function openCopy() {
  return Duck.open({ path: duckdbPathOf(dbPath), memoryLimit: '128MB', threads: 1, nativeDir: dir })
}

const sortRows = (rows: unknown[][]) => [...rows].map((r) => JSON.stringify(r)).sort()

test('after SIGKILL during ingest and a restart, DuckDB holds exactly what SQLite holds', async () => {
  // The CLI needs the server's database; `migrate` creates it.
  await cli(cmd.slice(0, 2), ['migrate'], env, dir)
  const token = await cli(
    cmd.slice(0, 2),
    ['token', 'create', '--project', 'default', '--scopes', 'errors:read'],
    env,
    dir,
  )
  const first = await spawnServer({ dir, cmd, env })
  let acknowledged = 0
  let sending = true
  const client = async (c: number) => {
    for (let b = 0; sending; b++) {
      const events = Array.from({ length: 40 }, (_, i) => ({
        source: ['api', 'web'][i % 2],
        environment: ['production', 'staging', 'dev'][(b + i) % 3],
        release: `1.${b % 4}`,
        error_type: `E${(c * 7 + i) % 11}`,
        message: `failure ${i % 5}`,
      }))
      try {
        const r = await signedBatch(first.url, events)
        if (r.status === 200) acknowledged += ((await r.json()) as { accepted: number }).accepted
      } catch {
        return // the server was killed mid-request
      }
    }
  }
  const clients = [0, 1, 2, 3].map(client)
  await until(
    () => (acknowledged >= 12000 ? true : undefined),
    60_000,
    () => `only ${acknowledged} acknowledged`,
  )
  first.proc.kill('SIGKILL')
  await first.proc.exited
  sending = false
  await Promise.all(clients)

  // Every acknowledged event is in SQLite, and the copy was behind when the process died.
  const before = sqliteCounts()
  expect(before.events).toBeGreaterThanOrEqual(acknowledged)
  const crashed = await openCopy()
  const position = (await readState(crashed))?.last_raw_id ?? 0
  await crashed.close()
  expect(position).toBeGreaterThan(0)
  expect(position).toBeLessThan(before.maxId)

  const second = await spawnServer({ dir, cmd, env })
  try {
    const status = await until(
      async () => {
        const r = await fetch(`${second.url}/v1/analytics/status`, { headers: bearer(token) })
        const body = (await r.json()) as { state: string; events: number; caught_up: boolean }
        return body.state === 'ready' && body.caught_up ? body : undefined
      },
      30_000,
      () => `analytics did not catch up:\n${second.lines.join('\n')}`,
    )
    expect(status.events).toBe(before.events)
    const envs = await fetch(`${second.url}/v1/analytics/environments?hours=720`, { headers: bearer(token) })
    expect(((await envs.json()) as { total_count: number }).total_count).toBe(before.events)
  } finally {
    expect(await stop(second)).toBe(0)
  }

  const after = sqliteCounts()
  expect(after.events).toBe(before.events)
  const copy = await openCopy()
  try {
    expect(sortRows(await hourlyByKey(copy))).toEqual(sortRows(after.hourly as unknown[][]))
  } finally {
    await copy.close()
  }
}, 120_000)
