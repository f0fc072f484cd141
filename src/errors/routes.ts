/**
 * The error query API (docs/decisions.md, "Issues and the query API"): issues, their detail, occurrences, trends, statistics and
 * status changes. Reads need `errors:read`, status changes `errors:write`.
 */

import { Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Elysia } from 'elysia'
import type { Core } from '../core/feature'
import { access } from '../http/access'
import type { Access } from '../http/auth'
import { AppError, notFound } from '../http/errors'
import { parseQuery } from '../http/validate'
import type { TaskRunner } from '../storage/tasks'
import type { IssueStatus } from './commit'
import {
  ActionParams,
  FingerprintParam,
  FingerprintParams,
  History,
  IssueDetail,
  IssuePage,
  ListQuery,
  OccurrencePage,
  PageQuery,
  ProjectQuery,
  ReleaseQuery,
  Stats,
  StatusChange,
  TagFacets,
  TagTopQuery,
  Trend,
  TrendQuery,
} from './model'
import {
  type EventRow,
  findIssues,
  hourlySeries,
  type IssueRow,
  issueKey,
  issueTrends,
  listIssues,
  type SeenIn,
  seenFrom,
  seenInAll,
  statsOf,
} from './queries'
import { withSearch } from './search.route'
import { facetsOf } from './tags'
import type { ErrorsTasks } from './tasks'
import {
  type Directory,
  groupAggregates,
  groupHistory,
  groupOccurrences,
  groupOf,
  groupSamples,
  groupTrend,
  membersOfPage,
  triageOf,
} from './triage.read'
import { listFilters } from './triage.routes'
import { usersOf } from './users'

/** The members of a page's merge groups as rows, for the per-fingerprint page queries. */
const expand = (members: Map<string, { project_id: string; fingerprint: string }[]>) =>
  [...members.values()].flat()

const ACTIONS: Record<string, IssueStatus> = {
  resolve: 'resolved',
  resolve_next: 'resolved',
  ignore: 'ignored',
  mute: 'muted',
  unresolve: 'unresolved',
}

