/**
 * Per-project LLM settings (`llm_settings`), pricing overrides (`llm_pricing_overrides`)
 * and the global retention window (`llm_retention`): small administrative writes of the
 * main connection, through the storage seam (one SQL text for SQLite and PostgreSQL).
 *
 * Ingest needs a project's content policy and its overrides on every request, and two
 * queries per request were a tenth of the trace route's main-thread time, so
 * `ingestSettings` keeps them in a process-local cache per backend: a hit answers from
 * memory without a round trip (the proxy path's latency depends on it), a miss awaits one
 * read of both, shared by the requests that miss at the same time. Every write here
 * (saveLlmSettings, putOverride, deleteOverride) empties that backend's cache before it
 * returns, and a read that was in flight across such a write is not cached, so a change
 * made through this process is effective from the next request and never reverts to the
 * config default. Writes this process does not make (another process on the same file, the
 * writer's purge of a deleted project, whose key no longer signs anything) are seen within
 * INGEST_CACHE_MS at the latest. Several bloop nodes sharing one database would each need
 * the others' writes: invalidation across nodes (the bus's `invalidate` channel) is later
 * work; see docs/ARCHITECTURE.md, "Several nodes".
 */
import type { Backend, Param, Queryable } from '../../storage/backend'
import { exclusive } from '../../storage/exclusive'
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

interface IngestCache {
  entries: Map<string, IngestSettings & { read_at: number }>
  /** Reads in flight, shared by the requests that miss meanwhile. */
  pending: Map<string, Promise<IngestSettings>>
  /** Raised by every invalidation: a read that began before it is not cached. */
  generation: number
}
const ingestCaches = new WeakMap<Queryable, IngestCache>()

function cacheOf(db: Queryable): IngestCache {
  let cache = ingestCaches.get(db)
  if (!cache) {
    cache = { entries: new Map(), pending: new Map(), generation: 0 }
    ingestCaches.set(db, cache)
  }
  return cache
}

/**
 * The project's policy and overrides, from the cache when read within INGEST_CACHE_MS of
 * `now` (no database call then); otherwise read once and cached.
 */
export function ingestSettings(db: Queryable, projectId: string, now: number): Promise<IngestSettings> {
  const cache = cacheOf(db)
  const hit = cache.entries.get(projectId)
  if (hit && now - hit.read_at < INGEST_CACHE_MS && now >= hit.read_at) return Promise.resolve(hit)
  const inFlight = cache.pending.get(projectId)
  if (inFlight) return inFlight
  const generation = cache.generation
  const read = (async () => {
    const [settings, overrides] = await Promise.all([
      readLlmSettings(db, projectId),
      overridesFor(db, projectId),
    ])
    const entry = {
      content_policy: settings.content_policy,
      overrides: Object.freeze(overrides),
      read_at: now,
    }
    if (cache.generation === generation) {
      if (cache.entries.size >= INGEST_CACHE_MAX) cache.entries.clear()
      cache.entries.set(projectId, entry)
    }
    return entry
  })()
  cache.pending.set(projectId, read)
  const done = () => {
    if (cache.pending.get(projectId) === read) cache.pending.delete(projectId)
  }
  read.then(done, done)
  return read
}

/** Empties the ingest cache of a backend: after every settings or override write. */
export function invalidateIngestSettings(db: Queryable): void {
  const cache = ingestCaches.get(db)
  if (!cache) return
  cache.entries.clear()
  cache.pending.clear()
  cache.generation++
}

const SETTINGS_COLUMNS =
  'project_id, content_policy, monthly_budget_micros, budget_alert_rate, retention_days, updated_by, updated_at'

export async function readLlmSettings(db: Queryable, projectId: string): Promise<LlmSettings> {
  const row = await db.get<LlmSettings>(`SELECT ${SETTINGS_COLUMNS} FROM llm_settings WHERE project_id = ?`, [
    projectId,
  ])
  return row ?? defaultsOf(projectId)
}

/** A project's settings before it has a row: every column at its default. */
const defaultsOf = (projectId: string): LlmSettings => ({
  project_id: projectId,
  content_policy: null,
  monthly_budget_micros: 0,
  budget_alert_rate: DEFAULT_BUDGET_ALERT_RATE,
  retention_days: null,
  updated_by: null,
  updated_at: null,
})

export type SettingsChange = Partial<
  Pick<LlmSettings, 'content_policy' | 'monthly_budget_micros' | 'budget_alert_rate' | 'retention_days'>
>

const CHANGEABLE = ['content_policy', 'monthly_budget_micros', 'budget_alert_rate', 'retention_days'] as const

/**
 * Applies a validated change (only the keys present) and returns the new row. One upsert
 * that sets only the changed columns, so two changes of different keys at the same time
 * (the budget and the policy) both hold on either backend.
 */
export async function saveLlmSettings(
  db: Queryable,
  projectId: string,
  change: SettingsChange,
  by: string,
  now: number,
): Promise<LlmSettings> {
  const present = CHANGEABLE.filter((k) => change[k] !== undefined)
  const initial = { ...defaultsOf(projectId), ...change }
  const set = [...present, 'updated_by', 'updated_at'].map((c) => `${c} = excluded.${c}`).join(', ')
  const row = await db.get<LlmSettings>(
    `INSERT INTO llm_settings (${SETTINGS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_id) DO UPDATE SET ${set}
     RETURNING ${SETTINGS_COLUMNS}`,
    [
      projectId,
      initial.content_policy,
      initial.monthly_budget_micros,
      initial.budget_alert_rate,
      initial.retention_days,
      by,
      now,
    ] as Param[],
  )
  invalidateIngestSettings(db)
  return row as LlmSettings
}

