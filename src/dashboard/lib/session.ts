/**
 * Who is signed in and which projects exist: loaded once at start, refreshed after a
 * project changes; and signing out. These are the app shell's own calls; each page's
 * calls sit in its folder (pages/<name>/api.ts). The selected project is the `project`
 * query parameter (a slug), so it is part of every shareable URL; empty means all projects.
 */
import { computed, signal } from '@preact/signals'
import { api } from './api'
import { route } from './router'
import type { AuthStatus, Project, User } from './types'

export const me = signal<User | null>(null)
export const projects = signal<Project[]>([])

export const isAdmin = computed(() => me.value?.is_admin === true)

/** The selected project's slug from the URL, when it names a known project. */
export const projectSlug = computed(() => {
  const slug = route.value.query.get('project')
  return slug && projects.value.some((p) => p.slug === slug) ? slug : null
})

export const selectedProject = computed(
  () => projects.value.find((p) => p.slug === projectSlug.value) ?? null,
)

export function projectName(id: string): string {
  return projects.value.find((p) => p.id === id)?.name ?? id
}
export function projectSlugOf(id: string): string {
  return projects.value.find((p) => p.id === id)?.slug ?? id
}

const listProjects = () => api<Project[]>('/v1/projects')

export async function loadSession(): Promise<void> {
  const [status, list] = await Promise.all([api<AuthStatus>('/auth/status'), listProjects()])
  me.value = status.user
  projects.value = list
}

export async function reloadProjects(): Promise<void> {
  projects.value = await listProjects()
}

/** Ends the session and goes to the sign-in page. */
export async function signOut(): Promise<void> {
  await api<{ status: string }>('/auth/logout', { method: 'POST', body: {} })
  location.assign('/auth/login')
}
