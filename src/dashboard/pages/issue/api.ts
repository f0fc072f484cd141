/**
 * One issue's calls: its detail, raw events, hourly trend, history and status changes.
 * Insights charts an issue's trend with `issue.trend` too.
 */
import { api } from '../../lib/api'
import type {
  Assignee,
  Comment,
  HistoryRow,
  IssueDetail,
  IssueStatus,
  Occurrence,
  Page,
  StatusChange,
  TagFacet,
  TrendPoint,
  UnmergeResult,
} from '../../lib/types'

const enc = encodeURIComponent

export const issue = {
  get: (fp: string, project?: string) =>
    api<IssueDetail>(`/v1/errors/${enc(fp)}`, { query: { project_id: project } }),
  occurrences: (fp: string, project: string, offset: number, limit = 20) =>
    api<Page<Occurrence>>(`/v1/errors/${enc(fp)}/occurrences`, {
      query: { project_id: project, offset, limit },
    }),
  trend: (fp: string, project: string, hours: number) =>
    api<TrendPoint[]>(`/v1/errors/${enc(fp)}/trend`, { query: { project_id: project, hours } }),
  tags: (fp: string, project: string, top = 5) =>
    api<TagFacet[]>(`/v1/errors/${enc(fp)}/tags`, { query: { project_id: project, top } }),
  history: (fp: string, project: string) =>
    api<HistoryRow[]>(`/v1/errors/${enc(fp)}/history`, { query: { project_id: project } }),
  setStatus: (
    fp: string,
    project: string,
    action: 'resolve' | 'resolve_next' | 'ignore' | 'mute' | 'unresolve',
  ) =>
    api<StatusChange>(`/v1/errors/${enc(fp)}/${action}`, { method: 'POST', query: { project_id: project } }),
  assign: (fp: string, project: string, assignee: string | null) =>
    api<unknown>(`/v1/errors/${enc(fp)}/assignee`, {
      method: 'PUT',
      query: { project_id: project },
      body: { assignee },
    }),
  assignees: (project: string) => api<Assignee[]>('/v1/triage/assignees', { query: { project_id: project } }),
  comment: (fp: string, project: string, body: string) =>
    api<Comment>(`/v1/errors/${enc(fp)}/comments`, {
      method: 'POST',
      query: { project_id: project },
      body: { body },
    }),
  deleteComment: (fp: string, project: string, id: number) =>
    api<{ deleted: number }>(`/v1/errors/${enc(fp)}/comments/${id}`, {
      method: 'DELETE',
      query: { project_id: project },
    }),
  unmerge: (project: string, fingerprints: string[]) =>
    api<UnmergeResult>('/v1/errors/unmerge', { method: 'POST', body: { project_id: project, fingerprints } }),
}

/** The API action that sets each status. */
export const ACTIONS: Record<IssueStatus, 'resolve' | 'ignore' | 'mute' | 'unresolve'> = {
  resolved: 'resolve',
  ignored: 'ignore',
  muted: 'mute',
  unresolved: 'unresolve',
}
