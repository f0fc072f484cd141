/**
 * The five analytics endpoints against the independent reference computation
 * (analytics.reference.ts) over the same seeded events, fed through the real queue and writer
 * (on SQLite the writer thread and the feed into DuckDB; on PostgreSQL the database itself);
 * plus parameters, access, scoping and the answer cache.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { NormalizedEvent } from '../../src/errors/event'
import { createToken, revokeToken } from '../../src/tokens/store'
import {
  close,
  type Filter,
  generate,
  H,
  makeEvent,
  refCorrelations,
  refEnvironments,
  refMovers,
  refReleases,
  refSpikes,
} from '../analytics.reference'
import { bearer, projectIn, startRuntime, type TestRuntime } from '../helpers'

const T0 = Date.UTC(2026, 2, 15, 10, 17, 23)
let now = T0
let rt: TestRuntime
let token: string
let events: NormalizedEvent[]
const DEFAULT: Filter = { projects: ['default'] }

async function submit(list: NormalizedEvent[]) {
  for (let i = 0; i < list.length; i += 2000) {
    const ack = rt.features.errors.queue.submit(list.slice(i, i + 2000))
    if (ack === 'full') throw new Error('expected the queue to accept the batch')
    await ack
  }
}

/**
 * The seeded events are received over days before T0, a fixed day in the past: PostgreSQL's
 * raw_events is partitioned by receive day (yesterday to a week ahead exist), so a runtime
 * on it gets those days' partitions first.
 */
async function coverDays(r: TestRuntime, list: NormalizedEvent[]) {
  if (r.core.backend.kind !== 'postgres' || list.length === 0) return
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  for (const e of list) {
    if (e.received_at < from) from = e.received_at
    if (e.received_at > to) to = e.received_at
  }
  await r.core.backend.get('SELECT bloop_partitions_cover(?, ?, ?)', ['raw_events', from, to])
}

async function get(path: string, tok = token) {
  const res = await rt.fetch(path, { headers: bearer(tok) })
  return { status: res.status, cache: res.headers.get('x-bloop-cache'), body: (await res.json()) as any }
}

function expectClose(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  for (const [k, v] of Object.entries(expected)) {
    const a = actual[k]
    if (typeof v === 'number' || (v === null && typeof a === 'number')) {
      if (!close(a as number | null, v as number | null)) {
        throw new Error(`${k}: expected ${v}, got ${a} (in ${JSON.stringify(actual)})`)
      }
    } else expect(a).toEqual(v)
  }
}

beforeAll(async () => {
  rt = await startRuntime({ analytics: { sync_interval_ms: 0 } }, { now: () => now })
  await projectIn(rt.core.backend, { id: 'other', name: 'Other', slug: 'other' })
  token = rt.token(['errors:read'])
  events = generate(T0).sort((a, b) => a.received_at - b.received_at)
  await coverDays(rt, events)
  // Fed in several steps, so the copy holds partial rows that compaction later merges.
  await submit(events.slice(0, 8000))
  await rt.features.analytics.analytics.syncNow()
  await submit(events.slice(8000))
  await rt.features.analytics.analytics.syncNow()
})

afterAll(async () => {
  await rt.dispose()
})

