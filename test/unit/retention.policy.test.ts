import { describe, expect, test } from 'bun:test'
import { DAY_MS, HOUR_MS } from '../../src/core/time'
import { parseBody } from '../../src/http/validate'
import { RetentionUpdate } from '../../src/retention/model'
import { decideCutoffs, isExpired } from '../../src/retention/policy'

const NOW = Date.UTC(2026, 0, 15, 12, 30, 0)

describe('retention policy', () => {
  test('an event received exactly the window ago stays; one millisecond older expires', () => {
    const c = decideCutoffs({ raw_events_days: 7, hourly_counts_days: 90 }, [], NOW)
    expect(c.raw_default).toBe(NOW - 7 * DAY_MS)
    expect(isExpired(c, 'p', NOW - 7 * DAY_MS)).toBe(false)
    expect(isExpired(c, 'p', NOW - 7 * DAY_MS - 1)).toBe(true)
    expect(isExpired(c, 'p', NOW)).toBe(false)
  })

  test('a project override wins over the global window, longer or shorter', () => {
    const c = decideCutoffs(
      { raw_events_days: 7, hourly_counts_days: 90 },
      [
        { project_id: 'long', raw_events_days: 30 },
        { project_id: 'short', raw_events_days: 1 },
      ],
      NOW,
    )
    const tenDaysAgo = NOW - 10 * DAY_MS
    const twoDaysAgo = NOW - 2 * DAY_MS
    expect(isExpired(c, 'long', tenDaysAgo)).toBe(false)
    expect(isExpired(c, 'other', tenDaysAgo)).toBe(true)
    expect(isExpired(c, 'short', twoDaysAgo)).toBe(true)
    expect(isExpired(c, 'other', twoDaysAgo)).toBe(false)
    expect(c.raw_by_project).toEqual({ long: NOW - 30 * DAY_MS, short: NOW - DAY_MS })
  })

  test('the scan stops at the latest cutoff of any project', () => {
    const c = decideCutoffs(
      { raw_events_days: 7, hourly_counts_days: 90 },
      [{ project_id: 'short', raw_events_days: 1 }],
      NOW,
    )
    expect(c.raw_scan_until).toBe(NOW - DAY_MS)
    const noShort = decideCutoffs(
      { raw_events_days: 7, hourly_counts_days: 90 },
      [{ project_id: 'long', raw_events_days: 30 }],
      NOW,
    )
    expect(noShort.raw_scan_until).toBe(NOW - 7 * DAY_MS)
  })

  test('an hour bucket goes only once its whole hour is older than the hourly window', () => {
    const c = decideCutoffs({ raw_events_days: 7, hourly_counts_days: 2 }, [], NOW)
    const cutoff = NOW - 2 * DAY_MS
    expect(c.hourly_last_bucket).toBe(cutoff - HOUR_MS)
    // The bucket holding the cutoff still has events inside the window: it stays.
    const bucketOfCutoff = Math.floor(cutoff / HOUR_MS) * HOUR_MS
    expect(bucketOfCutoff <= c.hourly_last_bucket).toBe(false)
    expect(bucketOfCutoff - HOUR_MS <= c.hourly_last_bucket).toBe(true)
  })
})

describe('retention settings body', () => {
  const ok = (body: unknown) => parseBody(RetentionUpdate, body)
  const fieldOf = (body: unknown) => {
    try {
      ok(body)
    } catch (err) {
      return {
        status: (err as { status: number }).status,
        field: (err as { extra: { field?: string } }).extra.field,
      }
    }
    return null
  }

  test('accepts global windows of exactly 1 and 3650 days', () => {
    expect(ok({ raw_events_days: 1, hourly_counts_days: 3650 })).toEqual({
      raw_events_days: 1,
      hourly_counts_days: 3650,
    })
  })

  test('rejects global windows of 0 and 3651 days with 400 naming the field', () => {
    expect(fieldOf({ raw_events_days: 0 })).toEqual({ status: 400, field: 'raw_events_days' })
    expect(fieldOf({ raw_events_days: 3651 })).toEqual({ status: 400, field: 'raw_events_days' })
    expect(fieldOf({ hourly_counts_days: 0 })).toEqual({ status: 400, field: 'hourly_counts_days' })
    expect(fieldOf({ hourly_counts_days: 3651 })).toEqual({ status: 400, field: 'hourly_counts_days' })
    expect(fieldOf({ raw_events_days: 7.5 })).toEqual({ status: 400, field: 'raw_events_days' })
  })

  test('a project override takes 0 (remove) to 3650 days, nothing outside', () => {
    expect(
      ok({ per_project: [{ project_id: 'a', raw_events_days: 0 }] }).per_project?.[0]?.raw_events_days,
    ).toBe(0)
    expect(
      ok({ per_project: [{ project_id: 'a', raw_events_days: 3650 }] }).per_project?.[0]?.raw_events_days,
    ).toBe(3650)
    expect(fieldOf({ per_project: [{ project_id: 'a', raw_events_days: 3651 }] })).toEqual({
      status: 400,
      field: 'per_project.0.raw_events_days',
    })
    expect(fieldOf({ per_project: [{ project_id: 'a', raw_events_days: -1 }] })).toEqual({
      status: 400,
      field: 'per_project.0.raw_events_days',
    })
  })

  test('rejects unknown fields instead of ignoring a typo', () => {
    expect(fieldOf({ raw_event_days: 7 })).toEqual({ status: 400, field: 'raw_event_days' })
  })
})
