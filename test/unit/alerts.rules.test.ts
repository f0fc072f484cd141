/**
 * Pure rule evaluation (src/alerts/rules.ts) and the sliding counter, with an injected
 * clock: every firing and non-firing edge of each rule type.
 */
import { describe, expect, test } from 'bun:test'
import { MAX_BUCKETS, SlidingCounter } from '../../src/alerts/counter'
import { parseRuleCreate, type RuleConfig } from '../../src/alerts/model'
import { type Decision, evaluate, horizonSecs, type Rule } from '../../src/alerts/rules'
import type { CommittedIssue, IssueStatus } from '../../src/errors/commit'

const T0 = 1_700_000_040_000 // a whole second
const SEC = 1000
const COOLDOWN_MS = 900 * SEC

function rule(config: RuleConfig, over: Partial<Rule> = {}): Rule {
  return {
    id: 1,
    project_id: 'p1',
    name: 'r',
    rule_type: config.type,
    config,
    environment_filter: null,
    source_filter: null,
    enabled: true,
    ...over,
  }
}

function issue(over: Partial<CommittedIssue> = {}, count = 1): CommittedIssue {
  return {
    project_id: 'p1',
    fingerprint: 'fp-a',
    is_new: false,
    regressed: false,
    status: 'unresolved',
    error_type: 'TypeError',
    message: 'x is undefined',
    source: 'api',
    route_or_procedure: '/api/a',
    total_count: count,
    first_seen: T0,
    last_seen: T0,
    breakdown: [{ environment: 'production', source: 'api', release: '1.0.0', route: '/api/a', count }],
    ...over,
  }
}

interface Run {
  rules: Rule[]
  issues: CommittedIssue[]
  now: number
  counters?: Map<number, SlidingCounter>
  fired?: Map<string, number>
}

function run(r: Run): Decision[] {
  return evaluate({
    rules: r.rules,
    issues: r.issues,
    counter: (id) => r.counters?.get(id),
    lastFired: (id, key) => r.fired?.get(`${id}/${key}`),
    now: r.now,
    cooldownMs: COOLDOWN_MS,
  })
}

/** A counter for `rl` holding `n` events at each of the given times. */
function counterWith(rl: Rule, at: [time: number, n: number][]): Map<number, SlidingCounter> {
  const c = new SlidingCounter(horizonSecs(rl))
  for (const [t, n] of at) c.add(t, n)
  return new Map([[rl.id, c]])
}

describe('sliding counter', () => {
  test('counts an event at second t while now is before t + window, and not at t + window', () => {
    const c = new SlidingCounter(60)
    c.add(T0)
    expect(c.count(T0, 60)).toBe(1)
    expect(c.count(T0 + 59_999, 60)).toBe(1)
    expect(c.count(T0 + 60_000, 60)).toBe(0)
  })

  test('keeps events of the same second together and ignores events older than its ring', () => {
    const c = new SlidingCounter(10)
    c.add(T0 + 100, 2)
    c.add(T0 + 900, 3)
    expect(c.count(T0 + 999, 1)).toBe(5)
    c.add(T0 + 20 * SEC)
    c.add(T0) // older than the 10 s ring now ending at T0 + 20 s: dropped
    expect(c.count(T0 + 20 * SEC, 10)).toBe(1)
    expect(c.count(T0 + 20 * SEC, 21)).toBe(1)
  })

  test('counts the window before an offset for spike baselines', () => {
    const c = new SlidingCounter(120)
    c.add(T0, 7) // baseline side
    c.add(T0 + 60 * SEC, 3) // compare side
    const now = T0 + 60 * SEC
    expect(c.count(now, 60)).toBe(3)
    expect(c.count(now, 60, 60)).toBe(7)
  })

  test('uses one-second buckets up to two hours and wider ones beyond', () => {
    expect(MAX_BUCKETS).toBe(7200)
    expect(new SlidingCounter(MAX_BUCKETS).bucketMs).toBe(1000)
    expect(new SlidingCounter(MAX_BUCKETS + 1).bucketMs).toBe(2000)
    expect(new SlidingCounter(86_400).bucketMs).toBe(12_000)
  })

  test('refuses a horizon below one second', () => {
    expect(() => new SlidingCounter(0)).toThrow('expected a horizon of at least 1 second, got 0')
  })
})

