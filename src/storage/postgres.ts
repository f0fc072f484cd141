/**
 * The PostgreSQL backend of the storage seam (backend.ts) on Bun's built-in client
 * (`Bun.sql`: a connection pool, named prepared statements cached per connection,
 * pipelining, COPY, TLS), so no driver is added; this is its only importer. Every
 * statement goes through the dialect's translation and every row through its
 * normalisation (postgres.dialect.ts); the schema is each migration's `.pg.sql` twin
 * (migrate.ts), with receive-time partitions (`bloop_partitions_ahead`,
 * storage/migrations/001_meta.pg.sql).
 */
import { SQL } from 'bun'
import type { Backend, Param, PoolStats, Queryable, Row, RunResult, Statement } from './backend'
import { statementOf } from './backend'
import { copyText, ident, normalise, postgresDialect, type Result, translated } from './postgres.dialect'

export { normalise, translate } from './postgres.dialect'

export interface PostgresOptions {
  url: string
  /** Connections in the pool. */
  max: number
  /** Milliseconds a statement may run before the server cancels it (0: no limit). */
  statementTimeoutMs: number
  /** Seconds to wait for a new connection. */
  connectTimeoutSecs: number
  /** An SSL mode (disable, prefer, require, verify-ca, verify-full). */
  tls: string
  /** A CA certificate file (PEM) to verify the server against; '' for the system's. */
  tlsCaFile: string
}

type Client = SQL

function queryableOf(client: Client): Queryable {
  const all = async <T>(sql: string, p?: readonly Param[]): Promise<T[]> =>
    normalise<T>((await client.unsafe(translated(sql), (p ?? []) as unknown[])) as Result)
  const run = async (sql: string, p?: readonly Param[]): Promise<RunResult> => {
    const r = (await client.unsafe(translated(sql), (p ?? []) as unknown[])) as Result
    return { changes: r.affectedRows ?? r.count ?? 0 }
  }
  return {
    kind: 'postgres',
    dialect: postgresDialect,
    all,
    get: async <T>(sql: string, p?: readonly Param[]) => ((await all<T>(sql, p))[0] ?? null) as T | null,
    run,
    // Every row's statement is sent before the first answer is awaited: Bun.sql pipelines
    // them on the connection (inside a transaction, its reserved one), in order.
    runMany: async (sql, rows) => {
      const results = await Promise.all(rows.map((p) => run(sql, p)))
      return { changes: results.reduce((n, r) => n + r.changes, 0) }
    },
    getEach: async <T>(sql: string, rows: readonly (readonly Param[])[]) =>
      (await Promise.all(rows.map((p) => all<T>(sql, p)))).map((r) => r[0] ?? null),
    // Several statements go through the simple protocol: no parameters, no translation
    // (migrations are written for PostgreSQL in their .pg.sql twins).
    exec: async (sql: string) => void (await client.unsafe(sql)),
    insertMany: async (table, columns, rows) => {
      if (rows.length === 0) return 0
      const copy = client.unsafe(`COPY ${ident(table)} (${columns.map(ident).join(', ')}) FROM STDIN`)
      const writer = copy.writable().getWriter()
      let chunk = ''
      for (const r of rows) {
        chunk += `${r.map(copyText).join('\t')}\n`
        if (chunk.length >= 1 << 16) {
          await writer.write(chunk)
          chunk = ''
        }
      }
      if (chunk !== '') await writer.write(chunk)
      await writer.close()
      return ((await copy) as Result).count ?? rows.length
    },
  }
}

export class PostgresBackend implements Backend {
  readonly kind = 'postgres' as const
  readonly dialect = postgresDialect
  private readonly client: Client
  private readonly q: Queryable
  private opened = 0
  private active = 0

