import type { PageRoute } from '../routes'

/** The issues list, the landing page. */
export const route: PageRoute = {
  paths: ['/'],
  nav: { label: 'Issues', href: '/', order: 10, active: (p) => p === '/' || p.startsWith('/issues/') },
}
