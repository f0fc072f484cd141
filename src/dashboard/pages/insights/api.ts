/** The analytics endpoints behind Insights (answered from DuckDB when it is on). */
import { api } from '../../lib/api'
import type {
  CorrelationsResponse,
  EnvironmentsResponse,
  MoversResponse,
  ReleasesResponse,
  SpikesResponse,
  StatusResponse,
} from '../../lib/types'

export interface AnalyticsQuery {
  project_id?: string
  hours: number
  environment?: string
  limit?: number
}

export const analytics = {
  status: (project?: string) =>
    api<StatusResponse>('/v1/analytics/status', { query: { project_id: project } }),
  spikes: (q: AnalyticsQuery) => api<SpikesResponse>('/v1/analytics/spikes', { query: { ...q } }),
  movers: (q: AnalyticsQuery) => api<MoversResponse>('/v1/analytics/movers', { query: { ...q } }),
  correlations: (q: AnalyticsQuery) =>
    api<CorrelationsResponse>('/v1/analytics/correlations', { query: { ...q } }),
  releases: (q: AnalyticsQuery) => api<ReleasesResponse>('/v1/analytics/releases', { query: { ...q } }),
  environments: (q: AnalyticsQuery) =>
    api<EnvironmentsResponse>('/v1/analytics/environments', { query: { ...q } }),
}
