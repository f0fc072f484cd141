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
function heldQueue(name: string, load: WriterLoad, o: { capacity?: number; batchSize?: number } = {}) {
  const batches: number[][] = []
  const waiting: (() => void)[] = []
  const queue = new BatchQueue<number, number[], number[]>({
    name,
    capacity: o.capacity ?? 100,
    batchSize: o.batchSize ?? 10,
    commit: (items) => {
      batches.push(items)
      return new Promise((resolve) => waiting.push(() => resolve(items.map((x) => x * 2))))
    },
    ack: (result, from, count) => result.slice(from, from + count),
    empty: () => [],
    load,
    log,
  })
  const release = async () => {
    for (let i = 0; i < 50 && waiting.length === 0; i++) await Bun.sleep(1)
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
