/**
 * SqliteBackend keeps its own prepared statements by SQL text (bun:sqlite's db.query keeps
 * only 20): past its cap the oldest is finalized, and a text seen again is prepared again,
 * inside a transaction as outside one.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/storage/db'
import { SqliteBackend } from '../../src/storage/sqlite'

const dir = mkdtempSync(join(tmpdir(), 'bloop-stmts-'))
const b = new SqliteBackend(openDatabase(join(dir, 'bloop.db')))
afterAll(async () => {
  await b.close()
  rmSync(dir, { recursive: true, force: true })
})

test('more distinct statements than the cache holds all answer, and evicted ones are prepared again', async () => {
  const texts = Array.from({ length: 1500 }, (_, i) => `SELECT ${i} AS x, ? AS p`)
  for (const [i, sql] of texts.entries()) expect(await b.get(sql, [i])).toEqual({ x: i, p: i })
  // The first texts were evicted (finalized) long ago; the newest are still held.
  expect(await b.get(texts[0] as string, ['again'])).toEqual({ x: 0, p: 'again' })
  expect(await b.get(texts[1499] as string, ['again'])).toEqual({ x: 1499, p: 'again' })
  const inTx = await b.transaction(async (tx) =>
    Promise.all(texts.slice(0, 50).map((sql, i) => tx.get(sql, [-i]))),
  )
  expect(inTx.map((r) => (r as { x: number }).x)).toEqual(Array.from({ length: 50 }, (_, i) => i))
})