describe('threshold rules', () => {
  const th = rule({ type: 'threshold', threshold: 5, window_secs: 60 })

  test('fires exactly at the threshold', () => {
    const d = run({ rules: [th], issues: [issue()], now: T0, counters: counterWith(th, [[T0, 5]]) })
    expect(d).toHaveLength(1)
    expect(d[0]?.reason).toBe('threshold')
    expect(d[0]?.key).toBe('*')
    expect(d[0]?.stats).toEqual({ type: 'threshold', count: 5, threshold: 5, window_secs: 60 })
  })

  test('does not fire one event below the threshold', () => {
    expect(run({ rules: [th], issues: [issue()], now: T0, counters: counterWith(th, [[T0, 4]]) })).toEqual([])
  })

  test('counts events still inside the window at its last second', () => {
    const counters = counterWith(th, [
      [T0, 4],
      [T0 + 59 * SEC, 1],
    ])
    expect(run({ rules: [th], issues: [issue()], now: T0 + 59 * SEC, counters })).toHaveLength(1)
  })

  test('does not count events that left the window', () => {
    const counters = counterWith(th, [
      [T0, 4],
      [T0 + 60 * SEC, 1],
    ])
    expect(run({ rules: [th], issues: [issue()], now: T0 + 60 * SEC, counters })).toEqual([])
  })

  test('is only looked at when the batch holds an event it matches', () => {
    const prod = rule(
      { type: 'threshold', threshold: 1, window_secs: 60 },
      { environment_filter: 'production' },
    )
    const counters = counterWith(prod, [[T0, 10]])
    const staging = issue({
      breakdown: [{ environment: 'staging', source: 'api', release: '1', route: '/api/a', count: 1 }],
    })
    expect(run({ rules: [prod], issues: [staging], now: T0, counters })).toEqual([])
    expect(run({ rules: [prod], issues: [issue()], now: T0, counters })).toHaveLength(1)
  })

  test('scoped to a fingerprint, looks only at that issue and cools down per fingerprint', () => {
    const fp = rule({ type: 'threshold', threshold: 1, window_secs: 60, fingerprint: 'fp-b' })
    const counters = counterWith(fp, [[T0, 3]])
    expect(run({ rules: [fp], issues: [issue()], now: T0, counters })).toEqual([])
    const d = run({ rules: [fp], issues: [issue(), issue({ fingerprint: 'fp-b' }, 2)], now: T0, counters })
    expect(d.map((x) => [x.key, x.issue.fingerprint, x.matched])).toEqual([['fp-b', 'fp-b', 2]])
  })

  test('scoped to a route, ignores other routes', () => {
    const rt = rule({ type: 'threshold', threshold: 1, window_secs: 60, route: '/checkout' })
    const counters = counterWith(rt, [[T0, 1]])
    expect(run({ rules: [rt], issues: [issue()], now: T0, counters })).toEqual([])
    const checkout = issue({
      breakdown: [{ environment: 'production', source: 'api', release: '1', route: '/checkout', count: 1 }],
    })
    expect(run({ rules: [rt], issues: [checkout], now: T0, counters })).toHaveLength(1)
  })

  test('names the issue with the most matching events of the batch', () => {
    const d = run({
      rules: [th],
      issues: [
        issue({ fingerprint: 'small' }, 1),
        issue({ fingerprint: 'big' }, 3),
        issue({ fingerprint: 'mid' }, 2),
      ],
      now: T0,
      counters: counterWith(th, [[T0, 6]]),
    })
    expect(d.map((x) => [x.issue.fingerprint, x.matched])).toEqual([['big', 3]])
  })

  for (const status of ['muted', 'ignored'] as IssueStatus[]) {
    test(`never fires for a batch of a ${status} issue`, () => {
      const counters = counterWith(th, [[T0, 50]])
      expect(run({ rules: [th], issues: [issue({ status })], now: T0, counters })).toEqual([])
    })
  }

  test('stays quiet during the cooldown and fires again once it has expired', () => {
    const counters = counterWith(th, [[T0, 5]])
    const fired = new Map([['1/*', T0]])
    const at = (now: number) => {
      counters.get(1)?.add(now, 5)
      return run({ rules: [th], issues: [issue()], now, counters, fired })
    }
    expect(at(T0 + COOLDOWN_MS - 1)).toEqual([])
    expect(at(T0 + COOLDOWN_MS)).toHaveLength(1)
  })

  test('a disabled rule never fires', () => {
    const off = { ...th, enabled: false }
    expect(run({ rules: [off], issues: [issue()], now: T0, counters: counterWith(off, [[T0, 9]]) })).toEqual(
      [],
    )
  })
})

