/**
 * `exclusive(b, name, work)`: a transaction that no other `exclusive` transaction of the
 * same name overlaps, on either backend, for a store whose rule spans rows (the first
 * user, the last admin, a free slug): the check and the write it guards run in one
 * transaction, and a second such transaction waits until the first has committed, then
 * sees its rows.
 *
 * How, in portable SQL: the transaction first inserts the row `lock:<name>` into `meta`
 * (storage's own table) and deletes it again before it commits. On SQLite, BEGIN
 * IMMEDIATE already admits one writer at a time, and the row is never seen. On PostgreSQL
 * (READ COMMITTED) a second insert of the same key waits on the first transaction's
 * uncommitted row until that transaction ends, then finds no row and goes on; every
 * later statement of it sees what the first committed. Roads not taken: `SELECT ... FOR
 * UPDATE` (SQLite has none), `pg_advisory_xact_lock` (a branch on the backend in every
 * store), a lock row that stays (a row in `meta` that only locking wrote, there forever).
 */
import type { Backend, Queryable } from './backend'

export function exclusive<R>(b: Backend, name: string, work: (tx: Queryable) => Promise<R>): Promise<R> {
  const key = `lock:${name}`
  return b.transaction(async (tx) => {
    await tx.run(
      "INSERT INTO meta (key, value) VALUES (?, '') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [key],
    )
    const result = await work(tx)
    await tx.run('DELETE FROM meta WHERE key = ?', [key])
    return result
  })
}