describe('spikes', () => {
  for (const [name, filter, query] of [
    ['all environments', DEFAULT, ''],
    ['one environment', { ...DEFAULT, environment: 'staging' }, '&environment=staging'],
  ] as const) {
    test(`match the reference z-scores over 72 hours (${name})`, async () => {
      const { status, body } = await get(`/v1/analytics/spikes?limit=100${query}`)
      expect(status).toBe(200)
      const ref = refSpikes(events, filter, now, 72, 2.5, 5)
      expect(ref.length).toBeGreaterThan(3)
      expect(ref.length).toBeLessThan(100)
      expect(body.spikes.length).toBe(ref.length)
      body.spikes.forEach((s: Record<string, unknown>, i: number) => {
        expectClose(s, ref[i] as unknown as Record<string, unknown>)
      })
      expect(body).toMatchObject({ threshold: 2.5, min_count: 5, window_hours: 72 })
    })
  }

  test('find the planted spikes: a burst out of silence first (infinite z), then the 60-event hour', async () => {
    const { body } = await get('/v1/analytics/spikes?limit=100')
    const burst = body.spikes.find((s: { fingerprint: string }) => s.fingerprint === 'burst')
    expect(burst).toMatchObject({ hour_bucket: Math.floor(now / H) * H - 5 * H, count: 12, zscore: null })
    expect(burst.mean).toBe(0)
    expect(burst.stddev).toBe(0)
    expect(body.spikes[0].zscore).toBeNull()
    const spiky = body.spikes.find((s: { fingerprint: string }) => s.fingerprint === 'spiky-1')
    expect(spiky).toMatchObject({ hour_bucket: Math.floor(now / H) * H - 10 * H, count: 60 })
    expect(spiky.zscore).toBeGreaterThan(20)
    expect(spiky.error_type).toBe('Error_spiky-1')
    expect(spiky.message).toBe('message of spiky-1')
  })

  test('are cut to `limit`, highest z first', async () => {
    const { body } = await get('/v1/analytics/spikes?limit=3')
    const ref = refSpikes(events, DEFAULT, now, 72, 2.5, 5).slice(0, 3)
    expect(body.spikes.map((s: { fingerprint: string }) => s.fingerprint)).toEqual(
      ref.map((s) => s.fingerprint),
    )
  })

  test('need at least three hours (two other hours for a sample deviation)', async () => {
    expect((await get('/v1/analytics/spikes?hours=2')).body.spikes).toEqual([])
    const three = await get('/v1/analytics/spikes?hours=3&limit=100')
    expect(three.body.spikes.length).toBe(refSpikes(events, DEFAULT, now, 3, 2.5, 5).length)
  })
})

describe('movers', () => {
  for (const [hours, filter, query] of [
    [72, DEFAULT, ''],
    [168, DEFAULT, ''],
    [72, { ...DEFAULT, environment: 'development' }, '&environment=development'],
  ] as const) {
    test(`match the reference over ${hours} hours against the ${hours} before${query}`, async () => {
      const { status, body } = await get(`/v1/analytics/movers?hours=${hours}&limit=100${query}`)
      expect(status).toBe(200)
      const ref = refMovers(events, filter, now, hours).slice(0, 100)
      expect(ref.length).toBeGreaterThan(5)
      expect(body.movers.length).toBe(ref.length)
      body.movers.forEach((m: Record<string, unknown>, i: number) => {
        expectClose(m, ref[i] as unknown as Record<string, unknown>)
      })
      expect(body.previous_window_start).toBe(Math.floor(now / H) * H - (2 * hours - 1) * H)
    })
  }

  test('report a new fingerprint with delta_pct 100', async () => {
    const { body } = await get('/v1/analytics/movers?limit=100')
    const bad = body.movers.find((m: { fingerprint: string }) => m.fingerprint === 'bad-3')
    expect(bad.count_previous).toBe(0)
    expect(bad.delta_pct).toBe(100)
  })
})

