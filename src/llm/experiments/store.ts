/**
 * Experiments and their variants (migration 202612020600_llm_experiments.sql), and the
 * per-arm observations a comparison reads from traces, feedback and scores. Every query is
 * scoped to a project the caller may see; another project's experiment is "not found".
 * Writes are small administrative ones on the main connection, each in one transaction.
 *
 * On the storage seam (the same SQL on both backends). The assign route and the proxy
 * (proxy/handler.ts) read the experiment with `getExperiment` and assign with `assign`.
 */
import type { Backend, Queryable } from '../../storage/backend'
import { placeholders } from '../../storage/db'
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

const VARIANTS = (
  n: number,
) => `SELECT experiment_id, position, name, version, prompt_template, traffic_percentage
  FROM llm_experiment_variants WHERE experiment_id IN (${placeholders(n)}) ORDER BY experiment_id, position`

function byExperiment(rows: (Variant & { experiment_id: string })[]): Map<string, Variant[]> {
  const out = new Map<string, Variant[]>()
  for (const { experiment_id, ...v } of rows) {
    const list = out.get(experiment_id) ?? []
    list.push(v)
    out.set(experiment_id, list)
  }
  return out
}

async function variantsOf(db: Queryable, ids: readonly string[]): Promise<Map<string, Variant[]>> {
  if (ids.length === 0) return new Map()
  return byExperiment(await db.all<Variant & { experiment_id: string }>(VARIANTS(ids.length), ids))
}

const hydrate = (row: ExperimentRow, variants: Variant[]): Experiment => ({
  ...row,
  metrics: JSON.parse(row.metrics) as MetricName[],
  variants,
})

