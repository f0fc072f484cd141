/**
 * Acknowledged means committed, for traces too: a real server process under trace load is
 * killed with SIGKILL; every trace it acknowledged is in the database afterwards, with its
 * spans and rollups, and a restarted server takes re-sends of them without counting twice.
 */
import { Database } from 'bun:sqlite'
import { expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { sign } from '../../src/errors/ingest/hmac'
import { TEST_SECRET, tempDir } from '../helpers'
import { spawnServer } from '../process'

const traceOf = (id: string) => ({
  id,
  name: 'durable',
  spans: [
    { id: 'a', model: 'gpt-4o', input_tokens: 10, output_tokens: 5, cost: 0.001, latency_ms: 100 },
    { id: 'b', span_type: 'tool', name: 'lookup', latency_ms: 20 },
  ],
})

function post(url: string, ids: string[]) {
  const body = JSON.stringify({ traces: ids.map(traceOf) })
  return fetch(`${url}/v1/traces/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': sign(TEST_SECRET, body) },
    body,
  })
}

test('every acknowledged trace survives kill -9; re-sent after restart it is counted once', async () => {
  const dir = tempDir('bloop-llm-durable-')
  try {
    const server = await spawnServer({ dir })
    const acked: string[] = []
    let running = true
    let seq = 0
    const senders = Array.from({ length: 4 }, async (_, s) => {
      while (running) {
        const ids = Array.from({ length: 10 }, (_, i) => `s${s}-${seq}-${i}`)
        seq++
        try {
          const res = await post(server.url, ids)
          if (res.status === 200) {
            expect(((await res.json()) as { accepted: number }).accepted).toBe(10)
            acked.push(...ids)
          } else await res.arrayBuffer()
        } catch {
          await Bun.sleep(5)
        }
      }
    })
    while (acked.length < 500) await Bun.sleep(10)
    server.proc.kill('SIGKILL')
    await server.exited
    running = false
    await Promise.all(senders)

    const db = new Database(join(dir, 'bloop.db'))
    const stored = new Set((db.query('SELECT id FROM llm_traces').all() as { id: string }[]).map((r) => r.id))
    const missing = acked.filter((id) => !stored.has(id))
    expect(missing).toEqual([])
    const rollup = () =>
      db
        .query(
          "SELECT sum(span_count) AS spans, sum(cost_micros) AS cost FROM llm_usage_hourly WHERE project_id = 'default'",
        )
        .get() as {
        spans: number
        cost: number
      }
    const before = rollup()
    expect(before.spans).toBe(2 * stored.size)
    expect(before.cost).toBe(1000 * stored.size)
    db.close()

    const again = await spawnServer({ dir })
    expect((await post(again.url, acked.slice(0, 50))).status).toBe(200)
    again.proc.kill('SIGTERM')
    expect(await again.exited).toBe(0)
    const after = new Database(join(dir, 'bloop.db'))
    expect(
      after
        .query(
          "SELECT sum(span_count) AS spans, sum(cost_micros) AS cost FROM llm_usage_hourly WHERE project_id = 'default'",
        )
        .get(),
    ).toEqual(before)
    after.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 60_000)
