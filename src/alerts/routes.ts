/**
 * The alerting API (docs/decisions.md, "Alerts"). Rules belong to one project: reads need `alerts:read`, changes
 * `alerts:write`; a rule of a project the caller cannot see answers 404 like a missing one.
 * Shapes are in model.ts and the README ("Alerts").
 */

import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Config } from '../config/schema'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import type { Access } from '../http/auth'
import { AppError, json, notFound } from '../http/errors'
import { parseQuery, readJson } from '../http/validate'
import { redactSlackUrl } from './channels/slack'
import { redactWebhookUrl } from './channels/webhook'
import {
  ChannelBody,
  ChannelList,
  ChannelParams,
  ChannelView,
  Deleted,
  DeliveriesQuery,
  DeliveryList,
  IdParams,
  ListQuery,
  parseChannel,
  parseRuleCreate,
  parseRuleUpdate,
  RuleBody,
  RuleList,
  RuleView,
  TestAnswer,
} from './model'
import type { Alerting } from './service'
import { checkUrl } from './ssrf'
import {
  type ChannelRow,
  channelsOf,
  deleteChannel,
  deleteRule,
  deliveriesOf,
  getRule,
  insertChannel,
  insertRule,
  lastFiredOf,
  listRules,
  type RuleRow,
  updateRule,
} from './store'

const MAX_BODY = 64 * 1024

function parseId(raw: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) {
    throw new AppError(
      'invalid_field',
      `${what} must be a positive integer (got ${JSON.stringify(raw.slice(0, 40))})`,
      {
        field: what,
      },
    )
  }
  return Number(raw)
}

export interface AlertsRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'now'> {
  config: Pick<Config, 'alerting'>
  alerts: Alerting
}

async function ruleFor(s: AlertsRoutesDeps, access: Access, rawId: string): Promise<RuleRow> {
  const id = parseId(rawId, 'id')
  const rule = await getRule(s.backend, id)
  if (!rule || !access.projectIds.includes(rule.project_id)) throw notFound(`alert rule ${id} not found`)
  return rule
}

function alerting(s: AlertsRoutesDeps): Alerting {
  return s.alerts
}

export function channelView(c: ChannelRow): ChannelView {
  const cfg = c.config
  const config: ChannelView['config'] =
    cfg.type === 'slack'
      ? { type: 'slack', webhook_url: redactSlackUrl(cfg.webhook_url) }
      : cfg.type === 'webhook'
        ? { type: 'webhook', url: redactWebhookUrl(cfg.url), has_secret: Boolean(cfg.secret) }
        : { type: 'email', to: cfg.to }
  return { id: c.id, rule_id: c.rule_id, channel_type: c.channel_type, config, created_at: c.created_at }
}

async function ruleViews(s: AlertsRoutesDeps, rules: RuleRow[]): Promise<RuleView[]> {
  const ids = rules.map((r) => r.id)
  const channels = await channelsOf(s.backend, ids)
  const fired = await lastFiredOf(s.backend, ids)
  return rules.map((r) => ({
    id: r.id,
    project_id: r.project_id,
    name: r.name,
    description: r.description,
    rule_type: r.rule_type,
    config: r.config,
    environment_filter: r.environment_filter,
    source_filter: r.source_filter,
    enabled: r.enabled,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_fired_at: fired.get(r.id) ?? null,
    channels: channels.filter((c) => c.rule_id === r.id).map(channelView),
  }))
}

const ruleView = async (s: AlertsRoutesDeps, r: RuleRow) => (await ruleViews(s, [r]))[0] as RuleView

