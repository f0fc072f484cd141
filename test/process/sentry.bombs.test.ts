/**
 * Decompression bombs sent without credentials: refused before inflating where the URL
 * already says no, bounded by the process-wide decompression budget where the key may be
 * inside the compressed envelope. In-process for the answers, then a real server process
 * for its memory and its /health while 190 bombs arrive at once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { sentryProjectOf } from '../../src/sentry/store'
import { openDatabase } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'
import { holdWriteLock, startRuntime, type TestRuntime, tempDir } from '../helpers'
import { type ServerProcess, spawnServer } from '../process'
import { brotliBomb, envelope, sentryEvent } from '../sentry.helpers'

const MB = 1024 * 1024
const BR = { 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'br' }
const GZIP = { 'content-type': 'application/x-sentry-envelope', 'content-encoding': 'gzip' }
const notBrotli = new TextEncoder().encode('not brotli at all')

describe('before inflating', () => {
  let rt: TestRuntime
  beforeAll(async () => {
    rt = await startRuntime()
  })
  afterAll(() => rt.dispose())

  for (const path of ['/api/999/envelope/', '/api/999/store/']) {
    test(`a body without a key for a project that does not exist is 404 before it is read (${path})`, async () => {
      // Not even valid brotli: a 404 rather than a 400 shows it was never inflated.
      const res = await rt.fetch(path, { method: 'POST', body: notBrotli as BodyInit, headers: BR })
      expect(res.status).toBe(404)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(await res.json()).toEqual({
        error:
          "no project has the Sentry id 999 (the number at the end of the DSN); copy the DSN shown in the project's settings",
        code: 'not_found',
      })
    })
  }

  test('a body without a key for a project that exists is inflated to look for its dsn', async () => {
    const res = await rt.fetch('/api/1/envelope/', {
      method: 'POST',
      body: notBrotli as BodyInit,
      headers: BR,
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toStartWith('body is not valid br data')
  })
})

describe('the decompression budget', () => {
  test('while it is spent a compressed body gets 429 with the Sentry headers, and once given back it is accepted', async () => {
    const rt = await startRuntime({ sentry: { decompression_budget_bytes: MB } })
    const key = (await sentryProjectOf(rt.core.backend, 'default'))?.sentry_public_key as string
    // 700 KB once inflated: one of these fits the budget of 1 MB, two do not.
    const body = () =>
      zlib.gzipSync(
        envelope({}, [
          { type: 'event', payload: sentryEvent() },
          { type: 'attachment', payload: 'a'.repeat(700 * 1024) },
        ]),
      )
    const send = () =>
      rt.fetch(`/api/1/envelope/?sentry_key=${key}`, {
        method: 'POST',
        body: body() as BodyInit,
        headers: GZIP,
      })
    // Another process holds the write lock, so the first request waits for its commit
    // holding its inflated body.
    const lock = holdWriteLock(`${rt.dir}/bloop.db`)
    let locked = true
    try {
      const first = send()
      await Bun.sleep(100)
      const refused = await send()
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(refused.headers.get('x-sentry-rate-limits')).toBe('1::organization:rate_limited')
      expect(((await refused.json()) as { error: string }).error).toBe(
        'the server is already decompressing as many bodies as sentry.decompression_budget_bytes (1048576) allows; retry after the delay in Retry-After',
      )
      lock.release()
      locked = false
      expect((await first).status).toBe(200)
      expect((await send()).status).toBe(200)
      const metrics = await (await rt.fetch('/metrics')).text()
      expect(metrics).toContain('bloop_sentry_decompression_refused_total 1\n')
    } finally {
      if (locked) lock.release()
      await rt.dispose()
    }
  })

  test('a body that could never fit the budget is 413, not a 429 to retry forever', async () => {
    const rt = await startRuntime({ sentry: { decompression_budget_bytes: 2 * MB } })
    try {
      // A brotli window of 4 MB alone is more than the whole budget.
      const res = await rt.fetch('/api/1/envelope/', {
        method: 'POST',
        body: zlib.brotliCompressSync(envelope({}, [])) as BodyInit,
        headers: BR,
      })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { error: string }).error).toBe(
        'decompressing this br body needs more than sentry.decompression_budget_bytes (2097152); send it uncompressed or with a smaller window',
      )
    } finally {
      await rt.dispose()
    }
  })
})

describe('190 concurrent 2 GiB brotli bombs against a real server process', () => {
  const COUNT = 190
  const dir = tempDir()
  let server: ServerProcess
  let bomb: Buffer

  beforeAll(async () => {
    ;[server, bomb] = await Promise.all([spawnServer({ dir }), brotliBomb()])
    // Open the client's connections and warm the server's code: the first round of 190
    // requests to a fresh process costs ~60 ms whatever it asks for.
    await Promise.all(Array.from({ length: COUNT }, async () => (await fetch(`${server.url}/health`)).text()))
  }, 30_000)
  afterAll(async () => {
    server.proc.kill('SIGTERM')
    await server.exited
  })

  const statusKb = (field: string) =>
    Number(
      new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))?.[1],
    )

  /** Asks /health every 10 ms until `done` settles; the slowest answer (a failed one counts as endless). */
  async function slowestHealth(done: Promise<unknown>): Promise<{ slowest: number; polls: number }> {
    let running = true
    done.finally(() => {
      running = false
    })
    const latencies: number[] = []
    while (running) {
      const t = performance.now()
      const res = await fetch(`${server.url}/health`)
      await res.arrayBuffer()
      latencies.push(res.status === 200 ? performance.now() - t : Number.POSITIVE_INFINITY)
      await Bun.sleep(10)
    }
    return { slowest: Math.max(...latencies), polls: latencies.length }
  }

  /**
   * Floods `path` three times while asking /health. Returns the answers of each round and
   * by how much the flood slowed /health beyond what as many plain GET /health arriving
   * at once cost just before (on a quiet machine a few ms; with other jobs on its cores,
   * tens to hundreds), in the best round: jobs sharing the machine can stall any process
   * for a moment, while a server the flood itself stalls is slow in every round.
   */
  async function flood(path: string) {
    const answers: string[][] = []
    const slowdowns: number[] = []
    for (let round = 0; round < 3; round++) {
      const burst = Promise.all(
        Array.from({ length: COUNT }, async () => (await fetch(`${server.url}/health`)).arrayBuffer()),
      )
      const ordinary = await slowestHealth(burst)
      const sent = send(path)
      const during = await slowestHealth(sent)
      expect(during.polls).toBeGreaterThan(0)
      expect(statusKb('VmHWM')).toBeLessThan(300 * 1024)
      answers.push([...new Set(await sent)].sort())
      slowdowns.push(during.slowest - ordinary.slowest)
    }
    return { answers, slowdown: Math.min(...slowdowns) }
  }

  function send(path: string): Promise<string[]> {
    return Promise.all(
      Array.from({ length: COUNT }, async () => {
        const res = await fetch(`${server.url}${path}`, {
          method: 'POST',
          body: bomb as BodyInit,
          headers: BR,
        })
        await res.arrayBuffer()
        return `${res.status}${res.status === 429 ? ` retry-after ${res.headers.get('retry-after')}` : ''}`
      }),
    )
  }

  test('keep peak RSS under 300 MB and /health within 100 ms of plain traffic, and events are accepted after', async () => {
    expect(bomb.byteLength).toBeLessThan(4 * 1024)
    const unknown = await flood('/api/999/envelope/')
    const known = await flood('/api/1/envelope/')
    expect(statusKb('VmHWM')).toBeLessThan(300 * 1024)
    expect(unknown.slowdown).toBeLessThan(100)
    expect(known.slowdown).toBeLessThan(100)
    expect(unknown.answers).toEqual(Array(3).fill(['404']))
    // Inflated (the key could be in the envelope), each stops at the 4 MB cap (413) or
    // when the budget is spent (429), which 190 at once always reach.
    expect(known.answers).toEqual(Array(3).fill(['413', '429 retry-after 1']))
    // The budget was given back: a compressed envelope with its key goes through.
    const db = new SqliteBackend(openDatabase(join(dir, 'bloop.db')))
    const key = (await sentryProjectOf(db, 'default'))?.sentry_public_key as string
    await db.close()
    const e = sentryEvent()
    const res = await fetch(`${server.url}/api/1/envelope/?sentry_key=${key}`, {
      method: 'POST',
      body: zlib.brotliCompressSync(envelope({}, [{ type: 'event', payload: e }])) as BodyInit,
      headers: BR,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: e.event_id })
  }, 30_000)
})
