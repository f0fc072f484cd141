/**
 * Experiments and their variants (migration 202612020600_llm_experiments.sql), and the
 * per-arm observations a comparison reads from traces, feedback and scores. Every query is
 * scoped to a project the caller may see; another project's experiment is "not found".
 * Writes are small administrative ones on the main connection, each in one transaction.
 */
import type { Db } from '../../storage/db'
import { bucketOf, variantFor } from './assign'
import type { ExperimentCreate, ExperimentPatch, ExperimentStatus, MetricName, VariantInput } from './model'

export interface Variant extends VariantInput {
  position: number
}

export interface Experiment {
  id: string
  project_id: string
  name: string
  description: string | null
  prompt_name: string
  status: ExperimentStatus
  planned_per_arm: number
  metrics: MetricName[]
  started_at: number
  concluded_at: number | null
  created_by: string | null
  created_at: number
  updated_at: number
  variants: Variant[]
}

interface ExperimentRow extends Omit<Experiment, 'metrics' | 'variants'> {
  metrics: string
}

const COLUMNS = `id, project_id, name, description, prompt_name, status, planned_per_arm, metrics, started_at,
  concluded_at, created_by, created_at, updated_at`

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')

function variantsOf(db: Db, ids: readonly string[]): Map<string, Variant[]> {
  const out = new Map<string, Variant[]>()
  if (ids.length === 0) return out
  const rows = db
    .query<Variant & { experiment_id: string }, string[]>(
      `SELECT experiment_id, position, name, version, prompt_template, traffic_percentage
       FROM llm_experiment_variants WHERE experiment_id IN (${marks(ids.length)}) ORDER BY experiment_id, position`,
    )
    .all(...ids)
  for (const { experiment_id, ...v } of rows) {
    const list = out.get(experiment_id) ?? []
    list.push(v)
    out.set(experiment_id, list)
  }
  return out
}

const hydrate = (row: ExperimentRow, variants: Variant[]): Experiment => ({
  ...row,
  metrics: JSON.parse(row.metrics) as MetricName[],
  variants,
})

