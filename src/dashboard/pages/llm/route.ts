import type { PageRoute } from '../routes'

/**
 * The LLM section: one entry in the navigation, several pages (overview, traces, one
 * trace, models), each its own chunk so a visit loads only the page shown. The pages
 * share the sub-navigation in Nav.tsx.
 */
const active = (p: string) => p === '/llm' || p.startsWith('/llm/')

export const overview: PageRoute = {
  paths: ['/llm'],
  nav: { label: 'LLM', href: '/llm', order: 35, active },
}

export const traces: PageRoute = { paths: ['/llm/traces'] }

/** One trace belongs to one project: switching goes to the other project's list. */
export const trace: PageRoute = {
  paths: ['/llm/traces/*'],
  params: '/llm/traces/:id',
  onProjectSwitch: () => '/llm/traces',
}

export const models: PageRoute = { paths: ['/llm/models'] }

/** Content policy and budget of one project. */
export const settings: PageRoute = { paths: ['/llm/settings'] }
