import { describe, expect, test } from 'bun:test'
import { evaluateLlmRule, type LlmMeasures } from '../../src/alerts/llm'
import type { RuleConfig } from '../../src/alerts/model'
import type { Rule } from '../../src/alerts/rules'

const NOW = Date.UTC(2026, 11, 2, 12)
const rule = (config: RuleConfig): Rule => ({
  id: 1,
  project_id: 'p',
  name: 'r',
  rule_type: config.type,
  config,
  environment_filter: null,
  source_filter: null,
  enabled: true,
})
const measures = (
  w: { cost?: number; spans?: number; errors?: number; p?: number | null },
  month = {},
): LlmMeasures => ({
  window: () => ({
    cost_micros: w.cost ?? 0,
    span_count: w.spans ?? 0,
    error_count: w.errors ?? 0,
    latency: () => w.p ?? null,
  }),
  month: () => ({ month: '2026-12', spend_micros: 0, budget_micros: 0, budget_alert_rate: 0.8, ...month }),
})
const never = () => undefined
const run = (config: RuleConfig, m: LlmMeasures, last: (k: string) => number | undefined = never) =>
  evaluateLlmRule(rule(config), m, NOW, 900_000, last)

describe('LLM alert rules', () => {
  test('cost fires only above the threshold', () => {
    const c = { type: 'llm_cost_spike', threshold_micros: 1000, window_hours: 1 } as const
    expect(run(c, measures({ cost: 1000 }))).toBeNull()
    expect(run(c, measures({ cost: 1001 }))?.key).toBe('*')
  })
  test('error rate needs min_spans and a rate above the threshold', () => {
    const c = {
      type: 'llm_error_rate',
      threshold_rate: 0.5,
      min_spans: 10,
      window_hours: 1,
      model: 'm',
    } as const
    expect(run(c, measures({ spans: 9, errors: 9 }))).toBeNull()
    expect(run(c, measures({ spans: 10, errors: 5 }))).toBeNull()
    expect(run(c, measures({ spans: 10, errors: 6 }))).toMatchObject({ key: 'm', stats: { error_rate: 0.6 } })
  })
  test('latency compares the percentile with the threshold; no latency never fires', () => {
    const c = { type: 'llm_latency', percentile: 0.99, threshold_ms: 500, window_hours: 2 } as const
    expect(run(c, measures({ p: null }))).toBeNull()
    expect(run(c, measures({ p: 500 }))).toBeNull()
    expect(run(c, measures({ p: 501.4, spans: 3 }))).toMatchObject({
      key: 'p0.99:*',
      stats: { latency_ms: 501 },
    })
  })
  test('a rule cooling down for its key stays quiet until the cooldown ends', () => {
    const c = { type: 'llm_cost_spike', threshold_micros: 1, window_hours: 1 } as const
    expect(run(c, measures({ cost: 5 }), () => NOW - 899_999)).toBeNull()
    expect(run(c, measures({ cost: 5 }), () => NOW - 900_000)).not.toBeNull()
  })
  test('the budget fires once a month at its rate; without a budget never', () => {
    const c = { type: 'llm_budget' } as const
    expect(run(c, measures({}, { spend_micros: 10 ** 9 }))).toBeNull()
    expect(run(c, measures({}, { spend_micros: 799, budget_micros: 1000 }))).toBeNull()
    expect(run(c, measures({}, { spend_micros: 800, budget_micros: 1000 }))).toMatchObject({
      key: 'month:2026-12',
      stats: { used_rate: 0.8, threshold_rate: 0.8 },
    })
    expect(
      run(c, measures({}, { spend_micros: 900, budget_micros: 1000 }), () => NOW - 40 * 86_400_000),
    ).toBeNull()
    expect(
      run(
        { type: 'llm_budget', threshold_rate: 1 },
        measures({}, { spend_micros: 900, budget_micros: 1000 }),
      ),
    ).toBeNull()
  })
})
