/**
 * The storage seam: what a store needs from a database, asynchronous so that a network
 * database fits, with one implementation per backend (sqlite.ts over bun:sqlite,
 * postgres.ts over Bun's built-in PostgreSQL client). Only storage/ knows which one runs;
 * a store receives a `Backend` and writes its SQL once (docs/ARCHITECTURE.md, "Storage
 * backends").
 *
 * Portable SQL, as stores write it: `?` (or `?N`) placeholders; `INSERT ... ON CONFLICT
 * (...) DO UPDATE SET x = excluded.x` / `DO NOTHING`; `RETURNING` for generated keys (there
 * is no lastInsertRowid); `INSERT OR IGNORE`; two-argument `max(a, b)` / `min(a, b)`;
 * integers as numbers, booleans as 1/0, blobs as Uint8Array. Inside `transaction(work)`
 * every statement goes through the `tx` it is given: on SQLite a statement sent to the
 * backend itself waits for the transaction to end.
 * Each backend translates what its database spells differently, in one place (for
 * PostgreSQL: `translate` in postgres.ts), and hands rows back in SQLite's shapes.
 * `sum()` of integers is cast by the store (`CAST(sum(x) AS INTEGER)`), so both answer a
 * number.
 */

/** A value bound to a placeholder. */
export type Param = string | number | bigint | boolean | null | Uint8Array

export type Row = Record<string, unknown>

export interface RunResult {
  /** Rows the statement wrote. */
  changes: number
}

/** A piece of a statement with its own parameters, spliced into a store's SQL where it belongs. */
export interface Fragment {
  sql: string
  params: Param[]
}

/**
 * A search table of the schema: on SQLite an fts5 table with the trigram tokenizer, on
 * PostgreSQL a plain table with a pg_trgm GIN index on its `columns` joined by a space
 * (`coalesce(c, '') || ' ' || ...`, in this order). The schema twins make them so.
 */
export interface SearchTable {
  table: string
  columns: readonly string[]
}

/**
 * What a store cannot write once for both databases, asked of the backend instead of
 * branching on it (docs/ARCHITECTURE.md, "Storage backends"): each backend answers in its
 * own spelling.
 */
export interface Dialect {
  /**
   * A condition on the rows of `search` (use it in `SELECT rowid FROM <table> WHERE ...`):
   * `text` occurs in one of its columns, as a substring, ASCII case ignored. SQLite: one fts5
   * phrase (`MATCH`; quotes doubled, so no character of `text` is query syntax). PostgreSQL:
   * `ILIKE` on the indexed concatenation (the trigram index answers it), then per column, so
   * a match never spans two columns, as an fts5 phrase cannot; `%`, `_` and `\` are escaped.
   * `text` must have at least 3 characters (a trigram) and no NUL.
   */
  textMatch(search: SearchTable, text: string): Fragment
}

/** What runs SQL: the backend itself, or one open transaction. */
export interface Queryable {
  /**
   * Which database answers. For storage's own maintenance (tasks.ts: vacuum); a store
   * never branches on it, it writes its SQL once and the backend translates.
   */
  readonly kind: BackendKind
  /** How this backend spells what portable SQL cannot say (Dialect). */
  readonly dialect: Dialect
  all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]>
  /** The first row, or null. */
  get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | null>
  run(sql: string, params?: readonly Param[]): Promise<RunResult>
  /** Several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>
  /**
   * Inserts rows (values in `columns` order) into `table`: the bulk path for many rows at
   * once. SQLite runs its prepared INSERT per row; PostgreSQL streams them with COPY.
   * Returns the rows inserted. A conflict fails the whole call (no upsert semantics).
   */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly Param[])[]): Promise<number>
  /**
   * Runs `sql` once per parameter list, in order: the bulk path of a commit's upserts.
   * SQLite loops over its prepared statement without a promise per row; PostgreSQL sends
   * the rows pipelined on the connection instead of one round trip each.
   */
  runMany(sql: string, rows: readonly (readonly Param[])[]): Promise<RunResult>
  /**
   * Like `runMany`, resolving with the first row each run returned, null where it returned
   * none: a bulk `INSERT ... RETURNING` (the generated ids of a batch, or which rows an
   * `ON CONFLICT DO NOTHING` claimed).
   */
  getEach<T = Row>(sql: string, rows: readonly (readonly Param[])[]): Promise<(T | null)[]>
}

/**
 * A statement prepared once and run many times: a cached prepared statement on SQLite, a
 * named prepared statement per connection on PostgreSQL (Bun.sql prepares and caches them
 * by text). `on(tx)` runs it inside a transaction.
 */
export interface Statement<T = Row> {
  readonly sql: string
  all(params?: readonly Param[], on?: Queryable): Promise<T[]>
  get(params?: readonly Param[], on?: Queryable): Promise<T | null>
  run(params?: readonly Param[], on?: Queryable): Promise<RunResult>
  /**
   * Runs the statement once per parameter list, in order: the writer's bulk path (a
   * commit's rows). SQLite loops without a promise per row; PostgreSQL pipelines the rows
   * on the transaction's connection instead of one round trip each.
   */
  runMany(rows: readonly (readonly Param[])[], on?: Queryable): Promise<RunResult>
}

export interface PoolStats {
  /** Connections the backend may open (1 for SQLite's main connection). */
  max: number
  /** Connections open now. */
  open: number
  /** Transactions running now. */
  active: number
}

export type BackendKind = 'sqlite' | 'postgres'

export interface Backend extends Queryable {
  readonly kind: BackendKind
  prepare<T = Row>(sql: string): Statement<T>
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * SQLite takes the write lock at the start (BEGIN IMMEDIATE), so a transaction never
   * fails half-way on a lock; PostgreSQL reserves a pooled connection for it. This is the
   * writer's group commit: one queue batch, one transaction, one commit.
   */
  transaction<R>(work: (tx: Queryable) => Promise<R>): Promise<R>
  /** A round trip to the database; resolves with its latency in milliseconds. */
  ping(): Promise<number>
  pool(): PoolStats
  close(): Promise<void>
}

/** Builds a Statement from a backend's own run functions. */
export function statementOf<T>(b: Queryable, sql: string): Statement<T> {
  return {
    sql,
    all: (p, on) => (on ?? b).all<T>(sql, p),
    get: (p, on) => (on ?? b).get<T>(sql, p),
    run: (p, on) => (on ?? b).run(sql, p),
    runMany: (rows, on) => (on ?? b).runMany(sql, rows),
  }
}