export function alertsRoutes(s: AlertsRoutesDeps) {
  return new Elysia({ name: 'alerts' })
    .use(access(s.guard))
    .get(
      '/v1/alerts',
      async ({ access: reach, query }) => {
        const q = parseQuery(ListQuery, query)
        const access = reach.narrow(q.project_id)
        return { items: await ruleViews(s, await listRules(s.backend, access.projectIds)) }
      },
      { scope: 'alerts:read', schema: { query: ListQuery, response: { 200: RuleList } } },
    )
    .post(
      '/v1/alerts',
      async ({ request, access: reach }) => {
        const body = parseRuleCreate(await readJson(request, MAX_BODY))
        const access = reach.narrow(body.project_id)
        const rule = await insertRule(
          s.backend,
          { ...body, project_id: access.projectIds[0] as string, created_by: access.actor },
          s.now(),
        )
        await alerting(s).ruleChanged(rule.id)
        return json(await ruleView(s, rule), 201)
      },
      { scope: 'alerts:write', schema: { body: RuleBody, response: { 201: RuleView } } },
    )
    .get(
      '/v1/alerts/:id',
      async ({ access, params }) => {
        return ruleView(s, await ruleFor(s, access, params.id))
      },
      { scope: 'alerts:read', schema: { params: IdParams, response: { 200: RuleView } } },
    )
    .put(
      '/v1/alerts/:id',
      async ({ request, access, params }) => {
        const rule = await ruleFor(s, access, params.id)
        const patch = parseRuleUpdate(await readJson(request, MAX_BODY))
        if (patch.project_id !== undefined) {
          const target = access.narrow(patch.project_id).projectIds[0]
          if (target !== rule.project_id) {
            throw new AppError(
              'invalid_field',
              'a rule cannot move to another project; create it there instead',
              {
                field: 'project_id',
              },
            )
          }
        }
        const updated = await updateRule(
          s.backend,
          {
            ...rule,
            name: patch.name ?? rule.name,
            config: patch.config ?? rule.config,
            rule_type: patch.config?.type ?? rule.rule_type,
            enabled: patch.enabled ?? rule.enabled,
            description: patch.description === undefined ? rule.description : patch.description,
            environment_filter:
              patch.environment_filter === undefined ? rule.environment_filter : patch.environment_filter,
            source_filter: patch.source_filter === undefined ? rule.source_filter : patch.source_filter,
          },
          s.now(),
        )
        await alerting(s).ruleChanged(rule.id)
        if (!updated) throw notFound(`alert rule ${rule.id} not found`)
        return ruleView(s, updated)
      },
      {
        scope: 'alerts:write',
        schema: {
          params: IdParams,
          body: T.Object({}, { additionalProperties: true }),
          response: { 200: RuleView },
        },
      },
    )
    .delete(
      '/v1/alerts/:id',
      async ({ access, params }) => {
        const rule = await ruleFor(s, access, params.id)
        await deleteRule(s.backend, rule.id)
        await alerting(s).ruleChanged(rule.id)
        return { deleted: rule.id }
      },
      { scope: 'alerts:write', schema: { params: IdParams, response: { 200: Deleted } } },
    )
    .get(
      '/v1/alerts/:id/channels',
      async ({ access, params }) => {
        const rule = await ruleFor(s, access, params.id)
        return { items: (await channelsOf(s.backend, [rule.id])).map(channelView) }
      },
      { scope: 'alerts:read', schema: { params: IdParams, response: { 200: ChannelList } } },
    )
    .post(
      '/v1/alerts/:id/channels',
      async ({ request, access, params }) => {
        const rule = await ruleFor(s, access, params.id)
        const config = parseChannel(await readJson(request, MAX_BODY))
        if (config.type !== 'email') {
          const field = config.type === 'slack' ? 'config.webhook_url' : 'config.url'
          const checked = await checkUrl(config.type === 'slack' ? config.webhook_url : config.url, {
            allowPrivate: s.config.alerting.allow_private_urls,
            resolve: alerting(s).resolve,
            timeoutMs: s.config.alerting.delivery_timeout_secs * 1000,
          })
          if (!checked.ok) throw new AppError('invalid_field', `field ${field}: ${checked.error}`, { field })
        }
        return json(channelView(await insertChannel(s.backend, rule.id, config, s.now())), 201)
      },
      {
        scope: 'alerts:write',
        schema: { params: IdParams, body: ChannelBody, response: { 201: ChannelView } },
      },
    )
    .delete(
      '/v1/alerts/:id/channels/:cid',
      async ({ access, params }) => {
        const rule = await ruleFor(s, access, params.id)
        const cid = parseId(params.cid, 'cid')
        if (!(await deleteChannel(s.backend, rule.id, cid)))
          throw notFound(`channel ${cid} not found on alert rule ${rule.id}`)
        return { deleted: cid }
      },
      { scope: 'alerts:write', schema: { params: ChannelParams, response: { 200: Deleted } } },
    )
    .post(
      '/v1/alerts/:id/test',
      async ({ access, params }) => {
        const rule = await ruleFor(s, access, params.id)
        const a = alerting(s)
        const targets = await a.targetsOf(rule.id)
        if (targets.length === 0) {
          throw new AppError(
            'bad_request',
            `alert rule ${rule.id} has no channel, and no global fallback (BLOOP_SLACK_WEBHOOK_URL, BLOOP_WEBHOOK_URL) is set`,
          )
        }
        return { rule_id: rule.id, results: await a.test(rule, targets) }
      },
      { scope: 'alerts:write', schema: { params: IdParams, response: { 200: TestAnswer } } },
    )
    .get(
      '/v1/alerts/:id/deliveries',
      async ({ access, params, query }) => {
        const rule = await ruleFor(s, access, params.id)
        const q = parseQuery(DeliveriesQuery, query)
        return { items: await deliveriesOf(s.backend, rule.id, q.limit, q.before), limit: q.limit }
      },
      {
        scope: 'alerts:read',
        schema: { params: IdParams, query: DeliveriesQuery, response: { 200: DeliveryList } },
      },
    )
}
