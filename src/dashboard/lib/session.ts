/**
 * Who is signed in and which projects exist: loaded once at start, refreshed after a
 * project changes. The selected project is the `project` query parameter (a slug), so it
 * is part of every shareable URL; empty means all projects.
 */
import { computed, signal } from '@preact/signals'
import { auth, projects as projectsApi } from './client'
import { route } from './router'
import type { Project, User } from './types'

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

export async function loadSession(): Promise<void> {
  const [status, list] = await Promise.all([auth.status(), projectsApi.list()])
  me.value = status.user
  projects.value = list
}

export async function reloadProjects(): Promise<void> {
  projects.value = await projectsApi.list()
}