describe('correlations', () => {
  for (const [hours, filter, query] of [
    [72, DEFAULT, ''],
    [168, DEFAULT, ''],
    [72, { ...DEFAULT, environment: 'production' }, '&environment=production'],
  ] as const) {
    test(`match the reference Pearson r over ${hours} hours${query}`, async () => {
      const { status, body } = await get(`/v1/analytics/correlations?hours=${hours}&limit=100${query}`)
      expect(status).toBe(200)
      const ref = refCorrelations(events, filter, now, hours, 0.7, 200)
      expect(ref.length).toBeGreaterThan(0)
      expect(body.pairs.length).toBe(Math.min(ref.length, 100))
      body.pairs.forEach((p: Record<string, unknown>, i: number) => {
        const r = ref[i] as { a: string; b: string; correlation: number }
        expect(`${p.project_a}|${p.fingerprint_a}`).toBe(r.a)
        expect(`${p.project_b}|${p.fingerprint_b}`).toBe(r.b)
        expect(close(p.correlation as number, r.correlation)).toBe(true)
      })
    })
  }

  test('find the planted pair and not the series that moves against it', async () => {
    const { body } = await get('/v1/analytics/correlations?limit=100&hours=168')
    const pair = body.pairs.find(
      (p: { fingerprint_a: string; fingerprint_b: string }) =>
        p.fingerprint_a === 'corr-a' && p.fingerprint_b === 'corr-b',
    )
    expect(pair.correlation).toBeGreaterThan(0.8)
    expect(pair.message_a).toBe('message of corr-a')
    expect(pair.count_b).toBeGreaterThan(pair.count_a)
    expect(
      body.pairs.some((p: { fingerprint_a: string; fingerprint_b: string }) =>
        [p.fingerprint_a, p.fingerprint_b].includes('anti'),
      ),
    ).toBe(false)
  })

  test('take only the busiest fingerprints when correlation_max_fingerprints is small', async () => {
    const small = await startRuntime(
      { analytics: { sync_interval_ms: 0, correlation_max_fingerprints: 3, min_correlation: -1 } },
      { now: () => now },
    )
    try {
      const mine = events.filter((e) => e.project_id === 'default')
      await coverDays(small, mine)
      for (let i = 0; i < mine.length; i += 2000) {
        const ack = small.features.errors.queue.submit(mine.slice(i, i + 2000))
        if (ack === 'full') throw new Error('expected the queue to accept the batch')
        await ack
      }
      await small.features.analytics.analytics.syncNow()
      const res = await small.fetch('/v1/analytics/correlations?limit=100', {
        headers: bearer(small.token(['errors:read'])),
      })
      const body = (await res.json()) as { pairs: { correlation: number }[]; max_fingerprints: number }
      const ref = refCorrelations(events, DEFAULT, now, 72, -1, 3)
      expect(ref.length).toBe(3)
      expect(body.max_fingerprints).toBe(3)
      expect(body.pairs.map((p) => p.correlation)).toEqual(ref.map((r) => expect.closeTo(r.correlation, 9)))
    } finally {
      await small.dispose()
    }
  })
})

describe('releases', () => {
  for (const [hours, filter, query] of [
    [72, DEFAULT, ''],
    [168, DEFAULT, ''],
    [168, { ...DEFAULT, environment: 'staging' }, '&environment=staging'],
  ] as const) {
    test(`match the reference over releases active in ${hours} hours${query}`, async () => {
      const { status, body } = await get(`/v1/analytics/releases?hours=${hours}${query}`)
      expect(status).toBe(200)
      const ref = refReleases(events, filter, now, hours)
      expect(ref.length).toBeGreaterThanOrEqual(2)
      expect(body.releases.length).toBe(ref.length)
      body.releases.forEach((r: Record<string, unknown>, i: number) => {
        expectClose(r, ref[i] as unknown as Record<string, unknown>)
      })
    })
  }

  test('show the bad release newest first with its new fingerprints and the highest impact', async () => {
    const { body } = await get('/v1/analytics/releases?hours=168')
    expect(body.releases.map((r: { release: string }) => r.release)).toEqual(['2.0.0-bad', '1.1.0', '1.0.0'])
    const [bad, mid, first] = body.releases
    expect(bad.new_fingerprints).toBe(5)
    expect(bad.previous_release).toBe('1.1.0')
    expect(bad.rate_change_pct).toBeGreaterThan(20)
    expect(bad.impact_score).toBeGreaterThan(mid.impact_score)
    expect(first.previous_release).toBeNull()
    expect(first.rate_change_pct).toBeNull()
    expect(first.impact_score).toBe(first.new_fingerprints * 10)
  })
})

