/**
 * Typed calls of the bloop API, one function per endpoint the dashboard uses. Paths and
 * bodies follow the README's API sections; shapes come from types.ts.
 */
import { api } from './api'
import type {
  AdminUser,
  AuthStatus,
  ChannelConfig,
  ChannelView,
  CorrelationsResponse,
  DeliveryView,
  EnvironmentsResponse,
  HistoryRow,
  Invite,
  Issue,
  IssueDetail,
  IssueFilters,
  IssueStatus,
  MoversResponse,
  NewInvite,
  NewToken,
  Occurrence,
  Page,
  Passkey,
  Project,
  ProjectWithKey,
  ReleasesResponse,
  RetentionReport,
  RetentionView,
  RuleConfig,
  RuleView,
  Scope,
  SourceMap,
  SpikesResponse,
  Stats,
  StatusChange,
  StatusResponse,
  TestResult,
  Token,
  TrendPoint,
} from './types'

const enc = encodeURIComponent

export const auth = {
  status: () => api<AuthStatus>('/auth/status'),
  logout: () => api<{ status: string }>('/auth/logout', { method: 'POST', body: {} }),
  passkeys: () => api<Passkey[]>('/auth/passkeys'),
  renamePasskey: (id: string, name: string) =>
    api<Passkey>(`/auth/passkeys/${enc(id)}`, { method: 'PATCH', body: { name } }),
  removePasskey: (id: string) => api<{ deleted: boolean }>(`/auth/passkeys/${enc(id)}`, { method: 'DELETE' }),
}

export const issues = {
  list: (f: IssueFilters) => api<Page<Issue>>('/v1/errors', { query: { ...f } }),
  get: (fp: string, project?: string) =>
    api<IssueDetail>(`/v1/errors/${enc(fp)}`, { query: { project_id: project } }),
  occurrences: (fp: string, project: string, offset: number, limit = 20) =>
    api<Page<Occurrence>>(`/v1/errors/${enc(fp)}/occurrences`, {
      query: { project_id: project, offset, limit },
    }),
  trend: (fp: string, project: string, hours: number) =>
    api<TrendPoint[]>(`/v1/errors/${enc(fp)}/trend`, { query: { project_id: project, hours } }),
  history: (fp: string, project: string) =>
    api<HistoryRow[]>(`/v1/errors/${enc(fp)}/history`, { query: { project_id: project } }),
  setStatus: (fp: string, project: string, action: 'resolve' | 'ignore' | 'mute' | 'unresolve') =>
    api<StatusChange>(`/v1/errors/${enc(fp)}/${action}`, { method: 'POST', query: { project_id: project } }),
  volume: (q: { project_id?: string; environment?: string; hours: number }) =>
    api<TrendPoint[]>('/v1/trends', { query: q }),
  stats: (project?: string) => api<Stats>('/v1/stats', { query: { project_id: project } }),
}

export const ACTIONS: Record<IssueStatus, 'resolve' | 'ignore' | 'mute' | 'unresolve'> = {
  resolved: 'resolve',
  ignored: 'ignore',
  muted: 'mute',
  unresolved: 'unresolve',
}

export const projects = {
  list: () => api<Project[]>('/v1/projects'),
  create: (name: string, slug: string) => api<ProjectWithKey>('/v1/projects', { body: { name, slug } }),
  rename: (slug: string, name: string) =>
    api<Project>(`/v1/projects/${enc(slug)}`, { method: 'PUT', body: { name } }),
  remove: (slug: string) => api<{ deleted: boolean }>(`/v1/projects/${enc(slug)}`, { method: 'DELETE' }),
  rotateKey: (slug: string) =>
    api<ProjectWithKey>(`/v1/projects/${enc(slug)}/rotate-key`, { method: 'POST' }),
  key: (slug: string) => api<{ id: string; slug: string; api_key: string }>(`/v1/projects/${enc(slug)}/key`),
}

export const tokens = {
  list: (project?: string) => api<Token[]>('/v1/tokens', { query: { project_id: project } }),
  create: (b: { name: string; project_id: string; scopes: Scope[]; expires_in_days?: number | null }) =>
    api<NewToken>('/v1/tokens', { body: b }),
  revoke: (id: string) =>
    api<{ id: string; revoked_at: number }>(`/v1/tokens/${enc(id)}`, { method: 'DELETE' }),
}

export const admin = {
  users: () => api<AdminUser[]>('/v1/admin/users'),
  setRole: (id: string, role: 'admin' | 'user') =>
    api<AdminUser>(`/v1/admin/users/${enc(id)}/role`, { method: 'PUT', body: { role } }),
  removeUser: (id: string) => api<{ deleted: boolean }>(`/v1/admin/users/${enc(id)}`, { method: 'DELETE' }),
  invites: () => api<Invite[]>('/v1/admin/invites'),
  invite: () => api<NewInvite>('/v1/admin/invites', { method: 'POST' }),
  revokeInvite: (id: string) => api<Invite>(`/v1/admin/invites/${enc(id)}`, { method: 'DELETE' }),
}

export interface RuleBody {
  name: string
  project_id: string
  config: RuleConfig
  description?: string | null
  environment_filter?: string | null
  source_filter?: string | null
  enabled?: boolean
}

export const alerts = {
  list: (project?: string) => api<{ items: RuleView[] }>('/v1/alerts', { query: { project_id: project } }),
  get: (id: number) => api<RuleView>(`/v1/alerts/${id}`),
  create: (b: RuleBody) => api<RuleView>('/v1/alerts', { body: b }),
  update: (id: number, b: Partial<RuleBody>) => api<RuleView>(`/v1/alerts/${id}`, { method: 'PUT', body: b }),
  remove: (id: number) => api<{ deleted: number }>(`/v1/alerts/${id}`, { method: 'DELETE' }),
  addChannel: (id: number, config: ChannelConfig) =>
    api<ChannelView>(`/v1/alerts/${id}/channels`, { body: { config } }),
  removeChannel: (id: number, cid: number) =>
    api<{ deleted: number }>(`/v1/alerts/${id}/channels/${cid}`, { method: 'DELETE' }),
  test: (id: number) =>
    api<{ rule_id: number; results: TestResult[] }>(`/v1/alerts/${id}/test`, { method: 'POST' }),
  deliveries: (id: number, before?: number) =>
    api<{ items: DeliveryView[]; limit: number }>(`/v1/alerts/${id}/deliveries`, {
      query: { limit: 25, before },
    }),
}

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

export const sourcemaps = {
  list: (project: string, release?: string) =>
    api<Page<SourceMap>>(`/v1/projects/${enc(project)}/sourcemaps`, { query: { release, limit: 200 } }),
  upload: (project: string, release: string, file: File) => {
    const form = new FormData()
    form.set('release', release)
    form.set('file', file, file.name)
    return api<SourceMap & { replaced: boolean }>(`/v1/projects/${enc(project)}/sourcemaps`, { body: form })
  },
  remove: (project: string, id: number) =>
    api<{ deleted: number }>(`/v1/projects/${enc(project)}/sourcemaps/${id}`, { method: 'DELETE' }),
}

export interface RetentionUpdate {
  raw_events_days?: number
  hourly_counts_days?: number
  per_project?: { project_id: string; raw_events_days: number }[]
}

export const retention = {
  get: () => api<RetentionView>('/v1/admin/retention'),
  update: (b: RetentionUpdate) => api<RetentionView>('/v1/admin/retention', { method: 'PUT', body: b }),
  purge: () =>
    api<RetentionReport & { status: string }>('/v1/admin/retention/purge', { body: { confirm: true } }),
}
