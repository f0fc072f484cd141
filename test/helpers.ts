/**
 * Test helpers: a real runtime on a real SQLite file in a temporary directory, signed
 * ingest requests, tokens, and real server processes for end-to-end tests.
 */
import { test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type InviteRow, mintInvite } from '../src/auth/invites'
import { mintSession } from '../src/auth/sessions'
import {
  type CredentialRow,
  credentialRowOf,
  mintCredential,
  mintUser,
  type NewCredentialRow,
  type NewUser,
  type UserRow,
} from '../src/auth/users'
import { testConfig } from '../src/config/load'
import type { Config } from '../src/config/schema'
import type { NormalizedEvent } from '../src/errors/event'
import { sign } from '../src/errors/ingest/hmac'
import type { Scope } from '../src/http/auth'
import { createLogger } from '../src/ops/log'
import { mintProject, type NewProject, type ProjectRow } from '../src/projects/store'
import { buildRuntime, type Runtime, type RuntimeOptions } from '../src/server'
import type { Param, Queryable } from '../src/storage/backend'
import type { Db } from '../src/storage/db'
import { openDatabase } from '../src/storage/db'
import { SqliteBackend } from '../src/storage/sqlite'
import { mintToken, type NewTokenInput, type TokenRow, tokenRowOf } from '../src/tokens/store'
import { type PgCluster, startPg } from './pg.helpers'

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef'
export const BASE = 'http://localhost'

const sqliteBackends = new WeakMap<Db, SqliteBackend>()

/**
 * Runs `work` in one transaction of the seam over the SQLite connection `db`, as the
 * writer thread runs a seam task (one SqliteBackend per connection, so its statements
 * stay prepared across calls): for tests and benchmarks that drive a store's writer-side
 * function, such as the errors commit or the fold, on a database of their own.
 */
export function taskOnSqlite<R>(db: Db, work: (tx: Queryable) => Promise<R>): Promise<R> {
  let b = sqliteBackends.get(db)
  if (!b) {
    b = new SqliteBackend(db)
    sqliteBackends.set(db, b)
  }
  return b.transaction(work)
}

/**
 * The tokens store's own statement (`mintToken`), run synchronously on a SQLite
 * connection: for fixtures that hand out tokens synchronously (`TestRuntime.token`, the
 * security walk). Everything else creates tokens through the seam with `createToken`.
 */
export function tokenOnSqlite(db: Db, t: NewTokenInput, now = Date.now()): { token: string; row: TokenRow } {
  const { token, sql, params } = mintToken(t, now)
  return { token, row: tokenRowOf(db.query(sql).get(...(params as never[]))) }
}

/** The sessions store's own statement (`mintSession`), run synchronously on a SQLite connection, as `tokenOnSqlite`. */
export function sessionOnSqlite(db: Db, userId: string, now: number, ttlSecs: number): string {
  const { token, sql, params } = mintSession(userId, now, ttlSecs)
  db.query(sql).run(...(params as never[]))
  return token
}

/** The projects store's own statement (`mintProject`), run synchronously on a SQLite connection, as `tokenOnSqlite`. */
export function projectOnSqlite(db: Db, p: NewProject, now = Date.now()): ProjectRow {
  const { sql, params } = mintProject(p, now)
  return db.query(sql).get(...(params as never[])) as ProjectRow
}

/** The users store's own statement (`mintUser`), run synchronously on a SQLite connection, as `tokenOnSqlite`. */
export function userOnSqlite(db: Db, u: NewUser, now: number): UserRow {
  const { sql, params } = mintUser(u, now)
  return db.query(sql).get(...(params as never[])) as UserRow
}

/** The passkeys store's own statement (`mintCredential`), run synchronously on a SQLite connection. */
export function credentialOnSqlite(db: Db, c: NewCredentialRow, now: number): CredentialRow {
  const { sql, params } = mintCredential(c, now)
  return credentialRowOf(db.query(sql).get(...(params as never[])))
}

/** The invites store's own statement (`mintInvite`), run synchronously on a SQLite connection. */
export function inviteOnSqlite(
  db: Db,
  createdBy: string | null,
  now: number,
  role: 'admin' | 'user' = 'user',
): { token: string; row: InviteRow } {
  const { token, sql, params } = mintInvite(createdBy, now, role)
  return { token, row: db.query(sql).get(...(params as never[])) as InviteRow }
}

/*
 * The same fixtures on either backend, through the seam (the runtime's `core.backend`):
 * what a test of the HTTP-level suite seeds with, since the PostgreSQL pass (TEST_BACKEND)
 * has no SQLite connection. Each runs the store's own statement, as the `...OnSqlite` ones do.
 */

export async function tokenIn(
  b: Queryable,
  t: NewTokenInput,
  now = Date.now(),
): Promise<{ token: string; row: TokenRow }> {
  const { token, sql, params } = mintToken(t, now)
  return { token, row: tokenRowOf(await b.get(sql, params as Param[])) }
}

export async function sessionIn(b: Queryable, userId: string, now: number, ttlSecs: number): Promise<string> {
  const { token, sql, params } = mintSession(userId, now, ttlSecs)
  await b.run(sql, params as Param[])
  return token
}

export async function projectIn(b: Queryable, p: NewProject, now = Date.now()): Promise<ProjectRow> {
  const { sql, params } = mintProject(p, now)
  return (await b.get(sql, params as Param[])) as unknown as ProjectRow
}

export async function userIn(b: Queryable, u: NewUser, now: number): Promise<UserRow> {
  const { sql, params } = mintUser(u, now)
  return (await b.get(sql, params as Param[])) as unknown as UserRow
}

