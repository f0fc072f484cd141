/**
 * The pieces every LLM read shares: a WHERE clause built from bound parameters only (no
 * value is ever spliced into SQL text), the project scope every query starts with, and
 * the conversions of stored text to answers.
 *
 * Index choice: a bloop database has no planner statistics (nothing runs ANALYZE), and
 * without them SQLite prefers an index that gives the ORDER BY over one that finds the
 * rows: one trace's spans were read by walking every span in start order (765 ms at three
 * million spans). So the reads name their index (`INDEXED BY`), or write `ORDER BY
 * +column` where the order must not choose it (docs/llm-query.md).
 *
 * Text is ordered `COLLATE BINARY`: SQLite's byte order, which PostgreSQL's translation
 * keeps (`COLLATE "C"`) whatever collation its database was created with, so ties break
 * the same way on both backends.
 */
import type { Param } from '../../storage/backend'

export type { Param }

export class Where {
  readonly clauses: string[] = []
  readonly params: Param[] = []

  /** `project_id = ?` for one project, `IN (...)` for a session user's several. */
  constructor(projectIds: readonly string[], column = 'project_id') {
    if (projectIds.length === 0) throw new Error('expected at least one project id, got none')
    if (projectIds.length === 1) this.add(`${column} = ?`, projectIds[0] as string)
    else this.add(`${column} IN (${projectIds.map(() => '?').join(',')})`, ...projectIds)
  }

  add(clause: string, ...params: Param[]): this {
    this.clauses.push(clause)
    this.params.push(...params)
    return this
  }

  /** Adds the clause only when the value was given. */
  maybe(value: Param | undefined, clause: string, times = 1): this {
    if (value === undefined) return this
    return this.add(clause, ...Array.from({ length: times }, () => value))
  }

  get sql(): string {
    return this.clauses.join(' AND ')
  }
}

/** Stored JSON text as an answer: parsed, or the text itself when it is not JSON. */
export function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A space-separated list column (`models`, `providers`) as an array. */
export function words(text: string | null): string[] {
  return text ? text.split(' ').filter((w) => w !== '') : []
}

/** A ratio as a fraction 0-1, or 0 when nothing was counted. */
export function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0
}

/** A mean, or null when nothing was measured (unknown is not zero). */
export function mean(sum: number | null, count: number): number | null {
  return count > 0 && sum !== null ? sum / count : null
}
