/**
 * The delivery log names the issue that fired: its fingerprint and its title (error type
 * and message on one line) in GET /v1/alerts/:id/deliveries, stored with the row so the
 * log says what the alert said. Rows logged before the column existed get the title of
 * their issue when the database is migrated.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { MIGRATIONS } from '../../src/features'
import { openDatabase } from '../../src/storage/db'
import { migrate } from '../../src/storage/migrate'
import { bearer, event, signed, startRuntime, type TestRuntime, tempDir } from '../helpers'

type Json = Record<string, unknown>

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = performance.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(5)
  }
}

describe('the delivery log', () => {
  let rt: TestRuntime
  let token: string
  const hits: string[] = []
  const receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => {
      hits.push(await req.text())
      return new Response('ok')
    },
  })
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await rt.fetch(path, {
      method,
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return (await res.json()) as Json
  }

  beforeAll(async () => {
    rt = await startRuntime({ alerting: { allow_private_urls: true } })
    token = rt.token(['alerts:read', 'alerts:write', 'errors:read'])
  })
  afterAll(async () => {
    await rt.dispose()
    receiver.stop(true)
  })

  test('names the fired issue by fingerprint and title; a test send names none', async () => {
    const rule = await call('POST', '/v1/alerts', {
      name: 'two checkout errors',
      project_id: 'default',
      config: { type: 'threshold', threshold: 2, window_secs: 300 },
    })
    const id = rule.id as number
    await call('POST', `/v1/alerts/${id}/channels`, {
      config: { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/hook` },
    })
    const message = 'Payment declined\n  for order 42'
    for (let i = 0; i < 2; i++) {
      const res = await rt.handle(signed('/v1/ingest', event({ error_type: 'CardError', message })))
      expect(res.status).toBe(200)
    }
    const fingerprint = (
      await rt.core.backend.get("SELECT fingerprint FROM issues WHERE error_type = 'CardError'")
    )?.fingerprint
    // The alert is delivered in the background: logged first, then the test send.
    await until('the alert delivery', async () => {
      const got = (await call('GET', `/v1/alerts/${id}/deliveries`)).items as Json[]
      return got.length >= 1 ? got : undefined
    })
    await call('POST', `/v1/alerts/${id}/test`)
    const items = await until('two deliveries', async () => {
      const got = (await call('GET', `/v1/alerts/${id}/deliveries`)).items as Json[]
      return got.length >= 2 ? got : undefined
    })
    const brief = (d: Json) => ({
      kind: d.kind,
      reason: d.reason,
      fingerprint: d.fingerprint,
      issue_title: d.issue_title,
    })
    // Newest first: the test, then the alert.
    expect(items.map(brief)).toEqual([
      { kind: 'test', reason: 'test', fingerprint: null, issue_title: null },
      {
        kind: 'alert',
        reason: 'threshold',
        fingerprint,
        issue_title: 'CardError: Payment declined for order 42',
      },
    ])
    expect(hits).toHaveLength(2)
  })

  test('cuts a long title to 200 characters', async () => {
    const rule = await call('POST', '/v1/alerts', {
      name: 'new',
      project_id: 'default',
      config: { type: 'new_issue' },
    })
    await call('POST', `/v1/alerts/${rule.id}/channels`, {
      config: { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/hook` },
    })
    await rt.handle(signed('/v1/ingest', event({ error_type: 'LongError', message: 'x'.repeat(1500) })))
    const [d] = await until('a delivery', async () => {
      const got = (await call('GET', `/v1/alerts/${rule.id}/deliveries`)).items as Json[]
      return got.length >= 1 ? got : undefined
    })
    const title = (d as Json).issue_title as string
    expect(title).toHaveLength(200)
    expect(title).toBe(`LongError: ${'x'.repeat(188)}…`)
  })
})

describe('migrating a delivery log written before issue titles were stored', () => {
  test("fills in each row's title from its issue, and leaves test rows without one", () => {
    const dir = tempDir()
    const db = openDatabase(join(dir, 'bloop.db'))
    const before = MIGRATIONS.filter((m) => m.name < '007')
    migrate(db, before)
    db.run(
      "INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES ('p', 'P', 'p', 'k', 'h', 0)",
    )
    db.run(`INSERT INTO issues (project_id, fingerprint, error_type, message, source, total_count, first_seen,
      last_seen, last_release, last_environment) VALUES ('p', 'fp1', 'TypeError', 'x is
undefined', 'web', 1, 0, 0, '1', 'prod')`)
    db.run(`INSERT INTO alert_rules (id, project_id, name, rule_type, config, created_at, updated_at)
      VALUES (1, 'p', 'r', 'new_issue', '{"type":"new_issue"}', 0, 0)`)
    const row = (alertId: string, kind: string, fp: string | null) =>
      db.run(
        `INSERT INTO alert_deliveries (rule_id, alert_id, kind, reason, fingerprint, channel_type, target, outcome,
          attempts, fired_at, finished_at) VALUES (1, ?, ?, 'new_issue', ?, 'webhook', 't', 'delivered', 1, 0, 0)`,
        [alertId, kind, fp],
      )
    row('a1', 'alert', 'fp1')
    row('a2', 'test', null)
    row('a3', 'alert', 'gone')
    migrate(db, MIGRATIONS)
    expect(
      db.query('SELECT alert_id, issue_title FROM alert_deliveries ORDER BY id').all() as Json[],
    ).toEqual([
      { alert_id: 'a1', issue_title: 'TypeError: x is undefined' },
      { alert_id: 'a2', issue_title: null },
      { alert_id: 'a3', issue_title: null },
    ])
    db.close()
  })
})
