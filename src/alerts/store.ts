/**
 * Alerting tables (migration 003): rules, channels, cooldowns and the delivery log. These
 * are small administrative writes on the main-thread connection; event data is only read
 * (to warm the counters). Every query is parameterised, and every read of a rule by id is
 * followed by the caller's project check.
 *
 * Written against the storage seam (storage/backend.ts), so it runs on SQLite and on
 * PostgreSQL alike (test/http/alerts.store.test.ts runs it on both).
 */
import type { Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import type { ChannelConfig, ChannelType, DeliveryView, Outcome, RuleConfig, RuleInput } from './model'
import type { Rule } from './rules'

/** Delivery log rows kept per rule; older ones are trimmed on insert. */
export const DELIVERY_LOG_PER_RULE = 500

export interface RuleRow extends Rule {
  description: string | null
  created_by: string | null
  created_at: number
  updated_at: number
}

interface RawRule extends Omit<RuleRow, 'config' | 'enabled'> {
  config: string
  enabled: number
}

const RULE_COLUMNS =
  'id, project_id, name, description, rule_type, config, environment_filter, source_filter, enabled, created_by, created_at, updated_at'

const toRule = (r: RawRule): RuleRow => ({
  ...r,
  config: JSON.parse(r.config) as RuleConfig,
  enabled: r.enabled === 1,
})

export async function getRule(q: Queryable, id: number): Promise<RuleRow | null> {
  const r = await q.get<RawRule>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = ?`, [id])
  return r ? toRule(r) : null
}

export async function listRules(q: Queryable, projectIds: readonly string[]): Promise<RuleRow[]> {
  if (projectIds.length === 0) return []
  const rows = await q.all<RawRule>(
    `SELECT ${RULE_COLUMNS} FROM alert_rules WHERE project_id IN (${placeholders(projectIds.length)}) ORDER BY id`,
    projectIds,
  )
  return rows.map(toRule)
}

export async function enabledRules(q: Queryable): Promise<RuleRow[]> {
  const rows = await q.all<RawRule>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE enabled = 1 ORDER BY id`)
  return rows.map(toRule)
}

export async function insertRule(
  q: Queryable,
  r: Omit<RuleInput, 'project_id'> & { project_id: string; created_by: string | null },
  now: number,
): Promise<RuleRow> {
  const row = await q.get<RawRule>(
    `INSERT INTO alert_rules (project_id, name, description, rule_type, config, environment_filter,
       source_filter, enabled, created_by, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${RULE_COLUMNS}`,
    [
      r.project_id,
      r.name,
      r.description ?? null,
      r.config.type,
      JSON.stringify(r.config),
      r.environment_filter ?? null,
      r.source_filter ?? null,
      r.enabled ? 1 : 0,
      r.created_by,
      now,
      now,
    ],
  )
  return toRule(row as RawRule)
}

/** Stores the rule's fields; null when it is gone (deleted meanwhile). */
export async function updateRule(q: Queryable, rule: RuleRow, now: number): Promise<RuleRow | null> {
  const row = await q.get<RawRule>(
    `UPDATE alert_rules SET name = ?, description = ?, rule_type = ?, config = ?, environment_filter = ?,
       source_filter = ?, enabled = ?, updated_at = ? WHERE id = ? RETURNING ${RULE_COLUMNS}`,
    [
      rule.name,
      rule.description,
      rule.config.type,
      JSON.stringify(rule.config),
      rule.environment_filter,
      rule.source_filter,
      rule.enabled ? 1 : 0,
      now,
      rule.id,
    ],
  )
  return row ? toRule(row) : null
}

/** Deletes the rule with its channels, cooldowns and delivery log (ON DELETE CASCADE). */
export async function deleteRule(q: Queryable, id: number): Promise<boolean> {
  return (await q.run('DELETE FROM alert_rules WHERE id = ?', [id])).changes > 0
}

export interface ChannelRow {
  id: number
  rule_id: number
  channel_type: ChannelType
  config: ChannelConfig
  created_at: number
}

interface RawChannel extends Omit<ChannelRow, 'config'> {
  config: string
}

const toChannel = (r: RawChannel): ChannelRow => ({ ...r, config: JSON.parse(r.config) as ChannelConfig })

export async function channelsOf(q: Queryable, ruleIds: readonly number[]): Promise<ChannelRow[]> {
  if (ruleIds.length === 0) return []
  const rows = await q.all<RawChannel>(
    `SELECT id, rule_id, channel_type, config, created_at FROM alert_channels
     WHERE rule_id IN (${placeholders(ruleIds.length)}) ORDER BY id`,
    ruleIds,
  )
  return rows.map(toChannel)
}

export async function insertChannel(
  q: Queryable,
  ruleId: number,
  config: ChannelConfig,
  now: number,
): Promise<ChannelRow> {
  const res = await q.get<{ id: number }>(
    'INSERT INTO alert_channels (rule_id, channel_type, config, created_at) VALUES (?, ?, ?, ?) RETURNING id',
    [ruleId, config.type, JSON.stringify(config), now],
  )
  return {
    id: (res as { id: number }).id,
    rule_id: ruleId,
    channel_type: config.type,
    config,
    created_at: now,
  }
}