  constructor(readonly options: PostgresOptions) {
    const tls =
      options.tlsCaFile !== ''
        ? { ca: Bun.file(options.tlsCaFile), rejectUnauthorized: options.tls !== 'require' }
        : options.tls
    this.client = new SQL(options.url, {
      max: options.max,
      connectionTimeout: options.connectTimeoutSecs,
      tls: tls as never,
      connection: options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {},
      onconnect: (err) => {
        if (!err) this.opened++
      },
      onclose: () => {
        this.opened = Math.max(0, this.opened - 1)
      },
    })
    this.q = queryableOf(this.client)
  }

  all<T = Row>(sql: string, p?: readonly Param[]): Promise<T[]> {
    return this.q.all<T>(sql, p)
  }
  get<T = Row>(sql: string, p?: readonly Param[]): Promise<T | null> {
    return this.q.get<T>(sql, p)
  }
  run(sql: string, p?: readonly Param[]): Promise<RunResult> {
    return this.q.run(sql, p)
  }
  exec(sql: string): Promise<void> {
    return this.q.exec(sql)
  }
  insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly Param[])[],
  ): Promise<number> {
    return this.q.insertMany(table, columns, rows)
  }
  runMany(sql: string, rows: readonly (readonly Param[])[]): Promise<RunResult> {
    return this.q.runMany(sql, rows)
  }
  getEach<T = Row>(sql: string, rows: readonly (readonly Param[])[]): Promise<(T | null)[]> {
    return this.q.getEach<T>(sql, rows)
  }
  prepare<T = Row>(sql: string): Statement<T> {
    return statementOf<T>(this.q, sql)
  }

  async transaction<R>(work: (tx: Queryable) => Promise<R>): Promise<R> {
    this.active++
    try {
      // The result is kept aside: Bun.sql treats an array returned from begin's callback as
      // queries to pipeline, and a task may well return an array of rows.
      let result: R | undefined
      let worked = false
      try {
        await this.client.begin(async (tx) => {
          result = await work(queryableOf(tx as unknown as Client))
          worked = true
        })
      } catch (err) {
        // The work was done and only the COMMIT failed: if its connection went, the server
        // may have committed it, and running it again could store it twice.
        if (worked && isConnectionLoss(err)) throw new CommitUnknownError(err)
        throw err
      }
      return result as R
    } finally {
      this.active--
    }
  }

  async ping(): Promise<number> {
    const t0 = performance.now()
    await this.client.unsafe('SELECT 1')
    return performance.now() - t0
  }

  pool(): PoolStats {
    return { max: this.options.max, open: this.opened, active: this.active }
  }

  /**
   * LISTEN on `channel` (bus.ts): Bun.sql keeps one dedicated connection for every listen
   * of this client, outside the pool, and reconnects it with backoff, running `onlisten`
   * again after each (re)subscription.
   */
  listen(channel: string, onnotify: (payload: string) => void, onlisten?: () => void) {
    return this.client.listen(channel, onnotify, onlisten)
  }

  /** NOTIFY `channel` with `payload` through the pool (bus.ts). */
  notify(channel: string, payload: string): Promise<void> {
    return this.client.notify(channel, payload)
  }

  async close(): Promise<void> {
    await this.client.close({ timeout: 5 })
  }
}

const LOST = new Set(['ERR_POSTGRES_CONNECTION_CLOSED', 'ERR_POSTGRES_CONNECTION_FAILED', 'ECONNRESET'])
const isConnectionLoss = (err: unknown) =>
  LOST.has(String((err as { code?: unknown })?.code ?? '')) ||
  /^(08|57P0)/.test(String((err as { errno?: unknown })?.errno ?? ''))

/**
 * A transaction whose COMMIT was sent but whose answer never came: committed or not, no
 * one can tell from here. The writer does not run it again (writer.backend.ts).
 */
export class CommitUnknownError extends Error {
  override name = 'CommitUnknownError'
  readonly code = 'COMMIT_OUTCOME_UNKNOWN'
  constructor(cause: unknown) {
    super(
      `the connection was lost while committing, so whether it committed is unknown: ${String((cause as Error)?.message ?? cause)}`,
      { cause },
    )
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'the configured database.url'
  }
}
