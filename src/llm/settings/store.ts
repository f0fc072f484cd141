/**
 * Per-project LLM settings (`llm_settings`), pricing overrides (`llm_pricing_overrides`)
 * and the global retention window (`llm_retention`): small administrative writes of the
 * main connection.
 *
 * Ingest needs a project's content policy and its overrides on every request, and two
 * queries per request were a tenth of the trace route's main-thread time, so
 * `ingestSettings` keeps them in a process-local cache per connection. Every write here
 * (saveLlmSettings, putOverride, deleteOverride) empties that connection's cache before
 * it returns, so a change made through this process is effective from the next request
 * and never reverts to the config default. Writes this process does not make (another
 * process on the same file, the writer thread's purge of a deleted project, whose key no
 * longer signs anything) are seen within INGEST_CACHE_MS at the latest. Several bloop
 * nodes sharing one database would each need the others' writes: invalidation across
 * nodes (a version row, or PostgreSQL LISTEN/NOTIFY) is later work; see
 * docs/ARCHITECTURE.md.
 */
import type { Db } from '../../storage/db'
import type { ContentPolicy } from '../ingest/contract'
import type { PricingOverride, PricingOverrideBody } from '../overrides'

export interface LlmSettings {
  project_id: string
  /** null: the config's default_content_storage applies. */
  content_policy: ContentPolicy | null
  monthly_budget_micros: number
  budget_alert_rate: number
  /** null: llm_tracing.retention_days applies. */
  retention_days: number | null
  updated_by: string | null
  updated_at: number | null
}

export const DEFAULT_BUDGET_ALERT_RATE = 0.8

/** What ingest reads of a project: its stored policy (null: the config default) and overrides. */
export interface IngestSettings {
  content_policy: ContentPolicy | null
  overrides: readonly PricingOverride[]
}

/** A backstop for writes outside this process; writes through it invalidate at once. */
export const INGEST_CACHE_MS = 10_000
/** Bounds the cache by project count: past it the cache is emptied and refills. */
const INGEST_CACHE_MAX = 10_000
const ingestCaches = new WeakMap<Db, Map<string, IngestSettings & { read_at: number }>>()

/** The project's policy and overrides, from the cache when read within INGEST_CACHE_MS of `now`. */
export function ingestSettings(db: Db, projectId: string, now: number): IngestSettings {
  let cache = ingestCaches.get(db)
  if (!cache) {
    cache = new Map()
    ingestCaches.set(db, cache)
  }
  const hit = cache.get(projectId)
  if (hit && now - hit.read_at < INGEST_CACHE_MS && now >= hit.read_at) return hit
  const entry = {
    content_policy: readLlmSettings(db, projectId).content_policy,
    overrides: Object.freeze(overridesFor(db, projectId)),
    read_at: now,
  }
  if (cache.size >= INGEST_CACHE_MAX) cache.clear()
  cache.set(projectId, entry)
  return entry
}

/** Empties the ingest cache of a connection: after every settings or override write. */
export function invalidateIngestSettings(db: Db): void {
  ingestCaches.get(db)?.clear()
}

export function readLlmSettings(db: Db, projectId: string): LlmSettings {
  const row = db
    .query<LlmSettings, [string]>(
      `SELECT project_id, content_policy, monthly_budget_micros, budget_alert_rate, retention_days, updated_by, updated_at
       FROM llm_settings WHERE project_id = ?`,
    )
    .get(projectId)
  return (
    row ?? {
      project_id: projectId,
      content_policy: null,
      monthly_budget_micros: 0,
      budget_alert_rate: DEFAULT_BUDGET_ALERT_RATE,
      retention_days: null,
      updated_by: null,
      updated_at: null,
    }
  )
}

export type SettingsChange = Partial<
  Pick<LlmSettings, 'content_policy' | 'monthly_budget_micros' | 'budget_alert_rate' | 'retention_days'>
>

/** Applies a validated change (only the keys present) and returns the new row. */
export function saveLlmSettings(
  db: Db,
  projectId: string,
  change: SettingsChange,
  by: string,
  now: number,
): LlmSettings {
  const current = readLlmSettings(db, projectId)
  const next = { ...current, ...change }
  db.query(
    `INSERT INTO llm_settings (project_id, content_policy, monthly_budget_micros, budget_alert_rate, retention_days, updated_by, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (project_id) DO UPDATE SET content_policy = ?2, monthly_budget_micros = ?3, budget_alert_rate = ?4,
       retention_days = ?5, updated_by = ?6, updated_at = ?7`,
  ).run(
    projectId,
    next.content_policy,
    next.monthly_budget_micros,
    next.budget_alert_rate,
    next.retention_days,
    by,
    now,
  )
  invalidateIngestSettings(db)
  return readLlmSettings(db, projectId)
}

