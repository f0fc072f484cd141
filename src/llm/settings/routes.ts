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
import { authenticateIngest, parseIngestJson } from '../../errors'
import type { Access } from '../../http/auth'
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

export interface SettingsRoutesDeps extends Pick<Core, 'db' | 'guard' | 'now'> {
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
  const project = (
    request: Request,
    query: Record<string, string | undefined>,
    scope: 'llm:read' | 'llm:write',
  ) => {
    const access = d.guard.require(request, scope, ref(query))
    return { access, projectId: oneProject(access) }
  }
  /** `scope=global` addresses the global overrides (admins change them); otherwise the project's. */
  const overrideScope = (request: Request, query: Record<string, string | undefined>, write: boolean) => {
    if (query.scope !== undefined && query.scope !== 'global' && query.scope !== 'project')
      throw new AppError('invalid_query', 'query parameter scope: expected global or project', {
        field: 'scope',
      })
    if (query.scope === 'global') {
      if (write) return { projectId: null, actor: d.guard.admin(request).username }
      const access = d.guard.require(request, 'llm:read', ref(query))
      return { projectId: null, actor: access.actor }
    }
    const { access, projectId } = project(request, query, write ? 'llm:write' : 'llm:read')
    return { projectId, actor: access.actor }
  }

  /** A signed request (X-Signature) acts on its key's project; otherwise `llm:write` or a session. */
  const writeAccess = async (request: Request, query: Record<string, string | undefined>) => {
    if (request.headers.get('x-signature') !== null) {
      const { projectId, body } = await authenticateIngest(d, request, MAX_BODY)
      return { projectId, body: parseIngestJson(body) }
    }
    const { projectId } = project(request, query, 'llm:write')
    return { projectId, body: await readJson(request, MAX_BODY) }
  }

  return new Elysia({ name: 'llm-settings' })
    .get('/v1/llm/settings', ({ request, query }) => {
      const { projectId } = project(request, query, 'llm:read')
      return json(view(readLlmSettings(d.db, projectId)))
    })
    .put('/v1/llm/settings', async ({ request, query }) => {
      const { access, projectId } = project(request, query, 'llm:write')
      const change = parseSettings(await readJson(request, MAX_BODY))
      return json(view(saveLlmSettings(d.db, projectId, change, access.actor, d.now())))
    })
    .put('/v1/llm/budget', async ({ request, query }) => {
      const { access, projectId } = project(request, query, 'llm:write')
      const change = parseBudget(await readJson(request, MAX_BODY))
      const s = saveLlmSettings(d.db, projectId, change, access.actor, d.now())
      return json({
        project_id: projectId,
        monthly_budget_micros: s.monthly_budget_micros,
        budget_alert_rate: s.budget_alert_rate,
      })
    })
    .get('/v1/llm/pricing/overrides', ({ request, query }) => {
      const { projectId } = overrideScope(request, query, false)
      return json({
        scope: projectId === null ? 'global' : 'project',
        project_id: projectId,
        overrides: listOverrides(d.db, projectId),
      })
    })
    .put('/v1/llm/pricing/overrides', async ({ request, query }) => {
      const { projectId, actor } = overrideScope(request, query, true)
      const v = validateOverrideBody(await readJson(request, MAX_BODY), d.now())
      if (!v.ok) {
        const first = v.errors[0] as { field: string; error: string }
        throw new AppError('invalid_field', `${first.field}: ${first.error}`, { field: first.field })
      }
      const { override, created } = putOverride(d.db, projectId, v.value, actor, d.now(), newId)
      return json({ override, created }, created ? 201 : 200)
    })
    .delete('/v1/llm/pricing/overrides/:id', ({ request, query, params }) => {
      const { projectId } = overrideScope(request, query, true)
      if (!deleteOverride(d.db, projectId, params.id))
        throw notFound(`pricing override ${params.id} not found`)
      return json({ deleted: params.id })
    })
    .get('/v1/llm/pricing/unknown', ({ request, query }) => {
      const q = parseQuery(UnknownQuery, query)
      const { projectId } = project(request, query, 'llm:read')
      return json({ project_id: projectId, models: unknownModels(d.db, projectId, q.limit) })
    })
    .post('/v1/llm/traces/:id/scores', async ({ request, query, params }) => {
      const { projectId, body } = await writeAccess(request, query)
      const score = parseScore(body)
      if (!traceExists(d.db, projectId, params.id)) throw notFound(`trace not found: ${params.id}`)
      upsertScore(d.db, projectId, params.id, score, d.now())
      return json({ status: 'ok', trace_id: params.id, score })
    })
    .post('/v1/llm/traces/:id/feedback', async ({ request, query, params }) => {
      const { projectId, body } = await writeAccess(request, query)
      const feedback = parseFeedback(body)
      if (!traceExists(d.db, projectId, params.id)) throw notFound(`trace not found: ${params.id}`)
      upsertFeedback(d.db, projectId, params.id, feedback, d.now())
      return json({ status: 'ok', trace_id: params.id, feedback })
    })
}
