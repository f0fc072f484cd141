/**
 * Prompt experiments:
 *
 *   POST   /v1/llm/experiments                  create (llm:write): body in ./model.ts
 *   GET    /v1/llm/experiments                  list (llm:read): `status`, `limit`, `offset`
 *   GET    /v1/llm/experiments/:id              detail with per-variant counts (llm:read)
 *   PATCH  /v1/llm/experiments/:id              status running | paused | concluded, name, description (llm:write)
 *   DELETE /v1/llm/experiments/:id              (llm:write); traces are kept
 *   GET    /v1/llm/experiments/:id/assign       `unit`: the variant for a user or session (llm:read)
 *   GET    /v1/llm/experiments/:id/compare      `baseline`, `treatment` versions (llm:read), ./compare.ts
 *
 * A trace belongs to a variant when its prompt name is the experiment's and its prompt
 * version the variant's, and it started at or after the experiment's creation (before its
 * conclusion, once concluded). Apps get the version to use from `assign`, which hashes
 * (experiment, unit) into the traffic split (./assign.ts), and send it as the trace's
 * `prompt_version` (or the OTLP attribute `bloop.prompt.version`).
 *
 * A concluded experiment is final: it cannot be resumed (start a new one), so its window
 * and its answer stay fixed.
 */
import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Core } from '../../core/feature'
import { access as declared } from '../../http/access'
import type { Access, Reach } from '../../http/auth'
import { AppError, json, notFound } from '../../http/errors'
import { Offset, parseQuery, QueryInt, readJson } from '../../http/validate'
import { compareArms } from './compare'
import { parseCreate, parsePatch, STATUSES } from './model'
import {
  armData,
  armSummary,
  assign,
  deleteExperiment,
  type Experiment,
  getExperiment,
  insertExperiment,
  listExperiments,
  nameTaken,
  updateExperiment,
  type Variant,
} from './store'

export interface ExperimentsDeps extends Pick<Core, 'backend' | 'guard' | 'now' | 'log'> {
  newId?: () => string
}

/** Traces read per arm for one comparison: enough for any fixed horizon worth planning. */
export const MAX_TRACES_PER_ARM = 200_000
/** Ten variants with templates at their 64 KiB cap, and room for the rest. */
export const MAX_BODY = 1024 * 1024

const ListQuery = T.Object({
  project_id: T.Optional(T.String({ maxLength: 200 })),
  status: T.Optional(T.Union(STATUSES.map((s) => T.Literal(s)))),
  limit: QueryInt({ minimum: 1, maximum: 200, default: 50 }),
  offset: Offset,
})
const ProjectQuery = T.Object({ project_id: T.Optional(T.String({ maxLength: 200 })) })
const AssignQuery = T.Object({
  project_id: T.Optional(T.String({ maxLength: 200 })),
  unit: T.String({ minLength: 1, maxLength: 1024 }),
})
const CompareQuery = T.Object({
  project_id: T.Optional(T.String({ maxLength: 200 })),
  baseline: T.Optional(T.String({ minLength: 1, maxLength: 200 })),
  treatment: T.Optional(T.String({ minLength: 1, maxLength: 200 })),
})

function oneProject(access: Access): string {
  if (access.projectIds.length !== 1)
    throw new AppError('invalid_query', 'name the project with ?project_id=<id or slug>', {
      field: 'project_id',
    })
  return access.projectIds[0] as string
}

const summary = (e: Experiment) => ({
  id: e.id,
  project_id: e.project_id,
  name: e.name,
  description: e.description,
  status: e.status,
  prompt_name: e.prompt_name,
  variant_count: e.variants.length,
  planned_per_arm: e.planned_per_arm,
  started_at: e.started_at,
  concluded_at: e.concluded_at,
  created_at: e.created_at,
  updated_at: e.updated_at,
})

