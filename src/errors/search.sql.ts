/**
 * What the list query adds for a parsed search (search.ts): SQL conditions over the issue
 * row `i`, with their bound values. The built-ins the list already filters on (status,
 * release, environment, source, route, assignment) are merged into its filters by the
 * route (search.route.ts); this adds the rest:
 *
 * - free text: each word or phrase in error type, message or route (LIKE, escaped);
 * - `user:<hash>`: the issues that user hit (`issue_users`, which the fold keeps: one row
 *   per issue and user, kept with the issue like its users-affected total);
 * - `key:value` tags: the issues whose `issue_tags` hold that value (`issue_tags_value`).
 *
 * A merged issue's rows count for its target (merge.ts). The tag and user subqueries name
 * each project in reach rather than following `i`: a subquery tied to the outer row was
 * re-run for every issue (70 ms at 10,000 issues, against 4 ms; docs/benchmarks.md).
 */
import type { SearchFilter } from './search'

export interface SqlPart {
  where: string[]
  params: string[]
  /** A tag or user condition: few issues match, so the list starts from them (queries.ts). */
  narrows?: boolean
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * `i`, in one of the projects, is an issue `own` selects there or the target of a merged
 * issue `merged` selects; both take the project and then `values`.
 */
function inEachProject(projectIds: string[], own: string, merged: string, values: string[]): SqlPart {
  const parts = projectIds.map(
    () => `(i.project_id = ? AND (i.fingerprint IN (${own}) OR i.fingerprint IN (${merged})))`,
  )
  return {
    where: [`(${parts.join(' OR ')})`],
    params: projectIds.flatMap((p) => [p, p, ...values, p, ...values]),
  }
}

export function searchConditions(
  f: Pick<SearchFilter, 'text' | 'tags' | 'user'>,
  projectIds: string[],
): SqlPart {
  const where: string[] = []
  const params: string[] = []
  const add = (p: SqlPart) => {
    where.push(...p.where)
    params.push(...p.params)
  }
  for (const word of f.text) {
    where.push(
      `(i.error_type LIKE ? ESCAPE '\\' OR i.message LIKE ? ESCAPE '\\' OR coalesce(i.route_or_procedure, '') LIKE ? ESCAPE '\\')`,
    )
    const p = like(word)
    params.push(p, p, p)
  }
  if (projectIds.length === 0) return { where, params }
  if (f.user !== undefined) {
    add(
      inEachProject(
        projectIds,
        'SELECT u.fingerprint FROM issue_users u WHERE u.project_id = ? AND u.user_id_hash = ?',
        `SELECT m.target FROM issue_merges m JOIN issue_users u
           ON u.project_id = m.project_id AND u.fingerprint = m.fingerprint
         WHERE m.project_id = ? AND u.user_id_hash = ?`,
        [f.user],
      ),
    )
  }
  for (const t of f.tags) {
    add(
      inEachProject(
        projectIds,
        'SELECT t.fingerprint FROM issue_tags t INDEXED BY issue_tags_value WHERE t.project_id = ? AND t.key = ? AND t.value = ?',
        `SELECT m.target FROM issue_merges m JOIN issue_tags t
           ON t.project_id = m.project_id AND t.fingerprint = m.fingerprint
         WHERE m.project_id = ? AND t.key = ? AND t.value = ?`,
        [t.key, t.value],
      ),
    )
  }
  return { where, params, narrows: f.user !== undefined || f.tags.length > 0 }
}
