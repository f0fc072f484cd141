/**
 * Alerting tables (migration 003): rules, channels, cooldowns and the delivery log. These
 * are small administrative writes on the main-thread connection; event data is only read
 * (to warm the counters). Every query is parameterised, and every read of a rule by id is
 * followed by the caller's project check.
 */
import { type Db, placeholders } from '../storage/db'
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

export function getRule(db: Db, id: number): RuleRow | null {
  const r = db.query<RawRule, [number]>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = ?`).get(id)
  return r ? toRule(r) : null
}

export function listRules(db: Db, projectIds: readonly string[]): RuleRow[] {
  if (projectIds.length === 0) return []
  return db
    .query<RawRule, string[]>(
      `SELECT ${RULE_COLUMNS} FROM alert_rules WHERE project_id IN (${placeholders(projectIds.length)}) ORDER BY id`,
    )
    .all(...projectIds)
    .map(toRule)
}

export function enabledRules(db: Db): RuleRow[] {
  return db
    .query<RawRule, []>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE enabled = 1 ORDER BY id`)
    .all()
    .map(toRule)
}

export function insertRule(
  db: Db,
  r: Omit<RuleInput, 'project_id'> & { project_id: string; created_by: string | null },
  now: number,
): RuleRow {
  const res = db
    .query(
      `INSERT INTO alert_rules (project_id, name, description, rule_type, config, environment_filter,
         source_filter, enabled, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
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
    )
  return getRule(db, Number(res.lastInsertRowid)) as RuleRow
}

export function updateRule(db: Db, rule: RuleRow, now: number): RuleRow {
  db.query(
    `UPDATE alert_rules SET name = ?, description = ?, rule_type = ?, config = ?, environment_filter = ?,
       source_filter = ?, enabled = ?, updated_at = ? WHERE id = ?`,
  ).run(
    rule.name,
    rule.description,
    rule.config.type,
    JSON.stringify(rule.config),
    rule.environment_filter,
    rule.source_filter,
    rule.enabled ? 1 : 0,
    now,
    rule.id,
  )
  return getRule(db, rule.id) as RuleRow
}

/** Deletes the rule with its channels, cooldowns and delivery log (ON DELETE CASCADE). */
export function deleteRule(db: Db, id: number): boolean {
  return db.query('DELETE FROM alert_rules WHERE id = ?').run(id).changes > 0
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

export function channelsOf(db: Db, ruleIds: readonly number[]): ChannelRow[] {
  if (ruleIds.length === 0) return []
  return db
    .query<RawChannel, number[]>(
      `SELECT id, rule_id, channel_type, config, created_at FROM alert_channels
       WHERE rule_id IN (${placeholders(ruleIds.length)}) ORDER BY id`,
    )
    .all(...ruleIds)
    .map(toChannel)
}

export function insertChannel(db: Db, ruleId: number, config: ChannelConfig, now: number): ChannelRow {
  const res = db
    .query('INSERT INTO alert_channels (rule_id, channel_type, config, created_at) VALUES (?, ?, ?, ?)')
    .run(ruleId, config.type, JSON.stringify(config), now)
  return {
    id: Number(res.lastInsertRowid),
    rule_id: ruleId,
    channel_type: config.type,
    config,
    created_at: now,
  }
}

export function deleteChannel(db: Db, ruleId: number, channelId: number): boolean {
  return (
    db.query('DELETE FROM alert_channels WHERE id = ? AND rule_id = ?').run(channelId, ruleId).changes > 0
  )
}

export interface CooldownRow {
  rule_id: number
  key: string
  last_fired_at: number
}

export function allCooldowns(db: Db): CooldownRow[] {
  return db.query<CooldownRow, []>('SELECT rule_id, key, last_fired_at FROM alert_cooldowns').all()
}

export function recordFiring(db: Db, ruleId: number, key: string, at: number): void {
  db.query(
    `INSERT INTO alert_cooldowns (rule_id, key, last_fired_at) VALUES (?, ?, ?)
     ON CONFLICT (rule_id, key) DO UPDATE SET last_fired_at = excluded.last_fired_at`,
  ).run(ruleId, key, at)
}

export function lastFiredOf(db: Db, ruleIds: readonly number[]): Map<number, number> {
  const out = new Map<number, number>()
  if (ruleIds.length === 0) return out
  const rows = db
    .query<{ rule_id: number; at: number }, number[]>(
      `SELECT rule_id, max(last_fired_at) AS at FROM alert_cooldowns WHERE rule_id IN (${placeholders(ruleIds.length)}) GROUP BY rule_id`,
    )
    .all(...ruleIds)
  for (const r of rows) out.set(r.rule_id, r.at)
  return out
}

export type DeliveryRecord = Omit<DeliveryView, 'id'> & { rule_id: number }

/** Appends to the delivery log and trims it to the newest DELIVERY_LOG_PER_RULE rows. */
export function insertDelivery(db: Db, d: DeliveryRecord): number {
  const res = db
    .query(
      `INSERT INTO alert_deliveries (rule_id, alert_id, kind, reason, fingerprint, issue_title, channel_id,
         channel_type, target, outcome, attempts, status_code, response, error, fired_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
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
    )
  db.query(
    `DELETE FROM alert_deliveries WHERE rule_id = ? AND id <= (
       SELECT id FROM alert_deliveries WHERE rule_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  ).run(d.rule_id, d.rule_id, DELIVERY_LOG_PER_RULE)
  return Number(res.lastInsertRowid)
}

export function deliveriesOf(db: Db, ruleId: number, limit: number, before?: number): DeliveryView[] {
  return db
    .query<DeliveryView & { outcome: Outcome }, [number, number, number]>(
      `SELECT id, alert_id, kind, reason, fingerprint, issue_title, channel_id, channel_type, target, outcome,
         attempts, status_code, response, error, fired_at, finished_at
       FROM alert_deliveries WHERE rule_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    )
    .all(ruleId, before ?? Number.MAX_SAFE_INTEGER, limit)
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

/**
 * Reads the counts of every event with id <= the newest committed id, which it returns so
 * that batches already included are not counted again when their commit listener runs.
 * Uses the existing raw_events(received_at) index for the time range.
 */
export function secondCounts(
  db: Db,
  sinceMs: number,
  projectIds: readonly string[],
): { rows: SecondCount[]; throughRawId: number } {
  const through = db.query<{ id: number | null }, []>('SELECT max(id) AS id FROM raw_events').get()?.id ?? 0
  if (projectIds.length === 0) return { rows: [], throughRawId: through }
  const rows = db
    .query<SecondCount, (string | number)[]>(
      `SELECT r.project_id, r.fingerprint, r.environment, r.source, r.route_or_procedure AS route,
         r.received_at / 1000 AS sec, count(*) AS n
       FROM raw_events r
       JOIN issues i ON i.project_id = r.project_id AND i.fingerprint = r.fingerprint
       WHERE r.received_at > ? AND r.id <= ? AND r.project_id IN (${placeholders(projectIds.length)})
         AND i.status NOT IN ('muted', 'ignored')
       GROUP BY r.project_id, r.fingerprint, r.environment, r.source, r.route_or_procedure, sec`,
    )
    .all(sinceMs, through, ...projectIds)
  return { rows, throughRawId: through }
}
