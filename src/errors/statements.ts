/**
 * The SQL of the errors write path, one text for both backends (portable SQL,
 * docs/ARCHITECTURE.md "Storage backends"), and the event columns they bind in order: a
 * raw event row and a sample row hold the same fields.
 */
import { placeholders } from '../storage/db'

export const EVENT_COLUMNS = [
  'project_id',
  'fingerprint',
  'timestamp',
  'received_at',
  'source',
  'environment',
  'release',
  'app_version',
  'build_number',
  'route_or_procedure',
  'screen',
  'error_type',
  'message',
  'stack',
  'http_status',
  'request_id',
  'user_id_hash',
  'device_id_hash',
  'metadata',
  'event_id',
  'level',
  'breadcrumbs',
] as const

export const SAMPLE_COLUMNS = EVENT_COLUMNS.filter((c) => c !== 'received_at')

const COLUMNS = EVENT_COLUMNS.join(', ')

/**
 * A statement of many rows at once: `head`, then `tuple` once per row (comma-separated),
 * then `tail`. One statement per BULK_ROWS rows: on PostgreSQL a batch's rows of one kind
 * cost a statement or a few instead of one each (each statement is what its server pays
 * for), and SQLite binds them as fast as one row a statement. The rows of one call never
 * share a conflict key (an upsert may touch a row once per statement on PostgreSQL): the
 * commit groups them in memory first.
 */
export interface Bulk {
  head: string
  tuple: string
  tail: string
}

export const BULK_ROWS = 100

const texts = new Map<Bulk, string[]>()

/** The text of `b` for `n` rows (1..BULK_ROWS), built once. */
export function bulkSql(b: Bulk, n: number): string {
  let t = texts.get(b)
  if (!t) {
    t = []
    texts.set(b, t)
  }
  let sql = t[n]
  if (!sql) {
    sql = `${b.head} ${Array.from({ length: n }, () => b.tuple).join(', ')} ${b.tail}`
    t[n] = sql
  }
  return sql
}

/** The row statements of the commit (bulkSql). */
export const BULK = {
  insertRaw: {
    head: `INSERT INTO raw_events (${COLUMNS}) VALUES`,
    tuple: `(${placeholders(EVENT_COLUMNS.length)})`,
    tail: 'RETURNING id',
  },
  insertIssue: {
    head: `INSERT INTO issues (project_id, fingerprint, error_type, message, source, route_or_procedure, screen,
       status, total_count, first_seen, last_seen, last_release, last_environment) VALUES`,
    tuple: "(?, ?, ?, ?, ?, ?, ?, 'unresolved', ?, ?, ?, ?, ?)",
    tail: '',
  },
  insertHistory: {
    head: 'INSERT INTO status_changes (project_id, fingerprint, old_status, new_status, changed_by, changed_at) VALUES',
    tuple: '(?, ?, ?, ?, ?, ?)',
    tail: '',
  },
  upsertAggregate: {
    head: 'INSERT INTO error_aggregates (project_id, fingerprint, release, environment, total_count, first_seen, last_seen) VALUES',
    tuple: '(?, ?, ?, ?, ?, ?, ?)',
    tail: `ON CONFLICT (project_id, fingerprint, release, environment) DO UPDATE SET
       total_count = total_count + excluded.total_count,
       first_seen = min(first_seen, excluded.first_seen),
       last_seen = max(last_seen, excluded.last_seen)`,
  },
  upsertHourly: {
    head: 'INSERT INTO event_counts_hourly (project_id, fingerprint, hour_bucket, environment, source, release, count) VALUES',
    tuple: '(?, ?, ?, ?, ?, ?, ?)',
    tail: `ON CONFLICT (project_id, fingerprint, hour_bucket, environment, source, release) DO UPDATE SET
       count = count + excluded.count`,
  },
  // One row per sample: slot = (event number within the issue) mod N, so the ring always
  // holds the newest N and never needs trimming.
  upsertSample: {
    head: `INSERT INTO samples (slot, raw_event_id, captured_at, ${SAMPLE_COLUMNS.join(', ')}) VALUES`,
    tuple: `(?, ?, ?, ${placeholders(SAMPLE_COLUMNS.length)})`,
    tail: `ON CONFLICT (project_id, fingerprint, slot) DO UPDATE SET raw_event_id = excluded.raw_event_id,
       captured_at = excluded.captured_at, ${SAMPLE_COLUMNS.filter(
         (c) => c !== 'project_id' && c !== 'fingerprint',
       )
         .map((c) => `${c} = excluded.${c}`)
         .join(', ')}`,
  },
} satisfies Record<string, Bulk>

export const SQL = {
  /**
   * The Sentry event_id dedupe: a row claims (project, event_id); nothing returned means
   * the id was stored before (a resend). A key table of its own, since on PostgreSQL the
   * partitioned raw_events cannot hold that unique index (storage's migration
   * 202612021755_raw_event_ids).
   */
  claimEventId: `INSERT INTO raw_event_ids (project_id, event_id, received_at) VALUES (?, ?, ?)
     ON CONFLICT (project_id, event_id) DO NOTHING RETURNING 1 AS claimed`,
  /** Followed by the fingerprints' `(?, ...)` list. */
  getIssues: `SELECT fingerprint, status, total_count, first_seen, merged_into, resolved_release_seen, assignee_id,
       assignee_name, error_type, message, source, route_or_procedure
     FROM issues WHERE project_id = ? AND fingerprint IN`,
  updateIssue: `UPDATE issues SET total_count = total_count + ?1, last_seen = max(last_seen, ?2), last_release = ?3,
       last_environment = ?4, status = ?5,
       resolved_in_release = iif(?5 = 'resolved', resolved_in_release, NULL),
       resolved_release_seen = iif(?5 = 'resolved', resolved_release_seen, NULL)
     WHERE project_id = ?6 AND fingerprint = ?7`,
  lowerFold: 'UPDATE errors_fold SET last_raw_id = ?1 - 1 WHERE id = 1 AND last_raw_id >= ?1',
} as const
