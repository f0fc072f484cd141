/**
 * The issue list's search language (docs/decisions.md, "Search"), parsed here and nowhere
 * else. Pure, no imports: the dashboard bundles it to explain a query as it is typed, and
 * the list API (`GET /v1/errors?query=`) parses the same text into the same filter.
 *
 *   is:unresolved release:1.2.3 environment:prod user:<hash> assigned:me browser:Chrome TypeError "read timeout"
 *
 * - Terms are separated by spaces. `key:value` is a filter, anything else free text.
 *   A value (or a free-text phrase) may be quoted: `route:"/a b"`, `"read timeout"`.
 * - `is:` takes a status (`unresolved`, `resolved`, `ignored`, `muted`) or `assigned` /
 *   `unassigned`; `assigned:` takes `me`, `none` or a user (id or username). They become
 *   the filter's `assigned` field, which search.route.ts hands to the assignment list query.
 * - `release:`, `environment:` (or `env:`), `source:`, `route:`, `user:` are built-ins;
 *   any other key is a tag (`browser:Chrome`, `os:Linux`, a Sentry tag, a metadata key).
 *   Repeating a built-in is an error (an issue has one status per query); tags add up.
 * - Free text matches error type, message and route, each word (or phrase) on its own,
 *   all of them together, case-insensitively.
 *
 * Errors carry the position (0-based character offset) and length of the term at fault,
 * so the dashboard can underline it.
 */

export type SearchStatus = 'unresolved' | 'resolved' | 'ignored' | 'muted'

/** Who an issue is assigned to, as asked: the current user, anyone, nobody, or one user. */
export type AssignedFilter =
  | { kind: 'me' }
  | { kind: 'any' }
  | { kind: 'none' }
  | { kind: 'user'; id: string }

export interface SearchFilter {
  status?: SearchStatus
  assigned?: AssignedFilter
  release?: string
  environment?: string
  source?: string
  route?: string
  /** A `user_id_hash`, exactly as stored. */
  user?: string
  /** `key:value` pairs over the tag values; every one must match. */
  tags: { key: string; value: string }[]
  /** Words and phrases over error type, message and route; every one must match. */
  text: string[]
}

export interface SearchError {
  position: number
  length: number
  message: string
}

export type SearchResult = { ok: true; filter: SearchFilter } | { ok: false; errors: SearchError[] }

/** Longest accepted query, in characters. */
export const MAX_QUERY_CHARS = 512
/** Most terms in one query: each becomes a condition of the list query. */
export const MAX_TERMS = 20
/** Tag keys as stored (tags.ts); a longer key cannot match anything. */
const MAX_KEY_CHARS = 64

const STATUSES = new Set<string>(['unresolved', 'resolved', 'ignored', 'muted'])
const BUILTINS = {
  release: 'release',
  environment: 'environment',
  env: 'environment',
  source: 'source',
  route: 'route',
  user: 'user',
} as const
const KEY = /^[A-Za-z0-9_.-]+$/

interface Term {
  position: number
  length: number
  key: string | null
  value: string
}

/** Splits the query into terms; an unterminated quote is an error at its quote. */
function terms(query: string, errors: SearchError[]): Term[] {
  const out: Term[] = []
  let i = 0
  while (i < query.length) {
    if (query[i] === ' ' || query[i] === '\t') {
      i++
      continue
    }
    const start = i
    let key: string | null = null
    // A key is the run up to the first ':' of a term that does not start with a quote.
    if (query[i] !== '"') {
      let j = i
      while (
        j < query.length &&
        query[j] !== ' ' &&
        query[j] !== '\t' &&
        query[j] !== ':' &&
        query[j] !== '"'
      )
        j++
      if (query[j] === ':' && j > i) {
        key = query.slice(i, j)
        i = j + 1
      }
    }
    let value: string
    if (query[i] === '"') {
      const close = query.indexOf('"', i + 1)
      if (close === -1) {
        errors.push({ position: i, length: query.length - i, message: 'unterminated quote: add a closing "' })
        return out
      }
      value = query.slice(i + 1, close)
      i = close + 1
    } else {
      let j = i
      while (j < query.length && query[j] !== ' ' && query[j] !== '\t') j++
      value = query.slice(i, j)
      i = j
    }
    out.push({ position: start, length: i - start, key, value })
  }
  return out
}

export function parseSearch(query: string): SearchResult {
  const errors: SearchError[] = []
  if (query.length > MAX_QUERY_CHARS) {
    return {
      ok: false,
      errors: [
        {
          position: MAX_QUERY_CHARS,
          length: query.length - MAX_QUERY_CHARS,
          message: `the query is longer than ${MAX_QUERY_CHARS} characters`,
        },
      ],
    }
  }
  const list = terms(query, errors)
  const filter: SearchFilter = { tags: [], text: [] }
  if (list.length > MAX_TERMS) {
    const t = list[MAX_TERMS] as Term
    errors.push({
      position: t.position,
      length: query.length - t.position,
      message: `at most ${MAX_TERMS} terms`,
    })
  }
  const fail = (t: Term, message: string) => errors.push({ position: t.position, length: t.length, message })
  const once = (t: Term, name: keyof SearchFilter, set: () => void) => {
    if (filter[name] !== undefined) fail(t, `${name} is given twice; an issue matches one at a time`)
    else set()
  }
  for (const t of list.slice(0, MAX_TERMS)) {
    if (t.key === null) {
      if (t.value.trim() !== '') filter.text.push(t.value.trim())
      continue
    }
    const key = t.key.toLowerCase()
    if (t.value === '') {
      fail(t, `${t.key}: needs a value`)
      continue
    }
    if (key === 'is') {
      const v = t.value.toLowerCase()
      if (STATUSES.has(v)) once(t, 'status', () => (filter.status = v as SearchStatus))
      else if (v === 'assigned') once(t, 'assigned', () => (filter.assigned = { kind: 'any' }))
      else if (v === 'unassigned') once(t, 'assigned', () => (filter.assigned = { kind: 'none' }))
      else
        fail(t, `is:${t.value} is unknown; use unresolved, resolved, ignored, muted, assigned or unassigned`)
      continue
    }
    if (key === 'assigned') {
      const v = t.value.toLowerCase()
      const a: AssignedFilter =
        v === 'me' ? { kind: 'me' } : v === 'none' ? { kind: 'none' } : { kind: 'user', id: t.value }
      once(t, 'assigned', () => (filter.assigned = a))
      continue
    }
    const builtin = BUILTINS[key as keyof typeof BUILTINS]
    if (builtin !== undefined) {
      once(t, builtin, () => (filter[builtin] = t.value))
      continue
    }
    if (!KEY.test(t.key) || t.key.length > MAX_KEY_CHARS) {
      fail(t, `${t.key} is not a tag name (letters, digits, _ . - up to ${MAX_KEY_CHARS})`)
      continue
    }
    filter.tags.push({ key: t.key, value: t.value })
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, filter }
}

/** One line for an API error: the first problem with its position. */
export function describeSearchError(e: SearchError): string {
  return `query at character ${e.position + 1}: ${e.message}`
}
