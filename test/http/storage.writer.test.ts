import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { buildRuntime, type Runtime } from '../../src/server'
import {
  event,
  holdWriteLock,
  normalizedEvent,
  onSqliteOnly,
  signed,
  startRuntime,
  TEST_BACKEND,
  TEST_SECRET,
  type TestRuntime,
  tempDir,
  testPostgresUrl,
} from '../helpers'

let rt: TestRuntime | undefined
afterEach(async () => {
  await rt?.dispose()
  rt = undefined
})

const count = async (r: TestRuntime, sql: string) => Number((await r.core.backend.get<{ n: number }>(sql))?.n)
const requestIds = async (r: Runtime, sql: string) =>
  (await r.core.backend.all<{ request_id: string }>(sql)).map((s) => s.request_id)

const H = 3_600_000
// Receive times of this hour: PostgreSQL's raw events go to receive-day partitions made from yesterday on.
const T = Math.floor(Date.now() / H) * H

const normalized = normalizedEvent

describe('writer commit', () => {
  test('keeps the newest N samples per issue across batches', async () => {
    rt = await startRuntime({ pipeline: { sample_reservoir_size: 3 } })
    const w = rt.writer
    await w.run('errors.commit', {
      events: [1, 2, 3, 4].map((i) => normalized({ request_id: `r${i}`, received_at: T + i })),
      sampleSize: 3,
    })
    await w.run('errors.commit', {
      events: [normalized({ request_id: 'r5', received_at: T + 5 })],
      sampleSize: 3,
    })
    expect(await requestIds(rt, 'SELECT request_id FROM samples ORDER BY raw_event_id')).toEqual([
      'r3',
      'r4',
      'r5',
    ])
  })

  test('after the reservoir size changes between starts, the ring still holds the newest events', async () => {
    const dir = tempDir()
    const url = TEST_BACKEND === 'postgres' ? await testPostgresUrl() : ''
    const open = (size: number) =>
      buildRuntime(
        testConfig({
          database: { path: join(dir, 'bloop.db'), url },
          auth: { hmac_secret: TEST_SECRET },
          pipeline: { sample_reservoir_size: size },
          log: { level: 'error' },
        }),
      )
    let seq = 0
    const commit = (r: Runtime, n: number, size: number) =>
      r.writer.run('errors.commit', {
        events: Array.from({ length: n }, () =>
          normalized({ request_id: `e${seq}`, received_at: T + ++seq }),
        ),
        sampleSize: size,
      })
    const samples = (r: Runtime) => requestIds(r, 'SELECT request_id FROM samples ORDER BY raw_event_id')

    let r = await open(5)
    await commit(r, 7, 5)
    expect(await samples(r)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6'])
    await r.close()

    r = await open(3) // lowered: the three newest stay, and the next event replaces the oldest
    expect(await samples(r)).toEqual(['e4', 'e5', 'e6'])
    await commit(r, 1, 3)
    expect(await samples(r)).toEqual(['e5', 'e6', 'e7'])
    await r.close()

    r = await open(5) // raised: nothing is lost, the ring grows to five before overwriting
    await commit(r, 2, 5)
    expect(await samples(r)).toEqual(['e5', 'e6', 'e7', 'e8', 'e9'])
    await commit(r, 1, 5)
    expect(await samples(r)).toEqual(['e6', 'e7', 'e8', 'e9', 'e10'])
    await r.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('counts hourly buckets by receive time, per environment, source and release', async () => {
    rt = await startRuntime()
    const result = await rt.writer.run('errors.commit', {
      events: [
        normalized({ received_at: T - H + 5 }),
        normalized({ received_at: T - H + 6 }),
        normalized({ received_at: T, environment: 'staging' }),
        normalized({ received_at: T + 1, fingerprint: 'fp-2' }),
      ],
      sampleSize: 5,
    })
    expect(result.issues.map((i) => [i.fingerprint, i.is_new, i.total_count])).toEqual([
      ['fp-1', true, 3],
      ['fp-2', true, 1],
    ])
    const rows = await rt.core.backend.all(
      'SELECT fingerprint, hour_bucket, environment, count FROM event_counts_hourly ORDER BY fingerprint, hour_bucket',
    )
    expect(rows).toEqual([
      { fingerprint: 'fp-1', hour_bucket: T - H, environment: 'production', count: 2 },
      { fingerprint: 'fp-1', hour_bucket: T, environment: 'staging', count: 1 },
      { fingerprint: 'fp-2', hour_bucket: T, environment: 'production', count: 1 },
    ])
  })

  test('ignores a second event with the same event_id in a project, in one batch or across batches', async () => {
    rt = await startRuntime()
    const w = rt.writer
    const first = await w.run('errors.commit', {
      events: [
        normalized({ event_id: 'e1', received_at: T }),
        normalized({ event_id: 'e1', received_at: T }),
        normalized({ event_id: 'e2', received_at: T }),
      ],
      sampleSize: 5,
    })
    expect(first.inserted).toEqual([1, 0, 1])
    const again = await w.run('errors.commit', {
      events: [normalized({ event_id: 'e2', received_at: T })],
      sampleSize: 5,
    })
    expect(again.inserted).toEqual([0])
    expect(again.issues).toEqual([])
    expect(await count(rt, 'SELECT total_count AS n FROM issues')).toBe(2)
  })
})

describe('checkpoints', () => {
  // SQLite's WAL and its checkpointer thread; PostgreSQL has neither.
  onSqliteOnly(
    'committed pages reach the database file from the checkpointer thread, not the writer',
    async () => {
      rt = await startRuntime()
      const file = `${rt.dir}/bloop.db`
      const before = statSync(file).size
      // ~2 MB of WAL: far below the writer's own safety limit (64 MB), so only the
      // checkpointer can move these pages into the database file.
      for (let b = 0; b < 80; b++) {
        const events = Array.from({ length: 25 }, (_, i) =>
          event({ request_id: `ck${b}-${i}`, stack: 'x'.repeat(800) }),
        )
        expect((await rt.handle(signed('/v1/ingest/batch', { events }))).status).toBe(200)
      }
      let grown = false
      for (let i = 0; i < 100 && !grown; i++) {
        grown = statSync(file).size > before + 1_000_000
        if (!grown) await Bun.sleep(50)
      }
      expect(grown).toBe(true)
    },
  )
})

describe('queue', () => {
  test('group-commits concurrent requests into fewer transactions', async () => {
    rt = await startRuntime()
    const reqs = Array.from({ length: 40 }, (_, i) =>
      rt?.handle(signed('/v1/ingest', event({ request_id: `c${i}` }))),
    )
    const answers = await Promise.all(reqs)
    expect(answers.every((r) => r?.status === 200)).toBe(true)
    expect(await count(rt, 'SELECT count(*) AS n FROM raw_events')).toBe(40)
    const metrics = await (await rt.fetch('/metrics')).text()
    const commits = Number(/bloop_commit_batch_events_count (\d+)/.exec(metrics)?.[1])
    expect(commits).toBeGreaterThanOrEqual(1)
    expect(commits).toBeLessThan(40)
  })

  // Held by another process's lock on the SQLite file; on PostgreSQL the same answers come
  // from a stopped server (test/http/storage.writer.backend.test.ts).
  onSqliteOnly(
    'a full queue answers 429 with Retry-After, acknowledged events are kept, and it recovers',
    async () => {
      rt = await startRuntime({ ingest: { channel_capacity: 3 } })
      // Another process holds the write lock: the writer waits, the queue fills up.
      const lock = holdWriteLock(`${rt.dir}/bloop.db`)
      const inFlight = rt.handle(signed('/v1/ingest/batch', { events: [event({ request_id: 'q0' })] }))
      await Bun.sleep(50) // let the writer take that batch and block on the lock
      const queued = rt.handle(
        signed('/v1/ingest/batch', { events: [1, 2, 3].map((i) => event({ request_id: `q${i}` })) }),
      )
      const refused = await rt.handle(signed('/v1/ingest', event({ request_id: 'q-refused' })))
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(((await refused.json()) as { code: string }).code).toBe('queue_full')
      const health = (await (await rt.fetch('/health')).json()) as { buffer_usage: number }
      expect(health.buffer_usage).toBe(1)
      lock.release()
      expect((await inFlight).status).toBe(200)
      expect((await queued).status).toBe(200)
      const after = await rt.handle(signed('/v1/ingest', event({ request_id: 'q-after' })))
      expect(after.status).toBe(200)
      expect(await requestIds(rt, 'SELECT request_id FROM raw_events ORDER BY id')).toEqual([
        'q0',
        'q1',
        'q2',
        'q3',
        'q-after',
      ])
    },
  )

  onSqliteOnly('when storage fails the request gets 503 and nothing is acknowledged', async () => {
    const r = await startRuntime({}, { writerBusyTimeoutMs: 50 })
    rt = r
    const lock = holdWriteLock(`${r.dir}/bloop.db`)
    const res = await r.handle(signed('/v1/ingest', event({ request_id: 'lost?' })))
    lock.release()
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(((await res.json()) as { code: string }).code).toBe('storage_unavailable')
    expect(await count(r, 'SELECT count(*) AS n FROM raw_events')).toBe(0)
    expect((await r.handle(signed('/v1/ingest', event()))).status).toBe(200)
  })
})
