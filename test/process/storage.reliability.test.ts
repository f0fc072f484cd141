/**
 * Durability with real processes: an acknowledged event survives kill -9; SIGTERM answers
 * in-flight requests and commits everything; a full queue sheds load with 429 and recovers.
 */

import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { event, holdWriteLock, TEST_SECRET, tempDir } from '../helpers'
import { spawnServer } from '../process'

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

function storedIds(dbPath: string): Set<string> {
  const db = new Database(dbPath)
  const ids = new Set(
    (db.query('SELECT request_id FROM raw_events').all() as { request_id: string }[]).map(
      (r) => r.request_id,
    ),
  )
  db.close()
  return ids
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

describe('reliability (real processes)', () => {
  test('every event acknowledged before kill -9 is present after restart', async () => {
    const dir = tempDir()
    const server = await spawnServer({ dir })
    const l = load(server.url, 4, 20)
    while (l.acked.length < 2000) await Bun.sleep(20)
    server.proc.kill('SIGKILL')
    await server.exited
    await l.stop()
    const acked = [...l.acked]
    // Restart on the same file: the server must come up and see everything it acknowledged.
    const again = await spawnServer({ dir })
    const health = await fetch(`${again.url}/health`)
    expect(health.status).toBe(200)
    again.proc.kill('SIGTERM')
    expect(await again.exited).toBe(0)
    const stored = storedIds(join(dir, 'bloop.db'))
    const missing = acked.filter((id) => !stored.has(id))
    console.log(`kill -9: ${acked.length} acknowledged, ${stored.size} stored, ${missing.length} missing`)
    expect(missing).toEqual([])
    expect(acked.length).toBeGreaterThanOrEqual(2000)
  }, 60_000)

  test('SIGTERM under load answers in-flight requests, commits everything and exits 0', async () => {
    const dir = tempDir()
    const server = await spawnServer({ dir })
    const l = load(server.url, 8, 25)
    while (l.acked.length < 1000) await Bun.sleep(20)
    server.proc.kill('SIGTERM')
    const code = await server.exited
    await l.stop()
    expect(code).toBe(0)
    expect(server.lines.some((line) => line.includes('"msg":"shutdown complete"'))).toBe(true)
    const stored = storedIds(join(dir, 'bloop.db'))
    const missing = l.acked.filter((id) => !stored.has(id))
    console.log(
      `SIGTERM: ${l.acked.length} acknowledged, ${stored.size} stored, statuses ${JSON.stringify([...l.statuses])}`,
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
    const dir = tempDir()
    const server = await spawnServer({ dir, env: { BLOOP__INGEST__CHANNEL_CAPACITY: '10' } })
    // Slow the writer down for real: another process holds the database's write lock.
    const lock = holdWriteLock(join(dir, 'bloop.db'))
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
    lock.release()
    const answers = await Promise.all(pending)
    // Every request that was not refused is acknowledged once the lock is gone.
    for (const r of answers) expect([200, 429]).toContain(r.status)
    // Load drops: new requests are accepted again.
    const after = await batch(server.url, 'after', 5)
    expect(after.status).toBe(200)
    server.proc.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const stored = storedIds(join(dir, 'bloop.db'))
    const acceptedTags = answers.map((r, i) => [r.status, `q${i}`] as const).filter(([s]) => s === 200)
    for (const [, tag] of acceptedTags)
      for (let i = 0; i < 5; i++) expect(stored.has(`${tag}-${i}`)).toBe(true)
    expect(stored.size).toBe(acceptedTags.length * 5 + 5)
  }, 60_000)
})
