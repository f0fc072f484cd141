/**
 * The fragments a store asks of the seam (src/storage/backend.ts, `Dialect`), on both
 * backends with the same rows: `textMatch` finds a substring of any one column, ASCII case
 * ignored, never across two columns, and reads no character of the text as syntax (fts5's
 * quotes, LIKE's `%`, `_` and `\`).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { Backend, SearchTable } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const SEARCH: SearchTable = { table: 'docs_search', columns: ['title', 'body'] }
const ROWS: [number, string, string][] = [
  [1, 'Rate limit reached', 'the upstream said 429'],
  [2, '100% done', 'a_b and "quoted" text'],
  [3, 'back\\slash', 'ends with abc'],
  [4, 'xyz start', 'axb'],
]

for (const kind of BACKENDS) {
  describe(`textMatch on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg())).backend
      // The schema twins' two shapes of a search table (backend.ts, `SearchTable`).
      await b.exec(
        kind === 'sqlite'
          ? "CREATE VIRTUAL TABLE docs_search USING fts5(title, body, tokenize = 'trigram')"
          : `CREATE EXTENSION IF NOT EXISTS pg_trgm;
             CREATE TABLE docs_search (rowid BIGINT PRIMARY KEY, title TEXT, body TEXT);
             CREATE INDEX docs_search_trgm ON docs_search USING gin ((coalesce(title, '') || ' ' || coalesce(body, '')) gin_trgm_ops);`,
      )
      for (const r of ROWS) await b.run('INSERT INTO docs_search (rowid, title, body) VALUES (?, ?, ?)', r)
    })

    const find = async (text: string) => {
      const m = b.dialect.textMatch(SEARCH, text)
      const rows = await b.all<{ rowid: number }>(
        `SELECT rowid FROM docs_search WHERE ${m.sql} ORDER BY rowid`,
        m.params,
      )
      return rows.map((r) => r.rowid)
    }

    test('a substring of either column, ASCII case ignored', async () => {
      expect(await find('rate LIMIT')).toEqual([1])
      expect(await find('stream said')).toEqual([1])
      expect(await find('abc')).toEqual([3])
      expect(await find('nowhere')).toEqual([])
    })

    test('never a match across two columns', async () => {
      // Row 4 is "xyz start" then "axb": joined they would read "start axb".
      expect(await find('start axb')).toEqual([])
      expect(await find('start')).toEqual([4])
    })

    test('no character of the text is syntax', async () => {
      expect(await find('100%')).toEqual([2])
      expect(await find('0% d')).toEqual([2])
      expect(await find('a_b')).toEqual([2])
      // `_` and `%` are not wildcards: "axb" is not "a_b".
      expect(await find('x_b')).toEqual([])
      expect(await find('"quoted"')).toEqual([2])
      expect(await find('k\\sl')).toEqual([3])
      expect(await find('%%%')).toEqual([])
    })
  })
}
