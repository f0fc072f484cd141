/**
 * The only importer of DuckDB (`@duckdb/node-api`). Opens the analytics database with the
 * configured memory limit and thread count and gives the rest of the feature a small API:
 * reads on one connection, writes and transactions on another, values as plain numbers.
 *
 * - The module is loaded lazily (`import()` on first open), so a server with analytics
 *   switched off never maps the 70 MB library, and in the compiled executable the embedded
 *   native files are written out only then (`native.ts`).
 * - A slim build (`bun build.ts --slim`, BLOOP_SLIM defined as "1") has no DuckDB at all;
 *   `SLIM_BUILD` tells the routes to answer 501.
 * - Extension autoloading and autoinstall are switched off: nothing is ever downloaded
 *   at run time (docs/decisions.md, "Running and packaging"). Everything the queries need is in the core engine.
 * - DuckDB runs statements on its own threads; the returned promises keep the event loop
 *   free while it works. Statements on one connection are chained, never concurrent.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api'
import { makePrivateFile } from '../storage/private'
import { setNativeDir } from './native'

/** true in an executable built with `bun build.ts --slim`. */
export const SLIM_BUILD: boolean = process.env.BLOOP_SLIM === '1'

export type Param = string | number | boolean | null | readonly string[]
export type Params = Record<string, Param>
export type Row = Record<string, number | string | boolean | null>
/** One value per column, in the table's column order. */
export type AppendRow = (string | number | null)[]

export interface DuckOptions {
  path: string
  memoryLimit: string
  threads: number
  /** Where the compiled executable writes DuckDB's native files before loading them. */
  nativeDir: string
}

type Api = typeof import('@duckdb/node-api')
let api: Promise<Api> | null = null

function loadApi(nativeDir: string): Promise<Api> {
  if (SLIM_BUILD) return Promise.reject(new Error('DuckDB is not part of this build (bun build.ts --slim)'))
  setNativeDir(nativeDir)
  api ??= import('@duckdb/node-api')
  return api
}

/** A connection whose statements run one after another. */
class Lane {
  private tail: Promise<unknown> = Promise.resolve()
  constructor(
    readonly conn: DuckDBConnection,
    private readonly a: Api,
  ) {}

  /** Runs `fn` after everything queued before it; a failure does not block later work. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => {})
    return run
  }

  async query<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const reader = await this.conn.runAndReadAll(sql, params ? this.values(params) : undefined)
    return reader.getRowObjectsJS().map((r) => plain(r)) as T[]
  }

  values(params: Params): Record<string, DuckDBValue> {
    const out: Record<string, DuckDBValue> = {}
    for (const [k, v] of Object.entries(params)) {
      out[k] = Array.isArray(v) ? this.a.listValue([...v]) : (v as DuckDBValue)
    }
    return out
  }
}

function plain(row: Record<string, unknown>): Row {
  const out: Row = {}
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' ? Number(v) : (v as Row[string])
  }
  return out
}

/** The statements a write transaction may run. */
export interface Tx {
  run(sql: string, params?: Params): Promise<void>
  query<T = Row>(sql: string, params?: Params): Promise<T[]>
  /** Appends rows to `table` (columns in table order) through DuckDB's appender. */
  append(table: string, types: ('varchar' | 'bigint')[], rows: AppendRow[]): Promise<void>
}

export class Duck {
  private closed = false
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly reader: Lane,
    private readonly writer: Lane,
    private readonly path: string,
  ) {}

  /**
   * Like the SQLite file, event data is for the service's user only. DuckDB creates its
   * WAL at the first write after a checkpoint with the process umask (which `serve`
   * restricts); setting the mode after each commit covers a process that did not.
   */
  private makeWalPrivate(): void {
    if (this.path !== ':memory:') makePrivateFile(`${this.path}.wal`)
  }

  static async open(opts: DuckOptions): Promise<Duck> {
    const a = await loadApi(opts.nativeDir)
    const instance = await a.DuckDBInstance.create(opts.path, {
      memory_limit: opts.memoryLimit,
      threads: String(opts.threads),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    })
    const reader = new Lane(await instance.connect(), a)
    const writer = new Lane(await instance.connect(), a)
    if (opts.path !== ':memory:') makePrivateFile(opts.path)
    const duck = new Duck(instance, reader, writer, opts.path)
    duck.makeWalPrivate()
    return duck
  }

  /** A read on the reader connection: sees the last committed state. */
  query<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return this.reader.exclusive(() => this.reader.query<T>(sql, params))
  }

  /** Runs `fn` in one transaction on the writer connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const w = this.writer
    return w.exclusive(async () => {
      await w.conn.run('BEGIN TRANSACTION')
      const tx: Tx = {
        run: async (sql, params) => {
          await w.conn.run(sql, params ? w.values(params) : undefined)
        },
        query: (sql, params) => w.query(sql, params),
        append: async (table, types, rows) => {
          if (rows.length === 0) return
          const appender = await w.conn.createAppender(table)
          try {
            for (const row of rows) {
              for (let i = 0; i < row.length; i++) {
                const v = row[i]
                if (v === null || v === undefined) appender.appendNull()
                else if (types[i] === 'bigint') appender.appendBigInt(BigInt(v))
                else appender.appendVarchar(String(v))
              }
              appender.endRow()
            }
            appender.flushSync()
          } finally {
            appender.closeSync()
          }
        },
      }
      try {
        const out = await fn(tx)
        await w.conn.run('COMMIT')
        this.makeWalPrivate()
        return out
      } catch (err) {
        await w.conn.run('ROLLBACK').catch(() => {})
        throw err
      }
    })
  }

  /** Waits for queued statements, checkpoints the WAL into the file and closes. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.writer.exclusive(() => this.writer.conn.run('CHECKPOINT')).catch(() => {})
    await this.reader.exclusive(async () => {})
    this.reader.conn.closeSync()
    this.writer.conn.closeSync()
    this.instance.closeSync()
  }
}
