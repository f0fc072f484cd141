/**
 * The issues list's filters as they live in the URL, pure. Missing parameters take the
 * defaults (unresolved issues, newest activity first), so `/` is the triage view and a
 * filtered URL is shareable. The search box's text travels as `q`, parsed by the API. `range` limits by last seen and sets the volume chart's span.
 */
import type { IssueFilters, IssueStatus } from '../../lib/types'

export const PAGE_SIZE = 50
export const SPARK_HOURS = 24

export const RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000, chartHours: 24 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, chartHours: 24 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, chartHours: 168 },
  '14d': { label: 'Last 14 days', ms: 14 * 86_400_000, chartHours: 336 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, chartHours: 720 },
} as const
export type Range = keyof typeof RANGES

export const STATUSES: (IssueStatus | 'all')[] = ['unresolved', 'resolved', 'ignored', 'muted', 'all']
export const SORTS = {
  last_seen: 'Last seen',
  first_seen: 'First seen',
  total_count: 'Events',
  users_count: 'Users',
} as const
export type Sort = keyof typeof SORTS

export const ASSIGNED = { '': 'Anyone', me: 'Assigned to me', any: 'Assigned', none: 'Unassigned' } as const
export type Assigned = keyof typeof ASSIGNED

export interface ViewFilters {
  status: IssueStatus | 'all'
  assigned: Assigned
  release: string
  environment: string
  source: string
  route: string
  /** The search box (errors/search.ts), `q` in the URL. */
  q: string
  range: Range | ''
  sort: Sort
  offset: number
}

const oneOf = <T extends string>(v: string | null, allowed: readonly T[], fallback: T): T =>
  v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : fallback

export function readFilters(q: URLSearchParams): ViewFilters {
  const offset = Number(q.get('offset') ?? 0)
  return {
    status: oneOf(q.get('status'), STATUSES, 'unresolved'),
    assigned: oneOf(q.get('assigned'), Object.keys(ASSIGNED) as Assigned[], ''),
    release: q.get('release') ?? '',
    environment: q.get('environment') ?? '',
    source: q.get('source') ?? '',
    route: q.get('route') ?? '',
    q: q.get('q') ?? '',
    range: oneOf(q.get('range'), Object.keys(RANGES) as Range[], '' as Range),
    sort: oneOf(q.get('sort'), Object.keys(SORTS) as Sort[], 'last_seen'),
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  }
}

/** The URL parameters of a filter set: defaults are left out. */
export function filterParams(f: Partial<ViewFilters>): Record<string, string | null> {
  return {
    status: f.status === undefined || f.status === 'unresolved' ? null : f.status,
    assigned: f.assigned || null,
    release: f.release || null,
    environment: f.environment || null,
    source: f.source || null,
    route: f.route || null,
    q: f.q || null,
    range: f.range || null,
    sort: f.sort === undefined || f.sort === 'last_seen' ? null : f.sort,
    offset: f.offset ? String(f.offset) : null,
  }
}

/** True when anything narrows the list beyond the default view. */
export function narrowed(f: ViewFilters): boolean {
  return (
    f.status !== 'unresolved' ||
    Boolean(f.assigned || f.release || f.environment || f.source || f.route || f.q || f.range)
  )
}

export function apiQuery(f: ViewFilters, project: string | null, now: number): IssueFilters {
  return {
    project_id: project ?? undefined,
    status: f.status === 'all' ? undefined : f.status,
    assigned: f.assigned || undefined,
    release: f.release || undefined,
    environment: f.environment || undefined,
    source: f.source || undefined,
    route: f.route || undefined,
    query: f.q || undefined,
    since: f.range ? now - RANGES[f.range].ms : undefined,
    sort: f.sort,
    limit: PAGE_SIZE,
    offset: f.offset,
    trend_hours: SPARK_HOURS,
  }
}

export function chartHours(f: ViewFilters): number {
  return f.range ? RANGES[f.range].chartHours : 72
}