export async function credentialIn(b: Queryable, c: NewCredentialRow, now: number): Promise<CredentialRow> {
  const { sql, params } = mintCredential(c, now)
  return credentialRowOf(await b.get(sql, params as Param[]))
}

export async function inviteIn(
  b: Queryable,
  createdBy: string | null,
  now: number,
  role: 'admin' | 'user' = 'user',
): Promise<{ token: string; row: InviteRow }> {
  const { token, sql, params } = mintInvite(createdBy, now, role)
  return { token, row: (await b.get(sql, params as Param[])) as unknown as InviteRow }
}

export function tempDir(prefix = 'bloop-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export type Overrides = Parameters<typeof testConfig>[0]

export interface TestRuntime extends Runtime {
  dir: string
  config: Config
  /** Sends a request to the in-process app; `path` may be relative. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** Creates a token for `projectId` with `scopes` (default: all error scopes). */
  token(scopes?: Scope[], projectId?: string): string
  dispose(): Promise<void>
}

/**
 * The backend the runtimes of this test process serve from: `BLOOP_TEST_BACKEND=postgres`
 * runs the same HTTP-level suite on PostgreSQL (`npm test` runs it both ways), each runtime
 * on a new database of one private server for the process (test/pg.helpers.ts, stopped
 * when the process exits). Parameterised, not copied: a case that is about SQLite itself
 * says so with `onSqliteOnly`.
 */
export const TEST_BACKEND: 'sqlite' | 'postgres' =
  process.env.BLOOP_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'

/** `test` where the runtime serves from SQLite; skipped in the PostgreSQL pass (the case is about SQLite itself). */
export const onSqliteOnly = test.skipIf(TEST_BACKEND !== 'sqlite')

let processPg: Promise<PgCluster> | null = null

/** A new empty database of this process's private PostgreSQL server (started on first use). */
export async function testPostgresUrl(): Promise<string> {
  processPg ??= startPg()
  return (await processPg).createDatabase()
}

/**
 * A real runtime without a listening socket: a migrated SQLite file and its writer thread,
 * or in the PostgreSQL pass (TEST_BACKEND) a migrated PostgreSQL database and the seam writer.
 */
export async function startRuntime(
  overrides: Overrides = {},
  opts: RuntimeOptions = {},
): Promise<TestRuntime> {
  const dir = tempDir()
  const url = overrides?.database?.url ?? (TEST_BACKEND === 'postgres' ? await testPostgresUrl() : undefined)
  const config = testConfig({
    ...overrides,
    database: { path: join(dir, 'bloop.db'), ...overrides?.database, ...(url ? { url } : {}) },
    auth: { hmac_secret: TEST_SECRET, ...overrides?.auth },
    log: { level: 'error', ...overrides?.log },
  })
  const runtime = await buildRuntime(config, { ...opts, log: opts.log ?? createLogger(config.log.level) })
  const t = runtime as TestRuntime
  t.dir = dir
  t.config = config
  t.fetch = (path, init) => t.handle(new Request(path.startsWith('http') ? path : BASE + path, init))
  // Handed out synchronously. On PostgreSQL the token's row is written through the seam
  // and every request through this runtime waits for those writes first.
  const pending: Promise<unknown>[] = []
  t.token = (scopes = ['errors:read', 'errors:write'], projectId = 'default') => {
    const t = { projectId, name: `test-${scopes.join('-')}`, scopes }
    if (runtime.core.backend.kind === 'sqlite') return tokenOnSqlite(runtime.core.db, t).token
    const { token, sql, params } = mintToken(t, Date.now())
    pending.push(runtime.core.backend.run(sql, params as Param[]))
    return token
  }
  const handle = runtime.handle.bind(runtime)
  t.handle = async (request) => {
    if (pending.length > 0) await Promise.all(pending.splice(0))
    return handle(request)
  }
  t.dispose = async () => {
    await runtime.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return t
}

/** A signed ingest request. With `key` the project key header is sent, else the global secret signs. */
export function signed(
  path: string,
  body: unknown,
  opts: { key?: string; secret?: string; raw?: string } = {},
): Request {
  const text = opts.raw ?? JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (opts.key) {
    headers['x-project-key'] = opts.key
    headers['x-signature'] = sign(opts.key, text)
  } else {
    headers['x-signature'] = sign(opts.secret ?? TEST_SECRET, text)
  }
  return new Request(BASE + path, { method: 'POST', headers, body: text })
}

export function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: 1_700_000_000_000,
    source: 'api',
    environment: 'production',
    release: '1.0.0',
    error_type: 'TypeError',
    message: 'Cannot read properties of undefined',
    route_or_procedure: '/api/users',
    ...over,
  }
}

/** A validated event as the writer receives it; tests override what they care about. */
export function normalizedEvent(over: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return {
    project_id: 'default',
    fingerprint: 'fp-1',
    timestamp: 1,
    received_at: 1_000,
    source: 'api',
    environment: 'production',
    release: '1.0.0',
    app_version: null,
    build_number: null,
    route_or_procedure: null,
    screen: null,
    error_type: 'Error',
    message: 'm',
    stack: null,
    http_status: null,
    request_id: null,
    user_id_hash: null,
    device_id_hash: null,
    metadata: null,
    event_id: null,
    level: null,
    ...over,
  }
}

/**
 * Holds the database's write lock from another connection, as a stuck process or a
 * backup tool would. Waits (busy timeout) for a holder that is only passing through first,
 * so the test does not fail when the server happens to be writing at that instant.
 */
export function holdWriteLock(dbPath: string): { release(): void } {
  const db = openDatabase(dbPath, { busyTimeoutMs: 5000 })
  db.run('BEGIN IMMEDIATE')
  return {
    release() {
      if (db.inTransaction) db.run('ROLLBACK')
      db.close()
    },
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
