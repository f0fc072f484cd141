import type { PageRoute } from '../routes'

/** Alert rules: the list, `/alerts/new` and `/alerts/:id` (the page routes within itself). */
export const route: PageRoute = {
  paths: ['/alerts', '/alerts/*'],
  nav: { label: 'Alerts', href: '/alerts', order: 20, active: (p) => p.startsWith('/alerts') },
  // A rule belongs to one project: switching goes to the rules of the other.
  onProjectSwitch: (p) => (p.startsWith('/alerts/') ? '/alerts' : null),
}
