/**
 * The LLM write API (docs/llm-tracing.md): settings, budget, pricing overrides, scores and
 * feedback. Reads here need `llm:read`, changes `llm:write` (or a signed-in user who sees
 * the project); global pricing overrides, which price every project's calls, are changed
 * by admins only. Per-project routes act on `project_id` (id or slug), or on the caller's
 * only project; a project the caller cannot see is 404.
 *
 * Scores and feedback may also be signed like ingest (X-Signature with the project key):
 * they usually come from the application's backend, which holds the project key and no
 * API token. A signed request acts on the project of its key.
 */

import { Type as T } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import type { Config } from '../../config/schema'
import type { Core } from '../../core/feature'
import { parseIngestJson } from '../../errors'
import { access as declared } from '../../http/access'
import type { Access, Reach, Signed } from '../../http/auth'
import { AppError, json, notFound } from '../../http/errors'
import { parseQuery, QueryInt, readJson } from '../../http/validate'
import { validateOverrideBody } from '../overrides'
import { parseBudget, parseFeedback, parseScore, parseSettings } from './model'
import { traceExists, upsertFeedback, upsertScore } from './scores'
import {
  deleteOverride,
  type LlmSettings,
  listOverrides,
  putOverride,
  readLlmSettings,
  saveLlmSettings,
  unknownModels,
} from './store'

export interface SettingsRoutesDeps extends Pick<Core, 'backend' | 'guard' | 'now'> {
  config: Pick<Config, 'llm_tracing' | 'ingest'>
  newId?: () => string
}

const MAX_BODY = 64 * 1024

const UnknownQuery = T.Object({
  project_id: T.Optional(T.String({ maxLength: 128 })),
  limit: QueryInt({ minimum: 1, maximum: 200, default: 50 }),
})

/** The one project a per-project route acts on. */
function oneProject(access: Access): string {
  if (access.projectIds.length === 1) return access.projectIds[0] as string
  throw new AppError(
    'invalid_query',
    'query parameter project_id: required when you can see several projects',
    {
      field: 'project_id',
    },
  )
}

const ref = (query: Record<string, string | undefined>) => query.project_id || undefined