/** Keeps the global retention row equal to the config (the writer's prune task reads it). */
export async function syncRetentionFromConfig(db: Queryable, days: number): Promise<void> {
  await db.run(
    `INSERT INTO llm_retention (id, retention_days) VALUES (1, ?1)
     ON CONFLICT (id) DO UPDATE SET retention_days = ?1 WHERE retention_days != ?1`,
    [days],
  )
}

interface OverrideRow extends PricingOverride {
  created_by: string | null
  created_at: number
  updated_at: number
}

const OVERRIDE_COLUMNS = `id, project_id, model_pattern, match, provider, input_per_mtok, output_per_mtok,
  cache_read_per_mtok, cache_write_per_mtok, reasoning_per_mtok, effective_from, created_by, created_at, updated_at`

/** The overrides that may price a call of `projectId`: its own and the global ones. */
export function overridesFor(db: Queryable, projectId: string): Promise<OverrideRow[]> {
  return db.all<OverrideRow>(
    `SELECT ${OVERRIDE_COLUMNS} FROM llm_pricing_overrides WHERE project_id = ? OR project_id IS NULL`,
    [projectId],
  )
}

/**
 * The condition on a scope: a project's overrides (a parameter) or the global ones (no
 * parameter: PostgreSQL cannot type the `?` of `project_id IS ?`).
 */
const scopeOf = (projectId: string | null): { sql: string; params: Param[] } =>
  projectId === null
    ? { sql: 'project_id IS NULL', params: [] }
    : { sql: 'project_id = ?', params: [projectId] }

/** Overrides of one scope: a project's (projectId) or the global ones (null), in bytewise order. */
export function listOverrides(db: Queryable, projectId: string | null): Promise<OverrideRow[]> {
  const scope = scopeOf(projectId)
  return db.all<OverrideRow>(
    `SELECT ${OVERRIDE_COLUMNS} FROM llm_pricing_overrides WHERE ${scope.sql}
     ORDER BY lower(model_pattern) COLLATE BINARY, effective_from, id COLLATE BINARY`,
    scope.params,
  )
}

/**
 * Creates an override, or replaces the one of the same scope, pattern, match, provider and
 * effective_from (a PUT of the same price point is idempotent). The lookup and the write
 * run in one `exclusive` transaction, so two PUTs of one price point at the same time
 * store one row (the second updates it) on either backend.
 */
export async function putOverride(
  b: Backend,
  projectId: string | null,
  body: PricingOverrideBody,
  by: string,
  now: number,
  newId: () => string,
): Promise<{ override: OverrideRow; created: boolean }> {
  const result = await exclusive(b, 'llm_pricing_overrides', async (tx) => {
    const existing = await tx.get<{ id: string }>(
      `SELECT id FROM llm_pricing_overrides WHERE COALESCE(project_id, '') = ? AND lower(model_pattern) = lower(?)
       AND match = ? AND COALESCE(lower(provider), '') = lower(?) AND effective_from = ?`,
      [projectId ?? '', body.model_pattern, body.match, body.provider ?? '', body.effective_from],
    )
    const id = existing?.id ?? newId()
    const override = await tx.get<OverrideRow>(
      `INSERT INTO llm_pricing_overrides (id, project_id, model_pattern, match, provider, input_per_mtok, output_per_mtok,
         cache_read_per_mtok, cache_write_per_mtok, reasoning_per_mtok, effective_from, created_by, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
       ON CONFLICT (id) DO UPDATE SET model_pattern = ?3, provider = ?5, input_per_mtok = ?6, output_per_mtok = ?7,
         cache_read_per_mtok = ?8, cache_write_per_mtok = ?9, reasoning_per_mtok = ?10, updated_at = ?13
       RETURNING ${OVERRIDE_COLUMNS}`,
      [
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
      ],
    )
    return { override: override as OverrideRow, created: !existing }
  })
  invalidateIngestSettings(b)
  return result
}

/** Deletes an override of the scope; false when there is none with that id there. */
export async function deleteOverride(db: Queryable, projectId: string | null, id: string): Promise<boolean> {
  const scope = scopeOf(projectId)
  const deleted = await db.run(`DELETE FROM llm_pricing_overrides WHERE id = ? AND ${scope.sql}`, [
    id,
    ...scope.params,
  ])
  invalidateIngestSettings(db)
  return deleted.changes > 0
}

export interface UnknownModelRow {
  model: string
  provider: string | null
  span_count: number
  first_seen: number
  last_seen: number
}

export function unknownModels(db: Queryable, projectId: string, limit: number): Promise<UnknownModelRow[]> {
  return db.all<UnknownModelRow>(
    `SELECT model, NULLIF(provider, '') AS provider, span_count, first_seen, last_seen FROM llm_unknown_models
     WHERE project_id = ? ORDER BY span_count DESC, model COLLATE BINARY LIMIT ?`,
    [projectId, limit],
  )
}
