/**
 * Shapes of the alerting API: rule bodies with one TypeBox schema per rule type,
 * channel bodies with one schema per channel type, and the views the API answers with.
 *
 * A TypeBox union would answer a bad config with "expected union value" at `config`, so
 * the variant is picked by `config.type` first and the body is then checked against that
 * type's full schema: every error names the field at fault (`config.window_secs`).
 */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { AppError } from '../http/errors'
import { parseBody, QueryInt } from '../http/validate'

/** Longest threshold or spike comparison window: one day. */
export const MAX_WINDOW_SECS = 86_400
/** Longest spike baseline: a week, which raw-event retention (7 days by default) still covers. */
export const MAX_BASELINE_SECS = 7 * 86_400
/** Spike floor when a rule does not set one: 0 -> 2 events is not a spike. */
export const DEFAULT_MIN_EVENTS = 10
export const MAX_NAME = 200
export const MAX_DESCRIPTION = 2000
export const MIN_SECRET = 16
export const MAX_SECRET = 256
export const MAX_URL = 2048

const Label = (maxLength: number) => T.String({ minLength: 1, maxLength })
const Closed = { additionalProperties: false } as const

export const NewIssueConfig = T.Object(
  {
    type: T.Literal('new_issue'),
    /** Only issues first seen (or regressing) in this environment. */
    environment: T.Optional(Label(128)),
  },
  Closed,
)

export const ThresholdConfig = T.Object(
  {
    type: T.Literal('threshold'),
    threshold: T.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    window_secs: T.Integer({ minimum: 1, maximum: MAX_WINDOW_SECS }),
    /** Count only this issue's events (otherwise every matching event of the project). */
    fingerprint: T.Optional(Label(128)),
    /** Count only events of this route or procedure. */
    route: T.Optional(Label(512)),
  },
  Closed,
)

export const SpikeConfig = T.Object(
  {
    type: T.Literal('spike'),
    /** The compare window's rate must be at least this many times the baseline rate. */
    multiplier: T.Number({ exclusiveMinimum: 1, maximum: 1000 }),
    baseline_window_secs: T.Integer({ minimum: 1, maximum: MAX_BASELINE_SECS }),
    compare_window_secs: T.Integer({ minimum: 1, maximum: MAX_WINDOW_SECS }),
    min_events: T.Integer({ minimum: 1, maximum: 1_000_000_000, default: DEFAULT_MIN_EVENTS }),
  },
  Closed,
)

/**
 * LLM rules (evaluated on the LLM feature's commits over its hourly rollups, see
 * src/alerts/llm.ts): windows are whole hours (the current hour and the ones before it),
 * money is integer microdollars, rates are fractions 0-1. `model` narrows to one model;
 * without it every model of the project counts together.
 */
export const MAX_LLM_WINDOW_HOURS = 168
const LlmWindow = T.Integer({ minimum: 1, maximum: MAX_LLM_WINDOW_HOURS, default: 1 })
const LlmModel = T.Optional(Label(200))

export const LlmCostSpikeConfig = T.Object(
  {
    type: T.Literal('llm_cost_spike'),
    /** Fires when the window's cost exceeds this many microdollars. */
    threshold_micros: T.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    window_hours: LlmWindow,
    model: LlmModel,
  },
  Closed,
)
export const LlmErrorRateConfig = T.Object(
  {
    type: T.Literal('llm_error_rate'),
    /** Fires when errors / spans in the window exceed this fraction... */
    threshold_rate: T.Number({ minimum: 0, exclusiveMaximum: 1 }),
    /** ...and the window holds at least this many spans (3 errors out of 4 calls is noise). */
    min_spans: T.Integer({ minimum: 1, maximum: 1_000_000_000, default: 10 }),
    window_hours: LlmWindow,
    model: LlmModel,
  },
  Closed,
)
export const LlmLatencyConfig = T.Object(
  {
    type: T.Literal('llm_latency'),
    /** Which percentile, as a fraction: 0.99 is p99. */
    percentile: T.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.99 }),
    threshold_ms: T.Integer({ minimum: 1, maximum: 31 * 86_400_000 }),
    window_hours: LlmWindow,
    model: LlmModel,
  },
  Closed,
)
export const LlmBudgetConfig = T.Object(
  {
    type: T.Literal('llm_budget'),
    /** The share of the monthly budget spent that fires it; default: the project's budget_alert_rate. */
    threshold_rate: T.Optional(T.Number({ exclusiveMinimum: 0, maximum: 10 })),
  },
  Closed,
)

