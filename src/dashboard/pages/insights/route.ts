import type { PageRoute } from '../routes'

/** Analytics: spikes, movers, correlations, releases, environments. */
export const route: PageRoute = {
  paths: ['/insights'],
  nav: { label: 'Insights', href: '/insights', order: 30, active: (p) => p === '/insights' },
}