export function settingsRoutes(d: SettingsRoutesDeps) {
  const cfg = d.config.llm_tracing
  const newId = d.newId ?? (() => crypto.randomUUID())
  const view = (s: LlmSettings) => ({
    project_id: s.project_id,
    content_policy: s.content_policy ?? cfg.default_content_storage,
    content_policy_source: s.content_policy === null ? 'config' : 'project',
    retention_days: s.retention_days ?? cfg.retention_days,
    retention_days_source: s.retention_days === null ? 'config' : 'project',
    monthly_budget_micros: s.monthly_budget_micros,
    budget_alert_rate: s.budget_alert_rate,
    updated_by: s.updated_by,
    updated_at: s.updated_at,
  })
  const project = (access: Reach, query: Record<string, string | undefined>) => {
    const narrowed = access.narrow(ref(query))
    return { access: narrowed, projectId: oneProject(narrowed) }
  }
  /**
   * `scope=global` addresses the global overrides, which price every project's calls: reads
   * need only the route's scope, changes a signed-in admin. Otherwise the project's.
   */
  const overrideScope = (access: Reach, query: Record<string, string | undefined>, write: boolean) => {
    if (query.scope !== undefined && query.scope !== 'global' && query.scope !== 'project')
      throw new AppError('invalid_query', 'query parameter scope: expected global or project', {
        field: 'scope',
      })
    if (query.scope === 'global') {
      if (write) {
        const p = access.principal
        if (p.kind !== 'session')
          throw new AppError('forbidden', 'this route needs a signed-in user, not an API token')
        if (!p.isAdmin) throw new AppError('forbidden', 'admin access required')
        return { projectId: null, actor: p.username }
      }
      access.narrow(ref(query))
      return { projectId: null, actor: access.actor }
    }
    const { access: narrowed, projectId } = project(access, query)
    return { projectId, actor: narrowed.actor }
  }

  /** A signed request (X-Signature) acts on its key's project; otherwise the token's or user's. */
  const writeAccess = async (
    access: Reach | null,
    signed: Signed | null,
    request: Request,
    query: Record<string, string | undefined>,
  ) => {
    if (signed) return { projectId: signed.projectId, body: parseIngestJson(signed.body) }
    const { projectId } = project(access as Reach, query)
    return { projectId, body: await readJson(request, MAX_BODY) }
  }

  return new Elysia({ name: 'llm-settings' })
    .use(declared(d.guard))
    .get(
      '/v1/llm/settings',
      async ({ access, query }) => {
        const { projectId } = project(access, query)
        return json(view(await readLlmSettings(d.backend, projectId)))
      },
      { scope: 'llm:read' },
    )
    .put(
      '/v1/llm/settings',
      async ({ access, request, query }) => {
        const { access: narrowed, projectId } = project(access, query)
        const change = parseSettings(await readJson(request, MAX_BODY))
        return json(view(await saveLlmSettings(d.backend, projectId, change, narrowed.actor, d.now())))
      },
      { scope: 'llm:write' },
    )
    .put(
      '/v1/llm/budget',
      async ({ access, request, query }) => {
        const { access: narrowed, projectId } = project(access, query)
        const change = parseBudget(await readJson(request, MAX_BODY))
        const s = await saveLlmSettings(d.backend, projectId, change, narrowed.actor, d.now())
        return json({
          project_id: projectId,
          monthly_budget_micros: s.monthly_budget_micros,
          budget_alert_rate: s.budget_alert_rate,
        })
      },
      { scope: 'llm:write' },
    )
    .get(
      '/v1/llm/pricing/overrides',
      async ({ access, query }) => {
        const { projectId } = overrideScope(access, query, false)
        return json({
          scope: projectId === null ? 'global' : 'project',
          project_id: projectId,
          overrides: await listOverrides(d.backend, projectId),
        })
      },
      { scope: 'llm:read' },
    )
    .put(
      '/v1/llm/pricing/overrides',
      async ({ access, request, query }) => {
        const { projectId, actor } = overrideScope(access, query, true)
        const v = validateOverrideBody(await readJson(request, MAX_BODY), d.now())
        if (!v.ok) {
          const first = v.errors[0] as { field: string; error: string }
          throw new AppError('invalid_field', `${first.field}: ${first.error}`, { field: first.field })
        }
        const { override, created } = await putOverride(d.backend, projectId, v.value, actor, d.now(), newId)
        return json({ override, created }, created ? 201 : 200)
      },
      { scope: 'llm:write' },
    )
    .delete(
      '/v1/llm/pricing/overrides/:id',
      async ({ access, query, params }) => {
        const { projectId } = overrideScope(access, query, true)
        if (!(await deleteOverride(d.backend, projectId, params.id)))
          throw notFound(`pricing override ${params.id} not found`)
        return json({ deleted: params.id })
      },
      { scope: 'llm:write' },
    )
    .get(
      '/v1/llm/pricing/unknown',
      async ({ access, query }) => {
        const q = parseQuery(UnknownQuery, query)
        const { projectId } = project(access, query)
        return json({ project_id: projectId, models: await unknownModels(d.backend, projectId, q.limit) })
      },
      { scope: 'llm:read' },
    )
    .post(
      '/v1/llm/traces/:id/scores',
      async ({ access, signed, request, query, params }) => {
        const { projectId, body } = await writeAccess(access, signed, request, query)
        const score = parseScore(body)
        if (!(await traceExists(d.backend, projectId, params.id)))
          throw notFound(`trace not found: ${params.id}`)
        await upsertScore(d.backend, projectId, params.id, score, d.now())
        return json({ status: 'ok', trace_id: params.id, score })
      },
      { scopeOrSigned: { scope: 'llm:write', maxBytes: MAX_BODY } },
    )
    .post(
      '/v1/llm/traces/:id/feedback',
      async ({ access, signed, request, query, params }) => {
        const { projectId, body } = await writeAccess(access, signed, request, query)
        const feedback = parseFeedback(body)
        if (!(await traceExists(d.backend, projectId, params.id)))
          throw notFound(`trace not found: ${params.id}`)
        await upsertFeedback(d.backend, projectId, params.id, feedback, d.now())
        return json({ status: 'ok', trace_id: params.id, feedback })
      },
      { scopeOrSigned: { scope: 'llm:write', maxBytes: MAX_BODY } },
    )
}
