/**
 * What the dashboard needs from the API beyond the feature routes: the issue list's
 * per-issue hourly trend (`trend_hours`, one query instead of one request per row), and
 * the setup guide's curl snippet, pasted into a real shell against a real server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { snippets } from '../../src/dashboard/pages/issues/snippets'
import { MAX_TREND_HOURS } from '../../src/errors/model'
import { memoryLogger } from '../../src/ops/log'
import { serve } from '../../src/server'
import {
  bearer,
  event,
  projectIn,
  projectOnSqlite,
  signed,
  startRuntime,
  TEST_SECRET,
  type TestRuntime,
  tempDir,
} from '../helpers'

const HOUR = 3_600_000

describe('GET /v1/errors?trend_hours=', () => {
  // 2026-03-10 12:30 UTC; the test moves it an hour at a time.
  let clock = Date.UTC(2026, 2, 10, 12, 30)
  let rt: TestRuntime
  let token: string
  let webToken: string

  const list = async (query: string, t = token) => {
    const res = await rt.fetch(`/v1/errors?${query}`, { headers: bearer(t) })
    return { status: res.status, body: (await res.json()) as any }
  }

  beforeAll(async () => {
    rt = await startRuntime({}, { now: () => clock })
    token = rt.token(['errors:read'])
    const web = await projectIn(rt.core.backend, { name: 'Web', slug: 'web' })
    // PostgreSQL refuses a row outside every receive-day partition, and the migration made
    // only yesterday's through a week ahead of the real date: this clock's day gets its own.
    if (rt.core.backend.kind === 'postgres')
      await rt.core.backend.get("SELECT bloop_partitions_cover('raw_events', ?, ?) AS n", [
        clock - 3 * HOUR,
        clock,
      ])
    webToken = rt.token(['errors:read'], web.id)
    const send = async (message: string, n: number, key?: string) => {
      const res = await rt.handle(
        signed('/v1/ingest/batch', { events: Array.from({ length: n }, () => event({ message })) }, { key }),
      )
      expect(res.status).toBe(200)
    }
    // Hour h-3: 2 of A. Hour h-1: 1 of A, 4 of B. Hour h: 3 of B. Same message in "web": 5 now.
    clock -= 3 * HOUR
    await send('A broke', 2)
    clock += 2 * HOUR
    await send('A broke', 1)
    await send('B broke', 4)
    clock += HOUR
    await send('B broke', 3)
    await send('A broke', 5, web.api_key)
  })
  afterAll(async () => {
    await rt.dispose()
  })

  test('adds each issue its zero-filled hourly counts, oldest hour first', async () => {
    const { status, body } = await list('trend_hours=4&sort=total_count')
    expect(status).toBe(200)
    const trends = Object.fromEntries(body.items.map((i: any) => [i.message, i.trend]))
    expect(trends).toEqual({ 'A broke': [2, 0, 1, 0], 'B broke': [0, 0, 4, 3] })
    const one = await list('trend_hours=1')
    expect(one.body.items.map((i: any) => [i.message, i.trend])).toEqual([
      ['B broke', [3]],
      ['A broke', [0]],
    ])
    // A fingerprint shared by two projects keeps each project's own counts.
    const web = await list('trend_hours=2', webToken)
    expect(web.body.items.map((i: any) => [i.message, i.trend])).toEqual([['A broke', [0, 5]]])
  })

  test('leaves the trend out unless asked for', async () => {
    const { body } = await list('limit=1')
    expect(body.items).toHaveLength(1)
    expect('trend' in body.items[0]).toBe(false)
  })

  test(`accepts ${MAX_TREND_HOURS} hours and refuses one more or zero with 400 naming the parameter`, async () => {
    const max = await list(`trend_hours=${MAX_TREND_HOURS}`)
    expect(max.status).toBe(200)
    expect(max.body.items[0].trend).toHaveLength(MAX_TREND_HOURS)
    for (const bad of [MAX_TREND_HOURS + 1, 0]) {
      const res = await list(`trend_hours=${bad}`)
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'invalid_query', field: 'trend_hours' })
    }
  })
})

describe('the setup guide', () => {
  let dir: string
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('its curl snippet, run by a real shell, stores a signed event in the project', async () => {
    dir = tempDir()
    const served = await serve(
      testConfig({
        server: { host: '127.0.0.1', port: 0 },
        database: { path: join(dir, 'bloop.db') },
        auth: { hmac_secret: TEST_SECRET },
      }),
      { log: memoryLogger('warn') },
    )
    try {
      const db = served.runtime.core.db
      const web = projectOnSqlite(db, { name: 'Web', slug: 'web' })
      const curl = snippets({
        endpoint: `http://127.0.0.1:${served.port}`,
        key: web.api_key,
        dsn: null,
      }).find((s) => s.id === 'curl')
      const before = Date.now()
      // Not spawnSync: the server answering the shell runs in this process.
      const run = Bun.spawn(['bash', '-c', curl?.code as string], { stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr] = await Promise.all([
        new Response(run.stdout).text(),
        new Response(run.stderr).text(),
      ])
      await run.exited
      expect({ stderr, stdout }).toEqual({
        stderr: '',
        stdout: '{"status":"accepted"}',
      })
      const row = db
        .query<{ project_id: string; error_type: string; timestamp: number }, []>(
          'SELECT project_id, error_type, timestamp FROM raw_events',
        )
        .get()
      expect(row?.project_id).toBe(web.id)
      expect(row?.error_type).toBe('TypeError')
      // The snippet sends milliseconds (the shell's seconds with 000 appended).
      expect(row?.timestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
      expect(row?.timestamp).toBeLessThanOrEqual(Date.now())
    } finally {
      await served.stop()
    }
  })

  test('every snippet carries the key and endpoint, and none sends seconds', () => {
    const input = {
      endpoint: 'https://errors.example.com',
      key: 'bloop_abc',
      dsn: 'https://k@errors.example.com/7',
    }
    const list = snippets(input)
    expect(list.map((s) => s.id)).toEqual([
      'curl',
      'npm',
      'script',
      'react-native',
      'swift',
      'kotlin',
      'python',
      'ruby',
      'sentry',
    ])
    for (const s of list.filter((x) => x.id !== 'sentry')) {
      expect({ id: s.id, key: s.code.includes('"bloop_abc"') }).toEqual({ id: s.id, key: true })
      expect(s.code).toContain('errors.example.com')
    }
    expect(list.find((s) => s.id === 'swift')?.code).toContain('timeIntervalSince1970 * 1000')
    expect(list.find((s) => s.id === 'kotlin')?.code).toContain(
      'put("timestamp", System.currentTimeMillis())',
    )
    expect(list.find((s) => s.id === 'sentry')?.code).toContain('"https://k@errors.example.com/7"')
    expect(snippets({ ...input, dsn: null }).some((s) => s.id === 'sentry')).toBe(false)
  })

  test('the script-tag snippet loads the served SDK, pinned to its version and integrity when known', () => {
    const input = { endpoint: 'https://errors.example.com', key: 'bloop_abc', dsn: null }
    const plain = snippets(input).find((s) => s.id === 'script')?.code ?? ''
    expect(plain).toContain('<script src="https://errors.example.com/sdk/bloop.min.js"')
    expect(plain).not.toContain('integrity')
    const pinned =
      snippets({ ...input, script: { url: '/sdk/bloop-0.1.0.min.js', integrity: 'sha384-abc' } }).find(
        (s) => s.id === 'script',
      )?.code ?? ''
    expect(pinned).toContain('<script src="https://errors.example.com/sdk/bloop-0.1.0.min.js"')
    expect(pinned).toContain('integrity="sha384-abc" crossorigin="anonymous"')
    expect(pinned).toContain('data-project-key="bloop_abc"')
  })
})
