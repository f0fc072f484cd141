/**
 * `bloop backup` under load: a real server process ingests continuously from two client
 * loops while the CLI (another real process) takes the backup; the copy is then restored
 * into a second server on another port. Each loop sends one event at a time and waits for
 * its acknowledgement, so a consistent snapshot holds, per loop, exactly the events 0..k-1:
 * every event acknowledged before the backup started, none missing in between, and none
 * that was never sent.
 */
import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { copyFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { bloop } from '../cli.process'
import { bearer, event, TEST_SECRET, tempDir } from '../helpers'
import { spawnServer } from '../process'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const post = (url: string, path: string, payload: unknown) => {
  const body = JSON.stringify(payload)
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'x-signature': sign(TEST_SECRET, body) }, body })
}

test('a backup taken while the server ingests holds every acknowledged event, restores, and is intact', async () => {
  const dir = tempDir('bloop-backup-')
  const restoreDir = tempDir('bloop-restore-')
  dirs.push(dir, restoreDir)
  const env = { BLOOP__DATABASE__PATH: join(dir, 'bloop.db'), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
  // Large seed batches: the body cap is not what this test is about.
  const server = await spawnServer({ dir, env: { BLOOP__INGEST__MAX_PAYLOAD_BYTES: '1000000' } })
  // Killed even when an assertion fails before the orderly stop below.
  process.once('exit', () => server.proc.kill('SIGKILL'))

  // Some history first, so that the copy takes a while next to the ingest.
  const stack = Array.from(
    { length: 40 },
    (_, i) => `    at fn${i} (/srv/app/src/mod${i}.ts:${i + 1}:5)`,
  ).join('\n')
  for (let b = 0; b < 30; b++) {
    const events = Array.from({ length: 100 }, (_, i) =>
      event({ message: `seed ${b * 100 + i}`, request_id: `seed-${b * 100 + i}`, stack }),
    )
    expect(
      ((await (await post(server.url, '/v1/ingest/batch', { events })).json()) as { accepted: number })
        .accepted,
    ).toBe(100)
  }

  const acked = [0, 0]
  let sending = true
  const loop = async (c: number) => {
    while (sending) {
      const res = await post(
        server.url,
        '/v1/ingest',
        event({ message: `load ${c}`, request_id: `c${c}-${acked[c]}` }),
      )
      expect(res.status).toBe(200)
      acked[c] = (acked[c] as number) + 1
    }
  }
  const loops = [loop(0), loop(1)]
  while ((acked[0] as number) < 50 || (acked[1] as number) < 50) await Bun.sleep(20)

  const target = join(dir, 'snapshot.db')
  const before = [...acked]
  const backup = await bloop(['backup', target], { cwd: dir, env })
  const after = [...acked]
  sending = false
  await Promise.all(loops)
  expect(backup.code).toBe(0)
  expect(backup.stdout).toBe(`${join(dir, 'snapshot.db')}\n`)
  expect(backup.stderr).toMatch(
    /^backup: wrote \d+\.\d MB with \d+ raw events in \d+ ms; integrity check ok$/m,
  )
  // The load went on during the backup: the server was never stopped.
  expect((after[0] as number) + (after[1] as number)).toBeGreaterThan(
    (before[0] as number) + (before[1] as number),
  )
  server.proc.kill('SIGTERM')
  expect(await server.exited).toBe(0)

  expect(statSync(join(dir, 'snapshot.db')).mode & 0o777).toBe(0o600)

  // Restore as the README says: the file becomes database.path of a stopped server.
  copyFileSync(join(dir, 'snapshot.db'), join(restoreDir, 'bloop.db'))
  const restored = await spawnServer({ dir: restoreDir })
  process.once('exit', () => restored.proc.kill('SIGKILL'))
  try {
    expect(restored.port).not.toBe(server.port)
    const db = new Database(join(restoreDir, 'bloop.db'), { readonly: true })
    const ids = db
      .query<{ request_id: string }, []>('SELECT request_id FROM raw_events')
      .all()
      .map((r) => r.request_id)
    db.close()
    expect(ids.filter((id) => id.startsWith('seed-'))).toHaveLength(3000)
    for (const c of [0, 1]) {
      const seqs = ids
        .filter((id) => id.startsWith(`c${c}-`))
        .map((id) => Number(id.slice(3)))
        .sort((a, b) => a - b)
      const k = seqs.length
      // Every event acknowledged before the backup started is there, and nothing after a gap.
      expect(k).toBeGreaterThanOrEqual(before[c] as number)
      expect(k).toBeLessThanOrEqual((after[c] as number) + 1)
      expect(seqs).toEqual(Array.from({ length: k }, (_, i) => i))
    }
    // The restored server answers for exactly what the file holds.
    const token = await bloop(['token', 'create', '--project', 'default', '--scopes', 'errors:read'], {
      cwd: restoreDir,
      env: { BLOOP__DATABASE__PATH: join(restoreDir, 'bloop.db'), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET },
    })
    const stats = (await (
      await fetch(`${restored.url}/v1/stats`, { headers: bearer(token.stdout.trim()) })
    ).json()) as { total_events_24h: number }
    expect(stats.total_events_24h).toBe(ids.length)
  } finally {
    restored.proc.kill('SIGTERM')
    expect(await restored.exited).toBe(0)
  }
  const check = new Database(join(restoreDir, 'bloop.db'), { readonly: true })
  expect(check.query('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }])
  expect(check.query('PRAGMA auto_vacuum').get()).toEqual({ auto_vacuum: 2 })
  check.close()
}, 120_000)

test('refuses to overwrite a file without --force, never writes over the live database, and leaves no partial file', async () => {
  const dir = tempDir('bloop-backup-refuse-')
  dirs.push(dir)
  const env = { BLOOP__DATABASE__PATH: join(dir, 'bloop.db'), BLOOP__AUTH__HMAC_SECRET: TEST_SECRET }
  expect((await bloop(['migrate'], { cwd: dir, env })).code).toBe(0)
  await Bun.write(join(dir, 'old.db'), 'keep me')
  expect(await bloop(['backup', 'old.db'], { cwd: dir, env })).toEqual({
    code: 1,
    stdout: '',
    stderr: `error: ${join(dir, 'old.db')} already exists; pass --force to replace it\n`,
  })
  expect(await Bun.file(join(dir, 'old.db')).text()).toBe('keep me')
  const forced = await bloop(['backup', '--force', 'old.db'], { cwd: dir, env })
  expect(forced.code).toBe(0)
  const copy = new Database(join(dir, 'old.db'), { readonly: true })
  expect(copy.query('SELECT slug FROM projects').all()).toEqual([])
  copy.close()
  expect(statSync(join(dir, 'old.db')).mode & 0o777).toBe(0o600)

  const self = await bloop(['backup', '--force', 'bloop.db'], { cwd: dir, env })
  expect(self.code).toBe(1)
  expect(self.stderr).toBe(
    `error: ${join(dir, 'bloop.db')} is the live database itself; choose another file\n`,
  )
  const missingDir = await bloop(['backup', 'no/such/dir/x.db'], { cwd: dir, env })
  expect(missingDir.code).toBe(78)
  expect(missingDir.stderr).toStartWith(
    `error: cannot create the backup file in ${join(dir, 'no/such/dir')}: it does not exist (ENOENT)`,
  )
  expect(
    Bun.spawnSync(['ls', '-A', dir])
      .stdout.toString()
      .split('\n')
      .filter((f) => f.includes('partial')),
  ).toEqual([])
})
