import type { PageRoute } from '../routes'

/** One issue; the URL alert messages link to. In the navigation it is under Issues. */
export const route: PageRoute = {
  paths: ['/issues/*'],
  params: '/issues/:fingerprint',
  // An issue belongs to one project: switching goes to the list of the other.
  onProjectSwitch: () => '/',
}
