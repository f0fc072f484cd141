/**
 * The real Python `sentry-sdk` from PyPI (pinned in test/requirements.txt), unmodified, in
 * a child Python process, sends to a real bloop server on port 0 by its DSN: breadcrumbs,
 * users and tags come back through the query API as the timeline, the users affected and
 * the facets (docs/decisions.md, "Breadcrumbs", "Users affected", "Tags").
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { issueOf } from '../sentry.helpers'
import { type SentryServer, startSentryServer } from '../sentry.server'

const PYTHON = process.env.BLOOP_TEST_PYTHON ?? join(import.meta.dir, '..', '..', '.venv-ci', 'bin', 'python')
const APP = join(import.meta.dir, '..', 'fixtures', 'sentry_python_app.py')

let server: SentryServer
let ids: string[]

const get = (path: string) => server.get(path)

beforeAll(async () => {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `no Python at ${PYTHON}: run \`npm test\` (its pretest makes .venv-ci from test/requirements.txt) or set BLOOP_TEST_PYTHON`,
    )
  }
  server = await startSentryServer('python')
  const dsn = server.dsn
  const child = Bun.spawn([PYTHON, APP], {
    env: { ...process.env, SENTRY_DSN: dsn },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (code !== 0) throw new Error(`python app exited ${code}: ${err}`)
  ids = (JSON.parse(out.trim().split('\n').at(-1) as string) as { ids: string[] }).ids
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

describe('the Python sentry-sdk against bloop', () => {
  test('four events of one issue arrive, each with its breadcrumbs oldest first', async () => {
    expect(ids).toHaveLength(4)
    const detail = await issueOf(get, 'KeyError')
    expect(detail.total_count).toBe(4)
    expect(detail.source).toBe('python')
    const sample = detail.samples[0] as unknown as {
      event_id: string
      breadcrumbs: Record<string, unknown>[]
    }
    expect(sample.event_id).toBe((ids[3] as string).replaceAll('-', ''))
    expect(sample.breadcrumbs.map(({ timestamp, ...c }) => c)).toEqual([
      { type: 'default', category: 'auth', level: 'info', message: 'signed in as u-3' },
      {
        category: 'db',
        type: 'query',
        level: 'debug',
        message: 'SELECT * FROM orders WHERE id = %s',
        data: { rows: 0 },
      },
    ])
    for (const c of sample.breadcrumbs)
      expect(Math.abs((c.timestamp as number) - Date.now())).toBeLessThan(120_000)
  })

  test('three distinct users in total, two per release', async () => {
    const fp = (await issueOf(get, 'KeyError')).fingerprint
    const detail = (await (await get(`/v1/errors/${fp}`)).json()) as { users_count: number; users: unknown }
    expect(detail.users_count).toBe(3)
    expect(detail.users).toEqual({
      total: 3,
      last_24h: 3,
      by_release: [
        { release: 'api@1.4.0', users: 2 },
        { release: 'api@1.5.0', users: 2 },
      ],
    })
  })

  test('the tenant tag and the releases as facets, and the issue found by searching a tag', async () => {
    const fp = (await issueOf(get, 'KeyError')).fingerprint
    const facets = (await (await get(`/v1/errors/${fp}/tags`)).json()) as {
      key: string
      total: number
      values: { value: string; count: number; share: number }[]
    }[]
    const byKey = Object.fromEntries(facets.map((f) => [f.key, f]))
    expect(byKey.tenant?.values.map((v) => [v.value, v.count, v.share])).toEqual([['acme', 4, 1]])
    expect(byKey.release?.values.map((v) => [v.value, v.count, v.share])).toEqual([
      ['api@1.4.0', 2, 0.5],
      ['api@1.5.0', 2, 0.5],
    ])
    const found = (await (
      await get(`/v1/errors?query=${encodeURIComponent('tenant:acme release:api@1.5.0 shipping')}`)
    ).json()) as {
      items: { fingerprint: string }[]
    }
    expect(found.items.map((i) => i.fingerprint)).toEqual([fp])
  })
})