export function experimentsRoutes(d: ExperimentsDeps) {
  const newId = d.newId ?? (() => crypto.randomUUID())

  const b = d.backend

  const find = async (reach: Reach, query: Record<string, unknown>, id: string) => {
    const q = parseQuery(ProjectQuery, query)
    const access = reach.narrow(q.project_id ?? null)
    const e = await getExperiment(b, access.projectIds, id)
    if (!e) throw notFound(`experiment ${id} not found`)
    return { e, access }
  }

  const arm = (e: Experiment, v: Variant) =>
    armData(b, {
      projectId: e.project_id,
      promptName: e.prompt_name,
      version: v.version,
      from: e.started_at,
      to: e.concluded_at,
      limit: MAX_TRACES_PER_ARM,
    })

  const detail = async (e: Experiment) => ({
    ...summary(e),
    metrics: e.metrics,
    peeking_policy: {
      method: 'fixed_horizon',
      planned_per_arm: e.planned_per_arm,
      rule: 'p-values are read once the smaller arm reaches planned_per_arm traces, not before',
    },
    variants: await Promise.all(
      e.variants.map(async (v) => ({
        name: v.name,
        version: v.version,
        prompt_template: v.prompt_template,
        traffic_percentage: v.traffic_percentage,
        metrics: await armSummary(b, {
          projectId: e.project_id,
          promptName: e.prompt_name,
          version: v.version,
          from: e.started_at,
          to: e.concluded_at,
        }),
      })),
    ),
  })

  const variantByVersion = (e: Experiment, version: string | undefined, fallback: number, field: string) => {
    if (version === undefined) return e.variants[fallback] as Variant
    const v = e.variants.find((x) => x.version === version)
    if (!v)
      throw new AppError(
        'invalid_query',
        `query parameter ${field}: no variant has version ${JSON.stringify(version)} (versions: ${e.variants.map((x) => x.version).join(', ')})`,
        { field },
      )
    return v
  }

  return new Elysia({ name: 'llm-experiments' })
    .use(declared(d.guard))
    .post(
      '/v1/llm/experiments',
      async ({ access: reach, request, query }) => {
        const q = parseQuery(ProjectQuery, query)
        const access = reach.narrow(q.project_id ?? null)
        const projectId = oneProject(access)
        const create = parseCreate(await readJson(request, MAX_BODY))
        const id = newId()
        const e = await insertExperiment(b, projectId, id, create, access.actor, d.now())
        if (e === 'duplicate_name')
          throw new AppError(
            'conflict',
            `an experiment named ${JSON.stringify(create.name)} already exists in this project`,
            {
              field: 'name',
            },
          )
        d.log.info('llm experiment created', {
          project_id: projectId,
          experiment_id: id,
          actor: access.actor,
        })
        return json({ id, message: 'Experiment created successfully', experiment: await detail(e) }, 201)
      },
      { scope: 'llm:write' },
    )
    .get(
      '/v1/llm/experiments',
      async ({ access: reach, query }) => {
        const q = parseQuery(ListQuery, query)
        const access = reach.narrow(q.project_id ?? null)
        const list = await listExperiments(b, access.projectIds, {
          status: q.status ?? null,
          limit: q.limit,
          offset: q.offset,
        })
        return json({ experiments: list.map(summary), limit: q.limit, offset: q.offset })
      },
      { scope: 'llm:read' },
    )
    .get(
      '/v1/llm/experiments/:id',
      async ({ access: reach, query, params }) => json(await detail((await find(reach, query, params.id)).e)),
      { scope: 'llm:read' },
    )
    .patch(
      '/v1/llm/experiments/:id',
      async ({ access: reach, request, query, params }) => {
        const { e, access } = await find(reach, query, params.id)
        const patch = parsePatch(await readJson(request, MAX_BODY))
        if (e.status === 'concluded' && patch.status !== undefined && patch.status !== 'concluded')
          throw new AppError(
            'conflict',
            'a concluded experiment is final; create a new experiment to test again',
            {
              field: 'status',
            },
          )
        if (patch.name !== undefined && (await nameTaken(b, e.project_id, patch.name, e.id)))
          throw new AppError(
            'conflict',
            `an experiment named ${JSON.stringify(patch.name)} already exists in this project`,
            {
              field: 'name',
            },
          )
        const updated = await updateExperiment(b, e, patch, d.now())
        d.log.info('llm experiment changed', {
          experiment_id: e.id,
          status: updated.status,
          actor: access.actor,
        })
        return json(await detail(updated))
      },
      { scope: 'llm:write' },
    )
    .delete(
      '/v1/llm/experiments/:id',
      async ({ access: reach, query, params }) => {
        const { e, access } = await find(reach, query, params.id)
        await deleteExperiment(b, e)
        d.log.info('llm experiment deleted', { experiment_id: e.id, actor: access.actor })
        return json({ deleted: true, id: e.id })
      },
      { scope: 'llm:write' },
    )
    .get(
      '/v1/llm/experiments/:id/assign',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(AssignQuery, query)
        const { e } = await find(reach, { project_id: q.project_id }, params.id)
        const { variant: v, bucket } = assign(e, q.unit)
        return json({
          experiment_id: e.id,
          status: e.status,
          unit: q.unit,
          bucket,
          prompt_name: e.prompt_name,
          variant: { name: v.name, version: v.version, prompt_template: v.prompt_template },
        })
      },
      { scope: 'llm:read' },
    )
    .get(
      '/v1/llm/experiments/:id/compare',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(CompareQuery, query)
        const { e } = await find(reach, { project_id: q.project_id }, params.id)
        const baseline = variantByVersion(e, q.baseline, 0, 'baseline')
        const treatment = variantByVersion(e, q.treatment, baseline === e.variants[1] ? 0 : 1, 'treatment')
        if (baseline === treatment)
          throw new AppError(
            'invalid_query',
            'query parameter treatment: must name another version than baseline',
            {
              field: 'treatment',
            },
          )
        const [a, t] = await Promise.all([arm(e, baseline), arm(e, treatment)])
        return json(
          compareArms({
            experimentId: e.id,
            metrics: e.metrics,
            plannedPerArm: e.planned_per_arm,
            window: { from: e.started_at, to: e.concluded_at },
            baseline: { variant: baseline, data: a },
            treatment: { variant: treatment, data: t },
          }),
        )
      },
      { scope: 'llm:read' },
    )
}
