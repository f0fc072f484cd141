/**
 * The triage API (docs/decisions.md, "Triage"): bulk actions over a list of issues or all
 * issues matching a list query, merge and unmerge, assignment, comments and the project's
 * tracker template. Changes need `errors:write` and go through the writer in batches of
 * BULK_BATCH issues; reads need `errors:read`.
 */
import { Elysia } from 'elysia'
import { access } from '../http/access'
import type { Access } from '../http/auth'
import { AppError, json, notFound } from '../http/errors'
import { parseBody, parseQuery, readJson } from '../http/validate'
import { commentsOf } from './comments'
import type { IssueStatus } from './commit'
import { groupOf } from './merge'
import { FingerprintParams, ListQuery, ProjectQuery } from './model'
import { findIssues, type IssueFilters, type IssueRow, listIssues } from './queries'
import type { QueryDeps } from './routes'
import { withSearch } from './search.route'
import { setTrackerTemplate, trackerTemplate } from './settings'
import type { IssueRef } from './status'
import { templateProblem } from './tracker'
import {
  AssignBody,
  Assignees,
  AssignResult,
  BULK_BATCH,
  BulkBody,
  BulkResult,
  CommentBody,
  CommentDeleted,
  CommentParams,
  Comment as CommentSchema,
  Comments,
  MAX_BULK_MATCHING,
  Settings,
  SettingsBody,
  UnmergeBody,
  UnmergeResult,
} from './triage.model'
import { type Directory, mergedInto } from './triage.read'

const MAX_BODY = 256 * 1024

const STATUS_OF: Record<string, IssueStatus> = {
  resolve: 'resolved',
  resolve_next: 'resolved',
  ignore: 'ignored',
  mute: 'muted',
  unresolve: 'unresolved',
}

export interface TriageDeps extends QueryDeps {
  directory: Directory
}

/** The list filters of a parsed list query; `assigned=me` needs a signed-in user. */
export function listFilters(q: ListQuery, access: Access): Omit<IssueFilters, 'sort' | 'limit' | 'offset'> {
  const { assigned, ...rest } = q
  const f: Omit<IssueFilters, 'sort' | 'limit' | 'offset'> = { ...rest, projectIds: access.projectIds }
  if (assigned === 'me') {
    if (access.principal.kind !== 'session')
      throw new AppError(
        'invalid_query',
        'query parameter assigned: "me" needs a signed-in user, not a token',
        {
          field: 'assigned',
        },
      )
    f.assigneeId = access.principal.userId
  } else if (assigned === 'any') f.assigned = true
  else if (assigned === 'none') f.assigned = false
  return f
}

/** Who comments: a user by id, a token by its id (so only that token deletes its comments). */
function authorOf(a: Access): { author_id: string; author: string } {
  return a.principal.kind === 'session'
    ? { author_id: a.principal.userId, author: a.principal.username }
    : { author_id: `token:${a.principal.tokenId}`, author: a.actor }
}

async function oneIssue(s: QueryDeps, a: Access, fingerprint: string): Promise<IssueRow> {
  const found = await findIssues(s.backend, a.projectIds, fingerprint)
  if (found.length === 0) throw notFound(`no issue with fingerprint ${fingerprint}`)
  if (found.length > 1)
    throw new AppError('bad_request', 'this fingerprint exists in several projects; pass project_id', {
      field: 'project_id',
    })
  return found[0] as IssueRow
}

function oneProject(a: Access): string {
  if (a.projectIds.length !== 1)
    throw new AppError('bad_request', 'pass project_id: this caller sees several projects', {
      field: 'project_id',
    })
  return a.projectIds[0] as string
}

/** The issues a bulk action is about: an explicit list, or every issue matching a list query. */
async function selection(
  s: QueryDeps,
  a: Access,
  body: BulkRequest,
  q: ListQuery | null,
): Promise<IssueRef[]> {
  if ((body.fingerprints === undefined) === (body.matching === undefined))
    throw new AppError('invalid_field', 'give either fingerprints or matching', { field: 'fingerprints' })
  if (body.fingerprints) {
    const refs: IssueRef[] = []
    for (const fp of new Set(body.fingerprints)) {
      const i = await oneIssue(s, a, fp)
      refs.push({ project_id: i.project_id, fingerprint: i.fingerprint })
    }
    return refs
  }
  // The list query's search (`query=`) selects as it lists (search.route.ts).
  const searched = await withSearch(q as ListQuery, s.directory, a.projectIds)
  const filters = listFilters(searched.q, a)
  if (searched.assigneeId !== undefined) filters.assigneeId = searched.assigneeId
  const { items, total } = await listIssues(s.backend, {
    ...filters,
    search: searched.search,
    sort: searched.q.sort,
    limit: MAX_BULK_MATCHING,
    offset: 0,
  })
  if (total > MAX_BULK_MATCHING)
    throw new AppError(
      'invalid_field',
      `matching selects ${total} issues; at most ${MAX_BULK_MATCHING} at once: narrow it`,
      { field: 'matching' },
    )
  return items.map((i) => ({ project_id: i.project_id, fingerprint: i.fingerprint }))
}