export async function deleteChannel(q: Queryable, ruleId: number, channelId: number): Promise<boolean> {
  return (
    (await q.run('DELETE FROM alert_channels WHERE id = ? AND rule_id = ?', [channelId, ruleId])).changes > 0
  )
}

export interface CooldownRow {
  rule_id: number
  key: string
  last_fired_at: number
}

export function allCooldowns(q: Queryable): Promise<CooldownRow[]> {
  return q.all<CooldownRow>('SELECT rule_id, key, last_fired_at FROM alert_cooldowns')
}

export async function recordFiring(q: Queryable, ruleId: number, key: string, at: number): Promise<void> {
  await q.run(
    `INSERT INTO alert_cooldowns (rule_id, key, last_fired_at) VALUES (?, ?, ?)
     ON CONFLICT (rule_id, key) DO UPDATE SET last_fired_at = excluded.last_fired_at`,
    [ruleId, key, at],
  )
}

export async function lastFiredOf(q: Queryable, ruleIds: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  if (ruleIds.length === 0) return out
  const rows = await q.all<{ rule_id: number; at: number }>(
    `SELECT rule_id, max(last_fired_at) AS at FROM alert_cooldowns WHERE rule_id IN (${placeholders(ruleIds.length)}) GROUP BY rule_id`,
    ruleIds,
  )
  for (const r of rows) out.set(r.rule_id, r.at)
  return out
}

export type DeliveryRecord = Omit<DeliveryView, 'id'> & { rule_id: number }

/** Appends to the delivery log and trims it to the newest DELIVERY_LOG_PER_RULE rows. */
export async function insertDelivery(q: Queryable, d: DeliveryRecord): Promise<number> {
  const res = await q.get<{ id: number }>(
    `INSERT INTO alert_deliveries (rule_id, alert_id, kind, reason, fingerprint, issue_title, channel_id,
       channel_type, target, outcome, attempts, status_code, response, error, fired_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      d.rule_id,
      d.alert_id,
      d.kind,
      d.reason,
      d.fingerprint,
      d.issue_title,
      d.channel_id,
      d.channel_type,
      d.target,
      d.outcome,
      d.attempts,
      d.status_code,
      d.response,
      d.error,
      d.fired_at,
      d.finished_at,
    ],
  )
  await q.run(
    `DELETE FROM alert_deliveries WHERE rule_id = ? AND id <= (
       SELECT id FROM alert_deliveries WHERE rule_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    [d.rule_id, d.rule_id, DELIVERY_LOG_PER_RULE],
  )
  return (res as { id: number }).id
}

export function deliveriesOf(
  q: Queryable,
  ruleId: number,
  limit: number,
  before?: number,
): Promise<DeliveryView[]> {
  return q.all<DeliveryView & { outcome: Outcome }>(
    `SELECT id, alert_id, kind, reason, fingerprint, issue_title, channel_id, channel_type, target, outcome,
       attempts, status_code, response, error, fired_at, finished_at
     FROM alert_deliveries WHERE rule_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    [ruleId, before ?? Number.MAX_SAFE_INTEGER, limit],
  )
}

/** Per-second event counts since `sinceMs`, for warming counters; muted and ignored issues left out. */
export interface SecondCount {
  project_id: string
  fingerprint: string
  environment: string
  source: string
  route: string | null
  sec: number
  n: number
}

/** The newest committed raw event id (0 when none): where a warm-up's counts stop. */
export async function newestRawId(q: Queryable): Promise<number> {
  return (await q.get<{ id: number | null }>('SELECT max(id) AS id FROM raw_events'))?.id ?? 0
}

/**
 * The counts of every event with id <= `throughRawId` (read first with `newestRawId`), so
 * that batches already included are not counted again when their commit listener runs.
 * Uses the existing raw_events(received_at) index for the time range.
 */
export function secondCounts(
  q: Queryable,
  sinceMs: number,
  throughRawId: number,
  projectIds: readonly string[],
): Promise<SecondCount[]> {
  if (projectIds.length === 0) return Promise.resolve([])
  return q.all<SecondCount>(
    `SELECT r.project_id, r.fingerprint, r.environment, r.source, r.route_or_procedure AS route,
       r.received_at / 1000 AS sec, count(*) AS n
     FROM raw_events r
     JOIN issues i ON i.project_id = r.project_id AND i.fingerprint = r.fingerprint
     WHERE r.received_at > ? AND r.id <= ? AND r.project_id IN (${placeholders(projectIds.length)})
       AND i.status NOT IN ('muted', 'ignored')
     GROUP BY r.project_id, r.fingerprint, r.environment, r.source, r.route_or_procedure, sec`,
    [sinceMs, throughRawId, ...projectIds],
  )
}
