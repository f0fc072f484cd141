/**
 * Durability with real processes, on both backends (a SQLite file, or a database of a
 * private PostgreSQL server): an acknowledged event survives kill -9; SIGTERM answers
 * in-flight requests and commits everything; a full queue sheds load with 429 and
 * recovers (the writer held up by a lock another process holds: SQLite's write lock, or
 * PostgreSQL's lock on raw_events); on PostgreSQL, a restart of the database server during
 * ingest loses nothing acknowledged.
 */

import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { SQL } from 'bun'
import { sign } from '../../src/errors/ingest/hmac'
import { event, holdWriteLock, TEST_SECRET, tempDir } from '../helpers'
import { BACKENDS, privatePgPerFile } from '../pg.helpers'
import { spawnServer } from '../process'

const pg = privatePgPerFile()

function batch(url: string, tag: string, n: number) {
  const body = JSON.stringify({
    events: Array.from({ length: n }, (_, i) => event({ request_id: `${tag}-${i}` })),
  })
  return fetch(`${url}/v1/ingest/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
    body,
  })
}

/** Where a test's server keeps its data: its directory, and on PostgreSQL its database. */
interface Store {
  dir: string
  url: string
  env: Record<string, string>
}

async function storeOf(kind: (typeof BACKENDS)[number]): Promise<Store> {
  const dir = tempDir()
  const url = kind === 'postgres' ? await pg().createDatabase() : ''
  return { dir, url, env: url ? { BLOOP__DATABASE__URL: url } : {} }
}

async function storedIds(s: Store): Promise<Set<string>> {
  if (s.url) {
    const sql = new SQL(s.url, { max: 1 })
    const rows = (await sql.unsafe('SELECT request_id FROM raw_events')) as { request_id: string }[]
    await sql.close()
    return new Set(rows.map((r) => r.request_id))
  }
  const db = new Database(join(s.dir, 'bloop.db'))
  const ids = new Set(
    (db.query('SELECT request_id FROM raw_events').all() as { request_id: string }[]).map(
      (r) => r.request_id,
    ),
  )
  db.close()
  return ids
}

/**
 * Another process's lock that holds the writer up: SQLite's write lock on the file, or on
 * PostgreSQL an open transaction holding raw_events exclusively.
 */
async function holdWriter(s: Store): Promise<{ release(): Promise<void> }> {
  if (!s.url) {
    const lock = holdWriteLock(join(s.dir, 'bloop.db'))
    return { release: async () => lock.release() }
  }
  const sql = new SQL(s.url, { max: 1 })
  const conn = await sql.reserve()
  await conn.unsafe('BEGIN')
  await conn.unsafe('LOCK TABLE raw_events IN ACCESS EXCLUSIVE MODE')
  return {
    async release() {
      await conn.unsafe('COMMIT')
      conn.release()
      await sql.close()
    },
  }
}

/** Senders loop until `stop()`; returns the request ids of every acknowledged event. */
function load(url: string, senders: number, perBatch: number) {
  let running = true
  const acked: string[] = []
  const sent = new Set<string>()
  const statuses = new Map<number | string, number>()
  let seq = 0
  const loops = Array.from({ length: senders }, async (_, s) => {
    while (running) {
      const tag = `s${s}-b${seq++}`
      sent.add(tag)
      try {
        const res = await batch(url, tag, perBatch)
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        if (res.status === 200) {
          const body = (await res.json()) as { accepted: number }
          expect(body.accepted).toBe(perBatch)
          for (let i = 0; i < perBatch; i++) acked.push(`${tag}-${i}`)
        } else await res.arrayBuffer()
      } catch {
        statuses.set('connection error', (statuses.get('connection error') ?? 0) + 1)
        await Bun.sleep(5)
      }
    }
  })
  return {
    acked,
    sent,
    statuses,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

for (const kind of BACKENDS)
  describe(`reliability (real processes) on ${kind}`, () => {
    test('every event acknowledged before kill -9 is present after restart', async () => {
      const st = await storeOf(kind)
      const { dir } = st
      const server = await spawnServer({ dir, env: st.env })
      const l = load(server.url, 4, 20)
      while (l.acked.length < 2000) await Bun.sleep(20)
      server.proc.kill('SIGKILL')
      await server.exited
      await l.stop()
      const acked = [...l.acked]
      // Restart on the same file: the server must come up and see everything it acknowledged.
      const again = await spawnServer({ dir, env: st.env })
      const health = await fetch(`${again.url}/health`)
      expect(health.status).toBe(200)
      again.proc.kill('SIGTERM')
      expect(await again.exited).toBe(0)
      const stored = await storedIds(st)
      const missing = acked.filter((id) => !stored.has(id))
      console.log(
        `kill -9 (${kind}): ${acked.length} acknowledged, ${stored.size} stored, ${missing.length} missing`,
      )
      expect(missing).toEqual([])
      expect(acked.length).toBeGreaterThanOrEqual(2000)
    }, 60_000)

    test('SIGTERM under load answers in-flight requests, commits everything and exits 0', async () => {
      const st = await storeOf(kind)
      const server = await spawnServer({ dir: st.dir, env: st.env })
      const l = load(server.url, 8, 25)
      while (l.acked.length < 1000) await Bun.sleep(20)
      server.proc.kill('SIGTERM')
      const code = await server.exited
      await l.stop()
      expect(code).toBe(0)
      expect(server.lines.some((line) => line.includes('"msg":"shutdown complete"'))).toBe(true)
      const stored = await storedIds(st)
      const missing = l.acked.filter((id) => !stored.has(id))
      console.log(
        `SIGTERM (${kind}): ${l.acked.length} acknowledged, ${stored.size} stored, statuses ${JSON.stringify([...l.statuses])}`,
      )
      expect(missing).toEqual([])
      // No phantom rows, and no half requests: every stored event belongs to a request that
      // was sent, and a request's events are stored all together or not at all.
      const perTag = new Map<string, number>()
      for (const id of stored) {
        const tag = id.slice(0, id.lastIndexOf('-'))
        perTag.set(tag, (perTag.get(tag) ?? 0) + 1)
      }
      for (const [tag, n] of perTag) {
        expect(l.sent.has(tag)).toBe(true)
        expect(n).toBe(25)
      }
      // In-flight requests got answers, not resets: no 5xx other than 503 "shutting down".
      for (const status of l.statuses.keys()) expect([200, 503, 'connection error']).toContain(status)
    }, 60_000)

    test('a full queue answers 429 with Retry-After, loses nothing acknowledged, and recovers', async () => {
      const st = await storeOf(kind)
      const server = await spawnServer({
        dir: st.dir,
        env: { ...st.env, BLOOP__INGEST__CHANNEL_CAPACITY: '10' },
      })
      // Slow the writer down for real: another process holds a lock the writer needs.
      const lock = await holdWriter(st)
      const settled: (Response | undefined)[] = []
      const pending = Array.from({ length: 12 }, (_, i) =>
        batch(server.url, `q${i}`, 5).then((r) => {
          settled[i] = r
          return r
        }),
      )
      // The 429s come back at once while the admitted requests wait for the writer.
      await Bun.sleep(500)
      const refused = settled.filter((r): r is Response => r?.status === 429)
      expect(refused.length).toBeGreaterThan(0)
      expect(settled.filter((r) => r && r.status !== 429)).toEqual([])
      for (const r of refused) {
        expect(r.headers.get('retry-after')).toBe('1')
        expect(((await r.json()) as { code: string }).code).toBe('queue_full')
      }
      const health = (await (await fetch(`${server.url}/health`)).json()) as {
        status: string
        buffer_usage: number
      }
      expect(health.buffer_usage).toBeGreaterThan(0)
      await lock.release()
      const answers = await Promise.all(pending)
      // Every request that was not refused is acknowledged once the lock is gone.
      for (const r of answers) expect([200, 429]).toContain(r.status)
      // Load drops: new requests are accepted again.
      const after = await batch(server.url, 'after', 5)
      expect(after.status).toBe(200)
      server.proc.kill('SIGTERM')
      expect(await server.exited).toBe(0)
      const stored = await storedIds(st)
      const acceptedTags = answers.map((r, i) => [r.status, `q${i}`] as const).filter(([s]) => s === 200)
      for (const [, tag] of acceptedTags)
        for (let i = 0; i < 5; i++) expect(stored.has(`${tag}-${i}`)).toBe(true)
      expect(stored.size).toBe(acceptedTags.length * 5 + 5)
    }, 60_000)
  })

describe('reliability (real processes) on postgres: the database restarts', () => {
  test('a PostgreSQL restart during ingest loses nothing acknowledged, and ingest resumes by itself', async () => {
    const st = await storeOf('postgres')
    const server = await spawnServer({ dir: st.dir, env: st.env })
    const l = load(server.url, 4, 20)
    while (l.acked.length < 1000) await Bun.sleep(20)
    // A crash of the database server mid-load, then its start again on the same data.
    pg().halt('immediate')
    await Bun.sleep(1000)
    pg().resume()
    const before = l.acked.length
    const deadline = performance.now() + 30_000
    while (l.acked.length < before + 1000 && performance.now() < deadline) await Bun.sleep(50)
    await l.stop()
    server.proc.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const stored = await storedIds(st)
    const missing = l.acked.filter((id) => !stored.has(id))
    console.log(
      `PostgreSQL restart: ${l.acked.length} acknowledged, ${stored.size} stored, statuses ${JSON.stringify([...l.statuses])}`,
    )
    expect(missing).toEqual([])
    // Ingest came back without a restart of bloop; what was refused meanwhile was a 503.
    expect(l.acked.length).toBeGreaterThanOrEqual(before + 1000)
    for (const status of l.statuses.keys()) expect([200, 503] as (number | string)[]).toContain(status)
  }, 90_000)
})
