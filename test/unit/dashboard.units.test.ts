/**
 * The dashboard's pure modules: filters read from and written to the URL, the alert rule
 * form turned into API bodies and back, and the display formats.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ago, bytes, count, signed } from '../../src/dashboard/lib/format'
import type { RuleView } from '../../src/dashboard/lib/types'
import {
  configOf,
  describe as describeRule,
  emptyForm,
  fromRule,
  toBody,
} from '../../src/dashboard/pages/alerts/rule'
import {
  apiQuery,
  chartHours,
  filterParams,
  narrowed,
  PAGE_SIZE,
  readFilters,
} from '../../src/dashboard/pages/issues/filterState'
import { ApiError } from '../../src/web/browser/api'

describe('issue filters in the URL', () => {
  test('an empty query is the triage view: unresolved, newest activity first', () => {
    const f = readFilters(new URLSearchParams(''))
    expect(f).toEqual({
      status: 'unresolved',
      assigned: '',
      release: '',
      environment: '',
      source: '',
      route: '',
      q: '',
      range: '',
      sort: 'last_seen',
      offset: 0,
    })
    expect(narrowed(f)).toBe(false)
    expect(chartHours(f)).toBe(72)
  })

  test('unknown values fall back to the defaults instead of breaking the page', () => {
    const f = readFilters(new URLSearchParams('status=gone&sort=random&range=3y&offset=-5'))
    expect([f.status, f.sort, f.range, f.offset]).toEqual(['unresolved', 'last_seen', '', 0])
    expect(readFilters(new URLSearchParams('offset=1.5')).offset).toBe(0)
    expect(readFilters(new URLSearchParams('assigned=someone')).assigned).toBe('')
  })

  test('the assignment filter goes into the URL and the API query as given', () => {
    const f = readFilters(new URLSearchParams('assigned=me'))
    expect([f.assigned, filterParams(f).assigned, apiQuery(f, null, 0).assigned, narrowed(f)]).toEqual([
      'me',
      'me',
      'me',
      true,
    ])
  })

  test('writing filters leaves defaults out, so URLs stay short and shareable', () => {
    expect(filterParams({ status: 'unresolved', sort: 'last_seen', offset: 0 })).toEqual({
      status: null,
      assigned: null,
      release: null,
      environment: null,
      source: null,
      route: null,
      q: null,
      range: null,
      sort: null,
      offset: null,
    })
    const q = new URLSearchParams(
      'status=all&environment=staging&range=7d&sort=total_count&offset=50&q=browser%3AChrome+timeout',
    )
    const f = readFilters(q)
    expect(filterParams(f)).toEqual({
      status: 'all',
      assigned: null,
      release: null,
      environment: 'staging',
      source: null,
      route: null,
      q: 'browser:Chrome timeout',
      range: '7d',
      sort: 'total_count',
      offset: '50',
    })
    expect(narrowed(f)).toBe(true)
  })

  test('the API query turns the range into a last-seen bound and "any status" into no status', () => {
    const now = 1_800_000_000_000
    const f = readFilters(new URLSearchParams('status=all&range=24h&route=/checkout'))
    expect(apiQuery(f, 'web', now)).toEqual({
      project_id: 'web',
      status: undefined,
      assigned: undefined,
      release: undefined,
      environment: undefined,
      source: undefined,
      route: '/checkout',
      query: undefined,
      since: now - 86_400_000,
      sort: 'last_seen',
      limit: PAGE_SIZE,
      offset: 0,
      trend_hours: 24,
    })
    expect(chartHours(f)).toBe(24)
    expect(chartHours(readFilters(new URLSearchParams('range=30d')))).toBe(720)
    // The search text goes to the API as `query`; a search alone narrows the view.
    const searched = readFilters(new URLSearchParams('q=is%3Amuted&sort=users_count'))
    expect(apiQuery(searched, null, now)).toMatchObject({ query: 'is:muted', sort: 'users_count' })
    expect(narrowed(readFilters(new URLSearchParams('q=timeout')))).toBe(true)
  })
})

describe('the alert rule form', () => {
  test('builds the config of each rule type, leaving empty options out', () => {
    const f = emptyForm('web')
    expect(configOf(f)).toEqual({ type: 'new_issue' })
    expect(
      configOf({ ...f, type: 'threshold', threshold: '50', window_secs: '300', route: '/checkout' }),
    ).toEqual({
      type: 'threshold',
      threshold: 50,
      window_secs: 300,
      route: '/checkout',
    })
    expect(
      configOf({
        ...f,
        type: 'spike',
        multiplier: '2.5',
        compare_window_secs: '600',
        baseline_window_secs: '7200',
      }),
    ).toEqual({
      type: 'spike',
      multiplier: 2.5,
      compare_window_secs: 600,
      baseline_window_secs: 7200,
      min_events: 10,
    })
  })

  test('a number that is not one goes to the server as null, which names the field', () => {
    const c = configOf({ ...emptyForm('web'), type: 'threshold', threshold: 'ten' })
    expect(JSON.parse(JSON.stringify(c))).toEqual({ type: 'threshold', threshold: null, window_secs: 300 })
  })

  test('an update clears emptied optional fields with null; a create leaves them out', () => {
    const f = { ...emptyForm('web'), name: ' Errors ', description: '', environment_filter: '' }
    expect(JSON.parse(JSON.stringify(toBody(f)))).toEqual({
      name: 'Errors',
      project_id: 'web',
      config: { type: 'new_issue' },
      enabled: true,
    })
    expect(toBody(f, true)).toMatchObject({
      description: null,
      environment_filter: null,
      source_filter: null,
    })
  })

  test("a new-issue rule's own environment option shows as the one environment field and is saved there", () => {
    const rule: RuleView = {
      id: 4,
      project_id: 'p1',
      name: 'New in staging',
      description: null,
      rule_type: 'new_issue',
      config: { type: 'new_issue', environment: 'staging' },
      environment_filter: null,
      source_filter: null,
      enabled: true,
      created_at: 1,
      updated_at: 2,
      last_fired_at: null,
      channels: [],
    }
    const form = fromRule(rule, 'web')
    expect(form.environment_filter).toBe('staging')
    expect(toBody(form, true)).toMatchObject({ config: { type: 'new_issue' }, environment_filter: 'staging' })
    // Both set: the filter is what the form shows and keeps.
    const both = fromRule({ ...rule, environment_filter: 'production' }, 'web')
    expect(toBody(both, true)).toMatchObject({
      config: { type: 'new_issue' },
      environment_filter: 'production',
    })
  })

  test('a stored rule fills the form and comes back as the same body', () => {
    const rule: RuleView = {
      id: 3,
      project_id: 'p1',
      name: 'Spikes',
      description: 'pages the on-call',
      rule_type: 'spike',
      config: {
        type: 'spike',
        multiplier: 3,
        baseline_window_secs: 3600,
        compare_window_secs: 300,
        min_events: 12,
      },
      environment_filter: 'production',
      source_filter: null,
      enabled: false,
      created_at: 1,
      updated_at: 2,
      last_fired_at: null,
      channels: [],
    }
    expect(toBody(fromRule(rule, 'web'), true)).toEqual({
      name: 'Spikes',
      project_id: 'web',
      config: rule.config,
      description: 'pages the on-call',
      environment_filter: 'production',
      source_filter: null,
      enabled: false,
    })
    expect(describeRule(rule.config)).toBe('Rate over 300 s at least 3× the 3600 s before (min 12)')
    expect(describeRule({ type: 'threshold', threshold: 5, window_secs: 60, route: '/a' })).toBe(
      '5+ events in 60 s on /a',
    )
  })
})

describe('display formats', () => {
  const now = 1_800_000_000_000
  test('relative times', () => {
    expect(ago(now - 5_000, now)).toBe('just now')
    expect(ago(now - 59_000, now)).toBe('59 s ago')
    expect(ago(now - 60_000, now)).toBe('1 min ago')
    expect(ago(now - 3_600_000, now)).toBe('1 h ago')
    expect(ago(now - 86_400_000 * 3, now)).toBe('3 d ago')
    expect(ago(now - 86_400_000 * 60, now)).toBe('2 mo ago')
    expect(ago(now - 86_400_000 * 800, now)).toBe('2 y ago')
    expect(ago(now + 7_200_000, now)).toBe('in 2 h')
  })

  test('counts, sizes and signs', () => {
    expect([count(999), count(1000), count(12_345), count(2_500_000)]).toEqual(['999', '1.0k', '12k', '2.5M'])
    expect([bytes(512), bytes(2048), bytes(5 * 1024 ** 2), bytes(3 * 1024 ** 3)]).toEqual([
      '512 B',
      '2.0 KB',
      '5.0 MB',
      '3.00 GB',
    ])
    expect([signed(3), signed(-2), signed(0), signed(12.345, 1)]).toEqual(['+3', '-2', '0', '+12.3'])
  })
})

describe('colour contrast of both themes', () => {
  const css = readFileSync(join(import.meta.dir, '../../src/dashboard/styles/theme.css'), 'utf8')
  const tokens = (block: string) =>
    Object.fromEntries(
      [...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2] as string]),
    )
  const light = tokens(css.slice(0, css.indexOf('@media')))
  const dark = tokens(css.slice(css.indexOf('@media')))
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    }) as [number, number, number]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
  }
  const contrast = (a: string, b: string) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
    return (hi + 0.05) / (lo + 0.05)
  }
  // Text colour on the backgrounds it is used on.
  const PAIRS = [
    ['fg', 'bg'],
    ['fg', 'surface'],
    ['fg', 'surface-2'],
    ['fg', 'accent-soft'],
    ['muted', 'bg'],
    ['muted', 'surface'],
    ['muted', 'surface-2'],
    ['accent', 'surface'],
    ['accent', 'bg'],
    ['accent-fg', 'accent'],
    ['danger', 'surface'],
    ['danger', 'danger-soft'],
    ['ok', 'ok-soft'],
    ['warn', 'warn-soft'],
    ['fg', 'code-bg'],
  ] as const

  for (const [name, theme] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    test(`every text colour of the ${name} theme has at least 4.5:1 contrast (WCAG AA)`, () => {
      const low = PAIRS.map(([fg, bg]) => ({
        pair: `${fg} on ${bg}`,
        ratio: contrast(theme[fg] as string, theme[bg] as string),
      }))
        .filter((p) => !(p.ratio >= 4.5))
        .map((p) => `${p.pair}: ${p.ratio.toFixed(2)}`)
      expect(low).toEqual([])
    })
  }
})

describe("the browser apps' API error", () => {
  test("carries the status, code, message and field of the server's error body", () => {
    const e = ApiError.of(400, { error: 'slug is taken', code: 'conflict', field: 'slug' })
    expect([e.status, e.code, e.message, e.field]).toEqual([400, 'conflict', 'slug is taken', 'slug'])
    expect(e).toBeInstanceOf(Error)
  })

  test('a body that is not the error shape says the HTTP status instead', () => {
    for (const body of [null, 'Bad Gateway', { error: 42 }]) {
      const e = ApiError.of(502, body)
      expect([e.code, e.message, e.field]).toEqual(['http_error', 'request failed with HTTP 502', null])
    }
  })
})