function batches<T>(items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += BULK_BATCH) out.push(items.slice(i, i + BULK_BATCH))
  return out
}

type BulkRequest = typeof BulkBody.static

export function triageRoutes(s: TriageDeps) {
  const user = async (ref: string) => {
    const u = await s.directory.user(ref)
    if (!u) throw new AppError('invalid_field', `no user ${ref}`, { field: 'assignee' })
    return u
  }

  return new Elysia({ name: 'errors-triage' })
    .use(access(s.guard))
    .post(
      '/v1/errors/bulk',
      async ({ request, access: reach }) => {
        const body = parseBody(BulkBody, await readJson(request, MAX_BODY))
        const q =
          body.matching === undefined
            ? null
            : parseQuery(ListQuery, Object.fromEntries(new URLSearchParams(body.matching)))
        const a = reach.narrow(body.project_id ?? q?.project_id)
        const items = await selection(s, a, body, q)
        let changed = 0
        if (body.action === 'assign') {
          if (body.assignee === undefined)
            throw new AppError('invalid_field', 'assign needs assignee (a user, or null)', {
              field: 'assignee',
            })
          const assignee = body.assignee === null ? null : await user(body.assignee)
          for (const b of batches(items))
            changed += (
              await s.writer.run('errors.assign', { items: b, assignee, actor: a.actor, now: s.now() })
            ).changed
        } else if (body.action === 'merge') {
          if (body.target === undefined)
            throw new AppError('invalid_field', 'merge needs target', { field: 'target' })
          const target = await oneIssue(s, a, body.target)
          const sources = items.filter(
            (i) => i.fingerprint !== target.fingerprint || i.project_id !== target.project_id,
          )
          if (sources.some((i) => i.project_id !== target.project_id))
            throw new AppError('invalid_field', 'issues of different projects cannot be merged', {
              field: 'target',
            })
          // Checked before the first batch, so a refused merge changes nothing (the writer checks again).
          const into = await mergedInto(s.backend, target.project_id, target.fingerprint)
          if (into)
            throw new AppError('invalid_field', `${target.fingerprint} is merged into ${into}`, {
              field: 'target',
            })
          for (const src of sources) {
            const m = await mergedInto(s.backend, src.project_id, src.fingerprint)
            if (m && m !== target.fingerprint)
              throw new AppError('invalid_field', `${src.fingerprint} is already merged into ${m}`, {
                field: 'fingerprints',
              })
          }
          for (const b of batches(sources)) {
            const r = await s.writer.run('errors.merge', {
              project_id: target.project_id,
              target: target.fingerprint,
              fingerprints: b.map((i) => i.fingerprint),
              actor: a.actor,
              now: s.now(),
            })
            if ('error' in r)
              throw new AppError('invalid_field', r.error, { field: r.field ?? 'fingerprints' })
            changed += r.merged.length
          }
        } else {
          const status = STATUS_OF[body.action] as IssueStatus
          for (const b of batches(items))
            changed += (
              await s.writer.run('errors.setStatuses', {
                items: b,
                status,
                next_release: body.action === 'resolve_next',
                changed_by: a.actor,
                now: s.now(),
              })
            ).changed
        }
        return { action: body.action, matched: items.length, changed }
      },
      { scope: 'errors:write', schema: { body: BulkBody, response: { 200: BulkResult } } },
    )
    .post(
      '/v1/errors/unmerge',
      async ({ request, access: reach }) => {
        const body = parseBody(UnmergeBody, await readJson(request, MAX_BODY))
        const a = reach.narrow(body.project_id)
        const refs: IssueRow[] = []
        for (const fp of new Set(body.fingerprints)) refs.push(await oneIssue(s, a, fp))
        const byProject = new Map<string, string[]>()
        for (const r of refs)
          byProject.set(r.project_id, [...(byProject.get(r.project_id) ?? []), r.fingerprint])
        const unmerged: { fingerprint: string; target: string }[] = []
        for (const [project_id, fingerprints] of byProject) {
          const r = await s.writer.run('errors.unmerge', {
            project_id,
            fingerprints,
            actor: a.actor,
            now: s.now(),
          })
          unmerged.push(...r.unmerged)
        }
        return { unmerged }
      },
      { scope: 'errors:write', schema: { body: UnmergeBody, response: { 200: UnmergeResult } } },
    )
    .put(
      '/v1/errors/:fingerprint/assignee',
      async ({ request, access: reach, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const a = reach.narrow(q.project_id)
        const body = parseBody(AssignBody, await readJson(request, MAX_BODY))
        const issue = await oneIssue(s, a, params.fingerprint)
        const assignee = body.assignee === null ? null : await user(body.assignee)
        await s.writer.run('errors.assign', {
          items: [{ project_id: issue.project_id, fingerprint: issue.fingerprint }],
          assignee,
          actor: a.actor,
          now: s.now(),
        })
        return { project_id: issue.project_id, fingerprint: issue.fingerprint, assignee }
      },
      {
        scope: 'errors:write',
        schema: {
          query: ProjectQuery,
          params: FingerprintParams,
          body: AssignBody,
          response: { 200: AssignResult },
        },
      },
    )
    .get(
      '/v1/triage/assignees',
      async ({ access: reach, query }) => {
        // Every user sees every project (docs/decisions.md, "Access"): any user may be
        // assigned; the project only has to be in the caller's reach.
        reach.narrow(parseQuery(ProjectQuery, query).project_id)
        return s.directory.users()
      },
      { scope: 'errors:read', schema: { query: ProjectQuery, response: { 200: Assignees } } },
    )
    .get(
      '/v1/errors/:fingerprint/comments',
      async ({ access: reach, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const issue = await oneIssue(s, reach.narrow(q.project_id), params.fingerprint)
        return commentsOf(
          s.backend,
          issue.project_id,
          await groupOf(s.backend, issue.project_id, issue.fingerprint),
        )
      },
      {
        scope: 'errors:read',
        schema: { query: ProjectQuery, params: FingerprintParams, response: { 200: Comments } },
      },
    )
    .post(
      '/v1/errors/:fingerprint/comments',
      async ({ request, access: reach, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const a = reach.narrow(q.project_id)
        const body = parseBody(CommentBody, await readJson(request, MAX_BODY))
        const issue = await oneIssue(s, a, params.fingerprint)
        const row = await s.writer.run('errors.comment', {
          project_id: issue.project_id,
          fingerprint: issue.fingerprint,
          ...authorOf(a),
          body: body.body,
          now: s.now(),
        })
        if (!row) throw notFound(`no issue with fingerprint ${issue.fingerprint}`)
        return json(row, 201)
      },
      {
        scope: 'errors:write',
        schema: {
          query: ProjectQuery,
          params: FingerprintParams,
          body: CommentBody,
          response: { 201: CommentSchema },
        },
      },
    )
    .delete(
      '/v1/errors/:fingerprint/comments/:id',
      async ({ access: reach, user, query, params }) => {
        const q = parseQuery(ProjectQuery, query)
        const a = reach.narrow(q.project_id)
        const issue = await oneIssue(s, a, params.fingerprint)
        const id = Number(params.id)
        const outcome = await s.writer.run('errors.deleteComment', {
          project_id: issue.project_id,
          fingerprint: issue.fingerprint,
          id,
          // Admins moderate: they may delete anyone's comment; others only their own.
          author_id: user.isAdmin ? null : user.userId,
          actor: a.actor,
          now: s.now(),
        })
        if (outcome === 'missing') throw notFound(`no comment ${id} on this issue`)
        if (outcome === 'not_author')
          throw new AppError('forbidden', 'only its author or an admin may delete a comment')
        return { deleted: id }
      },
      {
        session: true,
        schema: { query: ProjectQuery, params: CommentParams, response: { 200: CommentDeleted } },
      },
    )
    .get(
      '/v1/triage/settings',
      async ({ access: reach, query }) => {
        const q = parseQuery(ProjectQuery, query)
        const project_id = oneProject(reach.narrow(q.project_id))
        return { project_id, tracker_template: await trackerTemplate(s.backend, project_id) }
      },
      { scope: 'errors:read', schema: { query: ProjectQuery, response: { 200: Settings } } },
    )
    .put(
      '/v1/triage/settings',
      async ({ request, access: reach, query }) => {
        const q = parseQuery(ProjectQuery, query)
        const project_id = oneProject(reach.narrow(q.project_id))
        const body = parseBody(SettingsBody, await readJson(request, MAX_BODY))
        const template =
          body.tracker_template === null || body.tracker_template.trim() === ''
            ? null
            : body.tracker_template.trim()
        if (template !== null) {
          const problem = templateProblem(template)
          if (problem)
            throw new AppError('invalid_field', `tracker_template ${problem}`, { field: 'tracker_template' })
        }
        // A small administrative write on the main connection (docs/ARCHITECTURE.md, "Invariants").
        await setTrackerTemplate(s.backend, project_id, template, s.now())
        return { project_id, tracker_template: template }
      },
      {
        scope: 'errors:write',
        schema: { query: ProjectQuery, body: SettingsBody, response: { 200: Settings } },
      },
    )
}
