/**
 * The columnar copy in DuckDB: its tables and every write to them. The feed (`feed.ts`)
 * decides what to write; this module writes it, each change in one DuckDB transaction
 * together with the feed's position, so a crash at any point leaves the copy and its
 * position consistent (no event lost, none counted twice).
 *
 * Tables:
 * - `hourly`: event counts per (project, fingerprint, hour, environment, source, release),
 *   the grain of SQLite's `event_counts_hourly`. Append-only between compactions: each
 *   feed step appends its own partial counts and queries sum them; once an hour has passed,
 *   `compact` merges its rows into one per key.
 * - `first_seen`: the first receive time per (project, fingerprint, release, environment),
 *   kept forever (it is small), so new-fingerprint detection survives raw-event retention.
 * - `feed_state`: one row: the last raw event id copied and that row's identity (to notice
 *   when SQLite reused ids after deleting the newest rows), plus the first hour not yet
 *   compacted.
 */
import type { AppendRow, Duck, Tx } from './duckdb'

/** Bumped when the tables change shape; a copy of another version is rebuilt from SQLite. */
export const SCHEMA_VERSION = 1

const HOURLY_TYPES: ('varchar' | 'bigint')[] = [
  'varchar',
  'varchar',
  'bigint',
  'varchar',
  'varchar',
  'varchar',
  'bigint',
]

export interface RawMark {
  id: number
  project_id: string
  fingerprint: string
  received_at: number
}

export interface FeedState {
  schema_version: number
  last_raw_id: number
  last_project_id: string | null
  last_fingerprint: string | null
  last_received_at: number | null
  uncompacted_from: number | null
}

/** One hourly row: project, fingerprint, hour, environment, source, release, count. */
export type HourlyRow = [string, string, number, string, string, string, number]
/** One first-seen row: project, fingerprint, release, environment, first receive time. */
export type FirstSeenRow = [string, string, string, string, number]

export async function createSchema(duck: Duck): Promise<void> {
  await duck.transaction(async (tx) => {
    await tx.run(`CREATE TABLE IF NOT EXISTS feed_state (
      schema_version INTEGER NOT NULL,
      last_raw_id BIGINT NOT NULL,
      last_project_id VARCHAR,
      last_fingerprint VARCHAR,
      last_received_at BIGINT,
      uncompacted_from BIGINT)`)
    await tx.run(`CREATE TABLE IF NOT EXISTS hourly (
      project_id VARCHAR NOT NULL,
      fingerprint VARCHAR NOT NULL,
      hour_bucket BIGINT NOT NULL,
      environment VARCHAR NOT NULL,
      source VARCHAR NOT NULL,
      release VARCHAR NOT NULL,
      count BIGINT NOT NULL)`)
    await tx.run(`CREATE TABLE IF NOT EXISTS first_seen (
      project_id VARCHAR NOT NULL,
      fingerprint VARCHAR NOT NULL,
      release VARCHAR NOT NULL,
      environment VARCHAR NOT NULL,
      first_seen BIGINT NOT NULL,
      PRIMARY KEY (project_id, fingerprint, release, environment))`)
  })
}

export async function readState(duck: Duck): Promise<FeedState | null> {
  const rows = await duck.query<FeedState>('SELECT * FROM feed_state')
  return rows[0] ?? null
}

async function writeState(
  tx: Tx,
  mark: RawMark | null,
  lastRawId: number,
  uncompactedFrom: string,
): Promise<void> {
  await tx.run(
    `UPDATE feed_state SET last_raw_id = $id::BIGINT, last_project_id = $p, last_fingerprint = $f,
       last_received_at = $t::BIGINT, uncompacted_from = ${uncompactedFrom}`,
    {
      id: lastRawId,
      p: mark?.project_id ?? null,
      f: mark?.fingerprint ?? null,
      t: mark?.received_at ?? null,
    },
  )
}

async function upsertFirstSeen(tx: Tx, rows: FirstSeenRow[]): Promise<void> {
  // In slices: one statement binds five lists, and a slice keeps them a modest size.
  for (let i = 0; i < rows.length; i += 10_000) {
    const part = rows.slice(i, i + 10_000)
    await tx.run(
      `INSERT INTO first_seen
       SELECT unnest($p::VARCHAR[]), unnest($f::VARCHAR[]), unnest($r::VARCHAR[]), unnest($e::VARCHAR[]),
              unnest($t::VARCHAR[])::BIGINT
       ON CONFLICT DO UPDATE SET first_seen = least(first_seen, excluded.first_seen)`,
      {
        p: part.map((r) => r[0]),
        f: part.map((r) => r[1]),
        r: part.map((r) => r[2]),
        e: part.map((r) => r[3]),
        t: part.map((r) => String(r[4])),
      },
    )
  }
}

