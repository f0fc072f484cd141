/**
 * A PostgreSQL server lost and back during ingest, through the parts serve on PostgreSQL
 * composes: the errors feature's own queue and submit (errors/intake.ts) over the seam
 * writer (storage/writer.backend.ts) on a private cluster that is crashed (`pg_ctl -m
 * immediate`) and started again while clients keep sending. While it is down every
 * request is answered 503 with Retry-After and the writer backs off (it refuses at once,
 * without a round trip, until its pause is over); once it is back requests are committed
 * again without a restart of anything; every acknowledged event is stored; /health says
 * 503 while the database is away and 200 once it is back.
 */
import { describe, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import type { CommitResult } from '../../src/errors/commit'
import type { NormalizedEvent } from '../../src/errors/event'
import { eventQueue, submitter } from '../../src/errors/intake'
import { Guard } from '../../src/http/auth'
import { AppError, errorResponse } from '../../src/http/errors'
import { RateLimiter } from '../../src/http/ratelimit'
import { createMetrics } from '../../src/ops/appmetrics'
import { memoryLogger } from '../../src/ops/log'
import { opsRoutes } from '../../src/ops/routes'
import { WriterLoad } from '../../src/storage/load'
import { seamTask, storageTasks } from '../../src/storage/tasks'
import { SeamWriter } from '../../src/storage/writer.backend'
import { normalizedEvent } from '../helpers'
import { freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

/** A stand-in for errors.commit with its contract: one row per event, committed with the batch. */
const tasks = {
  ...storageTasks,
  'errors.commit': seamTask(
    async (tx, a: { events: NormalizedEvent[]; sampleSize: number }): Promise<CommitResult> => {
      const t0 = performance.now()
      await tx.insertMany(
        'received',
        ['request_id'],
        a.events.map((e) => [e.request_id]),
      )
      return {
        inserted: a.events.map(() => 1),
        issues: [],
        first_raw_id: null,
        last_raw_id: null,
        duration_ms: performance.now() - t0,
      }
    },
  ),
}

describe('PostgreSQL lost and back during ingest', () => {
  test('503 + Retry-After while it is away, commits again once it is back, every acknowledged event stored', async () => {
    const fresh = await freshBackend('postgres', pg())
    const b = fresh.backend
    await b.exec('CREATE TABLE received (request_id TEXT PRIMARY KEY)')
    const writer = new SeamWriter(b, tasks, { retryPauseMs: 50, backoff: { firstMs: 200, maxMs: 800 } })
    const log = memoryLogger('error')
    const metrics = createMetrics()
    const load = new WriterLoad()
    const draining = { value: false }
    const queue = eventQueue({
      config: {
        ingest: { channel_capacity: 10_000 } as never,
        pipeline: { flush_batch_size: 200, sample_reservoir_size: 1 } as never,
      },
      writer: writer as never,
      log,
      metrics,
      load,
      draining,
    })
    const submit = submitter({ metrics, draining }, queue)
    const limiter = new RateLimiter(1000, 1000, Date.now)
    const guard = new Guard(
      {
        token: async () => new AppError('invalid_token', 'no tokens here'),
        session: async () => null,
        visibleProjects: async () => [],
      },
      ['http://localhost'],
      { limiter, clientIp: () => '127.0.0.1' },
    )
    const app = createApp(log, [
      opsRoutes({
        pingWriter: () => writer.run('storage.ping', {}),
        backend: b,
        bufferUsage: () => load.bufferUsage(),
        draining,
        registry: metrics.registry,
        guard,
      }),
    ])
    const health = async () => {
      const r = await app.handle(new Request('http://localhost/health'))
      const body = (await r.json()) as { status: string; db_ok: boolean; db_latency_ms: number | null }
      return {
        status: r.status,
        body: { status: body.status, db_ok: body.db_ok, latency: body.db_latency_ms !== null },
      }
    }

    let phase: 'before' | 'down' | 'back' | 'after' = 'before'
    let seq = 0
    const acked: string[] = []
    const answers = {
      before: { ok: 0, refused: 0 },
      down: { ok: 0, refused: 0 },
      back: { ok: 0, refused: 0 },
      after: { ok: 0, refused: 0 },
    }
    const retryAfter = new Set<string | null>()
    let stop = false
    /** One client: requests of 1-3 events, one after another, as an SDK sends them. */
    const client = async () => {
      while (!stop) {
        const sentIn = phase
        const events = Array.from({ length: 1 + (seq % 3) }, () =>
          normalizedEvent({ request_id: `e${++seq}` }),
        )
        try {
          await submit(events, 'batch')
          acked.push(...events.map((e) => e.request_id as string))
          answers[sentIn].ok++
        } catch (err) {
          expect(err).toBeInstanceOf(AppError)
          const r = errorResponse(err as AppError)
          expect(r.status).toBe(503)
          retryAfter.add(r.headers.get('retry-after'))
          answers[sentIn].refused++
          // An SDK waits before sending again; a short pause keeps the test quick.
          await Bun.sleep(20)
        }
      }
    }
    const clients = Array.from({ length: 4 }, client)

    await Bun.sleep(500)
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', db_ok: true, latency: true } })
    pg().halt('immediate')
    phase = 'down'
    // The writer pauses between attempts; an attempt in flight (the pause over, a connection
    // being tried) reads 0, so the pause is looked for over the whole outage, not at one instant.
    let pausing = 0
    for (const until = Date.now() + 1500; Date.now() < until; ) {
      pausing = Math.max(pausing, writer.unavailable())
      await Bun.sleep(10)
    }
    const downHealth = await health()
    pg().resume()
    phase = 'back'
    // The writer's pause may still run for up to backoff.maxMs; then a task tries again.
    await Bun.sleep(1000)
    phase = 'after'
    await Bun.sleep(1000)
    stop = true
    await Promise.all(clients)
    await queue.drain()
    const afterHealth = await health()

    expect(answers.before.ok).toBeGreaterThan(10)
    expect(answers.down.refused).toBeGreaterThan(4)
    // A request sent just before the crash may have been committed and acknowledged as it
    // happened; none sent once it was down was.
    expect(answers.down.ok).toBeLessThanOrEqual(4)
    expect(answers.after.ok).toBeGreaterThan(10)
    expect(answers.after.refused).toBe(0)
    expect([...retryAfter]).toEqual(['5'])
    expect(pausing).toBeGreaterThan(0)
    expect(downHealth).toEqual({ status: 503, body: { status: 'degraded', db_ok: false, latency: false } })
    expect(afterHealth).toEqual({ status: 200, body: { status: 'ok', db_ok: true, latency: true } })

    const other = await fresh.another()
    const stored = new Set(
      (await other.all<{ request_id: string }>('SELECT request_id FROM received')).map((r) => r.request_id),
    )
    const lost = acked.filter((k) => !stored.has(k))
    expect(lost).toEqual([])
    // Stored but not acknowledged: at most the batches whose commit answer the crash cut off.
    expect(stored.size - acked.length).toBeLessThanOrEqual(12)
    await writer.close()
  }, 60_000)
})