describe('spike rules', () => {
  const spike = (over: Partial<Extract<RuleConfig, { type: 'spike' }>> = {}) =>
    rule({
      type: 'spike',
      multiplier: 3,
      baseline_window_secs: 3600,
      compare_window_secs: 60,
      min_events: 1,
      ...over,
    })
  const now = T0 + 3660 * SEC

  /** 120 events spread over the baseline hour (2 per minute), `n` in the compare minute. */
  function counters(rl: Rule, n: number): Map<number, SlidingCounter> {
    const at: [number, number][] = []
    for (let m = 0; m < 60; m++) at.push([T0 + m * 60 * SEC + SEC, 2])
    at.push([now, n])
    return counterWith(rl, at)
  }

  test('fires when the compare rate is exactly the multiplier times the baseline rate', () => {
    const rl = spike()
    const d = run({ rules: [rl], issues: [issue()], now, counters: counters(rl, 6) })
    expect(d).toHaveLength(1)
    expect(d[0]?.stats).toEqual({
      type: 'spike',
      compare_count: 6,
      baseline_count: 120,
      compare_window_secs: 60,
      baseline_window_secs: 3600,
      multiplier: 3,
      min_events: 1,
    })
  })

  test('does not fire one event below the multiplier', () => {
    const rl = spike()
    expect(run({ rules: [rl], issues: [issue()], now, counters: counters(rl, 5) })).toEqual([])
  })

  test('defaults min_events to 10 so that 0 -> 2 is not a spike', () => {
    const body = parseRuleCreate({
      name: 's',
      project_id: 'p1',
      config: { type: 'spike', multiplier: 2, baseline_window_secs: 600, compare_window_secs: 60 },
    })
    expect(body.config).toEqual({
      type: 'spike',
      multiplier: 2,
      baseline_window_secs: 600,
      compare_window_secs: 60,
      min_events: 10,
    })
    const rl = rule(body.config)
    expect(run({ rules: [rl], issues: [issue()], now, counters: counterWith(rl, [[now, 2]]) })).toEqual([])
    expect(run({ rules: [rl], issues: [issue()], now, counters: counterWith(rl, [[now, 9]]) })).toEqual([])
    expect(run({ rules: [rl], issues: [issue()], now, counters: counterWith(rl, [[now, 10]]) })).toHaveLength(
      1,
    )
  })

  test('an event on the compare window boundary belongs to the baseline', () => {
    const rl = spike({ baseline_window_secs: 60, compare_window_secs: 60, multiplier: 2, min_events: 2 })
    // 2 events exactly 60 s before now: the baseline's newest second, not the compare window.
    const c = counterWith(rl, [
      [now - 60 * SEC, 2],
      [now, 3],
    ])
    expect(run({ rules: [rl], issues: [issue()], now, counters: c })).toEqual([])
    const c2 = counterWith(rl, [
      [now - 59 * SEC, 2],
      [now, 3],
    ])
    const d = run({ rules: [rl], issues: [issue()], now, counters: c2 })
    expect(d.map((x) => x.stats)).toEqual([
      {
        type: 'spike',
        compare_count: 5,
        baseline_count: 0,
        compare_window_secs: 60,
        baseline_window_secs: 60,
        multiplier: 2,
        min_events: 2,
      },
    ])
  })

  test('never fires for a muted or ignored issue', () => {
    const rl = spike()
    const c = counters(rl, 50)
    expect(run({ rules: [rl], issues: [issue({ status: 'muted' })], now, counters: c })).toEqual([])
    expect(run({ rules: [rl], issues: [issue({ status: 'ignored' })], now, counters: c })).toEqual([])
  })
})

describe('new-issue rules', () => {
  const ni = rule({ type: 'new_issue' })

  test('fires for the first event of a fingerprint, keyed by the fingerprint', () => {
    const d = run({ rules: [ni], issues: [issue({ is_new: true })], now: T0 })
    expect(d.map((x) => [x.reason, x.key, x.matched])).toEqual([['new_issue', 'fp-a', 1]])
  })

  test('does not fire for more events of a known unresolved issue', () => {
    expect(run({ rules: [ni], issues: [issue()], now: T0 })).toEqual([])
  })

  test('fires a regression for an event on a resolved issue, even inside the cooldown', () => {
    const fired = new Map([['1/fp-a', T0 - 1]])
    const d = run({ rules: [ni], issues: [issue({ regressed: true })], now: T0, fired })
    expect(d.map((x) => x.reason)).toEqual(['regression'])
  })

  test('does not fire a new issue again inside its cooldown', () => {
    const fired = new Map([['1/fp-a', T0 - COOLDOWN_MS + 1]])
    expect(run({ rules: [ni], issues: [issue({ is_new: true })], now: T0, fired })).toEqual([])
  })

  test('does not fire for events on muted or ignored issues', () => {
    expect(
      run({ rules: [ni], issues: [issue({ status: 'muted' }), issue({ status: 'ignored' })], now: T0 }),
    ).toEqual([])
  })

  test('applies its environment option and the environment and source filters', () => {
    const staging = issue({
      is_new: true,
      breakdown: [{ environment: 'staging', source: 'web', release: '2', route: null, count: 1 }],
    })
    const byConfig = rule({ type: 'new_issue', environment: 'production' })
    const byFilter = rule({ type: 'new_issue' }, { environment_filter: 'production' })
    const bySource = rule({ type: 'new_issue' }, { source_filter: 'api' })
    expect(run({ rules: [byConfig, byFilter, bySource], issues: [staging], now: T0 })).toEqual([])
    expect(
      run({ rules: [byConfig, byFilter, bySource], issues: [issue({ is_new: true })], now: T0 }),
    ).toHaveLength(3)
  })

  test('ignores issues of other projects', () => {
    expect(run({ rules: [ni], issues: [issue({ is_new: true, project_id: 'p2' })], now: T0 })).toEqual([])
  })
})
