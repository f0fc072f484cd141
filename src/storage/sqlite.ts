/**
 * The SQLite backend of the storage seam (backend.ts) over the bun:sqlite connection that
 * db.ts opens, with its pragmas (WAL, synchronous=NORMAL, busy timeout). Statements are
 * prepared once per SQL text and kept (`statement`), so a call costs what the synchronous
 * call did plus one resolved promise (`npm run bench -- backend`).
 *
 * One connection serves every caller, so a transaction must not interleave with other
 * callers' statements while it awaits: while one is open, statements from outside it wait
 * for its end (`gate`), and transactions run one after another. Outside a transaction a
 * statement runs at once.
 */
import type { Backend, Dialect, Param, PoolStats, Queryable, Row, RunResult, Statement } from './backend'
import type { Db, SQLQueryBindings, Statement as SqliteStatement } from './db'

type Bindings = SQLQueryBindings[]

/** Distinct SQL texts whose prepared statements a backend keeps (every store's fit, with room for dynamic IN lists). */
const STATEMENT_CACHE = 1000

const bind = (p: readonly Param[] | undefined) => (p ?? []) as unknown as Bindings

function runEvery(st: SqliteStatement, rows: readonly (readonly Param[])[]): RunResult {
  let changes = 0
  for (const p of rows) changes += st.run(...bind(p)).changes
  return { changes }
}

function getEvery<T>(st: SqliteStatement, rows: readonly (readonly Param[])[]): (T | null)[] {
  const out: (T | null)[] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = (st.get(...bind(rows[i])) ?? null) as T | null
  return out
}
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`

/** SQLite's spelling of what portable SQL cannot say (backend.ts, `Dialect`). */
export const sqliteDialect: Dialect = {
  // One fts5 phrase: quotes doubled, so `magic-word-ab12` or `a"b` are text, not query syntax.
  textMatch: (search, text) => ({
    sql: `${ident(search.table)} MATCH ?`,
    params: [`"${text.replaceAll('"', '""')}"`],
  }),
}

export class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const
  readonly dialect = sqliteDialect
  /** Resolves when the open transaction ends; null when none is open. */
  private gate: Promise<void> | null = null
  private active = 0
  private readonly direct: Queryable

  /** Prepared statements by SQL text, oldest first (see STATEMENT_CACHE). */
  private readonly statements = new Map<string, SqliteStatement>()

  constructor(readonly db: Db) {
    const q = (sql: string) => this.statement(sql)
    this.direct = {
      kind: 'sqlite',
      dialect: sqliteDialect,
      all: async <T>(sql: string, p?: readonly Param[]) => q(sql).all(...bind(p)) as T[],
      get: async <T>(sql: string, p?: readonly Param[]) => (q(sql).get(...bind(p)) ?? null) as T | null,
      run: async (sql: string, p?: readonly Param[]) => ({ changes: q(sql).run(...bind(p)).changes }),
      exec: async (sql: string) => void db.run(sql),
      insertMany: async (table, columns, rows) => {
        const st = q(
          `INSERT INTO ${ident(table)} (${columns.map(ident).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        )
        for (const r of rows) st.run(...bind(r))
        return rows.length
      },
      runMany: async (sql, rows) => runEvery(q(sql), rows),
      getEach: async <T>(sql: string, rows: readonly (readonly Param[])[]) => getEvery<T>(q(sql), rows),
    }
  }

  /**
   * The prepared statement of `sql`. bun:sqlite's own `db.query` cache keeps only 20 texts
   * (Database.MAX_QUERY_CACHE_SIZE, least recently used out), fewer than one commit of
   * the errors feature runs, so past it every statement would be compiled again on every
   * call. This one keeps STATEMENT_CACHE texts and finalizes the oldest beyond that (a
   * statement runs to completion within one call, so none is in use when it goes).
   */
  private statement(sql: string): SqliteStatement {
    const cached = this.statements.get(sql)
    if (cached) return cached
    const st = this.db.prepare(sql) as SqliteStatement
    if (this.statements.size >= STATEMENT_CACHE) {
      const oldest = this.statements.entries().next().value
      if (oldest) {
        this.statements.delete(oldest[0])
        oldest[1].finalize()
      }
    }
    this.statements.set(sql, st)
    return st
  }

  private async outside<R>(fn: () => R | Promise<R>): Promise<R> {
    while (this.gate) await this.gate
    return await fn()
  }

  all<T = Row>(sql: string, p?: readonly Param[]): Promise<T[]> {
    if (!this.gate) return this.direct.all<T>(sql, p)
    return this.outside(() => this.direct.all<T>(sql, p))
  }

  get<T = Row>(sql: string, p?: readonly Param[]): Promise<T | null> {
    if (!this.gate) return this.direct.get<T>(sql, p)
    return this.outside(() => this.direct.get<T>(sql, p))
  }

  run(sql: string, p?: readonly Param[]): Promise<RunResult> {
    if (!this.gate) return this.direct.run(sql, p)
    return this.outside(() => this.direct.run(sql, p))
  }

  exec(sql: string): Promise<void> {
    return this.outside(() => this.direct.exec(sql))
  }

  insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly Param[])[],
  ): Promise<number> {
    return this.outside(() => this.direct.insertMany(table, columns, rows))
  }

  runMany(sql: string, rows: readonly (readonly Param[])[]): Promise<RunResult> {
    return this.outside(() => this.direct.runMany(sql, rows))
  }

  getEach<T = Row>(sql: string, rows: readonly (readonly Param[])[]): Promise<(T | null)[]> {
    return this.outside(() => this.direct.getEach<T>(sql, rows))
  }

  prepare<T = Row>(sql: string): Statement<T> {
    const st = this.db.prepare(sql) as SqliteStatement
    const now = <R>(fn: () => R, on: Queryable | undefined): Promise<R> =>
      on !== undefined && on !== this
        ? Promise.resolve(fn()) // inside this backend's open transaction: the same connection
        : this.gate
          ? this.outside(fn)
          : Promise.resolve(fn())
    return {
      sql,
      all: (p, on) => now(() => st.all(...bind(p)) as T[], on),
      get: (p, on) => now(() => (st.get(...bind(p)) ?? null) as T | null, on),
      run: (p, on) => now(() => ({ changes: st.run(...bind(p)).changes }), on),
      runMany: (rows, on) => now(() => runEvery(st, rows), on),
    }
  }

  async transaction<R>(work: (tx: Queryable) => Promise<R>): Promise<R> {
    while (this.gate) await this.gate
    let open!: () => void
    this.gate = new Promise<void>((resolve) => {
      open = resolve
    })
    this.active++
    try {
      // Cached prepared statements: the writer thread runs one transaction per task.
      this.statement('BEGIN IMMEDIATE').run()
      try {
        const result = await work(this.direct)
        this.statement('COMMIT').run()
        return result
      } catch (err) {
        if (this.db.inTransaction) this.statement('ROLLBACK').run()
        throw err
      }
    } finally {
      this.active--
      this.gate = null
      open()
    }
  }

  async ping(): Promise<number> {
    const t0 = performance.now()
    await this.get('SELECT 1 AS ok')
    return performance.now() - t0
  }

  pool(): PoolStats {
    return { max: 1, open: 1, active: this.active }
  }

  async close(): Promise<void> {
    while (this.gate) await this.gate
    this.db.close()
  }
}
