/**
 * The LLM read API: every GET /v1/llm/* route except settings, experiments and export
 * (docs/llm-query.md). Each needs the `llm:read` scope or a signed-in user, and reads
 * only the projects the caller may see (`project_id` narrows to one). Parameters are
 * checked in model.ts; the queries are in the files beside this one. Reads use the main
 * thread's connection (WAL lets them run while the writer commits); none needs DuckDB.
 * On PostgreSQL, the overview and the latency and tool percentiles are read from it
 * (postgres.ts).
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
import { latencyOnPostgres, overviewOnPostgres, ragOnPostgres, toolsOnPostgres } from './postgres'
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

export type QueryDeps = Pick<Core, 'db' | 'backend' | 'guard' | 'now'> & {
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
  /** On PostgreSQL, the percentiles are read from it (postgres.ts); every other read still runs on SQLite. */
  const postgres = d.backend.kind === 'postgres' ? d.backend : null

  return new Elysia({ name: 'llm-query' })
    .use(declared(d.guard))
    .get(
      '/v1/llm/overview',
      ({ access, query }) => {
        const q = parseQuery(WindowQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return postgres
          ? overviewOnPostgres(postgres, projectIds, win(q.hours))
          : overview(d.db, projectIds, win(q.hours))
      },
      { scope: 'llm:read', schema: { query: WindowQuery, response: { 200: LlmOverview } } },
    )
    .get(
      '/v1/llm/usage',
      ({ access, query }) => {
        const q = parseQuery(UsageQuery, query)
        return usage(d.db, access.narrow(q.project_id).projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: UsageQuery, response: { 200: LlmUsage } } },
    )
    .get(
      '/v1/llm/latency',
      ({ access, query }) => {
        const q = parseQuery(LatencyQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return postgres
          ? latencyOnPostgres(postgres, projectIds, win(q.hours), q)
          : latency(d.db, projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: LatencyQuery, response: { 200: LlmLatency } } },
    )
    .get(
      '/v1/llm/models',
      ({ access, query }) => {
        const q = parseQuery(ModelsQuery, query)
        return models(d.db, access.narrow(q.project_id).projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: ModelsQuery, response: { 200: LlmModels } } },
    )
    .get(
      '/v1/llm/traces',
      ({ access, query }) => {
        const q = parseQuery(TracesQuery, query)
        const page = listTraces(d.db, access.narrow(q.project_id).projectIds, win(q.hours), q)
        return { ...page, limit: q.limit, offset: q.offset, window_hours: q.hours }
      },
      { scope: 'llm:read', schema: { query: TracesQuery, response: { 200: LlmTracePage } } },
    )
    .get(
      '/v1/llm/search',
      ({ access, query }) => {
        const { q: alias, ...q } = parseQuery(SearchQuery, query)
        const page = listTraces(d.db, access.narrow(q.project_id).projectIds, win(q.hours), {
          ...q,
          search: q.search ?? alias,
        })
        return { ...page, limit: q.limit, offset: q.offset, window_hours: q.hours }
      },
      { scope: 'llm:read', schema: { query: SearchQuery, response: { 200: LlmTracePage } } },
    )
    .get(
      '/v1/llm/traces/:id',
      ({ access, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const id = param(params.id, IdParam, 'id')
        const found = traceDetail(d.db, access.narrow(q.project_id).projectIds, id, d.errorIssues)
        if (!found) throw notFound(`trace not found: ${id}`)
        return found
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmTraceDetail } } },
    )
    .get(
      '/v1/llm/traces/:id/scores',
      ({ access, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const id = param(params.id, IdParam, 'id')
        const project = traceProject(d.db, access.narrow(q.project_id).projectIds, id)
        if (!project) throw notFound(`trace not found: ${id}`)
        return { trace_id: id, scores: traceScores(d.db, project, id) }
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmTraceScores } } },
    )
    .get(
      '/v1/llm/traces/:id/feedback',
      ({ access, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const id = param(params.id, IdParam, 'id')
        const project = traceProject(d.db, access.narrow(q.project_id).projectIds, id)
        if (!project) throw notFound(`trace not found: ${id}`)
        return { trace_id: id, feedback: traceFeedback(d.db, project, id) }
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmTraceFeedback } } },
    )
    .get(
      '/v1/llm/sessions',
      ({ access, query }) => {
        const q = parseQuery(SessionsQuery, query)
        return listSessions(d.db, access.narrow(q.project_id).projectIds, win(q.hours), q)
      },
      { scope: 'llm:read', schema: { query: SessionsQuery, response: { 200: LlmSessions } } },
    )
    .get(
      '/v1/llm/sessions/:id',
      ({ access, query, params }) => {
        const q = parseQuery(PageQuery, query)
        const id = param(params.id, IdParam, 'id')
        const found = sessionDetail(d.db, access.narrow(q.project_id).projectIds, id, q)
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
          ? toolsOnPostgres(postgres, projectIds, win(q.hours), q.limit)
          : tools(d.db, projectIds, win(q.hours), q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmTools } } },
    )
    .get(
      '/v1/llm/rag',
      ({ access, query }) => {
        const q = parseQuery(ListQuery, query)
        const projectIds = access.narrow(q.project_id).projectIds
        return postgres
          ? ragOnPostgres(postgres, projectIds, win(q.hours), q.limit)
          : rag(d.db, projectIds, win(q.hours), q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmRag } } },
    )
    .get(
      '/v1/llm/prompts',
      ({ access, query }) => {
        const q = parseQuery(ListQuery, query)
        return listPrompts(d.db, access.narrow(q.project_id).projectIds, win(q.hours), q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmPrompts } } },
    )
    .get(
      '/v1/llm/prompts/:name/versions',
      ({ access, query, params }) => {
        const q = parseQuery(ListQuery, query)
        const name = param(params.name, NameParam, 'name')
        return promptVersions(d.db, access.narrow(q.project_id).projectIds, win(q.hours), name, q.limit)
      },
      { scope: 'llm:read', schema: { query: ListQuery, response: { 200: LlmPromptVersions } } },
    )
    .get(
      '/v1/llm/prompts/:name/compare',
      ({ access, query, params }) => {
        const q = parseQuery(CompareQuery, query)
        const name = param(params.name, NameParam, 'name')
        return compareVersions(d.db, access.narrow(q.project_id).projectIds, win(q.hours), name, q.v1, q.v2)
      },
      { scope: 'llm:read', schema: { query: CompareQuery, response: { 200: LlmPromptCompare } } },
    )
    .get(
      '/v1/llm/scores/summary',
      ({ access, query }) => {
        const q = parseQuery(ScoreSummaryQuery, query)
        return scoreSummary(d.db, access.narrow(q.project_id).projectIds, win(q.hours), q.name)
      },
      { scope: 'llm:read', schema: { query: ScoreSummaryQuery, response: { 200: LlmScoreSummary } } },
    )
    .get(
      '/v1/llm/feedback/summary',
      ({ access, query }) => {
        const q = parseQuery(WindowQuery, query)
        return feedbackSummary(d.db, access.narrow(q.project_id).projectIds, win(q.hours))
      },
      { scope: 'llm:read', schema: { query: WindowQuery, response: { 200: LlmFeedbackSummary } } },
    )
    .get(
      '/v1/llm/pricing',
      ({ access, query }) => {
        const q = parseQuery(PricingQuery, query)
        const projectId = oneProject(access.narrow(q.project_id))
        if (q.model === undefined) return { project_id: projectId, table: priceTable() }
        const price = priceOf(d.db, projectId, q.model, q.provider ?? null, d.now())
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
        return budget(d.db, oneProject(access.narrow(q.project_id)), d.now())
      },
      { scope: 'llm:read', schema: { query: ProjectQuery, response: { 200: LlmBudget } } },
    )
}
