/**
 * Prompts and their versions, from the traces that name them (`prompt_name`,
 * `prompt_version`), through the (project, prompt_name, prompt_version, started_at) index.
 * Averages leave unknown values out (a trace without a known cost or end is not a zero)
 * and are null when nothing was known; error rates are fractions of traces.
 */
import type { Db } from '../../storage/db'
import { type Param, Where } from './sql'
import type { Window } from './window'

const round = (v: number | null) => (v === null ? null : Math.round(v))

export function listPrompts(db: Db, projectIds: readonly string[], w: Window, limit: number) {
  const where = new Where(projectIds).add('prompt_name IS NOT NULL').add('started_at >= ?', w.since)
  const rows = db
    .query<
      {
        name: string
        version_count: number
        total_traces: number
        avg_cost_micros: number | null
        errors: number
        first_seen: number
        last_seen: number
      },
      Param[]
    >(
      `SELECT prompt_name AS name, count(DISTINCT prompt_version) AS version_count, count(*) AS total_traces,
              avg(cost_micros) AS avg_cost_micros, sum(status = 'error') AS errors,
              min(started_at) AS first_seen, max(started_at) AS last_seen
         FROM llm_traces INDEXED BY llm_traces_prompt_stats WHERE ${where.sql}
        GROUP BY prompt_name ORDER BY total_traces DESC, name LIMIT ?`,
    )
    .all(...where.params, limit)
  return {
    prompts: rows.map(({ errors, ...r }) => ({
      ...r,
      avg_cost_micros: round(r.avg_cost_micros),
      error_rate: errors / r.total_traces,
    })),
    window_hours: w.hours,
  }
}

const VERSION_COLS = `prompt_version AS version, count(*) AS trace_count, avg(cost_micros) AS avg_cost_micros,
  avg(duration_ms) AS avg_latency_ms, sum(status = 'error') AS errors, avg(input_tokens) AS avg_input_tokens,
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

export function promptVersions(
  db: Db,
  projectIds: readonly string[],
  w: Window,
  name: string,
  limit: number,
) {
  const where = new Where(projectIds).add('prompt_name = ?', name).add('started_at >= ?', w.since)
  const rows = db
    .query<VersionRow, Param[]>(
      `SELECT ${VERSION_COLS} FROM llm_traces INDEXED BY llm_traces_prompt_stats WHERE ${where.sql}
        GROUP BY prompt_version ORDER BY last_seen DESC, version LIMIT ?`,
    )
    .all(...where.params, limit)
  return { name, versions: rows.map(versionEntry), window_hours: w.hours }
}

/** Two versions side by side; a version without traces in the window has zero traces and null averages. */
export function compareVersions(
  db: Db,
  projectIds: readonly string[],
  w: Window,
  name: string,
  v1: string,
  v2: string,
) {
  const one = (version: string) => {
    const where = new Where(projectIds)
      .add('prompt_name = ?', name)
      .add('prompt_version = ?', version)
      .add('started_at >= ?', w.since)
    const row = db
      .query<VersionRow, Param[]>(
        `SELECT ${VERSION_COLS} FROM llm_traces INDEXED BY llm_traces_prompt_stats WHERE ${where.sql}`,
      )
      .get(...where.params) as VersionRow
    return versionEntry({ ...row, version })
  }
  return { name, v1: one(v1), v2: one(v2), window_hours: w.hours }
}
