/**
 * Content policy per project: stored in the database, effective from the next request,
 * tightened (never loosened) by a header, and checked at the storage level: text the
 * policy strips is nowhere in the database file or its WAL (on SQLite: those are its files).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { INGEST_CACHE_MS } from '../../src/llm/settings/store'
import { onSqliteOnly, startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, span, trace } from '../llm.helpers'

let rt: TestRuntime
let writer: string
let reader: string
beforeAll(async () => {
  rt = await startRuntime()
  writer = rt.token(['llm:read', 'llm:write'])
  reader = rt.token(['llm:read'])
})
afterAll(() => rt.dispose())

const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })
const setPolicy = (content_policy: unknown, token = writer) =>
  rt.fetch('/v1/llm/settings', {
    method: 'PUT',
    headers: auth(token),
    body: JSON.stringify({ content_policy }),
  })
const send = (id: string, secret: string, headers: Record<string, string> = {}) =>
  rt.handle(
    signedTrace(
      '/v1/traces',
      trace({
        id,
        input: `${secret}-trace-input`,
        output: `${secret}-trace-output`,
        metadata: { note: `${secret}-trace-meta` },
        spans: [
          span({
            status: 'error',
            error_message: `${secret}-error-kept`,
            input: `${secret}-span-input`,
            output: `${secret}-span-output`,
            metadata: { note: `${secret}-span-meta` },
          }),
        ],
      }),
      { headers },
    ),
  )
const stored = async (id: string) => ({
  trace: await rt.core.backend.get('SELECT input, output, metadata FROM llm_traces WHERE id = ?', [id]),
  span: await rt.core.backend.get(
    'SELECT input, output, metadata, error_message FROM llm_spans WHERE trace_id = ?',
    [id],
  ),
})

/** Every byte SQLite has written for the database: the main file, the WAL and the shared memory. */
function databaseBytes(): string {
  // The writer has committed (the request was answered after commit): look at the bytes on disk.
  rt.core.db.run('PRAGMA wal_checkpoint(PASSIVE)')
  const path = rt.config.database.path
  return ['', '-wal', '-shm']
    .map((suffix) => {
      try {
        return readFileSync(path + suffix).toString('latin1')
      } catch {
        return ''
      }
    })
    .join('')
}

