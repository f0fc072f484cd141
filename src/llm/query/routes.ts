/**
 * The LLM read API: every GET /v1/llm/* route except settings, experiments and export
 * (docs/llm-query.md). Each needs the `llm:read` scope or a signed-in user, and reads
 * only the projects the caller may see (`project_id` narrows to one). Parameters are
 * checked in model.ts; the queries are in the files beside this one. Reads go through the
 * storage seam (`Core.backend`: on SQLite the main thread's connection, which WAL lets
 * run while the writer commits), the same SQL on both backends; none needs DuckDB. The
 * tool percentiles and the RAG keys are each backend's own read: SQLite's in tools.ts,
 * PostgreSQL's in postgres.ts.
 */
import { Value } from '@sinclair/typebox/value'
import { Elysia } from 'elysia'
import type { Core } from '../../core/feature'
import { access as declared } from '../../http/access'
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
import { ragOnPostgres, toolsOnPostgres } from './postgres'
import { priceOf, priceTable } from './pricing'
import { compareVersions, listPrompts, promptVersions } from './prompts'
import {
  LlmBudget,
  LlmFeedbackSummary,
  LlmLatency,
  LlmModels,
  LlmOverview,
  LlmPricing,
  LlmPromptCompare,
  LlmPrompts,
  LlmPromptVersions,
  LlmRag,
  LlmScoreSummary,
  LlmSessionDetail,
  LlmSessions,
  LlmTools,
  LlmTraceDetail,
  LlmTraceFeedback,
  LlmTracePage,
  LlmTraceScores,
  LlmUsage,
} from './responses'
import { latency, models, overview, usage } from './rollups'
import { listSessions, sessionDetail } from './sessions'
import { rag, tools } from './tools'
import { listTraces } from './traces'
import { windowOf } from './window'

