import type { PageRoute } from '../routes'

/** Settings, one section per `/settings/<section>` (the page routes within itself). */
export const route: PageRoute = {
  paths: ['/settings', '/settings/*'],
  nav: { label: 'Settings', href: '/settings/projects', order: 40, active: (p) => p.startsWith('/settings') },
}
