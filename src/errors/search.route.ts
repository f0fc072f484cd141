/**
 * The list API's `query=` (search.ts) turned into the list query's filters: the built-ins
 * join the list's own parameters (the same value twice is fine, two different values are
 * a 400, since an issue list cannot have two statuses), the assignment filters become the
 * list's `assigned` parameter (or one user's id, through the directory), and the rest
 * becomes SQL conditions (search.sql.ts). A query that does not parse is a 400 naming the
 * position of the first problem, on the `query` field.
 */
import { AppError } from '../http/errors'
import type { ListQuery } from './model'
import { describeSearchError, parseSearch, type SearchFilter } from './search'
import type { SqlPart } from './search.sql'
import { searchConditions } from './search.sql'
import type { Directory } from './triage.read'

const MERGED = ['status', 'release', 'environment', 'source', 'route'] as const

const invalid = (message: string) => new AppError('invalid_query', message, { field: 'query' })

export interface Searched {
  /** The list query with the search's built-ins and assignment merged in. */
  q: ListQuery
  search?: SqlPart
  /** `assigned:<user>`: that user's id. */
  assigneeId?: string
}

export async function withSearch(
  q: ListQuery,
  directory: Pick<Directory, 'user'>,
  projectIds: string[],
): Promise<Searched> {
  if (q.query === undefined || q.query.trim() === '') return { q }
  const parsed = parseSearch(q.query)
  if (!parsed.ok) throw invalid(describeSearchError(parsed.errors[0] as (typeof parsed.errors)[0]))
  const f: SearchFilter = parsed.filter
  const out: ListQuery = { ...q }
  for (const key of MERGED) {
    const v = f[key]
    if (v === undefined) continue
    if (q[key] !== undefined && q[key] !== v)
      throw invalid(`query: ${key}:${v} contradicts the ${key} parameter (${q[key]})`)
    ;(out as Record<string, unknown>)[key] = v
  }
  let assigneeId: string | undefined
  if (f.assigned !== undefined) {
    if (q.assigned !== undefined)
      throw invalid('query: an assignment filter and the assigned parameter together')
    if (f.assigned.kind === 'user') {
      const user = await directory.user(f.assigned.id)
      if (!user) throw invalid(`query: assigned:${f.assigned.id} names no user`)
      assigneeId = user.id
    } else out.assigned = f.assigned.kind
  }
  return {
    q: out,
    search: searchConditions(f, projectIds),
    ...(assigneeId === undefined ? {} : { assigneeId }),
  }
}