function parseJsonText(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export function eventView<T extends EventRow>(
  row: T,
): Omit<T, 'metadata' | 'breadcrumbs'> & { metadata: unknown; breadcrumbs: unknown[] } {
  const crumbs = row.breadcrumbs ? parseJsonText(row.breadcrumbs) : null
  return { ...row, metadata: parseJsonText(row.metadata), breadcrumbs: Array.isArray(crumbs) ? crumbs : [] }
}

function fingerprintOf(raw: string): string {
  if (!Value.Check(FingerprintParam, raw))
    throw new AppError('invalid_field', 'fingerprint must be 1-128 characters')
  return raw
}

/** The one issue a request is about. Reads take the most recent across visible projects; a
 * change must not guess, so an ambiguous fingerprint asks for project_id. */
/** Maps a stored stack to original positions (the source-maps feature gives it, when wired). */
export type Symbolicate = (
  projectId: string,
  release: string,
  stack: string | null,
) => Promise<unknown | null>

/** `backend` is the storage seam every read here goes through. */
export interface QueryDeps extends Pick<Core, 'backend' | 'guard' | 'now'> {
  writer: TaskRunner<ErrorsTasks>
  symbolicate?: Symbolicate
  directory: Directory
}

async function issueFor(
  s: QueryDeps,
  access: Access,
  fingerprint: string,
  forWrite = false,
): Promise<IssueRow> {
  const found = await findIssues(s.backend, access.projectIds, fingerprint)
  if (found.length === 0) throw notFound(`no issue with fingerprint ${fingerprint}`)
  if (forWrite && found.length > 1) {
    throw new AppError('bad_request', 'this fingerprint exists in several projects; pass project_id', {
      field: 'project_id',
    })
  }
  return found[0] as IssueRow
}

export function errorsRoutes(s: QueryDeps) {
  type Members = Awaited<ReturnType<typeof membersOfPage>>
  /** A page of issues with the releases and environments each was seen in. */
  const issueViews = async (rows: IssueRow[], members: Members) => {
    const all = [...rows, ...expand(members)]
    const seen = await seenInAll(s.backend, all)
    return rows.map((row) => {
      const key = issueKey(row.project_id, row.fingerprint)
      const own = seen.get(key) as SeenIn
      const more = (members.get(key) ?? []).map(
        (m) => seen.get(issueKey(m.project_id, m.fingerprint)) as SeenIn,
      )
      return {
        ...row,
        releases: [...new Set([own, ...more].flatMap((x) => x.releases))],
        environments: [...new Set([own, ...more].flatMap((x) => x.environments))],
      }
    })
  }
  /** Sparklines of a page, each summed over its merge group. */
  const trendsOf = async (rows: IssueRow[], members: Members, hours: number) => {
    const trends = await issueTrends(s.backend, [...rows, ...expand(members)], hours, s.now())
    return (row: IssueRow) => {
      const key = issueKey(row.project_id, row.fingerprint)
      const own = [...(trends.get(key) ?? [])]
      for (const m of members.get(key) ?? [])
        (trends.get(issueKey(m.project_id, m.fingerprint)) ?? []).forEach((n, i) => {
          own[i] = (own[i] ?? 0) + n
        })
      return own
    }
  }
  /** Stored events as answered, each stack mapped through its release's source maps (off this thread). */
  const eventsWithSymbols = (rows: EventRow[]): Promise<Record<string, unknown>[]> =>
    Promise.all(
      rows.map(async (row) => {
        const view: Record<string, unknown> = eventView(row)
        const symbolicated = await s.symbolicate?.(row.project_id, row.release, row.stack)
        if (symbolicated) view.symbolicated = symbolicated
        return view
      }),
    )

  return new Elysia({ name: 'errors' })
    .use(access(s.guard))
    .get(
      '/v1/errors',
      async ({ access: reach, query }) => {
        const q = parseQuery(ListQuery, query)
        const access = reach.narrow(q.project_id)
        const { limit } = q
        const searched = await withSearch(q, s.directory, access.projectIds)
        const filters = listFilters(searched.q, access)
        if (searched.assigneeId !== undefined) filters.assigneeId = searched.assigneeId
        const { items, total } = await listIssues(s.backend, {
          ...filters,
          search: searched.search,
          sort: searched.q.sort,
          limit,
          offset: q.offset,
        })
        const members = await membersOfPage(s.backend, items)
        const views = await issueViews(items, members)
        if (q.trend_hours === undefined) return { items: views, total, limit, offset: q.offset }
        const trendOf = await trendsOf(items, members, q.trend_hours)
        return {
          items: views.map((v, i) => ({ ...v, trend: trendOf(items[i] as IssueRow) })),
          total,
          limit,
          offset: q.offset,
        }
      },
      { scope: 'errors:read', schema: { query: ListQuery, response: { 200: IssuePage } } },
    )
    .get(
      '/v1/errors/:fingerprint',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const access = reach.narrow(q.project_id)
        const issue = await issueFor(s, access, fingerprintOf(params.fingerprint))
        const group = await groupOf(s.backend, issue.project_id, issue.fingerprint)
        const [aggregates, history, samples] = await Promise.all([
          groupAggregates(s.backend, issue.project_id, group),
          groupHistory(s.backend, issue.project_id, group),
          groupSamples(s.backend, issue.project_id, group),
        ])
        return {
          ...issue,
          ...seenFrom(aggregates),
          aggregates,
          samples: await eventsWithSymbols(samples),
          history,
          ...(await triageOf(s.backend, s.directory, issue, group, aggregates, history)),
          users: await usersOf(s.backend, issue.project_id, group, s.now()),
        }
      },
      {
        scope: 'errors:read',
        schema: { query: ProjectQuery, params: FingerprintParams, response: { 200: IssueDetail } },
      },
    )
    .get(
      '/v1/errors/:fingerprint/occurrences',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(PageQuery, query)
        const access = reach.narrow(q.project_id)
        const issue = await issueFor(s, access, fingerprintOf(params.fingerprint))
        const group = await groupOf(s.backend, issue.project_id, issue.fingerprint)
        const page = await groupOccurrences(s.backend, issue.project_id, group, q.limit, q.offset)
        return {
          items: await eventsWithSymbols(page.items),
          total: page.total,
          limit: q.limit,
          offset: q.offset,
        }
      },
      {
        scope: 'errors:read',
        schema: { query: PageQuery, params: FingerprintParams, response: { 200: OccurrencePage } },
      },
    )
    .get(
      '/v1/errors/:fingerprint/trend',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(TrendQuery, query)
        const access = reach.narrow(q.project_id)
        const issue = await issueFor(s, access, fingerprintOf(params.fingerprint))
        return groupTrend(s.backend, {
          projectId: issue.project_id,
          group: await groupOf(s.backend, issue.project_id, issue.fingerprint),
          environment: q.environment,
          hours: q.hours,
          now: s.now(),
        })
      },
      {
        scope: 'errors:read',
        schema: { query: TrendQuery, params: FingerprintParams, response: { 200: Trend } },
      },
    )
    .get(
      '/v1/errors/:fingerprint/tags',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(TagTopQuery, query)
        const access = reach.narrow(q.project_id)
        const issue = await issueFor(s, access, fingerprintOf(params.fingerprint))
        const group = await groupOf(s.backend, issue.project_id, issue.fingerprint)
        return facetsOf(s.backend, issue.project_id, group, q.top)
      },
      {
        scope: 'errors:read',
        schema: { query: TagTopQuery, params: FingerprintParams, response: { 200: TagFacets } },
      },
    )
    .get(
      '/v1/errors/:fingerprint/history',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const access = reach.narrow(q.project_id)
        const issue = await issueFor(s, access, fingerprintOf(params.fingerprint))
        return groupHistory(
          s.backend,
          issue.project_id,
          await groupOf(s.backend, issue.project_id, issue.fingerprint),
        )
      },
      {
        scope: 'errors:read',
        schema: { query: ProjectQuery, params: FingerprintParams, response: { 200: History } },
      },
    )
    .post(
      '/v1/errors/:fingerprint/:action',
      async ({ access: reach, query, params }) => {
        const status = ACTIONS[params.action]
        if (!status) throw notFound(`unknown action ${params.action}; use resolve, ignore, mute or unresolve`)
        const q = parseQuery(ProjectQuery, query)
        const access = reach.narrow(q.project_id)
        const issue = await issueFor(s, access, fingerprintOf(params.fingerprint), true)
        const changed = await s.writer.run('errors.setStatus', {
          project_id: issue.project_id,
          fingerprint: issue.fingerprint,
          status,
          next_release: params.action === 'resolve_next',
          changed_by: access.actor,
          now: s.now(),
        })
        if (!changed) throw notFound(`no issue with fingerprint ${issue.fingerprint}`)
        return {
          project_id: issue.project_id,
          fingerprint: issue.fingerprint,
          status: changed.status,
          previous_status: changed.old_status,
          resolved_in_release: changed.resolved_in_release,
        }
      },
      {
        scope: 'errors:write',
        schema: { query: ProjectQuery, params: ActionParams, response: { 200: StatusChange } },
      },
    )
    .get(
      '/v1/releases/:release/errors',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(ReleaseQuery, query)
        const access = reach.narrow(q.project_id)
        // Only the fields ReleaseQuery declares: the parsed query keeps undeclared keys as
        // sent (strings), and IssueFilters has more (since, until, source, route) than
        // this route takes.
        const { items, total } = await listIssues(s.backend, {
          environment: q.environment,
          status: q.status,
          sort: q.sort,
          limit: q.limit,
          offset: q.offset,
          release: params.release,
          projectIds: access.projectIds,
        })
        return {
          items: await issueViews(items, await membersOfPage(s.backend, items)),
          total,
          limit: q.limit,
          offset: q.offset,
        }
      },
      {
        scope: 'errors:read',
        schema: {
          query: ReleaseQuery,
          params: T.Object({ release: T.String() }),
          response: { 200: IssuePage },
        },
      },
    )
    .get(
      '/v1/trends',
      ({ access: reach, query }) => {
        const q = parseQuery(TrendQuery, query)
        const access = reach.narrow(q.project_id)
        return hourlySeries(s.backend, {
          projectIds: access.projectIds,
          environment: q.environment,
          hours: q.hours,
          now: s.now(),
        })
      },
      { scope: 'errors:read', schema: { query: TrendQuery, response: { 200: Trend } } },
    )
    .get(
      '/v1/stats',
      ({ access: reach, query }) => {
        const q = parseQuery(ProjectQuery, query)
        const access = reach.narrow(q.project_id)
        return statsOf(s.backend, access.projectIds, s.now())
      },
      { scope: 'errors:read', schema: { query: ProjectQuery, response: { 200: Stats } } },
    )
}
