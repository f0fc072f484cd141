/**
 * The list API's `query=` (search.ts) turned into the list query's filters: the built-ins
 * join the list's own parameters (the same value twice is fine, two different values are
 * a 400, since an issue list cannot have two statuses), the rest becomes SQL conditions
 * (search.sql.ts). A query that does not parse is a 400 naming the position of the first
 * problem, on the `query` field.
 */
import { AppError } from '../http/errors'
import type { IssueFilters } from './queries'
import { describeSearchError, parseSearch, type SearchFilter } from './search'
import { searchConditions } from './search.sql'

type Listed = Omit<IssueFilters, 'projectIds' | 'search'> & { query?: string }

const MERGED = ['status', 'release', 'environment', 'source', 'route'] as const

export function withSearch<Q extends Listed>(q: Q): Q & Pick<IssueFilters, 'search'> {
  if (q.query === undefined || q.query.trim() === '') return q
  const parsed = parseSearch(q.query)
  if (!parsed.ok) {
    throw new AppError('invalid_query', describeSearchError(parsed.errors[0] as (typeof parsed.errors)[0]), {
      field: 'query',
    })
  }
  const f: SearchFilter = parsed.filter
  if (f.assigned !== undefined) {
    // The assignment filter belongs to the list query of assignments (docs/decisions.md, "Search").
    throw new AppError(
      'invalid_query',
      'query: assignment filters (is:assigned, assigned:) are not available',
      {
        field: 'query',
      },
    )
  }
  const out: Q & Pick<IssueFilters, 'search'> = { ...q, search: searchConditions(f) }
  for (const key of MERGED) {
    const v = f[key]
    if (v === undefined) continue
    if (q[key] !== undefined && q[key] !== v) {
      throw new AppError('invalid_query', `query: ${key}:${v} contradicts the ${key} parameter (${q[key]})`, {
        field: 'query',
      })
    }
    ;(out as Record<string, unknown>)[key] = v
  }
  return out
}
