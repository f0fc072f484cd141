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

export const sessions: PageRoute = { paths: ['/llm/sessions'] }

/** One session's traces in order; it belongs to one project, like a trace. */
export const session: PageRoute = {
  paths: ['/llm/sessions/*'],
  params: '/llm/sessions/:id',
  onProjectSwitch: () => '/llm/sessions',
}

/** Prompt names and their versions' figures. */
export const prompts: PageRoute = { paths: ['/llm/prompts'] }

/** Prompt experiments: variants, traffic, assignments and the comparison; a create form. */
export const experiments: PageRoute = { paths: ['/llm/experiments'] }