/**
 * Appends one feed step: hourly partial counts, first-seen candidates and the new position,
 * atomically. `minHour` is the earliest hour appended (it becomes due for compaction).
 */
export async function appendStep(
  duck: Duck,
  step: { hourly: HourlyRow[]; firstSeen: FirstSeenRow[]; mark: RawMark; minHour: number },
): Promise<void> {
  await duck.transaction(async (tx) => {
    await tx.append('hourly', HOURLY_TYPES, step.hourly as AppendRow[])
    await upsertFirstSeen(tx, step.firstSeen)
    await writeState(
      tx,
      step.mark,
      step.mark.id,
      `least(coalesce(uncompacted_from, ${Math.floor(step.minHour)}), ${Math.floor(step.minHour)})`,
    )
  })
}

/**
 * Replaces the whole copy (first start, or after SQLite reused raw ids): `load` streams
 * SQLite's hourly counts and first-seen rows into the open transaction.
 */
export async function replaceAll(
  duck: Duck,
  load: (sink: {
    hourly(rows: HourlyRow[]): Promise<void>
    firstSeen(rows: FirstSeenRow[]): Promise<void>
  }) => Promise<{ mark: RawMark | null }>,
): Promise<void> {
  await duck.transaction(async (tx) => {
    await tx.run('DELETE FROM hourly')
    await tx.run('DELETE FROM first_seen')
    await tx.run('DELETE FROM feed_state')
    await tx.run(`INSERT INTO feed_state VALUES (${SCHEMA_VERSION}, 0, NULL, NULL, NULL, NULL)`)
    const { mark } = await load({
      hourly: (rows) => tx.append('hourly', HOURLY_TYPES, rows as AppendRow[]),
      firstSeen: (rows) => upsertFirstSeen(tx, rows),
    })
    await writeState(tx, mark, mark?.id ?? 0, 'NULL')
  })
}

/**
 * Merges the partial rows of hours in [from, before) into one row per key, and drops hours
 * older than `keepFrom` (the hourly-count retention).
 */
export async function compact(duck: Duck, from: number, before: number, keepFrom: number): Promise<void> {
  await duck.transaction(async (tx) => {
    const range = { from, before }
    await tx.run(
      `CREATE TEMP TABLE compacted AS
       SELECT project_id, fingerprint, hour_bucket, environment, source, release, sum(count)::BIGINT AS count
       FROM hourly WHERE hour_bucket >= $from::BIGINT AND hour_bucket < $before::BIGINT
       GROUP BY ALL`,
      range,
    )
    await tx.run(
      'DELETE FROM hourly WHERE hour_bucket >= $from::BIGINT AND hour_bucket < $before::BIGINT',
      range,
    )
    await tx.run('INSERT INTO hourly SELECT * FROM compacted')
    await tx.run('DROP TABLE compacted')
    await tx.run('DELETE FROM hourly WHERE hour_bucket < $keep::BIGINT', { keep: keepFrom })
    await tx.run(
      `UPDATE feed_state SET uncompacted_from = CASE WHEN uncompacted_from < $before::BIGINT
         THEN $before::BIGINT ELSE uncompacted_from END`,
      { before },
    )
  })
}

/** Events and hourly rows of `projectIds` in the copy (status endpoint, tests). */
export async function totals(
  duck: Duck,
  projectIds: readonly string[],
): Promise<{ events: number; rows: number }> {
  const rows = await duck.query<{ events: number | null; rows: number }>(
    `SELECT sum(count)::DOUBLE AS events, count(*) AS rows FROM hourly
     WHERE project_id IN (SELECT unnest($projects::VARCHAR[]))`,
    { projects: projectIds },
  )
  const r = rows[0]
  return { events: r?.events ?? 0, rows: r?.rows ?? 0 }
}

/** The copy's counts summed per (project, fingerprint, hour, environment, source, release). */
export async function hourlyByKey(duck: Duck): Promise<HourlyRow[]> {
  const rows = await duck.query<Record<string, string | number>>(
    `SELECT project_id, fingerprint, hour_bucket, environment, source, release, sum(count)::DOUBLE AS count
     FROM hourly GROUP BY ALL ORDER BY ALL`,
  )
  return rows.map(
    (r) =>
      [r.project_id, r.fingerprint, r.hour_bucket, r.environment, r.source, r.release, r.count] as HourlyRow,
  )
}
