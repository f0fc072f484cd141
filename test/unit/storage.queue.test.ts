/**
 * BatchQueue and WriterLoad without a writer thread: commits are promises the test settles,
 * so what waits for what is exact.
 */
import { describe, expect, test } from 'bun:test'
import { createLogger } from '../../src/ops/log'
import { WriterLoad } from '../../src/storage/load'
import { BatchQueue } from '../../src/storage/queue'

const log = createLogger('error')

/** A queue whose commits wait until the test releases them; `batches` records what was sent. */
function heldQueue(
  name: string,
  load: WriterLoad,
  o: { capacity?: number; batchSize?: number; delayMs?: number } = {},
) {
  const batches: number[][] = []
  const waiting: (() => void)[] = []
  const queue = new BatchQueue<number, number[], number[]>({
    name,
    capacity: o.capacity ?? 100,
    batchSize: o.batchSize ?? 10,
    delayMs: o.delayMs ?? 0,
    commit: (items) => {
      batches.push(items)
      return new Promise((resolve) => waiting.push(() => resolve(items.map((x) => x * 2))))
    },
    ack: (result, from, count) => result.slice(from, from + count),
    empty: () => [],
    load,
    log,
  })
  /** Settles the oldest commit, waiting up to `waitMs` for one to arrive. */
  const release = async (waitMs = 50) => {
    for (let i = 0; i < waitMs && waiting.length === 0; i++) await Bun.sleep(1)
    waiting.shift()?.()
    await Bun.sleep(0)
  }
  return { queue, batches, release, inFlight: () => waiting.length }
}

const settled = async (p: Promise<unknown>) => {
  let done = false
  p.then(() => {
    done = true
  })
  await Bun.sleep(5)
  return done
}

describe('a batch queue', () => {
  test('admits a request whole or not at all, and answers each request with its own slice', async () => {
    const load = new WriterLoad()
    const q = heldQueue('a', load, { capacity: 5 })
    const first = q.queue.submit([1, 2, 3])
    expect(q.queue.submit([4, 5, 6])).toBe('full')
    const second = q.queue.submit([4, 5])
    await q.release()
    expect(await first).toEqual([2, 4, 6])
    await q.release()
    expect(await second).toEqual([8, 10])
  })

  test('keeps at most one batch at the writer; what arrives meanwhile is group-committed next', async () => {
    const load = new WriterLoad()
    const q = heldQueue('a', load)
    const first = q.queue.submit([1])
    await Bun.sleep(1)
    const pending = [first, q.queue.submit([2]), q.queue.submit([3, 4])]
    await Bun.sleep(1)
    expect(q.batches).toEqual([[1]])
    expect(q.inFlight()).toBe(1)
    await q.release()
    expect(q.batches).toEqual([[1], [2, 3, 4]])
    await q.release()
    expect(await Promise.all(pending)).toEqual([[2], [4], [6, 8]])
  })
})

describe('a batch queue with a commit delay', () => {
  /** A queue of delay `delayMs` that has just committed one batch (so it is under load). */
  async function busyQueue(o: { delayMs: number; batchSize?: number; capacity?: number }) {
    const q = heldQueue('a', new WriterLoad(), o)
    const first = q.queue.submit([0])
    await q.release(2000)
    expect(await first).toEqual([0])
    return q
  }

  test('commits a lone request at a quiet queue at once', async () => {
    const q = heldQueue('a', new WriterLoad(), { delayMs: 10_000 })
    const started = performance.now()
    const ack = q.queue.submit([1])
    await q.release(2000)
    expect(await ack).toEqual([2])
    expect(performance.now() - started).toBeLessThan(1000)
  })

  test('under load, lets a batch wait for the delay and gathers what arrives meanwhile', async () => {
    const q = await busyQueue({ delayMs: 150 })
    const started = performance.now()
    const a = q.queue.submit([1])
    await Bun.sleep(20)
    const b = q.queue.submit([2, 3])
    await Bun.sleep(20)
    // Still gathering: nothing went to the writer after the first batch.
    expect(q.batches).toEqual([[0]])
    await q.release(2000)
    expect(q.batches).toEqual([[0], [1, 2, 3]])
    expect(await a).toEqual([2])
    expect(await b).toEqual([4, 6])
    // Sent once its oldest request had waited the delay (timers may fire a little early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  test('sends a batch that fills at once, without waiting for the delay', async () => {
    const q = await busyQueue({ delayMs: 10_000, batchSize: 3 })
    const started = performance.now()
    const a = q.queue.submit([1])
    const b = q.queue.submit([2, 3])
    await q.release(2000)
    expect(q.batches).toEqual([[0], [1, 2, 3]])
    expect(await Promise.all([a, b])).toEqual([[2], [4, 6]])
    expect(performance.now() - started).toBeLessThan(1000)
  })

  test('commits at once again after the queue has been quiet for longer than the delay', async () => {
    const q = await busyQueue({ delayMs: 30 })
    await Bun.sleep(60)
    const started = performance.now()
    const ack = q.queue.submit([1])
    await Bun.sleep(5)
    expect(q.batches).toEqual([[0], [1]])
    await q.release(2000)
    expect(await ack).toEqual([2])
    expect(performance.now() - started).toBeLessThan(30)
  })

  test('still answers full while a batch waits: capacity counts the waiting items', async () => {
    const q = await busyQueue({ delayMs: 100, capacity: 3 })
    const a = q.queue.submit([1, 2])
    expect(q.queue.submit([3, 4])).toBe('full')
    const b = q.queue.submit([3])
    await q.release(2000)
    expect(q.batches).toEqual([[0], [1, 2, 3]])
    expect(await Promise.all([a, b])).toEqual([[2, 4], [6]])
  })
})

describe('the writer load, across queues', () => {
  test('is idle only when every queue is: a busy second queue holds it', async () => {
    const load = new WriterLoad()
    const a = heldQueue('a', load)
    const b = heldQueue('b', load)
    expect(await settled(load.idle())).toBe(true)
    void b.queue.submit([1])
    const idle = load.idle()
    expect(await settled(idle)).toBe(false)
    void a.queue.submit([2])
    await b.release()
    expect(await settled(idle)).toBe(false)
    await a.release()
    expect(await settled(idle)).toBe(true)
  })

  test('is active for a second after a commit of any queue', async () => {
    let now = 0
    const load = new WriterLoad(() => now)
    heldQueue('a', load)
    const b = heldQueue('b', load)
    expect(load.active()).toBe(false)
    const ack = b.queue.submit([1])
    await b.release()
    await ack
    expect(load.active()).toBe(true)
    now = 999
    expect(load.active()).toBe(true)
    now = 1000
    expect(load.active()).toBe(false)
  })

  test('reports the fullest queue as the buffer usage', async () => {
    const load = new WriterLoad()
    const a = heldQueue('a', load, { capacity: 10, batchSize: 1 })
    const b = heldQueue('b', load, { capacity: 4, batchSize: 1 })
    void a.queue.submit([1])
    void a.queue.submit([2])
    void b.queue.submit([1])
    void b.queue.submit([2])
    void b.queue.submit([3])
    await Bun.sleep(1)
    // One of each is at the writer; a has 1 of 10 waiting, b 2 of 4.
    expect(load.bufferUsage()).toBe(0.5)
  })

  test('refuses a second queue of the same name', () => {
    const load = new WriterLoad()
    heldQueue('errors', load)
    expect(() => heldQueue('errors', load)).toThrow('expected one queue named errors, got a second')
  })
})