/** Keeps the global retention row equal to the config (the writer's prune task reads it). */
export function syncRetentionFromConfig(db: Db, days: number): void {
  db.query(
    `INSERT INTO llm_retention (id, retention_days) VALUES (1, ?1)
     ON CONFLICT (id) DO UPDATE SET retention_days = ?1 WHERE retention_days != ?1`,
  ).run(days)
}

interface OverrideRow extends PricingOverride {
  created_by: string | null
  created_at: number
  updated_at: number
}

const OVERRIDE_COLUMNS = `id, project_id, model_pattern, match, provider, input_per_mtok, output_per_mtok,
  cache_read_per_mtok, cache_write_per_mtok, reasoning_per_mtok, effective_from, created_by, created_at, updated_at`

/** The overrides that may price a call of `projectId`: its own and the global ones. */
export function overridesFor(db: Db, projectId: string): OverrideRow[] {
  return db
    .query<OverrideRow, [string]>(
      `SELECT ${OVERRIDE_COLUMNS} FROM llm_pricing_overrides WHERE project_id = ? OR project_id IS NULL`,
    )
    .all(projectId)
}

/** Overrides of one scope: a project's (projectId) or the global ones (null). */
export function listOverrides(db: Db, projectId: string | null): OverrideRow[] {
  return db
    .query<OverrideRow, [string | null]>(
      `SELECT ${OVERRIDE_COLUMNS} FROM llm_pricing_overrides WHERE project_id IS ?
       ORDER BY lower(model_pattern), effective_from, id`,
    )
    .all(projectId)
}

/**
 * Creates an override, or replaces the one of the same scope, pattern, match, provider and
 * effective_from (a PUT of the same price point is idempotent).
 */
export function putOverride(
  db: Db,
  projectId: string | null,
  body: PricingOverrideBody,
  by: string,
  now: number,
  newId: () => string,
): { override: OverrideRow; created: boolean } {
  const existing = db
    .query<{ id: string }, [string, string, string, string, number]>(
      `SELECT id FROM llm_pricing_overrides WHERE COALESCE(project_id, '') = ? AND lower(model_pattern) = lower(?)
       AND match = ? AND COALESCE(lower(provider), '') = lower(?) AND effective_from = ?`,
    )
    .get(projectId ?? '', body.model_pattern, body.match, body.provider ?? '', body.effective_from)
  const id = existing?.id ?? newId()
  db.query(
    `INSERT INTO llm_pricing_overrides (id, project_id, model_pattern, match, provider, input_per_mtok, output_per_mtok,
       cache_read_per_mtok, cache_write_per_mtok, reasoning_per_mtok, effective_from, created_by, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
     ON CONFLICT (id) DO UPDATE SET model_pattern = ?3, provider = ?5, input_per_mtok = ?6, output_per_mtok = ?7,
       cache_read_per_mtok = ?8, cache_write_per_mtok = ?9, reasoning_per_mtok = ?10, updated_at = ?13`,
  ).run(
    id,
    projectId,
    body.model_pattern,
    body.match,
    body.provider,
    body.input_per_mtok,
    body.output_per_mtok,
    body.cache_read_per_mtok,
    body.cache_write_per_mtok,
    body.reasoning_per_mtok,
    body.effective_from,
    by,
    now,
  )
  invalidateIngestSettings(db)
  const override = db
    .query<OverrideRow, [string]>(`SELECT ${OVERRIDE_COLUMNS} FROM llm_pricing_overrides WHERE id = ?`)
    .get(id) as OverrideRow
  return { override, created: !existing }
}

/** Deletes an override of the scope; false when there is none with that id there. */
export function deleteOverride(db: Db, projectId: string | null, id: string): boolean {
  const deleted =
    db.query('DELETE FROM llm_pricing_overrides WHERE id = ? AND project_id IS ?').run(id, projectId)
      .changes > 0
  invalidateIngestSettings(db)
  return deleted
}

export interface UnknownModelRow {
  model: string
  provider: string | null
  span_count: number
  first_seen: number
  last_seen: number
}

export function unknownModels(db: Db, projectId: string, limit: number): UnknownModelRow[] {
  return db
    .query<UnknownModelRow, [string, number]>(
      `SELECT model, NULLIF(provider, '') AS provider, span_count, first_seen, last_seen FROM llm_unknown_models
       WHERE project_id = ? ORDER BY span_count DESC, model LIMIT ?`,
    )
    .all(projectId, limit)
}
