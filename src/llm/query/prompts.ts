/**
 * Prompts and their versions, from the traces that name them (`prompt_name`,
 * `prompt_version`), through the (project, prompt_name, prompt_version, started_at) index.
 * Averages leave unknown values out (a trace without a known cost or end is not a zero)
 * and are null when nothing was known; error rates are fractions of traces.
 */
import type { Queryable } from '../../storage/backend'
import { Where } from './sql'
import type { Window } from './window'

const round = (v: number | null) => (v === null ? null : Math.round(v))

export async function listPrompts(db: Queryable, projectIds: readonly string[], w: Window, limit: number) {
  const where = new Where(projectIds).add('prompt_name IS NOT NULL').add('started_at >= ?', w.since)
  const rows = await db.all<{
    name: string
    version_count: number
    total_traces: number
    avg_cost_micros: number | null
    errors: number
    first_seen: number
    last_seen: number
  }>(
    `SELECT prompt_name AS name, count(DISTINCT prompt_version) AS version_count, count(*) AS total_traces,
            avg(cost_micros) AS avg_cost_micros, count(CASE WHEN status = 'error' THEN 1 END) AS errors,
            min(started_at) AS first_seen, max(started_at) AS last_seen
       FROM llm_traces INDEXED BY llm_traces_prompt_stats WHERE ${where.sql}
      GROUP BY prompt_name ORDER BY total_traces DESC, prompt_name COLLATE BINARY LIMIT ?`,
    [...where.params, limit],
  )
  return {
    prompts: rows.map(({ errors, ...r }) => ({
      ...r,
      avg_cost_micros: round(r.avg_cost_micros),
      error_rate: errors / r.total_traces,
    })),
    window_hours: w.hours,
  }
}

/** A version's figures; `count(CASE ...)` rather than `sum()` of a comparison, which PostgreSQL refuses. */
const VERSION_SUMS = `count(*) AS trace_count, avg(cost_micros) AS avg_cost_micros,
  avg(duration_ms) AS avg_latency_ms, count(CASE WHEN status = 'error' THEN 1 END) AS errors, avg(input_tokens) AS avg_input_tokens,
  avg(output_tokens) AS avg_output_tokens, min(started_at) AS first_seen, max(started_at) AS last_seen`

interface VersionRow {
  version: string | null
  trace_count: number
  avg_cost_micros: number | null
  avg_latency_ms: number | null
  errors: number | null
  avg_input_tokens: number | null
  avg_output_tokens: number | null
  first_seen: number | null
  last_seen: number | null
}

function versionEntry({ errors, ...r }: VersionRow) {
  return {
    ...r,
    avg_cost_micros: round(r.avg_cost_micros),
    error_rate: r.trace_count > 0 ? (errors ?? 0) / r.trace_count : 0,
  }
}

export async function promptVersions(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  name: string,
  limit: number,
) {
  const where = new Where(projectIds).add('prompt_name = ?', name).add('started_at >= ?', w.since)
  const rows = await db.all<VersionRow>(
    `SELECT prompt_version AS version, ${VERSION_SUMS} FROM llm_traces INDEXED BY llm_traces_prompt_stats
      WHERE ${where.sql} GROUP BY prompt_version ORDER BY last_seen DESC, prompt_version COLLATE BINARY NULLS FIRST LIMIT ?`,
    [...where.params, limit],
  )
  return { name, versions: rows.map(versionEntry), window_hours: w.hours }
}

/** Two versions side by side; a version without traces in the window has zero traces and null averages. */
export async function compareVersions(
  db: Queryable,
  projectIds: readonly string[],
  w: Window,
  name: string,
  v1: string,
  v2: string,
) {
  const one = async (version: string) => {
    const where = new Where(projectIds)
      .add('prompt_name = ?', name)
      .add('prompt_version = ?', version)
      .add('started_at >= ?', w.since)
    const row = (await db.get<VersionRow>(
      `SELECT ${VERSION_SUMS} FROM llm_traces INDEXED BY llm_traces_prompt_stats WHERE ${where.sql}`,
      where.params,
    )) as VersionRow
    return versionEntry({ ...row, version })
  }
  const [a, b] = await Promise.all([one(v1), one(v2)])
  return { name, v1: a, v2: b, window_hours: w.hours }
}
