import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { memoryLogger } from '../../src/ops/log'
import { Registry } from '../../src/ops/metrics'
import {
  event,
  holdWriteLock,
  onSqliteOnly,
  signed,
  startRuntime,
  TEST_BACKEND,
  type TestRuntime,
} from '../helpers'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startRuntime()
})
afterAll(() => rt.dispose())

describe('GET /health', () => {
  test('is ok with the database writable', async () => {
    const res = await rt.fetch('/health')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown> & { db_latency_ms: number }
    expect(body).toEqual({
      status: 'ok',
      db_ok: true,
      buffer_usage: 0,
      backend: TEST_BACKEND,
      db_latency_ms: body.db_latency_ms,
    })
    // One SELECT on the main connection: measured, and well under the two-second budget.
    expect(body.db_latency_ms).toBeGreaterThanOrEqual(0)
    expect(body.db_latency_ms).toBeLessThan(2000)
  })

  // SQLite's write lock, held from another connection to its file: SQLite's own.
  onSqliteOnly(
    'tells the truth: 503 when the writer cannot take the write lock',
    async () => {
      const lock = holdWriteLock(`${rt.dir}/bloop.db`)
      const res = await rt.fetch('/health')
      lock.release()
      expect(res.status).toBe(503)
      const body = (await res.json()) as Record<string, unknown> & { db_latency_ms: number }
      // Reads still work under WAL (the latency is measured); the writer cannot write.
      expect(body).toEqual({
        status: 'degraded',
        db_ok: false,
        buffer_usage: 0,
        backend: 'sqlite',
        db_latency_ms: body.db_latency_ms,
      })
      expect(typeof body.db_latency_ms).toBe('number')
    },
    20_000,
  )
})

describe('GET /metrics', () => {
  test('is Prometheus text with queue, commit and event counters', async () => {
    await rt.handle(signed('/v1/ingest', event()))
    const res = await rt.fetch('/metrics')
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await res.text()
    expect(text).toContain('# TYPE bloop_events_accepted_total counter')
    expect(text).toContain('bloop_events_accepted_total{endpoint="ingest"} 1')
    expect(text).toContain('bloop_queue_depth 0')
    expect(text).toContain('bloop_queue_capacity 8192')
    expect(text).toMatch(/bloop_commit_batch_events_count [1-9]/)
    expect(text).toContain('bloop_commit_duration_seconds_bucket{le="+Inf"}')
    // The storage backend's pool, no transaction open now: SQLite's one main connection;
    // PostgreSQL's pool of database.pool_size, opened as the load asked (one at least).
    if (TEST_BACKEND === 'sqlite') {
      expect(text).toContain('bloop_db_pool_max{backend="sqlite"} 1')
      expect(text).toContain('bloop_db_pool_open{backend="sqlite"} 1')
    } else {
      expect(text).toContain(`bloop_db_pool_max{backend="postgres"} ${rt.config.database.pool_size}`)
      const open = Number(/^bloop_db_pool_open\{backend="postgres"\} (\d+)$/m.exec(text)?.[1])
      expect(open).toBeGreaterThanOrEqual(1)
      expect(open).toBeLessThanOrEqual(rt.config.database.pool_size)
    }
    expect(text).toContain(`bloop_db_pool_active{backend="${TEST_BACKEND}"} 0`)
    // Every non-comment line is "name{labels} value".
    for (const line of text.trim().split('\n')) {
      if (!line.startsWith('#')) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/)
    }
  })

  test('histograms count observations into cumulative buckets and escape label values', () => {
    const r = new Registry()
    const h = r.histogram('h', 'help', [1, 5])
    for (const v of [0.5, 3, 10]) h.observe(v)
    const c = r.counter('c', 'help')
    c.inc({ reason: 'a"b\\c\nd' }, 2)
    expect(r.render()).toBe(
      [
        '# HELP h help',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="5"} 2',
        'h_bucket{le="+Inf"} 3',
        'h_sum 13.5',
        'h_count 3',
        '# HELP c help',
        '# TYPE c counter',
        'c{reason="a\\"b\\\\c\\nd"} 2',
        '',
      ].join('\n'),
    )
  })
})

describe('logs', () => {
  test('are one JSON object per line with level, message and fields', () => {
    const log = memoryLogger('info')
    log.debug('hidden')
    log.info('hello', { port: 1 })
    log.error('failed', { error: new Error('boom') })
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'hello'],
      ['error', 'failed'],
    ])
    expect(log.lines[0]?.port).toBe(1)
    expect(log.lines[1]?.error).toMatchObject({ name: 'Error', message: 'boom' })
    expect(typeof log.lines[0]?.ts).toBe('string')
  })
})
