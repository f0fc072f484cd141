/**
 * The dashboard's page table: every page folder, the paths it answers and its entry in
 * the main navigation. Three readers: the app picks the page of the current path
 * (app.tsx), the header lists the navigation (components/Header.tsx), and the server
 * answers these paths with the app's shell (dashboard/routes.ts).
 *
 * Plain data, no Preact: the server imports this module, and whatever it imports is
 * compiled into the server. The browser's half, the page component loaded on first visit,
 * is in pages/index.ts under the same name; the type there requires one for every name.
 *
 * Paths are Elysia patterns: exact (`/insights`) or a prefix (`/alerts/*`: anything below
 * /alerts/). A page with `params` (`/issues/:fingerprint`) receives the named parts; a path
 * under its prefix that does not fit the pattern shows "not found".
 */
import { match } from '../lib/paths'
import { route as alerts } from './alerts/route'
import { route as insights } from './insights/route'
import { route as issue } from './issue/route'
import { route as issues } from './issues/route'
import * as llm from './llm/route'
import { route as settings } from './settings/route'

export interface NavEntry {
  label: string
  href: string
  /** Place in the navigation, lowest first. */
  order: number
  /** Whether the entry is the current one on `path`. */
  active: (path: string) => boolean
}

export interface PageRoute {
  /** What the server answers with the shell and the app shows this page on. */
  paths: string[]
  /** A pattern with named parts (`/issues/:fingerprint`) the page receives as `params`. */
  params?: string
  /** Its entry in the main navigation; none for a page reached from another (an issue). */
  nav?: NavEntry
  /**
   * Where to go when the project is switched on `path`, for a view of one item (an issue,
   * a rule), which belongs to one project; null or absent: stay, with the new project.
   */
  onProjectSwitch?: (path: string) => string | null
}

/** What every page component receives: the named parts of its route's `params`. */
export interface PageProps {
  params: Record<string, string>
}

export const ROUTES = {
  issues,
  issue,
  alerts,
  insights,
  settings,
  llm: llm.overview,
  llmTraces: llm.traces,
  llmTrace: llm.trace,
  llmSessions: llm.sessions,
  llmSession: llm.session,
  llmPrompts: llm.prompts,
  llmModels: llm.models,
  llmSettings: llm.settings,
  llmExperiments: llm.experiments,
} satisfies Record<string, PageRoute>

export type PageName = keyof typeof ROUTES

const entries = Object.entries(ROUTES) as [PageName, PageRoute][]

/** Every path the server answers with the app's shell. */
export const SHELL_PATHS: string[] = entries.flatMap(([, r]) => r.paths)

/** The main navigation, in order. */
export const NAV: NavEntry[] = entries
  .flatMap(([, r]) => (r.nav ? [r.nav] : []))
  .sort((a, b) => a.order - b.order)

function covers(pattern: string, path: string): boolean {
  return pattern.endsWith('/*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path
}

/** The page of a path and its params, or null for "not found". */
export function pageAt(
  path: string,
): { name: PageName; route: PageRoute; params: Record<string, string> } | null {
  for (const [name, route] of entries) {
    if (!route.paths.some((p) => covers(p, path))) continue
    const params = route.params ? match(route.params, path) : {}
    return params ? { name, route, params } : null
  }
  return null
}
