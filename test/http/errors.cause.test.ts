/**
 * Failures keep what caused them: a failed writer task arrives as a WriterError whose
 * `cause` is the error the task threw (on SQLite's writer thread with SQLite's code; on
 * PostgreSQL the server's error with its SQLSTATE), and the 503 an ingest request gets for
 * it is an AppError whose `cause` is that WriterError.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, testConfig } from '../../src/config/load'
import { AppError } from '../../src/http/errors'
import { memoryLogger } from '../../src/ops/log'
import { serve } from '../../src/server'
import { WriterError } from '../../src/storage/writer'
import {
  holdWriteLock,
  normalizedEvent,
  onSqliteOnly,
  startRuntime,
  TEST_BACKEND,
  TEST_SECRET,
  type TestRuntime,
  tempDir,
} from '../helpers'

let rt: TestRuntime
afterEach(async () => {
  await rt?.dispose()
})

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => err,
  )

describe('errors keep their cause', () => {
  test("a task's own error is the cause of the WriterError", async () => {
    rt = await startRuntime()
    const err = await failure(
      rt.writer.run('projects.purge', { project_id: 'p', table: 'projects', batch: 1 }),
    )
    expect(err).toBeInstanceOf(WriterError)
    const cause = (err as WriterError).cause as Error
    expect(cause).toBeInstanceOf(Error)
    expect([cause.name, cause.message]).toEqual(['Error', 'expected a project data table, got projects'])
  })

  test("the database's own code reaches the caller on the WriterError and its cause", async () => {
    rt = await startRuntime()
    await rt.writer.run('errors.commit', {
      events: [normalizedEvent({ received_at: Date.now() })],
      sampleSize: 5,
    })
    // A status the table's CHECK constraint refuses (the API never sends one).
    const status = 'archived' as unknown as 'muted'
    const err = (await failure(
      rt.writer.run('errors.setStatus', {
        project_id: 'default',
        fingerprint: 'fp-1',
        status,
        changed_by: 't',
        now: 1,
      }),
    )) as WriterError
    expect(err).toBeInstanceOf(WriterError)
    if (TEST_BACKEND === 'sqlite') {
      // From the writer thread: SQLite's code crosses to the main thread on both.
      expect(err.code).toBe('SQLITE_CONSTRAINT_CHECK')
      expect((err.cause as { code?: string }).code).toBe('SQLITE_CONSTRAINT_CHECK')
      expect(err.message).toStartWith('CHECK constraint failed')
    } else {
      // On the main thread (SeamWriter): the client's code on the WriterError, and the
      // server's own error as its cause, SQLSTATE 23514 (check_violation) with it.
      expect(err.code).toBe('ERR_POSTGRES_SERVER_ERROR')
      expect((err.cause as { errno?: string }).errno).toBe('23514')
      expect(err.message).toStartWith('new row for relation "issues" violates check constraint')
    }
  })

  // SQLite's write lock, held from another connection to its file: SQLite's own.
  onSqliteOnly('the 503 for a commit that failed carries the WriterError as its cause', async () => {
    rt = await startRuntime({}, { writerBusyTimeoutMs: 50 })
    const lock = holdWriteLock(rt.config.database.path)
    try {
      const err = (await failure(rt.features.errors.submit([normalizedEvent()], 'ingest'))) as AppError
      expect(err).toBeInstanceOf(AppError)
      expect([err.code, err.status]).toEqual(['storage_unavailable', 503])
      expect(err.cause).toBeInstanceOf(WriterError)
      expect((err.cause as WriterError).code).toBe('SQLITE_BUSY')
    } finally {
      lock.release()
    }
  })

  test.skipIf(TEST_BACKEND !== 'postgres')(
    'on PostgreSQL the 503 for a commit the database refused carries the WriterError as its cause',
    async () => {
      rt = await startRuntime()
      // Received on a day without a partition of raw_events: the server refuses the row.
      const err = (await failure(
        rt.features.errors.submit([normalizedEvent({ received_at: 1_000 })], 'ingest'),
      )) as AppError
      expect(err).toBeInstanceOf(AppError)
      expect([err.code, err.status]).toEqual(['storage_unavailable', 503])
      expect(err.cause).toBeInstanceOf(WriterError)
      expect((err.cause as WriterError).message).toBe('no partition of relation "raw_events" found for row')
      expect(((err.cause as WriterError).cause as { errno?: string }).errno).toBe('23514')
    },
  )

  test("a port already taken stops startup with a ConfigError whose cause is the listener's error", async () => {
    const taken = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
    const dir = tempDir()
    try {
      const config = testConfig({
        server: { host: '127.0.0.1', port: taken.port as number },
        database: { path: join(dir, 'bloop.db') },
        auth: { hmac_secret: TEST_SECRET },
      })
      const err = (await failure(serve(config, { log: memoryLogger('error') }))) as ConfigError
      expect(err).toBeInstanceOf(ConfigError)
      expect(err.message).toStartWith(`cannot listen on 127.0.0.1:${taken.port} (`)
      expect(err.cause).toBeInstanceOf(Error)
      expect((err.cause as { code?: string }).code).toBe('EADDRINUSE')
    } finally {
      taken.stop(true)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
