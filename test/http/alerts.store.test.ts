/**
 * The alerting store (src/alerts/store.ts) and the engine's warm-up (src/alerts/engine.ts)
 * on the storage seam, on both backends with the same cases: rules, channels, cooldowns
 * and the delivery log (trimmed at its cap), the per-second counts the counters warm
 * from, and a warm-up that neither misses nor double-counts a batch committed while its
 * reads are on their way.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { AlertEngine } from '../../src/alerts/engine'
import { Alerting } from '../../src/alerts/service'
import {
  allCooldowns,
  channelsOf,
  DELIVERY_LOG_PER_RULE,
  type DeliveryRecord,
  deleteChannel,
  deleteRule,
  deliveriesOf,
  enabledRules,
  getRule,
  insertChannel,
  insertDelivery,
  insertRule,
  lastFiredOf,
  listRules,
  newestRawId,
  recordFiring,
  secondCounts,
  updateRule,
} from '../../src/alerts/store'
import { testConfig } from '../../src/config/load'
import type { CommitResult, CommittedIssue, NormalizedEvent } from '../../src/errors'
import { createLogger } from '../../src/ops/log'
import { Registry } from '../../src/ops/metrics'
import type { Backend, Queryable } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

/** A real webhook receiver on loopback. */
const received: Record<string, unknown>[] = []
const receiver = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    received.push((await req.json()) as Record<string, unknown>)
    return new Response('ok')
  },
})
afterAll(() => receiver.stop(true))

// Inside the partitions PostgreSQL's migration creates (yesterday through a week ahead).
const NOW = Math.floor(Date.now() / 1000) * 1000
const THRESHOLD = { type: 'threshold', threshold: 1, window_secs: 3600 } as const

const addProject = (b: Queryable, id: string) =>
  b.run(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [id, id.toUpperCase(), `${id}-slug`, `key-${id}`, `hash-${id}`, NOW],
  )

const addIssue = (b: Queryable, projectId: string, fingerprint: string, status = 'unresolved') =>
  b.run(
    `INSERT INTO issues (project_id, fingerprint, error_type, message, source, status, total_count, first_seen,
       last_seen, last_release, last_environment) VALUES (?, ?, 'TypeError', 'boom', 'web', ?, 1, ?, ?, '1.0', 'prod')`,
    [projectId, fingerprint, status, NOW, NOW],
  )

/** A stored raw event; its id. */
async function addRaw(
  b: Queryable,
  projectId: string,
  fingerprint: string,
  receivedAt: number,
): Promise<number> {
  const r = await b.get<{ id: number }>(
    `INSERT INTO raw_events (project_id, fingerprint, timestamp, received_at, source, environment, release,
       route_or_procedure, error_type, message)
     VALUES (?, ?, ?, ?, 'web', 'prod', '1.0', '/checkout', 'TypeError', 'boom') RETURNING id`,
    [projectId, fingerprint, receivedAt, receivedAt],
  )
  return (r as { id: number }).id
}

/** The backend, with some of its calls run through `over` first (to commit a batch mid-read). */
const spy = (b: Backend, over: Partial<Pick<Queryable, 'get' | 'all'>>): Queryable => ({
  kind: b.kind,
  dialect: b.dialect,
  all: over.all ?? ((sql, p) => b.all(sql, p)),
  get: over.get ?? ((sql, p) => b.get(sql, p)),
  run: (sql, p) => b.run(sql, p),
  exec: (sql) => b.exec(sql),
  insertMany: (t, c, r) => b.insertMany(t, c, r),
  runMany: (sql, r) => b.runMany(sql, r),
  getEach: (sql, r) => b.getEach(sql, r),
})

const rule = (projectId: string, name: string, enabled = true) => ({
  project_id: projectId,
  name,
  description: null,
  config: THRESHOLD,
  environment_filter: null,
  source_filter: null,
  enabled,
  created_by: 'u1',
})