export type QueryDeps = Pick<Core, 'backend' | 'guard' | 'now'> & {
  /** Whether failed spans become bloop issues, so the trace detail links them. */
  errorIssues?: boolean
}

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
  const win = (hours: number) => windowOf(hours, d.now())
  const b = d.backend
  /** Exact percentiles and JSON keys: PostgreSQL computes them itself (postgres.ts). */
  const postgres = b.kind === 'postgres'

  return new Elysia({ name: 'llm-query' })
    .use(declared(d.guard))
    .get(
      '/v1/llm/overview',
      ({ access, query }) => {
        const q = parseQuery(WindowQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return overview(b, projectIds, win(q.hours))
      },
      { scope: 'llm:read', schema: { query: WindowQuery, response: { 200: LlmOverview } } },
    )
    .get(
      '/v1/llm/usage',
      ({ access, query }) => {
        const q = parseQuery(UsageQuery, query)
        return usage(b, access.narrow(q.project_id).projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: UsageQuery, response: { 200: LlmUsage } } },
    )
    .get(
      '/v1/llm/latency',
      ({ access, query }) => {
        const q = parseQuery(LatencyQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return latency(b, projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: LatencyQuery, response: { 200: LlmLatency } } },
    )
    .get(
      '/v1/llm/models',
      ({ access, query }) => {
        const q = parseQuery(ModelsQuery, query)
        return models(b, access.narrow(q.project_id).projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: ModelsQuery, response: { 200: LlmModels } } },
    )
    .get(
      '/v1/llm/traces',
      async ({ access, query }) => {
        const q = parseQuery(TracesQuery, query)
        const page = await listTraces(b, access.narrow(q.project_id).projectIds, win(q.hours), q)
        return { ...page, limit: q.limit, offset: q.offset, window_hours: q.hours }
      },
      { scope: 'llm:read', schema: { query: TracesQuery, response: { 200: LlmTracePage } } },
    )
    .get(
      '/v1/llm/search',
      async ({ access, query }) => {
        const { q: alias, ...q } = parseQuery(SearchQuery, query)
        const page = await listTraces(b, access.narrow(q.project_id).projectIds, win(q.hours), {
          ...q,
          search: q.search ?? alias,
        })
        return { ...page, limit: q.limit, offset: q.offset, window_hours: q.hours }
      },
      { scope: 'llm:read', schema: { query: SearchQuery, response: { 200: LlmTracePage } } },
    )
    .get(
      '/v1/llm/traces/:id',
      async ({ access, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const id = param(params.id, IdParam, 'id')
        const found = await traceDetail(b, access.narrow(q.project_id).projectIds, id, d.errorIssues)
        if (!found) throw notFound(`trace not found: ${id}`)
        return found
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmTraceDetail } } },
    )
    .get(
      '/v1/llm/traces/:id/scores',
      async ({ access, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const id = param(params.id, IdParam, 'id')
        const project = await traceProject(b, access.narrow(q.project_id).projectIds, id)
        if (!project) throw notFound(`trace not found: ${id}`)
        return { trace_id: id, scores: await traceScores(b, project, id) }
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmTraceScores } } },
    )
    .get(
      '/v1/llm/traces/:id/feedback',
      async ({ access, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const id = param(params.id, IdParam, 'id')
        const project = await traceProject(b, access.narrow(q.project_id).projectIds, id)
        if (!project) throw notFound(`trace not found: ${id}`)
        return { trace_id: id, feedback: await traceFeedback(b, project, id) }
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmTraceFeedback } } },
    )
    .get(
      '/v1/llm/sessions',
      ({ access, query }) => {
        const q = parseQuery(SessionsQuery, query)
        return listSessions(b, access.narrow(q.project_id).projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: SessionsQuery, response: { 200: LlmSessions } } },
    )
    .get(
      '/v1/llm/sessions/:id',
      async ({ access, query, params }) => {
        const q = parseQuery(PageQuery, query)
        const id = param(params.id, IdParam, 'id')
        const found = await sessionDetail(b, access.narrow(q.project_id).projectIds, id, q)
        if (!found) throw notFound(`session not found: ${id}`)
        return found
      },
      { scope: 'llm:read', schema: { query: PageQuery, response: { 200: LlmSessionDetail } } },
    )
    .get(
      '/v1/llm/tools',
      ({ access, query }) => {
        const q = parseQuery(ListQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return postgres
          ? toolsOnPostgres(b, projectIds, win(q.hours), q.limit)
          : tools(b, projectIds, win(q.hours), q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmTools } } },
    )
    .get(
      '/v1/llm/rag',
      ({ access, query }) => {
        const q = parseQuery(ListQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return postgres
          ? ragOnPostgres(b, projectIds, win(q.hours), q.limit)
          : rag(b, projectIds, win(q.hours), q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmRag } } },
    )
    .get(
      '/v1/llm/prompts',
      ({ access, query }) => {
        const q = parseQuery(ListQuery, query)
        return listPrompts(b, access.narrow(q.project_id).projectIds, win(q.hours), q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmPrompts } } },
    )
    .get(
      '/v1/llm/prompts/:name/versions',
      ({ access, query, params }) => {
        const q = parseQuery(ListQuery, query)
        const name = param(params.name, NameParam, 'name')
        return promptVersions(b, access.narrow(q.project_id).projectIds, win(q.hours), name, q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmPromptVersions } } },
    )
    .get(
      '/v1/llm/prompts/:name/compare',
      ({ access, query, params }) => {
        const q = parseQuery(CompareQuery, query)
        const name = param(params.name, NameParam, 'name')
        return compareVersions(b, access.narrow(q.project_id).projectIds, win(q.hours), name, q.v1, q.v2)
      },
      { scope: 'llm:read', schema: { query: CompareQuery, response: { 200: LlmPromptCompare } } },
    )
    .get(
      '/v1/llm/scores/summary',
      ({ access, query }) => {
        const q = parseQuery(ScoreSummaryQuery, query)
        return scoreSummary(b, access.narrow(q.project_id).projectIds, win(q.hours), q.name)
      },
      { scope: 'llm:read', schema: { query: ScoreSummaryQuery, response: { 200: LlmScoreSummary } } },
    )
    .get(
      '/v1/llm/feedback/summary',
      ({ access, query }) => {
        const q = parseQuery(WindowQuery, query)
        return feedbackSummary(b, access.narrow(q.project_id).projectIds, win(q.hours))
      },
      { scope: 'llm:read', schema: { query: WindowQuery, response: { 200: LlmFeedbackSummary } } },
    )
    .get(
      '/v1/llm/pricing',
      async ({ access, query }) => {
        const q = parseQuery(PricingQuery, query)
        const projectId = oneProject(access.narrow(q.project_id))
        if (q.model === undefined) return { project_id: projectId, table: priceTable() }
        const price = await priceOf(b, projectId, q.model, q.provider ?? null, d.now())
        if (!price)
          throw notFound(`no price for model ${q.model}; add one with PUT /v1/llm/pricing/overrides`)
        return price
      },
      { scope: 'llm:read', schema: { query: PricingQuery, response: { 200: LlmPricing } } },
    )
    .get(
      '/v1/llm/budget',
      ({ access, query }) => {
        const q = parseQuery(ProjectQuery, query)
        return budget(b, oneProject(access.narrow(q.project_id)), d.now())
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmBudget } } },
    )
}