describe('environments', () => {
  for (const [hours, filter, query] of [
    [72, DEFAULT, ''],
    [720, DEFAULT, ''],
    [24, { ...DEFAULT, environment: 'staging' }, '&environment=staging'],
  ] as const) {
    test(`match the reference counts, shares and percentiles over ${hours} hours${query}`, async () => {
      const { status, body } = await get(`/v1/analytics/environments?hours=${hours}${query}`)
      expect(status).toBe(200)
      const ref = refEnvironments(events, filter, now, hours)
      expect(body.total_count).toBe(ref.total_count)
      expect(body.environments.length).toBe(ref.environments.length)
      body.environments.forEach((e: Record<string, unknown>, i: number) => {
        expectClose(e, ref.environments[i] as unknown as Record<string, unknown>)
      })
    })
  }

  test('keep the total over every environment when the list is cut to `limit`', async () => {
    const { body } = await get('/v1/analytics/environments?limit=1')
    const ref = refEnvironments(events, DEFAULT, now, 72)
    expect(body.environments.length).toBe(1)
    expect(body.environments[0].environment).toBe('production')
    expect(body.total_count).toBe(ref.total_count)
  })
})

describe('parameters', () => {
  test('accept hours 1-720 and limit 1-100, and refuse values outside with 400', async () => {
    const small = await get('/v1/analytics/movers?hours=1&limit=1')
    expect(small.body.window_hours).toBe(1)
    expect(small.body.movers.length).toBe(1)
    const atLimit = await get('/v1/analytics/movers?hours=720&limit=100')
    expect(atLimit.body.window_hours).toBe(720)
    expect(atLimit.body.movers.length).toBe(refMovers(events, DEFAULT, now, 720).slice(0, 100).length)
    for (const [query, field, range] of [
      ['hours=0', 'hours', '1 to 720'],
      ['hours=721', 'hours', '1 to 720'],
      ['limit=0', 'limit', '1 to 100'],
      ['limit=101', 'limit', '1 to 100'],
    ] as const) {
      const over = await get(`/v1/analytics/movers?${query}`)
      expect(over.status).toBe(400)
      expect(over.body).toEqual({
        error: `query parameter ${field}: expected an integer from ${range} (got "${query.split('=')[1]}")`,
        code: 'invalid_query',
        field,
      })
    }
  })

  test('default to 72 hours and 20 rows', async () => {
    const { body } = await get('/v1/analytics/movers')
    expect(body.window_hours).toBe(72)
    expect(body.movers.length).toBe(20)
    expect(body.window_end).toBe(Math.floor(now / H) * H + H)
    expect(body.window_start).toBe(body.window_end - 72 * H)
  })

  for (const [query, field] of [
    ['hours=abc', 'hours'],
    ['hours=1.5', 'hours'],
    ['hours=1e3', 'hours'],
    ['limit=ten', 'limit'],
    ['environment=', 'environment'],
  ] as const) {
    test(`answer 400 naming ${field} for ${query}`, async () => {
      for (const endpoint of ['spikes', 'movers', 'correlations', 'releases', 'environments']) {
        const { status, body } = await get(`/v1/analytics/${endpoint}?${query}`)
        expect(status).toBe(400)
        expect(body.code).toBe('invalid_query')
        expect(body.field).toBe(field)
        expect(body.error).toContain(field)
      }
    })
  }
})