const delivery = (ruleId: number, n: number): DeliveryRecord => ({
  rule_id: ruleId,
  alert_id: `a-${n}`,
  kind: 'alert',
  reason: 'threshold',
  fingerprint: 'fp',
  issue_title: 'TypeError: boom',
  channel_id: null,
  channel_type: 'webhook',
  target: 'http://example.com/…',
  outcome: n % 2 ? 'delivered' : 'failed',
  attempts: 1 + (n % 3),
  status_code: n % 2 ? 200 : null,
  response: null,
  error: n % 2 ? null : 'timeout',
  fired_at: NOW + n,
  finished_at: NOW + n + 5,
})

for (const kind of BACKENDS) {
  describe(`alerting store on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'shop')
      await addProject(b, 'blog')
    })

    test('a rule is stored and answered with its generated id, by id, by project and when enabled', async () => {
      const a = await insertRule(b, rule('shop', 'a'), NOW)
      const off = await insertRule(b, rule('shop', 'off', false), NOW + 1)
      const c = await insertRule(b, rule('blog', 'c'), NOW + 2)
      expect(a).toEqual({
        id: expect.any(Number),
        project_id: 'shop',
        name: 'a',
        description: null,
        rule_type: 'threshold',
        config: THRESHOLD,
        environment_filter: null,
        source_filter: null,
        enabled: true,
        created_by: 'u1',
        created_at: NOW,
        updated_at: NOW,
      })
      expect(off.enabled).toBe(false)
      expect(off.id).toBeGreaterThan(a.id)
      expect(await getRule(b, a.id)).toEqual(a)
      expect(await getRule(b, 999_999)).toBeNull()
      expect((await listRules(b, ['shop'])).map((r) => r.name)).toEqual(['a', 'off'])
      expect((await listRules(b, ['shop', 'blog'])).map((r) => r.name)).toEqual(['a', 'off', 'c'])
      expect(await listRules(b, [])).toEqual([])
      const enabled = (await enabledRules(b)).map((r) => r.id)
      expect(enabled).toContain(a.id)
      expect(enabled).toContain(c.id)
      expect(enabled).not.toContain(off.id)
    })

    test('an update answers the stored row, and null once the rule is deleted', async () => {
      const r = await insertRule(b, rule('shop', 'before'), NOW)
      const changed = await updateRule(
        b,
        { ...r, name: 'after', enabled: false, description: 'why', source_filter: 'web' },
        NOW + 10,
      )
      expect(changed).toEqual({
        ...r,
        name: 'after',
        enabled: false,
        description: 'why',
        source_filter: 'web',
        updated_at: NOW + 10,
      })
      expect(await deleteRule(b, r.id)).toBe(true)
      expect(await deleteRule(b, r.id)).toBe(false)
      expect(await updateRule(b, r, NOW + 20)).toBeNull()
    })

    test('channels belong to their rule, and go with it', async () => {
      const r = await insertRule(b, rule('shop', 'channels'), NOW)
      const other = await insertRule(b, rule('shop', 'other'), NOW)
      const hook = await insertChannel(b, r.id, { type: 'webhook', url: 'https://example.com/h' }, NOW)
      const mail = await insertChannel(b, r.id, { type: 'email', to: 'ops@example.com' }, NOW + 1)
      expect(hook).toEqual({
        id: expect.any(Number),
        rule_id: r.id,
        channel_type: 'webhook',
        config: { type: 'webhook', url: 'https://example.com/h' },
        created_at: NOW,
      })
      expect(await channelsOf(b, [r.id])).toEqual([hook, mail])
      expect(await channelsOf(b, [])).toEqual([])
      // The channel's own rule only.
      expect(await deleteChannel(b, other.id, hook.id)).toBe(false)
      expect(await deleteChannel(b, r.id, hook.id)).toBe(true)
      expect(await channelsOf(b, [r.id])).toEqual([mail])
      await deleteRule(b, r.id)
      const left = await b.get<{ n: number }>('SELECT count(*) AS n FROM alert_channels WHERE rule_id = ?', [
        r.id,
      ])
      expect(Number(left?.n)).toBe(0)
    })

    test('a firing upserts its cooldown, and the last firing per rule is the newest', async () => {
      const r = await insertRule(b, rule('blog', 'cool'), NOW)
      const s = await insertRule(b, rule('blog', 'warm'), NOW)
      await recordFiring(b, r.id, 'fp-1', NOW + 1)
      await recordFiring(b, r.id, 'fp-1', NOW + 5)
      await recordFiring(b, r.id, 'fp-2', NOW + 3)
      const mine = (await allCooldowns(b)).filter((c) => c.rule_id === r.id)
      expect(mine.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { rule_id: r.id, key: 'fp-1', last_fired_at: NOW + 5 },
        { rule_id: r.id, key: 'fp-2', last_fired_at: NOW + 3 },
      ])
      const last = await lastFiredOf(b, [r.id, s.id])
      expect([...last]).toEqual([[r.id, NOW + 5]])
      expect((await lastFiredOf(b, [])).size).toBe(0)
      // A deleted rule's cooldown cannot be written: the caller logs it and goes on.
      await deleteRule(b, s.id)
      await expect(recordFiring(b, s.id, 'fp', NOW)).rejects.toThrow()
    })

    test(`the delivery log keeps the newest ${DELIVERY_LOG_PER_RULE} rows of a rule and pages backwards`, async () => {
      const r = await insertRule(b, rule('shop', 'log'), NOW)
      const other = await insertRule(b, rule('shop', 'log2'), NOW)
      await insertDelivery(b, delivery(other.id, 0))
      let firstId = 0
      for (let n = 1; n <= DELIVERY_LOG_PER_RULE; n++) {
        const id = await insertDelivery(b, delivery(r.id, n))
        if (n === 1) firstId = id
      }
      const full = await deliveriesOf(b, r.id, 1000)
      expect(full).toHaveLength(DELIVERY_LOG_PER_RULE)
      const { rule_id: _, ...oldest } = delivery(r.id, 1)
      expect(full.at(-1)).toEqual({ id: firstId, ...oldest })
      await insertDelivery(b, delivery(r.id, DELIVERY_LOG_PER_RULE + 1))
      const kept = await deliveriesOf(b, r.id, 1000)
      expect(kept).toHaveLength(DELIVERY_LOG_PER_RULE)
      expect(kept[0]?.alert_id).toBe(`a-${DELIVERY_LOG_PER_RULE + 1}`)
      expect(kept.at(-1)?.alert_id).toBe('a-2')
      const page = await deliveriesOf(b, r.id, 2, kept[1]?.id)
      expect(page.map((d) => d.alert_id)).toEqual([
        `a-${DELIVERY_LOG_PER_RULE - 1}`,
        `a-${DELIVERY_LOG_PER_RULE - 2}`,
      ])
      // Another rule's log is not trimmed by this one's.
      expect((await deliveriesOf(b, other.id, 10)).map((d) => d.alert_id)).toEqual(['a-0'])
    })

    test('per-second counts cover stored events up to the id read, leaving muted and ignored issues out', async () => {
      await addIssue(b, 'blog', 'counted')
      await addIssue(b, 'blog', 'muted', 'muted')
      await addIssue(b, 'blog', 'ignored', 'ignored')
      for (const at of [NOW - 5000, NOW - 4900, NOW - 3000]) await addRaw(b, 'blog', 'counted', at)
      await addRaw(b, 'blog', 'muted', NOW - 3000)
      await addRaw(b, 'blog', 'ignored', NOW - 3000)
      await addRaw(b, 'blog', 'counted', NOW - 7200_000) // before the window
      const through = await newestRawId(b)
      await addRaw(b, 'blog', 'counted', NOW - 1000) // after the id read
      const rows = await secondCounts(b, NOW - 3600_000, through, ['blog'])
      const facets = {
        project_id: 'blog',
        fingerprint: 'counted',
        environment: 'prod',
        source: 'web',
        route: '/checkout',
      }
      // Whole seconds: the two events 5.0 and 4.9 s ago share one.
      expect(rows.sort((x, y) => x.sec - y.sec)).toEqual([
        { ...facets, sec: NOW / 1000 - 5, n: 2 },
        { ...facets, sec: NOW / 1000 - 3, n: 1 },
      ])
      expect(await secondCounts(b, NOW - 3600_000, through, [])).toEqual([])
    })
  })

  describe(`the alert engine's warm-up on ${kind}`, () => {
    let b: Backend
    const fp = 'warm-fp'
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'shop')
      await addIssue(b, 'shop', fp)
    })

    const issue: CommittedIssue = {
      project_id: 'shop',
      fingerprint: fp,
      is_new: false,
      regressed: false,
      status: 'unresolved',
      error_type: 'TypeError',
      message: 'boom',
      source: 'web',
      route_or_procedure: '/checkout',
      total_count: 1,
      first_seen: NOW,
      last_seen: NOW,
      breakdown: [{ environment: 'prod', source: 'web', release: '1.0', route: '/checkout', count: 1 }],
    }
    const normalized = (receivedAt: number) =>
      ({
        project_id: 'shop',
        fingerprint: fp,
        received_at: receivedAt,
        environment: 'prod',
        source: 'web',
        route_or_procedure: '/checkout',
      }) as NormalizedEvent
    /** What the errors feature's listener hands over for one committed event. */
    const batch = (rawId: number, receivedAt: number): [CommitResult, NormalizedEvent[]] => [
      { inserted: [1], issues: [issue], first_raw_id: rawId, last_raw_id: rawId, duration_ms: 0 },
      [normalized(receivedAt)],
    ]
    /** The counted events a threshold-1 rule reports as it fires on this batch. */
    const countOn = (engine: AlertEngine, rawId: number, at: number) => {
      const fired = engine.onCommit(...batch(rawId, at))
      const stats = fired[0]?.stats
      return stats?.type === 'threshold' ? stats.count : null
    }

    test('counts what is stored once, and batches committed while the reads are on their way once', async () => {
      const engine = (q: Queryable) =>
        new AlertEngine({ backend: q, log: createLogger('error'), now: () => NOW, cooldownMs: 0 })
      await addRaw(b, 'shop', fp, NOW - 10_000)
      await addRaw(b, 'shop', fp, NOW - 9000)
      const r = await insertRule(
        b,
        { ...rule('shop', 'warm'), config: { ...THRESHOLD, fingerprint: fp } },
        NOW,
      )

      // A plain start: the two stored events, then each new batch adds one.
      const plain = engine(b)
      await plain.load()
      const stored = await newestRawId(b)
      expect(countOn(plain, stored, NOW - 8000)).toBe(2) // already read by the warm-up: not again
      const id3 = await addRaw(b, 'shop', fp, NOW - 7000)
      expect(countOn(plain, id3, NOW - 7000)).toBe(3)

      // A batch that commits and reaches the listener just before the newest id is read:
      // the counts include it, the held event does not count it again.
      let during: AlertEngine | null = null
      const beforeIdRead = spy(b, {
        get: async (sql, p) => {
          if (during && sql.includes('max(id)')) {
            const id = await addRaw(b, 'shop', fp, NOW - 6000)
            expect(countOn(during, id, NOW - 6000)).toBeNull() // held: not evaluated on yet
          }
          return b.get(sql, p)
        },
      })
      during = engine(beforeIdRead)
      await during.reload(r.id)
      const id5 = await addRaw(b, 'shop', fp, NOW - 5000)
      expect(countOn(during, id5, NOW - 5000)).toBe(5)

      // A batch that commits after the id was read and before the counts: held, then counted.
      let late: AlertEngine | null = null
      const beforeCounts = spy(b, {
        all: async (sql, p) => {
          if (late && sql.includes('GROUP BY')) {
            const id = await addRaw(b, 'shop', fp, NOW - 4000)
            expect(countOn(late, id, NOW - 4000)).toBeNull()
          }
          return b.all(sql, p)
        },
      })
      late = engine(beforeCounts)
      await late.reload(r.id)
      const id7 = await addRaw(b, 'shop', fp, NOW - 3000)
      expect(countOn(late, id7, NOW - 3000)).toBe(7)
    })

    test('a firing writes its cooldown row, which the next start reads', async () => {
      // Past the cooldowns the previous test's firings left (it fired with no cooldown).
      const LATER = NOW + 120_000
      const engine = new AlertEngine({
        backend: b,
        log: createLogger('error'),
        now: () => LATER,
        cooldownMs: 60_000,
      })
      await engine.load()
      const id = await addRaw(b, 'shop', fp, NOW - 2000)
      expect(engine.onCommit(...batch(id, NOW - 2000))).toHaveLength(1)
      await engine.settled()
      const rows = await b.all<{ key: string; last_fired_at: number }>(
        'SELECT key, last_fired_at FROM alert_cooldowns',
      )
      expect(rows).toEqual([{ key: fp, last_fired_at: LATER }])
      const restarted = new AlertEngine({
        backend: b,
        log: createLogger('error'),
        now: () => LATER,
        cooldownMs: 60_000,
      })
      await restarted.load()
      const next = await addRaw(b, 'shop', fp, NOW - 1000)
      // Cooling down since the first engine's firing.
      expect(restarted.onCommit(...batch(next, NOW - 1000))).toEqual([])
    })
  })

  describe(`an alert delivered end to end on ${kind}`, () => {
    test('a committed batch fires, reaches a webhook with the project named, and is logged', async () => {
      const b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'shop')
      await addIssue(b, 'shop', 'fp-e2e')
      const r = await insertRule(b, { ...rule('shop', 'e2e'), config: { type: 'new_issue' } }, NOW)
      await insertChannel(b, r.id, { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/hook` }, NOW)
      const alerting = new Alerting({
        config: testConfig({ alerting: { allow_private_urls: true } }),
        backend: b,
        log: createLogger('error'),
        now: () => NOW,
        registry: new Registry(),
      })
      await alerting.start()
      const issue: CommittedIssue = {
        project_id: 'shop',
        fingerprint: 'fp-e2e',
        is_new: true,
        regressed: false,
        status: 'unresolved',
        error_type: 'TypeError',
        message: 'boom',
        source: 'web',
        route_or_procedure: null,
        total_count: 1,
        first_seen: NOW,
        last_seen: NOW,
        breakdown: [{ environment: 'prod', source: 'web', release: '1.0', route: null, count: 1 }],
      }
      const before = received.length
      alerting.onCommit(
        { inserted: [1], issues: [issue], first_raw_id: 1, last_raw_id: 1, duration_ms: 0 },
        [],
      )
      await alerting.settled()
      expect(received.length).toBe(before + 1)
      expect(received.at(-1)).toMatchObject({
        event: 'alert.fired',
        reason: 'new_issue',
        project: { id: 'shop', slug: 'shop-slug', name: 'SHOP' },
      })
      const log = await deliveriesOf(b, r.id, 10)
      expect(log.map((d) => [d.kind, d.reason, d.outcome, d.status_code, d.fingerprint])).toEqual([
        ['alert', 'new_issue', 'delivered', 200, 'fp-e2e'],
      ])
      expect([...(await lastFiredOf(b, [r.id]))]).toEqual([[r.id, NOW]])
      await alerting.close()
    })
  })
}
