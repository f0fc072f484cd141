/** Client reports: what one envelope can add to the discarded-events counters. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { discardedEvents, MAX_QUANTITY, MAX_REPORT_TOTAL } from '../../src/sentry/outcomes'
import { sentryProjectOf } from '../../src/sentry/store'
import { startRuntime, type TestRuntime } from '../helpers'
import { envelope } from '../sentry.helpers'

const line = (quantity: unknown, reason = 'queue_overflow', category = 'error') => ({
  reason,
  category,
  quantity,
})
const total = (ds: { quantity: number }[]) => ds.reduce((n, d) => n + d.quantity, 0)

describe('discardedEvents', () => {
  test('reads every line of every report, labels reduced to known values', () => {
    expect(
      discardedEvents([
        { discarded_events: [line(3), line(2, 'made_up', 'weird')] },
        { discarded_events: [line(5, 'sample_rate', 'transaction')] },
        { discarded_events: 'not a list' },
      ]),
    ).toEqual([
      { reason: 'queue_overflow', category: 'error', quantity: 3 },
      { reason: 'other', category: 'other', quantity: 2 },
      { reason: 'sample_rate', category: 'transaction', quantity: 5 },
    ])
  })

  test('skips quantities that are not positive integers', () => {
    expect(
      discardedEvents([{ discarded_events: [line(0), line(-4), line(1.5), line('7'), null, 7] }]),
    ).toEqual([])
  })

  test('a line claiming a billion counts as 100,000', () => {
    expect(MAX_QUANTITY).toBe(100_000)
    expect(discardedEvents([{ discarded_events: [line(1_000_000_000)] }])).toEqual([
      { reason: 'queue_overflow', category: 'error', quantity: 100_000 },
    ])
  })

  test('all lines of all reports of one envelope add at most 1,000,000, the first lines first', () => {
    expect(MAX_REPORT_TOTAL).toBe(1_000_000)
    const report = { discarded_events: Array.from({ length: 7 }, () => line(150_000)) }
    const ds = discardedEvents([report, report])
    expect(ds.map((d) => d.quantity)).toEqual([...Array(10).fill(100_000)])
    expect(total(ds)).toBe(1_000_000)
    const uneven = discardedEvents([{ discarded_events: [line(999_990), line(50), line(3)] }])
    expect(uneven.map((d) => d.quantity)).toEqual([100_000, 50, 3])
    const atTheEdge = discardedEvents([
      { discarded_events: [...Array(9).fill(line(100_000)), line(99_990), line(50), line(3)] },
    ])
    expect(atTheEdge.slice(9).map((d) => d.quantity)).toEqual([99_990, 10])
  })
})

describe('a forged client report in /metrics', () => {
  let rt: TestRuntime
  beforeAll(async () => {
    rt = await startRuntime()
  })
  afterAll(() => rt.dispose())

  test('moves the counters by at most 1,000,000, however many reports and lines it carries', async () => {
    const key = (await sentryProjectOf(rt.core.backend, 'default'))?.sentry_public_key as string
    const report = {
      timestamp: 1_700_000_000,
      discarded_events: Array.from({ length: 200 }, (_, i) =>
        line(Number.MAX_SAFE_INTEGER, i % 2 ? 'network_error' : 'before_send', 'error'),
      ),
    }
    const body = envelope(
      {},
      Array.from({ length: 20 }, () => ({ type: 'client_report', payload: report })),
    )
    const res = await rt.fetch(`/api/1/envelope/?sentry_key=${key}`, {
      method: 'POST',
      body: body as BodyInit,
    })
    expect(res.status).toBe(200)
    const text = await (await rt.fetch('/metrics')).text()
    const counted = text
      .split('\n')
      .filter((l) => l.startsWith('bloop_sentry_client_discarded_events_total{'))
      .map((l) => Number(l.split(' ').at(-1)))
    expect(counted.reduce((n, v) => n + v, 0)).toBe(1_000_000)
    expect(text).toContain('bloop_sentry_items_total{type="client_report"} 20')
  })
})
