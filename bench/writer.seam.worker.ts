/**
 * The writer thread of bench/writer.seam.bench.ts: the same group commit written twice, as
 * a SQLite task on the thread's connection and as a seam task in the thread's
 * SqliteBackend, plus a one-statement task of each kind (a task's fixed cost).
 */
import { statementOf } from '../src/storage/backend'
import type { Db } from '../src/storage/db'
import { seamTask } from '../src/storage/tasks'
import { serveWriter } from '../src/storage/writer.loop'

export type Row = [project: string, fingerprint: string, at: number, message: string]

const INSERT = 'INSERT INTO ev (project_id, fingerprint, received_at, message) VALUES (?, ?, ?, ?)'
const COUNT = `INSERT INTO counts (project_id, fingerprint, n, last_seen) VALUES (?, ?, 1, ?)
  ON CONFLICT (project_id, fingerprint) DO UPDATE SET n = n + 1, last_seen = max(last_seen, excluded.last_seen)`

export const benchTasks = {
  'bench.schema': (db: Db, _a: Record<string, never>) => {
    db.run(`CREATE TABLE IF NOT EXISTS ev (id INTEGER PRIMARY KEY, project_id TEXT NOT NULL,
      fingerprint TEXT NOT NULL, received_at INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS counts (project_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
      n INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (project_id, fingerprint)) WITHOUT ROWID`)
    return null
  },
  /** Today's shape: a transaction of its own, prepared statements, synchronous. */
  'bench.sqlite': (db: Db, a: { rows: Row[] }) => {
    const ins = db.query(INSERT)
    const cnt = db.query(COUNT)
    db.transaction(() => {
      for (const r of a.rows) {
        ins.run(...r)
        cnt.run(r[0], r[1], r[2])
      }
    }).immediate()
    return { n: a.rows.length }
  },
  /** The seam's shape, statement by statement: the writer opened the transaction. */
  'bench.seam': seamTask(async (tx, a: { rows: Row[] }) => {
    for (const r of a.rows) {
      await tx.run(INSERT, r)
      await tx.run(COUNT, [r[0], r[1], r[2]])
    }
    return { n: a.rows.length }
  }),
  /** The seam's bulk shape: one runMany per statement. */
  'bench.seamMany': seamTask(async (tx, a: { rows: Row[] }) => {
    await statementOf(tx, INSERT).runMany(a.rows, tx)
    await statementOf(tx, COUNT).runMany(
      a.rows.map((r) => [r[0], r[1], r[2]]),
      tx,
    )
    return { n: a.rows.length }
  }),
  'bench.sqlitePing': (db: Db, _a: Record<string, never>) => {
    db.transaction(() => db.query('SELECT 1').get()).immediate()
    return { ok: true }
  },
  'bench.seamPing': seamTask(async (tx, _a: Record<string, never>) => {
    await tx.get('SELECT 1')
    return { ok: true }
  }),
}

serveWriter(benchTasks)
