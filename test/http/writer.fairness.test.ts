/**
 * Fair scheduling on the real writer thread (storage/queue.ts, "Fairness"): the writer
 * runs one task at a time in arrival order and each queue keeps at most one batch there,
 * so a request on one queue waits for at most one batch of another, however many that
 * other has waiting. And the retention sweeper yields to every queue, not only errors'.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { CommitResult, NormalizedEvent } from '../../src/errors'
import { MIGRATIONS } from '../../src/features'
import { createLogger } from '../../src/ops/log'
import { openDatabase } from '../../src/storage/db'
import { WriterLoad } from '../../src/storage/load'
import { migrate } from '../../src/storage/migrate'
import { BatchQueue } from '../../src/storage/queue'
import { openWriter, type ServerWriter } from '../../src/writer'
import { normalizedEvent, startRuntime, type TestRuntime, tempDir } from '../helpers'

const log = createLogger('error')
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

async function writerOnFreshDb(): Promise<ServerWriter> {
  const dir = tempDir()
  const path = join(dir, 'bloop.db')
  const db = openDatabase(path)
  migrate(db, MIGRATIONS)
  db.close()
  const writer = openWriter({ dbPath: path, log })
  await writer.whenReady()
  cleanup.push(async () => {
    await writer.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return writer
}

/** A queue of events committed by `errors.commit`, logging each commit's end into `order`. */
function eventQueue(
  name: string,
  writer: ServerWriter,
  load: WriterLoad,
  order: string[],
  batchSize: number,
) {
  return new BatchQueue<NormalizedEvent, CommitResult, number>({
    name,
    capacity: 1_000_000,
    batchSize,
    commit: async (events) => {
      const r = await writer.run('errors.commit', { events, sampleSize: 5 })
      order.push(name)
      return r
    },
    ack: (r, from, count) => r.inserted.slice(from, from + count).reduce((a, b) => a + b, 0),
    empty: () => 0,
    load,
    log,
  })
}

const events = (n: number, project: string, offset = 0) =>
  Array.from({ length: n }, (_, i) =>
    normalizedEvent({
      project_id: project,
      fingerprint: `fp-${i % 50}`,
      request_id: `${project}-${offset + i}`,
    }),
  )

describe('two queues on one writer thread', () => {
  test("while queue A is saturated with large batches, queue B's one request is committed after at most one of A's", async () => {
    const writer = await writerOnFreshDb()
    const load = new WriterLoad()
    const order: string[] = []
    const a = eventQueue('a', writer, load, order, 2000)
    const b = eventQueue('b', writer, load, order, 2000)
    // Ten batches of 2000 events: A keeps the writer busy for many commits.
    const bursts = Array.from({ length: 10 }, (_, i) => a.submit(events(2000, 'pa', i * 2000)))
    // Once A's first batch is at the writer (and nine wait), B sends one event.
    await Bun.sleep(1)
    expect(a.depth).toBe(18_000)
    const committedBefore = order.length
    const acked = b.submit(events(1, 'pb'))
    if (acked === 'full') throw new Error('expected room for one event')
    expect(await acked).toBe(1)
    const aDuring = order.slice(committedBefore, order.indexOf('b')).filter((q) => q === 'a').length
    expect({ aBatchesBeforeB: aDuring, aStillWaiting: a.depth > 0 }).toEqual({
      aBatchesBeforeB: 1,
      aStillWaiting: true,
    })
    for (const p of bursts) expect(await p).toBe(2000)
    expect(order.filter((q) => q === 'a')).toHaveLength(10)
  })
})

describe('the retention sweeper and every ingest queue', () => {
  let rt: TestRuntime
  afterEach(async () => {
    await rt?.dispose()
  })

  test("yields to a feature's own queue: idle only once it is, active after it commits", async () => {
    rt = await startRuntime()
    const { deps } = rt.features.retention.sweeper
    let release: () => void = () => {}
    // A second feature's queue on the same load, with a commit the test holds.
    const other = new BatchQueue<number, number>({
      name: 'other',
      capacity: 10,
      batchSize: 10,
      commit: () => new Promise<number>((resolve) => (release = () => resolve(1))),
      ack: (r) => r,
      empty: () => 0,
      load: rt.core.load,
      log,
    })
    expect(deps.ingestActive?.()).toBe(false)
    const acked = other.submit([1])
    if (acked === 'full') throw new Error('expected room')
    let idle = false
    void deps.ingestIdle?.().then(() => {
      idle = true
    })
    await Bun.sleep(20)
    expect(idle).toBe(false)
    release()
    await acked
    await Bun.sleep(1)
    expect(idle).toBe(true)
    expect(deps.ingestActive?.()).toBe(true)
  })
})
