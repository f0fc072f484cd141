/**
 * The LLM read API: every GET /v1/llm/* route except settings, experiments and export
 * (docs/llm-query.md). Each needs the `llm:read` scope or a signed-in user, and reads
 * only the projects the caller may see (`project_id` narrows to one). Parameters are
 * checked in model.ts; the queries are in the files beside this one. Reads use the main
 * thread's connection (WAL lets them run while the writer commits); none needs DuckDB.
 */
import { Value } from '@sinclair/typebox/value'
import { Elysia } from 'elysia'
import type { Core } from '../../core/feature'
import type { Access } from '../../http/auth'
import { AppError, notFound } from '../../http/errors'
import { parseQuery } from '../../http/validate'
import { budget } from './budget'
import { traceDetail } from './detail'
import { feedbackSummary, scoreSummary, traceFeedback, traceProject, traceScores } from './feedback'
import {
  CompareQuery,
  IdParam,
  LatencyQuery,
  ListQuery,
  ModelsQuery,
  NameParam,
  PageQuery,
  PricingQuery,
  ProjectQuery,
  ScoreSummaryQuery,
  SearchQuery,
  SessionsQuery,
  TracesQuery,
  UsageQuery,
  WindowQuery,
} from './model'
import { priceOf, priceTable } from './pricing'
import { compareVersions, listPrompts, promptVersions } from './prompts'
import { latency, models, overview, usage } from './rollups'
import { listSessions, sessionDetail } from './sessions'
import { rag, tools } from './tools'
import { listTraces } from './traces'
import { windowOf } from './window'

export type QueryDeps = Pick<Core, 'db' | 'guard' | 'now'>

function param(raw: string, schema: typeof IdParam | typeof NameParam, what: string): string {
  if (!Value.Check(schema, raw))
    throw new AppError('invalid_field', `${what} must be 1-${schema.maxLength} characters`, { field: what })
  return raw
}

/** The one project a per-project answer (the budget) is about. */
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

export function llmQueryRoutes(d: QueryDeps) {
  const read = (request: Request, projectRef: string | undefined) =>
    d.guard.require(request, 'llm:read', projectRef).projectIds
  const win = (hours: number) => windowOf(hours, d.now())

  return new Elysia({ name: 'llm-query' })
    .get('/v1/llm/overview', ({ request, query }) => {
      const q = parseQuery(WindowQuery, query)
      return overview(d.db, read(request, q.project_id), win(q.hours))
    })
    .get('/v1/llm/usage', ({ request, query }) => {
      const q = parseQuery(UsageQuery, query)
      return usage(d.db, read(request, q.project_id), win(q.hours), q)
    })
    .get('/v1/llm/latency', ({ request, query }) => {
      const q = parseQuery(LatencyQuery, query)
      return latency(d.db, read(request, q.project_id), win(q.hours), q)
    })
    .get('/v1/llm/models', ({ request, query }) => {
      const q = parseQuery(ModelsQuery, query)
      return models(d.db, read(request, q.project_id), win(q.hours), q)
    })
    .get('/v1/llm/traces', ({ request, query }) => {
      const q = parseQuery(TracesQuery, query)
      const page = listTraces(d.db, read(request, q.project_id), win(q.hours), q)
      return { ...page, limit: q.limit, offset: q.offset, window_hours: q.hours }
    })
    .get('/v1/llm/search', ({ request, query }) => {
      const { q: alias, ...q } = parseQuery(SearchQuery, query)
      const page = listTraces(d.db, read(request, q.project_id), win(q.hours), {
        ...q,
        search: q.search ?? alias,
      })
      return { ...page, limit: q.limit, offset: q.offset, window_hours: q.hours }
    })
    .get('/v1/llm/traces/:id', ({ request, query, params }) => {
      const q = parseQuery(ProjectQuery, query)
      const id = param(params.id, IdParam, 'id')
      const found = traceDetail(d.db, read(request, q.project_id), id)
      if (!found) throw notFound(`trace not found: ${id}`)
      return found
    })
    .get('/v1/llm/traces/:id/scores', ({ request, query, params }) => {
      const q = parseQuery(ProjectQuery, query)
      const id = param(params.id, IdParam, 'id')
      const project = traceProject(d.db, read(request, q.project_id), id)
      if (!project) throw notFound(`trace not found: ${id}`)
      return { trace_id: id, scores: traceScores(d.db, project, id) }
    })
    .get('/v1/llm/traces/:id/feedback', ({ request, query, params }) => {
      const q = parseQuery(ProjectQuery, query)
      const id = param(params.id, IdParam, 'id')
      const project = traceProject(d.db, read(request, q.project_id), id)
      if (!project) throw notFound(`trace not found: ${id}`)
      return { trace_id: id, feedback: traceFeedback(d.db, project, id) }
    })
    .get('/v1/llm/sessions', ({ request, query }) => {
      const q = parseQuery(SessionsQuery, query)
      return listSessions(d.db, read(request, q.project_id), win(q.hours), q)
    })
    .get('/v1/llm/sessions/:id', ({ request, query, params }) => {
      const q = parseQuery(PageQuery, query)
      const id = param(params.id, IdParam, 'id')
      const found = sessionDetail(d.db, read(request, q.project_id), id, q)
      if (!found) throw notFound(`session not found: ${id}`)
      return found
    })
    .get('/v1/llm/tools', ({ request, query }) => {
      const q = parseQuery(ListQuery, query)
      return tools(d.db, read(request, q.project_id), win(q.hours), q.limit)
    })
    .get('/v1/llm/rag', ({ request, query }) => {
      const q = parseQuery(ListQuery, query)
      return rag(d.db, read(request, q.project_id), win(q.hours), q.limit)
    })
    .get('/v1/llm/prompts', ({ request, query }) => {
      const q = parseQuery(ListQuery, query)
      return listPrompts(d.db, read(request, q.project_id), win(q.hours), q.limit)
    })
    .get('/v1/llm/prompts/:name/versions', ({ request, query, params }) => {
      const q = parseQuery(ListQuery, query)
      const name = param(params.name, NameParam, 'name')
      return promptVersions(d.db, read(request, q.project_id), win(q.hours), name, q.limit)
    })
    .get('/v1/llm/prompts/:name/compare', ({ request, query, params }) => {
      const q = parseQuery(CompareQuery, query)
      const name = param(params.name, NameParam, 'name')
      return compareVersions(d.db, read(request, q.project_id), win(q.hours), name, q.v1, q.v2)
    })
    .get('/v1/llm/scores/summary', ({ request, query }) => {
      const q = parseQuery(ScoreSummaryQuery, query)
      return scoreSummary(d.db, read(request, q.project_id), win(q.hours), q.name)
    })
    .get('/v1/llm/feedback/summary', ({ request, query }) => {
      const q = parseQuery(WindowQuery, query)
      return feedbackSummary(d.db, read(request, q.project_id), win(q.hours))
    })
    .get('/v1/llm/pricing', ({ request, query }) => {
      const q = parseQuery(PricingQuery, query)
      const projectId = oneProject(d.guard.require(request, 'llm:read', q.project_id))
      if (q.model === undefined) return { project_id: projectId, table: priceTable() }
      const price = priceOf(d.db, projectId, q.model, q.provider ?? null, d.now())
      if (!price) throw notFound(`no price for model ${q.model}; add one with PUT /v1/llm/pricing/overrides`)
      return price
    })
    .get('/v1/llm/budget', ({ request, query }) => {
      const q = parseQuery(ProjectQuery, query)
      const access = d.guard.require(request, 'llm:read', q.project_id)
      return budget(d.db, oneProject(access), d.now())
    })
}
