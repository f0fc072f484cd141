/** The issues list's calls: a page of issues, the event volume over time, the totals. */
import { api } from '../../lib/api'
import type { Issue, IssueFilters, Page, Stats, TrendPoint } from '../../lib/types'

export const issues = {
  list: (f: IssueFilters) => api<Page<Issue>>('/v1/errors', { query: { ...f } }),
  volume: (q: { project_id?: string; environment?: string; hours: number }) =>
    api<TrendPoint[]>('/v1/trends', { query: q }),
  stats: (project?: string) => api<Stats>('/v1/stats', { query: { project_id: project } }),
}
