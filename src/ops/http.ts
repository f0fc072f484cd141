/**
 * Labels of the per-request metrics. Both come from what the client sent, so each is
 * mapped onto a small closed set: a scanner requesting thousands of made-up paths or
 * methods must not make thousands of series (each histogram series is 16 lines of every
 * scrape, kept for the life of the process).
 */

/** `/v1/<feature>` groups that exist; any other path under /v1 is `other`. */
const V1_FEATURES = new Set([
  'admin',
  'alerts',
  'analytics',
  'errors',
  'ingest',
  'llm',
  'projects',
  'releases',
  'stats',
  'stream',
  'tokens',
  'trends',
])
/** First path segments that are one group each. */
const TOP_LEVEL: Record<string, string> = {
  health: '/health',
  metrics: '/metrics',
  auth: '/auth',
  assets: '/assets',
  // The SDK's script-tag build (src/sdk), fetched by every page that embeds it.
  sdk: '/sdk',
  // Sentry endpoints, /api/<project numeric id>/envelope/ and /store/: one group.
  api: '/api',
}
/** The dashboard's pages (the app shell), served for these first segments and `/`. */
const DASHBOARD = new Set(['', 'issues', 'alerts', 'insights', 'settings'])
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** The route group of a request path: `/v1/errors`, `/api`, `dashboard`, `other`, ... */
export function routeGroup(path: string): string {
  const parts = path.split('/', 4)
  const first = parts[1] ?? ''
  if (first === 'v1') {
    const feature = parts[2] ?? ''
    return V1_FEATURES.has(feature) ? `/v1/${feature}` : 'other'
  }
  const top = TOP_LEVEL[first]
  if (top) return top
  return DASHBOARD.has(first) ? 'dashboard' : 'other'
}

/** The method as a label: one of the standard methods, else `other`. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other'
}
