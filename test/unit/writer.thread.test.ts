/**
 * The writer thread (src/storage/writer.loop.ts) serving both kinds of task of one table:
 * seam tasks, which await, still run strictly one at a time and in arrival order among
 * SQLite tasks; each resolves only once its transaction committed; a failing seam task
 * rolls back whole and is run once more, as a SQLite task is.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryLogger } from '../../src/ops/log'
import { type Db, openDatabase } from '../../src/storage/db'
import { Writer, WriterError } from '../../src/storage/writer'
import type { tasks } from '../fixtures/writer/seam.worker'

const dir = mkdtempSync(join(tmpdir(), 'bloop-writer-thread-'))
const dbPath = join(dir, 'bloop.db')
let w: Writer<typeof tasks>
let reader: Db

beforeAll(async () => {
  w = new Writer<typeof tasks>({
    workerUrl: new URL('../fixtures/writer/seam.worker.ts', import.meta.url).href,
    dbPath,
    log: memoryLogger('error'),
  })
  await w.whenReady()
  await w.run('test.schema', {})
  reader = openDatabase(dbPath)
})

afterAll(async () => {
  await w.close()
  reader.close()
  rmSync(dir, { recursive: true, force: true })
})

const keys = () => (reader.query('SELECT k FROM log ORDER BY id').all() as { k: string }[]).map((r) => r.k)

describe('the writer thread with seam tasks', () => {
  test('runs seam and SQLite tasks one at a time, in arrival order, each answered once committed', async () => {
    const seen: string[][] = []
    const after = <R>(p: Promise<R>) =>
      p.then((r) => {
        seen.push(keys())
        return r
      })
    const results = await Promise.all([
      after(w.run('test.seam', { keys: ['a1', 'a2', 'a3'], pauseMs: 20 })),
      after(w.run('test.sqlite', { key: 'b' })),
      after(w.run('test.seam', { keys: ['c1', 'c2'], pauseMs: 5 })),
      after(w.run('test.sqlite', { key: 'd' })),
    ])
    expect(results).toEqual([
      { n: 3, most: 1 },
      { n: 4, most: 1 },
      { n: 6, most: 1 },
      { n: 7, most: 1 },
    ])
    expect(keys()).toEqual(['a1', 'a2', 'a3', 'b', 'c1', 'c2', 'd'])
    // Each answer came after its rows were visible to another connection (committed).
    expect(seen[0]?.slice(0, 3)).toEqual(['a1', 'a2', 'a3'])
    expect(seen[2]).toContain('c2')
  })

  test('a failing seam task rolls back each attempt and is run once more', async () => {
    await w.run('test.reset', {})
    expect(await w.run('test.failing', { key: 'f1', times: 1 })).toEqual({ attempts: 2 })
    expect(reader.query("SELECT count(*) AS n FROM log WHERE k = 'f1'").get()).toEqual({ n: 1 })

    await w.run('test.reset', {})
    const failed = w.run('test.failing', { key: 'f2', times: 2 })
    const next = w.run('test.sqlite', { key: 'g' })
    const err = await failed.then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(WriterError)
    expect({ message: (err as WriterError).message, code: (err as WriterError).code }).toEqual({
      message: 'attempt 2 failed',
      code: 'TEST_FAIL',
    })
    expect((await next).n).toBe(keys().length)
    expect(reader.query("SELECT count(*) AS n FROM log WHERE k = 'f2'").get()).toEqual({ n: 0 })
  })

  test('an unknown task is refused and the thread serves the next one', async () => {
    await expect(w.run('test.nope' as 'test.sqlite', { key: 'x' })).rejects.toThrow(
      'expected a registered writer task, got test.nope',
    )
    expect((await w.run('test.sqlite', { key: 'h' })).most).toBe(1)
  })
})