/** Creates the experiment and its variants in one transaction (`db`: the backend, which opens it). */
export async function insertExperiment(
  db: Backend,
  projectId: string,
  id: string,
  e: ExperimentCreate,
  actor: string,
  now: number,
): Promise<Experiment | 'duplicate_name'> {
  const inserted = await db.transaction(async (tx) => {
    const exists = await tx.get<{ id: string }>(
      'SELECT id FROM llm_experiments WHERE project_id = ? AND name = ?',
      [projectId, e.name],
    )
    if (exists) return false
    await tx.run(
      `INSERT INTO llm_experiments (id, project_id, name, description, prompt_name, status, planned_per_arm, metrics,
         started_at, concluded_at, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, NULL, ?, ?, ?)`,
      [
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
      ],
    )
    for (const [i, v] of e.variants.entries())
      await tx.run(
        `INSERT INTO llm_experiment_variants (experiment_id, position, project_id, name, version, prompt_template, traffic_percentage)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, i, projectId, v.name, v.version, v.prompt_template, v.traffic_percentage],
      )
    return true
  })
  if (!inserted) return 'duplicate_name'
  return (await getExperiment(db, [projectId], id)) as Experiment
}

const ONE = (n: number) =>
  `SELECT ${COLUMNS} FROM llm_experiments WHERE id = ? AND project_id IN (${placeholders(n)})`

export async function getExperiment(
  db: Queryable,
  projectIds: readonly string[],
  id: string,
): Promise<Experiment | null> {
  const row = await db.get<ExperimentRow>(ONE(projectIds.length), [id, ...projectIds])
  if (!row) return null
  return hydrate(row, (await variantsOf(db, [row.id])).get(row.id) ?? [])
}

export async function listExperiments(
  db: Queryable,
  projectIds: readonly string[],
  o: { status: ExperimentStatus | null; limit: number; offset: number },
): Promise<Experiment[]> {
  const where = [`project_id IN (${placeholders(projectIds.length)})`]
  const args: (string | number)[] = [...projectIds]
  if (o.status) {
    where.push('status = ?')
    args.push(o.status)
  }
  const rows = await db.all<ExperimentRow>(
    `SELECT ${COLUMNS} FROM llm_experiments WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id COLLATE BINARY LIMIT ? OFFSET ?`,
    [...args, o.limit, o.offset],
  )
  const variants = await variantsOf(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((r) => hydrate(r, variants.get(r.id) ?? []))
}

export async function updateExperiment(
  db: Queryable,
  e: Experiment,
  p: ExperimentPatch,
  now: number,
): Promise<Experiment> {
  const status = p.status ?? e.status
  const concluded = status === 'concluded' ? (e.concluded_at ?? now) : null
  await db.run(
    'UPDATE llm_experiments SET status = ?, name = ?, description = ?, concluded_at = ?, updated_at = ? WHERE id = ?',
    [
      status,
      p.name ?? e.name,
      p.description === undefined ? e.description : p.description,
      concluded,
      now,
      e.id,
    ],
  )
  return (await getExperiment(db, [e.project_id], e.id)) as Experiment
}

export async function nameTaken(
  db: Queryable,
  projectId: string,
  name: string,
  except: string,
): Promise<boolean> {
  const row = await db.get<{ id: string }>(
    'SELECT id FROM llm_experiments WHERE project_id = ? AND name = ? AND id != ?',
    [projectId, name, except],
  )
  return row !== null
}

export async function deleteExperiment(db: Queryable, e: Experiment): Promise<void> {
  // Variants go with it (ON DELETE CASCADE); traces are untouched.
  await db.run('DELETE FROM llm_experiments WHERE id = ?', [e.id])
}

/** Thumbs up and votes on the traces of an arm's window. */
const VOTES = (
  window: string,
) => `SELECT COUNT(CASE WHEN f.value = 1 THEN 1 END) AS up, COUNT(*) AS n FROM llm_feedback f
  JOIN llm_traces t ON t.project_id = f.project_id AND t.id = f.trace_id WHERE ${window}`

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

export async function armData(db: Queryable, q: ArmQuery): Promise<ArmData> {
  const window = `t.project_id = ? AND t.prompt_name = ? AND t.prompt_version = ? AND t.started_at >= ?${
    q.to === null ? '' : ' AND t.started_at < ?'
  }`
  const args: (string | number)[] = [q.projectId, q.promptName, q.version, q.from]
  if (q.to !== null) args.push(q.to)
  const rows = await db.all<{ duration_ms: number | null; cost_micros: number | null; error: number }>(
    `SELECT t.duration_ms, t.cost_micros, (t.status = 'error' OR t.error_count > 0) AS error
     FROM llm_traces t WHERE ${window} ORDER BY t.started_at, t.seq LIMIT ?`,
    [...args, q.limit + 1],
  )
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
  const votes = await db.get<{ up: number | null; n: number }>(VOTES(window), args)
  data.thumbs_up = votes?.up ?? 0
  data.votes = votes?.n ?? 0
  const scores = await db.all<{ name: string; value: number }>(
    `SELECT s.name, s.value FROM llm_scores s
     JOIN llm_traces t ON t.project_id = s.project_id AND t.id = s.trace_id WHERE ${window} ORDER BY s.name COLLATE BINARY, t.seq LIMIT ?`,
    [...args, q.limit * 10],
  )
  for (const s of scores) {
    const list = data.scores.get(s.name) ?? []
    list.push(s.value)
    data.scores.set(s.name, list)
  }
  return data
}

/** The variant `unit` gets in `experiment`: the hash of (experiment, unit) into its traffic split. */
export function assign(
  experiment: Experiment,
  unit: string,
): { experiment: Experiment; variant: Variant; bucket: number } {
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
export async function armSummary(db: Queryable, q: Omit<ArmQuery, 'limit'>): Promise<ArmSummary> {
  const window = `t.project_id = ? AND t.prompt_name = ? AND t.prompt_version = ? AND t.started_at >= ?${
    q.to === null ? '' : ' AND t.started_at < ?'
  }`
  const args: (string | number)[] = [q.projectId, q.promptName, q.version, q.from]
  if (q.to !== null) args.push(q.to)
  const [t, f] = await Promise.all([
    db.get<{ n: number; latency: number | null; cost: number | null; errors: number | null }>(
      `SELECT COUNT(*) AS n, AVG(t.duration_ms) AS latency, AVG(t.cost_micros) AS cost,
         COUNT(CASE WHEN t.status = 'error' OR t.error_count > 0 THEN 1 END) AS errors
       FROM llm_traces t WHERE ${window}`,
      args,
    ),
    db.get<{ up: number | null; n: number }>(VOTES(window), args),
  ])
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