export function insertExperiment(
  db: Db,
  projectId: string,
  id: string,
  e: ExperimentCreate,
  actor: string,
  now: number,
): Experiment | 'duplicate_name' {
  const exists = db
    .query<{ id: string }, [string, string]>(
      'SELECT id FROM llm_experiments WHERE project_id = ? AND name = ?',
    )
    .get(projectId, e.name)
  if (exists) return 'duplicate_name'
  db.transaction(() => {
    db.query(
      `INSERT INTO llm_experiments (id, project_id, name, description, prompt_name, status, planned_per_arm, metrics,
         started_at, concluded_at, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, NULL, ?, ?, ?)`,
    ).run(
      id,
      projectId,
      e.name,
      e.description,
      e.prompt_name,
      e.planned_per_arm,
      JSON.stringify(e.metrics),
      now,
      actor,
      now,
      now,
    )
    const insert = db.query(
      `INSERT INTO llm_experiment_variants (experiment_id, position, project_id, name, version, prompt_template, traffic_percentage)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    e.variants.forEach((v, i) => {
      insert.run(id, i, projectId, v.name, v.version, v.prompt_template, v.traffic_percentage)
    })
  })()
  return getExperiment(db, [projectId], id) as Experiment
}

export function getExperiment(db: Db, projectIds: readonly string[], id: string): Experiment | null {
  const row = db
    .query<ExperimentRow, string[]>(
      `SELECT ${COLUMNS} FROM llm_experiments WHERE id = ? AND project_id IN (${marks(projectIds.length)})`,
    )
    .get(id, ...projectIds)
  if (!row) return null
  return hydrate(row, variantsOf(db, [row.id]).get(row.id) ?? [])
}

export function listExperiments(
  db: Db,
  projectIds: readonly string[],
  o: { status: ExperimentStatus | null; limit: number; offset: number },
): Experiment[] {
  const where = [`project_id IN (${marks(projectIds.length)})`]
  const args: (string | number)[] = [...projectIds]
  if (o.status) {
    where.push('status = ?')
    args.push(o.status)
  }
  const rows = db
    .query<ExperimentRow, (string | number)[]>(
      `SELECT ${COLUMNS} FROM llm_experiments WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
    )
    .all(...args, o.limit, o.offset)
  const variants = variantsOf(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((r) => hydrate(r, variants.get(r.id) ?? []))
}

export function updateExperiment(db: Db, e: Experiment, p: ExperimentPatch, now: number): Experiment {
  const status = p.status ?? e.status
  const concluded = status === 'concluded' ? (e.concluded_at ?? now) : null
  db.query(
    'UPDATE llm_experiments SET status = ?, name = ?, description = ?, concluded_at = ?, updated_at = ? WHERE id = ?',
  ).run(
    status,
    p.name ?? e.name,
    p.description === undefined ? e.description : p.description,
    concluded,
    now,
    e.id,
  )
  return getExperiment(db, [e.project_id], e.id) as Experiment
}

export function nameTaken(db: Db, projectId: string, name: string, except: string): boolean {
  return (
    db
      .query<{ id: string }, [string, string, string]>(
        'SELECT id FROM llm_experiments WHERE project_id = ? AND name = ? AND id != ?',
      )
      .get(projectId, name, except) !== null
  )
}

export function deleteExperiment(db: Db, e: Experiment): void {
  // Variants go with it (ON DELETE CASCADE); traces are untouched.
  db.query('DELETE FROM llm_experiments WHERE id = ?').run(e.id)
}

/** What a comparison reads for one variant. */
export interface ArmData {
  traces: number
  latency_ms: number[]
  cost_usd: number[]
  errors: number
  thumbs_up: number
  votes: number
  scores: Map<string, number[]>
  /** True when more traces matched than were read (`limit`). */
  truncated: boolean
}

export interface ArmQuery {
  projectId: string
  promptName: string
  version: string
  from: number
  /** Exclusive; null while the experiment runs. */
  to: number | null
  limit: number
}

export function armData(db: Db, q: ArmQuery): ArmData {
  const window = `t.project_id = ? AND t.prompt_name = ? AND t.prompt_version = ? AND t.started_at >= ?${
    q.to === null ? '' : ' AND t.started_at < ?'
  }`
  const args: (string | number)[] = [q.projectId, q.promptName, q.version, q.from]
  if (q.to !== null) args.push(q.to)
  const rows = db
    .query<{ duration_ms: number | null; cost_micros: number | null; error: number }, (string | number)[]>(
      `SELECT t.duration_ms, t.cost_micros, (t.status = 'error' OR t.error_count > 0) AS error
       FROM llm_traces t WHERE ${window} ORDER BY t.started_at LIMIT ?`,
    )
    .all(...args, q.limit + 1)
  const truncated = rows.length > q.limit
  if (truncated) rows.pop()
  const data: ArmData = {
    traces: rows.length,
    latency_ms: [],
    cost_usd: [],
    errors: 0,
    thumbs_up: 0,
    votes: 0,
    scores: new Map(),
    truncated,
  }
  for (const r of rows) {
    if (r.duration_ms !== null) data.latency_ms.push(r.duration_ms)
    if (r.cost_micros !== null) data.cost_usd.push(r.cost_micros / 1e6)
    if (r.error) data.errors++
  }
  const votes = db
    .query<{ up: number | null; n: number }, (string | number)[]>(
      `SELECT SUM(f.value = 1) AS up, COUNT(*) AS n FROM llm_feedback f
       JOIN llm_traces t ON t.project_id = f.project_id AND t.id = f.trace_id WHERE ${window}`,
    )
    .get(...args)
  data.thumbs_up = votes?.up ?? 0
  data.votes = votes?.n ?? 0
  const scores = db
    .query<{ name: string; value: number }, (string | number)[]>(
      `SELECT s.name, s.value FROM llm_scores s
       JOIN llm_traces t ON t.project_id = s.project_id AND t.id = s.trace_id WHERE ${window} ORDER BY s.name, t.seq LIMIT ?`,
    )
    .all(...args, q.limit * 10)
  for (const s of scores) {
    const list = data.scores.get(s.name) ?? []
    list.push(s.value)
    data.scores.set(s.name, list)
  }
  return data
}

/**
 * The variant `unit` gets in an experiment of `projectId`, for callers other than the
 * assign route (the proxy, given an experiment id and a unit header): the same hash, so
 * an app and the proxy always agree. null when the experiment is not the project's.
 */
export function assignment(
  db: Db,
  projectId: string,
  experimentId: string,
  unit: string,
): { experiment: Experiment; variant: Variant; bucket: number } | null {
  const experiment = getExperiment(db, [projectId], experimentId)
  if (!experiment) return null
  const bucket = bucketOf(experiment.id, unit)
  const index = variantFor(
    bucket,
    experiment.variants.map((v) => v.traffic_percentage),
  )
  return { experiment, variant: experiment.variants[index] as Variant, bucket }
}

export interface ArmSummary {
  traces: number
  mean_latency_ms: number | null
  mean_cost_usd: number | null
  error_rate: number | null
  thumbs_up_rate: number | null
  votes: number
}

/** Counts and means of one variant, by SQL aggregates (the detail view; compare reads values). */
export function armSummary(db: Db, q: Omit<ArmQuery, 'limit'>): ArmSummary {
  const window = `t.project_id = ? AND t.prompt_name = ? AND t.prompt_version = ? AND t.started_at >= ?${
    q.to === null ? '' : ' AND t.started_at < ?'
  }`
  const args: (string | number)[] = [q.projectId, q.promptName, q.version, q.from]
  if (q.to !== null) args.push(q.to)
  const t = db
    .query<
      { n: number; latency: number | null; cost: number | null; errors: number | null },
      (string | number)[]
    >(
      `SELECT COUNT(*) AS n, AVG(t.duration_ms) AS latency, AVG(t.cost_micros) AS cost,
         SUM(t.status = 'error' OR t.error_count > 0) AS errors
       FROM llm_traces t WHERE ${window}`,
    )
    .get(...args)
  const f = db
    .query<{ up: number | null; n: number }, (string | number)[]>(
      `SELECT SUM(f.value = 1) AS up, COUNT(*) AS n FROM llm_feedback f
       JOIN llm_traces t ON t.project_id = f.project_id AND t.id = f.trace_id WHERE ${window}`,
    )
    .get(...args)
  const n = t?.n ?? 0
  const votes = f?.n ?? 0
  return {
    traces: n,
    mean_latency_ms: t?.latency ?? null,
    mean_cost_usd: t?.cost == null ? null : t.cost / 1e6,
    error_rate: n === 0 ? null : (t?.errors ?? 0) / n,
    thumbs_up_rate: votes === 0 ? null : (f?.up ?? 0) / votes,
    votes,
  }
}