const RULE_CONFIGS = {
  new_issue: NewIssueConfig,
  threshold: ThresholdConfig,
  spike: SpikeConfig,
  llm_cost_spike: LlmCostSpikeConfig,
  llm_error_rate: LlmErrorRateConfig,
  llm_latency: LlmLatencyConfig,
  llm_budget: LlmBudgetConfig,
}
export type RuleType = keyof typeof RULE_CONFIGS
export const RULE_TYPES = Object.keys(RULE_CONFIGS) as RuleType[]
export const RuleConfig = T.Union([
  NewIssueConfig,
  ThresholdConfig,
  SpikeConfig,
  LlmCostSpikeConfig,
  LlmErrorRateConfig,
  LlmLatencyConfig,
  LlmBudgetConfig,
])
export type RuleConfig = Static<typeof RuleConfig>
export type LlmRuleConfig = Static<
  typeof LlmCostSpikeConfig | typeof LlmErrorRateConfig | typeof LlmLatencyConfig | typeof LlmBudgetConfig
>
export const LLM_RULE_TYPES = ['llm_cost_spike', 'llm_error_rate', 'llm_latency', 'llm_budget'] as const
export const isLlmConfig = (c: RuleConfig): c is LlmRuleConfig =>
  (LLM_RULE_TYPES as readonly string[]).includes(c.type)
export type ThresholdConfig = Static<typeof ThresholdConfig>
export type SpikeConfig = Static<typeof SpikeConfig>

/**
 * Fields that `null` clears. They are checked as plain optional strings after taking the
 * nulls out, so that a bad value gets a precise message instead of "expected union value".
 */
const NULLABLE = ['description', 'environment_filter', 'source_filter'] as const

const ruleFields = {
  name: Label(MAX_NAME),
  /** Project id or slug. */
  project_id: Label(128),
  description: T.Optional(T.String({ maxLength: MAX_DESCRIPTION })),
  environment_filter: T.Optional(Label(128)),
  source_filter: T.Optional(Label(32)),
}

const createSchema = (config: TSchema) =>
  T.Object({ ...ruleFields, config, enabled: T.Boolean({ default: true }) }, Closed)
const createSchemas = Object.fromEntries(
  Object.entries(RULE_CONFIGS).map(([k, c]) => [k, createSchema(c)]),
) as unknown as Record<RuleType, TSchema>

const updateFields = {
  name: T.Optional(ruleFields.name),
  project_id: T.Optional(ruleFields.project_id),
  description: ruleFields.description,
  environment_filter: ruleFields.environment_filter,
  source_filter: ruleFields.source_filter,
  enabled: T.Optional(T.Boolean()),
}
const updateSchema = (config: TSchema) => T.Object({ ...updateFields, config: T.Optional(config) }, Closed)
const updateSchemas = Object.fromEntries(
  Object.entries(RULE_CONFIGS).map(([k, c]) => [k, updateSchema(c)]),
) as unknown as Record<RuleType, TSchema>
const updateWithoutConfig = T.Object(updateFields, Closed)

export interface RuleInput {
  name: string
  project_id: string
  description?: string | null
  environment_filter?: string | null
  source_filter?: string | null
  enabled: boolean
  config: RuleConfig
}
export type RuleUpdate = Partial<Omit<RuleInput, 'config'>> & { config?: RuleConfig }

