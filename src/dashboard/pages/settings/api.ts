/**
 * The settings sections' calls: projects and their keys, tokens, users and invites,
 * source maps, retention, and the signed-in user's own passkeys. The issues page's setup
 * guide reads a project's key with `projects.key`.
 */
import { api } from '../../lib/api'
import type {
  AdminUser,
  Invite,
  NewInvite,
  NewToken,
  Page,
  Passkey,
  Project,
  ProjectWithKey,
  RetentionReport,
  RetentionView,
  Scope,
  SourceMap,
  Token,
} from '../../lib/types'

const enc = encodeURIComponent

export const projects = {
  create: (name: string, slug: string) => api<ProjectWithKey>('/v1/projects', { body: { name, slug } }),
  rename: (slug: string, name: string) =>
    api<Project>(`/v1/projects/${enc(slug)}`, { method: 'PUT', body: { name } }),
  remove: (slug: string) => api<{ deleted: boolean }>(`/v1/projects/${enc(slug)}`, { method: 'DELETE' }),
  rotateKey: (slug: string) =>
    api<ProjectWithKey>(`/v1/projects/${enc(slug)}/rotate-key`, { method: 'POST' }),
  key: (slug: string) => api<{ id: string; slug: string; api_key: string }>(`/v1/projects/${enc(slug)}/key`),
}

/** What a passkey registration starts with: the challenge to answer and the options. */
export interface Started {
  challenge_id: string
  // biome-ignore lint/suspicious/noExplicitAny: the options JSON goes straight to @simplewebauthn/browser
  options: any
}

export const passkeys = {
  list: () => api<Passkey[]>('/auth/passkeys'),
  start: (name: string) => api<Started>('/auth/passkeys/register/start', { body: name ? { name } : {} }),
  finish: (challengeId: string, credential: unknown) =>
    api<Passkey>('/auth/passkeys/register/finish', { body: { challenge_id: challengeId, credential } }),
  rename: (id: string, name: string) =>
    api<Passkey>(`/auth/passkeys/${enc(id)}`, { method: 'PATCH', body: { name } }),
  remove: (id: string) => api<{ deleted: boolean }>(`/auth/passkeys/${enc(id)}`, { method: 'DELETE' }),
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
