/**
 * The route walk: every route the real app registers must have an entry in the security
 * catalogue (test/security.routes.ts) with the access it declares, and the shared
 * security suite (test/security.ts) runs over every entry. A new route without a security
 * entry fails here, by name.
 */
import { expect, test } from 'bun:test'
import { type AccessKind, accessOf } from '../../src/http/access'
import { startRuntime } from '../helpers'
import { describeSecurity, type RouteAccess } from '../security'
import { SECURITY_GROUPS } from '../security.routes'

const kindOf = (a: RouteAccess): AccessKind =>
  typeof a !== 'object'
    ? a
    : 'key' in a
      ? `key:${a.key}`
      : 'exporter' in a
        ? `exporter:${a.exporter}`
        : `scope:${a.scope}`

test('every registered route has a security entry with the access it declares', async () => {
  const rt = await startRuntime()
  try {
    const registered = rt.app.routes.map((r) => `${r.method} ${r.path} ${accessOf(r)}`).sort()
    const described = SECURITY_GROUPS.flatMap((g) => g.routes)
      .map((r) => `${r.method} ${r.route} ${kindOf(r.access)}`)
      .sort()
    // Both directions: a route without an entry, and an entry for a route that is gone.
    expect({ missing: registered.filter((r) => !described.includes(r)) }).toEqual({ missing: [] })
    expect({ stale: described.filter((r) => !registered.includes(r)) }).toEqual({ stale: [] })
  } finally {
    await rt.dispose()
  }
})

for (const group of SECURITY_GROUPS) describeSecurity(group.title, group.routes, { setup: group.setup })