export const SlackChannel = T.Object(
  { type: T.Literal('slack'), webhook_url: T.String({ minLength: 1, maxLength: MAX_URL }) },
  Closed,
)
export const WebhookChannel = T.Object(
  {
    type: T.Literal('webhook'),
    url: T.String({ minLength: 1, maxLength: MAX_URL }),
    /** When set, each request carries X-Bloop-Signature: hex HMAC-SHA256 of the body. */
    secret: T.Optional(T.String({ minLength: MIN_SECRET, maxLength: MAX_SECRET })),
  },
  Closed,
)
export const EmailChannel = T.Object(
  {
    type: T.Literal('email'),
    // One address; no characters that could start another header or recipient.
    to: T.String({ maxLength: 254, pattern: '^[^\\s@<>(),;:"\\\\]+@[^\\s@<>(),;:"\\\\]+$' }),
  },
  Closed,
)
const CHANNEL_CONFIGS = { slack: SlackChannel, webhook: WebhookChannel, email: EmailChannel }
export type ChannelType = keyof typeof CHANNEL_CONFIGS
export const CHANNEL_TYPES = Object.keys(CHANNEL_CONFIGS) as ChannelType[]
export const ChannelConfig = T.Union([SlackChannel, WebhookChannel, EmailChannel])
export type ChannelConfig = Static<typeof ChannelConfig>
const channelSchemas: Record<ChannelType, TSchema> = {
  slack: T.Object({ config: SlackChannel }, Closed),
  webhook: T.Object({ config: WebhookChannel }, Closed),
  email: T.Object({ config: EmailChannel }, Closed),
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** The variant named by `body.config.type`; null when there is no config to pick by. */
function variantOf<K extends string>(body: unknown, types: readonly K[]): K | null {
  if (!isObject(body) || body.config === undefined) return null
  if (!isObject(body.config)) {
    throw new AppError('invalid_field', 'field config: must be an object with a "type"', { field: 'config' })
  }
  const type = body.config.type
  if (typeof type !== 'string' || !(types as readonly string[]).includes(type)) {
    throw new AppError(
      'invalid_field',
      `field config.type: must be one of ${types.join(', ')} (got ${JSON.stringify(type) ?? 'nothing'})`,
      { field: 'config.type' },
    )
  }
  return type as K
}

/** Validates `body` with its nullable fields' nulls set aside, then puts them back. */
function withNulls<R>(body: unknown, parse: (b: unknown) => R): R {
  if (!isObject(body)) return parse(body)
  const rest: Record<string, unknown> = { ...body }
  const nulls: Record<string, null> = {}
  for (const k of NULLABLE) {
    if (rest[k] === null) {
      nulls[k] = null
      delete rest[k]
    }
  }
  return { ...parse(rest), ...nulls }
}

export function parseRuleCreate(body: unknown): RuleInput {
  const type = variantOf(body, RULE_TYPES)
  // Without a config, any variant's schema reports the missing field as `config`.
  return withNulls(body, (b) => parseBody(createSchemas[type ?? 'new_issue'], b) as RuleInput)
}

export function parseRuleUpdate(body: unknown): RuleUpdate {
  const type = variantOf(body, RULE_TYPES)
  return withNulls(body, (b) => parseBody(type ? updateSchemas[type] : updateWithoutConfig, b) as RuleUpdate)
}

export function parseChannel(body: unknown): ChannelConfig {
  const type = variantOf(body, CHANNEL_TYPES)
  return (parseBody(channelSchemas[type ?? 'webhook'], body) as { config: ChannelConfig }).config
}

export const ListQuery = T.Object({ project_id: T.Optional(Label(128)) })
export const DeliveriesQuery = T.Object({
  limit: QueryInt({ minimum: 1, maximum: 200, default: 50 }),
  /** The id of the oldest row already seen: a row id, so any safe integer. */
  before: T.Optional(QueryInt({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
})
export const IdParam = T.Integer({ minimum: 1 })

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const ChannelTypeSchema = T.Union([T.Literal('slack'), T.Literal('webhook'), T.Literal('email')])
export const OutcomeSchema = T.Union([T.Literal('delivered'), T.Literal('failed'), T.Literal('refused')])
export type Outcome = Static<typeof OutcomeSchema>

/** A channel as the API returns it: secrets are never echoed, Slack URLs are shortened. */
export const ChannelView = T.Object({
  id: T.Integer(),
  rule_id: T.Integer(),
  channel_type: ChannelTypeSchema,
  config: T.Union([
    T.Object({ type: T.Literal('slack'), webhook_url: T.String() }),
    T.Object({ type: T.Literal('webhook'), url: T.String(), has_secret: T.Boolean() }),
    T.Object({ type: T.Literal('email'), to: T.String() }),
  ]),
  created_at: T.Integer(),
})
export type ChannelView = Static<typeof ChannelView>

/** A rule as the API returns it. */
export const RuleView = T.Object({
  id: T.Integer(),
  project_id: T.String(),
  name: T.String(),
  description: Nullable(T.String()),
  rule_type: T.Union(RULE_TYPES.map((t) => T.Literal(t))),
  config: RuleConfig,
  environment_filter: Nullable(T.String()),
  source_filter: Nullable(T.String()),
  enabled: T.Boolean(),
  created_at: T.Integer(),
  updated_at: T.Integer(),
  /** Most recent firing of this rule for any key, or null. */
  last_fired_at: Nullable(T.Integer()),
  channels: T.Array(ChannelView),
})
export type RuleView = Static<typeof RuleView>

export const DeliveryView = T.Object({
  id: T.Integer(),
  alert_id: T.String(),
  kind: T.Union([T.Literal('alert'), T.Literal('test')]),
  reason: T.String(),
  /** The issue the alert was about; null for a test send. */
  fingerprint: Nullable(T.String()),
  /** That issue's error type and message on one line, at most 200 characters, as the alert said it. */
  issue_title: Nullable(T.String()),
  channel_id: Nullable(T.Integer()),
  channel_type: ChannelTypeSchema,
  target: T.String(),
  outcome: OutcomeSchema,
  attempts: T.Integer(),
  status_code: Nullable(T.Integer()),
  response: Nullable(T.String()),
  error: Nullable(T.String()),
  fired_at: T.Integer(),
  finished_at: T.Integer(),
})
export type DeliveryView = Static<typeof DeliveryView>

/** What a test send answers, per channel. */
export const TestResult = T.Object({
  channel_id: Nullable(T.Integer()),
  channel_type: ChannelTypeSchema,
  target: T.String(),
  outcome: OutcomeSchema,
  attempts: T.Integer(),
  status_code: Nullable(T.Integer()),
  error: Nullable(T.String()),
  duration_ms: T.Number(),
})
export type TestResult = Static<typeof TestResult>

export const RuleList = T.Object({ items: T.Array(RuleView) })
export const ChannelList = T.Object({ items: T.Array(ChannelView) })
export const DeliveryList = T.Object({ items: T.Array(DeliveryView), limit: T.Integer() })
export const TestAnswer = T.Object({ rule_id: T.Integer(), results: T.Array(TestResult) })
export const Deleted = T.Object({ deleted: T.Integer() })
export const IdParams = T.Object({ id: T.String() })
export const ChannelParams = T.Object({ id: T.String(), cid: T.String() })
/** Rule and channel bodies are checked by parseRuleCreate/parseChannel (one schema per type). */
export const RuleBody = T.Object(
  { name: T.String(), project_id: T.String(), config: RuleConfig },
  { additionalProperties: true },
)
export const ChannelBody = T.Object({ config: ChannelConfig })
