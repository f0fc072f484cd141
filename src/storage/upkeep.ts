/**
 * Upkeep that each database does its own way, asked through the seam by the retention
 * feature (docs/ARCHITECTURE.md, "Storage backends"), so no store branches on the backend:
 *
 * - Daily receive-time partitions (PostgreSQL only: `raw_events` and `llm_spans` are
 *   range-partitioned there, by storage's twin `001_meta.pg.sql`). `partitionsAhead`
 *   creates the missing ones from yesterday through `days` ahead (the scheduler calls it
 *   on start and hourly; a row outside every partition is refused, so a server that was
 *   down longer than the migration's 7 days must create today's before ingest).
 *   `dropPartitionsBefore` drops those whose whole day lies before a cutoff (their
 *   tables' receive time is `received_at`), or none when the table's lock is not had
 *   within DROP_LOCK_TIMEOUT_MS. SQLite has no partitions: both answer 0 and do nothing.
 * - The database's size: SQLite's file pages, its free pages (what incremental vacuum
 *   returns) and the WAL file; PostgreSQL's `pg_database_size` (free space inside its
 *   files is autovacuum's, not reported; there is no WAL file of bloop's).
 */
import { statSync } from 'node:fs'
import type { Backend } from './backend'
import type { SqliteBackend } from './sqlite'

/** How long dropping a partition may wait for its table's lock (see dropPartitionsBefore). */
export const DROP_LOCK_TIMEOUT_MS = 1000
/** PostgreSQL's SQLSTATE for a lock wait past lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03'

/** The partitions' width (storage imports no feature or core module, so stated here). */
const DAY_MS = 86_400_000

/** Creates the missing daily partitions of every partitioned table, yesterday through `days` ahead. */
export async function partitionsAhead(b: Backend, days: number): Promise<number> {
  if (b.kind !== 'postgres') return 0
  const r = await b.get<{ n: number }>('SELECT bloop_partitions_ahead(?) AS n', [Math.floor(days)])
  return Number(r?.n ?? 0)
}

export interface Dropped {
  /** Partitions dropped. */
  dropped: number
  /** Their rows by the value of `countBy` (only when asked for). */
  counts: Record<string, number>
}

/**
 * Drops the daily partitions of `table` whose whole day is before `cutoffMs` (a day
 * boundary, or the days wholly before it go). With `countBy` (a column), their rows are
 * first counted by it in the same transaction, so what was dropped can be reported. The
 * rows of the `alongside` tables (each with a `received_at`) received before that day go
 * in the same transaction: the key rows that stand for the dropped rows (`raw_event_ids`).
 */
export async function dropPartitionsBefore(
  b: Backend,
  table: string,
  cutoffMs: number,
  countBy?: string,
  alongside: readonly string[] = [],
): Promise<Dropped> {
  const none = { dropped: 0, counts: {} }
  if (b.kind !== 'postgres') return none
  const day = Math.floor(cutoffMs / DAY_MS) * DAY_MS
  try {
    return await b.transaction(async (tx) => {
      // Dropping a partition locks its parent table exclusively: queued behind a long
      // reader it would hold every insert behind it. Past this wait it gives up instead,
      // and the caller's row-by-row path deletes the same rows.
      await tx.exec(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT_MS}ms'`)
      const rows = countBy
        ? await tx.all<{ k: string; n: number }>(
            `SELECT ${countBy} AS k, count(*) AS n FROM ${table} WHERE received_at < ? GROUP BY ${countBy}`,
            [day],
          )
        : []
      const r = await tx.get<{ n: number }>('SELECT bloop_partitions_drop_before(?, ?) AS n', [table, day])
      const dropped = Number(r?.n ?? 0)
      if (dropped > 0)
        for (const t of alongside) await tx.run(`DELETE FROM ${t} WHERE received_at < ?`, [day])
      const counts: Record<string, number> = {}
      if (dropped > 0) for (const row of rows) counts[row.k] = Number(row.n)
      return { dropped, counts }
    })
  } catch (err) {
    if (String((err as { errno?: unknown }).errno) === LOCK_NOT_AVAILABLE) return none
    throw err
  }
}

/** The daily partitions of `table` (PostgreSQL; none on SQLite), oldest first, by name. */
export async function partitionsOf(b: Backend, table: string): Promise<string[]> {
  if (b.kind !== 'postgres') return []
  const rows = await b.all<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass(?) ORDER BY c.relname`,
    [table],
  )
  return rows.map((r) => r.name)
}

export interface DatabaseSize {
  /** SQLite: page_count x page_size, without the WAL. PostgreSQL: pg_database_size. */
  db_size_bytes: number
  /** SQLite: free pages inside the file, not yet returned by incremental vacuum. PostgreSQL: 0. */
  free_bytes: number
  /** SQLite: the write-ahead log file (checkpointed regularly). PostgreSQL: 0. */
  wal_size_bytes: number
}

export async function databaseSize(b: Backend): Promise<DatabaseSize> {
  if (b.kind === 'postgres') {
    const r = await b.get<{ n: number }>('SELECT pg_database_size(current_database()) AS n')
    return { db_size_bytes: Number(r?.n ?? 0), free_bytes: 0, wal_size_bytes: 0 }
  }
  const db = (b as SqliteBackend).db
  const pragma = (name: string) => (db.query(`PRAGMA ${name}`).get() as Record<string, number>)[name] ?? 0
  const pageSize = pragma('page_size')
  return {
    db_size_bytes: pragma('page_count') * pageSize,
    free_bytes: pragma('freelist_count') * pageSize,
    wal_size_bytes: walSizeOf(db.filename),
  }
}

/** Size of a database file's write-ahead log; 0 when there is none (or an in-memory database). */
export function walSizeOf(dbPath: string): number {
  if (dbPath === '' || dbPath === ':memory:') return 0
  try {
    return statSync(`${dbPath}-wal`).size
  } catch {
    return 0
  }
}