describe('access', () => {
  test('answers 401 without credentials and with a revoked token', async () => {
    const anon = await rt.fetch('/v1/analytics/spikes')
    expect(anon.status).toBe(401)
    const { token: revoked, row } = await createToken(rt.core.backend, {
      projectId: 'default',
      name: 'revoked',
      scopes: ['errors:read'],
    })
    await revokeToken(rt.core.backend, row.id)
    expect((await get('/v1/analytics/movers', revoked)).status).toBe(401)
  })

  test('answers 403 to a token without errors:read', async () => {
    const { status, body } = await get('/v1/analytics/releases', rt.token(['alerts:read']))
    expect(status).toBe(403)
    expect(body.code).toBe('insufficient_scope')
  })

  test("answers 404 for another project's project_id", async () => {
    const { status } = await get('/v1/analytics/environments?project_id=other')
    expect(status).toBe(404)
  })

  test("never shows another project's events", async () => {
    const mine = await get('/v1/analytics/movers?limit=100&hours=720')
    expect(mine.body.movers.every((m: { project_id: string }) => m.project_id === 'default')).toBe(true)
    const theirs = await get('/v1/analytics/movers?limit=100&hours=720', rt.token(['errors:read'], 'other'))
    expect(theirs.body.movers.map((m: { fingerprint: string }) => m.fingerprint)).toEqual(['other-project'])
    const env = await get('/v1/analytics/environments?project_id=other', rt.token(['errors:read'], 'other'))
    expect(env.body.total_count).toBe(refEnvironments(events, { projects: ['other'] }, now, 72).total_count)
  })
})

describe('cache', () => {
  test('serves a repeated question from the cache until new data lands in the last hour', async () => {
    const first = await get('/v1/analytics/environments?hours=5')
    expect(first.cache).toBe('miss')
    const second = await get('/v1/analytics/environments?hours=5')
    expect(second.cache).toBe('hit')
    expect(second.body).toEqual(first.body)
    const fresh = [makeEvent({ fingerprint: 'late', received_at: now - 1000, environment: 'qa' })]
    events.push(...fresh)
    await submit(fresh)
    // Acknowledged but not yet copied: the cached answer still stands.
    await rt.features.analytics.analytics.syncNow()
    const third = await get('/v1/analytics/environments?hours=5')
    expect(third.cache).toBe('miss')
    expect(third.body.total_count).toBe(first.body.total_count + 1)
    expect(third.body.environments.map((e: { environment: string }) => e.environment)).toContain('qa')
  })

  test('keeps answers of other projects when one project gets data', async () => {
    const other = rt.token(['errors:read'], 'other')
    expect((await get('/v1/analytics/movers?hours=6', other)).cache).toBe('miss')
    const fresh = [makeEvent({ fingerprint: 'late-2', received_at: now - 500 })]
    events.push(...fresh)
    await submit(fresh)
    await rt.features.analytics.analytics.syncNow()
    expect((await get('/v1/analytics/movers?hours=6', other)).cache).toBe('hit')
  })

  test('expires answers after cache_ttl_secs', async () => {
    expect((await get('/v1/analytics/releases?hours=7')).cache).toBe('miss')
    now += 59_000
    expect((await get('/v1/analytics/releases?hours=7')).cache).toBe('hit')
    now += 1_000
    expect((await get('/v1/analytics/releases?hours=7')).cache).toBe('miss')
    now = T0
  })
})

describe('switched off', () => {
  test('analytics.enabled = false answers 404 saying so, and ingest still works', async () => {
    const off = await startRuntime({ analytics: { enabled: false } })
    try {
      const res = await off.fetch('/v1/analytics/spikes', { headers: bearer(off.token(['errors:read'])) })
      expect(res.status).toBe(404)
      const body = (await res.json()) as { error: string; code: string }
      expect(body.code).toBe('not_found')
      expect(body.error).toContain('analytics.enabled = false')
      const ack = off.features.errors.queue.submit([makeEvent({ fingerprint: 'x', received_at: Date.now() })])
      expect(ack).not.toBe('full')
      expect((await ack) as unknown).toEqual({ stored: 1, inserted: [1] })
      const status = await off.fetch('/v1/analytics/status', { headers: bearer(off.token(['errors:read'])) })
      expect(((await status.json()) as { state: string }).state).toBe('disabled')
    } finally {
      await off.dispose()
    }
  })
})
