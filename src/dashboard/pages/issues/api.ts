/** The issues list's calls: a page of issues, the event volume over time, the totals, bulk actions. */
import { api } from '../../lib/api'
import type {
  Assignee,
  BulkAction,
  BulkResult,
  Issue,
  IssueFilters,
  Page,
  Stats,
  TrendPoint,
} from '../../lib/types'

/** What a bulk action selects: listed issues, or every issue matching the list's query string. */
export type Selection = { fingerprints: string[]; project_id?: string } | { matching: string }

export const issues = {
  list: (f: IssueFilters) => api<Page<Issue>>('/v1/errors', { query: { ...f } }),
  volume: (q: { project_id?: string; environment?: string; hours: number }) =>
    api<TrendPoint[]>('/v1/trends', { query: q }),
  stats: (project?: string) => api<Stats>('/v1/stats', { query: { project_id: project } }),
  bulk: (
    action: BulkAction,
    selection: Selection,
    extra: { assignee?: string | null; target?: string } = {},
  ) => api<BulkResult>('/v1/errors/bulk', { method: 'POST', body: { action, ...selection, ...extra } }),
  assignees: (project?: string) =>
    api<Assignee[]>('/v1/triage/assignees', { query: { project_id: project } }),
}
