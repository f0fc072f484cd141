/**
 * The real @sentry/node SDK, unmodified, in a child `node` process, sends to a real bloop
 * server on port 0 using the project's DSN. Each event is read back through the query API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Sample } from '../sentry.helpers'
import { type SentryServer, startSentryServer } from '../sentry.server'

const FIXTURE = join(import.meta.dir, '..', 'fixtures', 'sentry-node-app.mjs')
const source = readFileSync(FIXTURE, 'utf8').split('\n')
/** 1-based line and column of `needle` in the fixture, as V8 reports a frame there. */
function position(needle: string): string {
  const line = source.findIndex((l) => l.includes(needle))
  return `${line + 1}:${(source[line] as string).indexOf(needle) + 1}`
}

let server: SentryServer
let ids: { exceptionId: string; messageId: string; flushed: boolean }
/** The child's `node` version, as its Sentry runtime context reports it. */
let nodeVersion: string

const get = (path: string) => server.get(path)
const issue = (errorType: string) => server.issue(errorType)

beforeAll(async () => {
  server = await startSentryServer('node')
  const dsn = server.dsn
  const child = Bun.spawn(['node', FIXTURE], {
    env: { ...process.env, SENTRY_DSN: dsn, NODE_OPTIONS: '' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (code !== 0) throw new Error(`node app exited ${code}: ${err}`)
  ids = JSON.parse(out.trim().split('\n').at(-1) as string)
  nodeVersion = (await new Response(Bun.spawn(['node', '-p', 'process.versions.node']).stdout).text()).trim()
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

describe('@sentry/node against bloop', () => {
  test('the SDK flushes every event with a 200', () => {
    expect(ids.flushed).toBe(true)
    expect(ids.exceptionId).toMatch(/^[0-9a-f]{32}$/)
  })

  test('captureException arrives with its type, message, release, environment and frames', async () => {
    const detail = await issue('TypeError')
    expect(detail.message).toBe('card declined for amount 42')
    expect(detail.source).toBe('node')
    expect(detail.releases).toEqual(['shop@2.4.1'])
    expect(detail.environments).toEqual(['staging'])
    const sample = detail.samples[0] as Sample
    expect(sample.event_id).toBe(ids.exceptionId)
    expect(sample.level).toBe('error')
    const lines = (sample.stack ?? '').split('\n')
    expect(lines[0]).toBe('TypeError: card declined for amount 42')
    expect(lines[1]).toBe(`    at chargeCard (${FIXTURE}:${position('new TypeError')})`)
    expect(lines[2]).toBe(`    at ${FIXTURE}:${position('chargeCard(42)')}`)
    expect(sample.metadata?.tags).toEqual({ region: 'eu-west' })
    expect(sample.metadata?.mechanism).toEqual({ type: 'generic', handled: true })
    expect(sample.metadata?.sdk).toMatch(/^sentry\.javascript\.node@\d+\.\d+\.\d+/)
    expect(sample.user_id_hash).toBe(new Bun.CryptoHasher('sha256').update('user-1234').digest('hex'))
  })

  test('captureMessage arrives as a Message with its level', async () => {
    const detail = await issue('Message')
    expect(detail.message).toBe('payment queue is backed up')
    expect(detail.releases).toEqual(['shop@2.4.1'])
    expect(detail.environments).toEqual(['staging'])
    expect(detail.samples[0]?.event_id).toBe(ids.messageId)
    expect(detail.samples[0]?.level).toBe('warning')
  })

  test('an unhandled rejection arrives unhandled, with the rejecting frame on top', async () => {
    const detail = await issue('RangeError')
    expect(detail.message).toBe('inventory index out of range')
    expect(detail.releases).toEqual(['shop@2.4.1'])
    expect(detail.environments).toEqual(['staging'])
    const sample = detail.samples[0] as Sample
    expect(sample.metadata?.mechanism?.handled).toBe(false)
    expect(sample.metadata?.mechanism?.type).toContain('onunhandledrejection')
    expect((sample.stack ?? '').split('\n')[1]).toBe(
      `    at loadInventory (${FIXTURE}:${position('new RangeError')})`,
    )
  })

  test('breadcrumbs arrive oldest first, with category, type, level, message and data', async () => {
    const sample = (await issue('TypeError')).samples[0] as Sample & {
      breadcrumbs: Record<string, unknown>[]
    }
    const ours = sample.breadcrumbs.filter((c) => c.category === 'cart' || c.category === 'payment')
    expect(ours.map(({ timestamp, ...c }) => c)).toEqual([
      { category: 'cart', level: 'info', message: 'added item 42', data: { sku: 'A-1', qty: 2 } },
      { category: 'payment', type: 'http', level: 'warning', message: 'charging card' },
    ])
    const [a, b] = ours.map((c) => c.timestamp as number)
    expect(Math.abs((a as number) - Date.now())).toBeLessThan(120_000)
    expect(b as number).toBeGreaterThanOrEqual(a as number)
  })

  test('the one user counts once per issue, in total and in its release', async () => {
    const detail = (await (await get(`/v1/errors/${(await issue('TypeError')).fingerprint}`)).json()) as {
      users_count: number
      users: unknown
    }
    expect(detail.users_count).toBe(1)
    expect(detail.users).toEqual({ total: 1, last_24h: 1, by_release: [{ release: 'shop@2.4.1', users: 1 }] })
  })

  test('tags: the SDK tag, the built-ins and the runtime and OS of its contexts, and a search by tag', async () => {
    const fp = (await issue('TypeError')).fingerprint
    const facets = (await (await get(`/v1/errors/${fp}/tags`)).json()) as {
      key: string
      values: { value: string; count: number; share: number }[]
    }[]
    const top = Object.fromEntries(facets.map((f) => [f.key, f.values[0]]))
    expect(top.region).toMatchObject({ value: 'eu-west', count: 1, share: 1 })
    expect(top.release?.value).toBe('shop@2.4.1')
    expect(top.environment?.value).toBe('staging')
    expect(top.source?.value).toBe('node')
    expect(top.runtime?.value).toBe(`node v${nodeVersion}`)
    // The distribution's name and version as the SDK reads them ("Debian 12.11"), trimmed.
    expect(top.os?.value).toMatch(/^[A-Za-z][\w ]* \S+$/)
    const listed = (await (
      await get(`/v1/errors?query=${encodeURIComponent('region:eu-west card')}`)
    ).json()) as {
      items: { error_type: string }[]
    }
    expect(listed.items.map((i) => i.error_type)).toEqual(['TypeError'])
  })
})
