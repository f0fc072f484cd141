/**
 * What the list query adds for a parsed search (search.ts): SQL conditions over the issue
 * row `i`, with their bound values. The built-ins the list already filters on (status,
 * release, environment, source, route) are merged into its filters by the route; this
 * adds the rest:
 *
 * - free text: each word or phrase in error type, message or route (LIKE, escaped);
 * - `user:<hash>`: the issues with a raw event of that user (the `raw_events_user`
 *   index), so within the raw events' retention window;
 * - `key:value` tags: the issues whose `issue_tags` hold that value (`issue_tags_value`).
 *
 * `assigned` is left to the list query of the assignment feature.
 */
import type { SearchFilter } from './search'

export interface SqlPart {
  where: string[]
  params: string[]
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export function searchConditions(f: Pick<SearchFilter, 'text' | 'tags' | 'user'>): SqlPart {
  const where: string[] = []
  const params: string[] = []
  for (const word of f.text) {
    where.push(
      `(i.error_type LIKE ? ESCAPE '\\' OR i.message LIKE ? ESCAPE '\\' OR coalesce(i.route_or_procedure, '') LIKE ? ESCAPE '\\')`,
    )
    const p = like(word)
    params.push(p, p, p)
  }
  // A merged issue's rows count for its target (merge.ts), as in the list's aggregates.
  if (f.user !== undefined) {
    where.push(
      `i.fingerprint IN (SELECT coalesce(m.target, r.fingerprint) FROM raw_events r INDEXED BY raw_events_user
                         LEFT JOIN issue_merges m ON m.project_id = r.project_id AND m.fingerprint = r.fingerprint
                         WHERE r.project_id = i.project_id AND r.user_id_hash = ?)`,
    )
    params.push(f.user)
  }
  for (const t of f.tags) {
    where.push(
      `i.fingerprint IN (SELECT coalesce(m.target, t.fingerprint) FROM issue_tags t INDEXED BY issue_tags_value
                         LEFT JOIN issue_merges m ON m.project_id = t.project_id AND m.fingerprint = t.fingerprint
                         WHERE t.project_id = i.project_id AND t.key = ? AND t.value = ?)`,
    )
    params.push(t.key, t.value)
  }
  return { where, params }
}