describe('content policy', () => {
  test('none (the default) strips input, output and metadata before anything is written; error_message stays', async () => {
    expect((await send('p-none', 'ZQ1NONE')).status).toBe(200)
    expect(await stored('p-none')).toEqual({
      trace: { input: null, output: null, metadata: null },
      span: { input: null, output: null, metadata: null, error_message: 'ZQ1NONE-error-kept' },
    })
  })

  // About SQLite's own files (the database, its WAL and shared memory) on disk.
  onSqliteOnly('none: the stripped text is nowhere in the database file or its WAL', () => {
    const bytes = databaseBytes()
    expect(bytes).toContain('ZQ1NONE-error-kept')
    for (const part of [
      'trace-input',
      'trace-output',
      'trace-meta',
      'span-input',
      'span-output',
      'span-meta',
    ])
      expect(bytes).not.toContain(`ZQ1NONE-${part}`)
  })

  test('GET shows the effective policy and where it comes from', async () => {
    const res = await rt.fetch('/v1/llm/settings', { headers: auth(reader) })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      project_id: 'default',
      content_policy: 'none',
      content_policy_source: 'config',
      retention_days: 30,
      retention_days_source: 'config',
    })
  })

  test('an unknown value is a 400 naming the field, not a silent none; llm:read cannot change it', async () => {
    const res = await setPolicy('everything')
    expect(res.status).toBe(400)
    expect(((await res.json()) as { field: string }).field).toBe('content_policy')
    expect((await setPolicy('full', reader)).status).toBe(403)
    expect((await rt.fetch('/v1/llm/settings', { method: 'PUT', body: '{}' })).status).toBe(401)
  })

  test('metadata_only keeps metadata and drops input and output, from the next request', async () => {
    const res = await setPolicy('metadata_only')
    expect(await res.json()).toMatchObject({
      content_policy: 'metadata_only',
      content_policy_source: 'project',
    })
    await send('p-meta', 'ZQ2META')
    expect(await stored('p-meta')).toEqual({
      trace: { input: null, output: null, metadata: '{"note":"ZQ2META-trace-meta"}' },
      span: {
        input: null,
        output: null,
        metadata: '{"note":"ZQ2META-span-meta"}',
        error_message: 'ZQ2META-error-kept',
      },
    })
  })

  // About SQLite's own files (the database, its WAL and shared memory) on disk.
  onSqliteOnly(
    'metadata_only: the dropped input and output are nowhere in the database file or its WAL',
    () => {
      const bytes = databaseBytes()
      for (const part of ['trace-input', 'trace-output', 'span-input', 'span-output'])
        expect(bytes).not.toContain(`ZQ2META-${part}`)
    },
  )

  test('full keeps everything; a header may tighten it for one request but never loosen it', async () => {
    await setPolicy('full')
    await send('p-full', 'ZQ3FULL')
    expect((await stored('p-full')).trace).toEqual({
      input: 'ZQ3FULL-trace-input',
      output: 'ZQ3FULL-trace-output',
      metadata: '{"note":"ZQ3FULL-trace-meta"}',
    })
    await send('p-tight', 'ZQ4TIGHT', { 'x-bloop-content-policy': 'none' })
    expect((await stored('p-tight')).trace).toEqual({ input: null, output: null, metadata: null })
    await setPolicy('metadata_only')
    await send('p-loose', 'ZQ5LOOSE', { 'x-bloop-content-policy': 'full' })
    expect((await stored('p-loose')).trace).toEqual({
      input: null,
      output: null,
      metadata: '{"note":"ZQ5LOOSE-trace-meta"}',
    })
    const bad = await send('p-bad', 'ZQ6', { 'x-bloop-content-policy': 'all' })
    expect(bad.status).toBe(400)
  })

  test('null puts the project back on the config default', async () => {
    const res = await setPolicy(null)
    expect(await res.json()).toMatchObject({ content_policy: 'none', content_policy_source: 'config' })
  })
})

describe('the ingest cache of settings and overrides', () => {
  test('a write behind the store (another process on the file) is seen within INGEST_CACHE_MS, and a write through it at once', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z')
    const local = await startRuntime({}, { now: () => now })
    try {
      const token = local.token(['llm:read', 'llm:write'])
      const sendTo = (id: string) =>
        local.handle(
          signedTrace('/v1/traces', trace({ id, input: 'kept?', spans: [span({ input: 'kept?' })] })),
        )
      // The fake clock is months back: PostgreSQL needs llm_spans' partition for that day.
      if (local.core.backend.kind === 'postgres')
        await local.core.backend.get('SELECT bloop_partitions_cover(?, ?, ?)', [
          'llm_spans',
          now,
          now + 86_400_000,
        ])
      const input = async (id: string) =>
        (
          await local.core.backend.get<{ input: string | null }>(
            'SELECT input FROM llm_traces WHERE id = ?',
            [id],
          )
        )?.input
      expect((await sendTo('c-1')).status).toBe(200)
      expect(await input('c-1')).toBeNull()
      await local.core.backend.run(
        "INSERT INTO llm_settings (project_id, content_policy, updated_at) VALUES ('default', 'full', 0)",
      )
      now += INGEST_CACHE_MS - 1
      await sendTo('c-2')
      expect(await input('c-2')).toBeNull()
      now += 1
      await sendTo('c-3')
      expect(await input('c-3')).toBe('kept?')
      const put = await local.fetch('/v1/llm/settings', {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content_policy: 'none' }),
      })
      expect(put.status).toBe(200)
      await sendTo('c-4')
      expect(await input('c-4')).toBeNull()
    } finally {
      await local.dispose()
    }
  })
})
