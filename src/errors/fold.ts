/**
 * The fold (the `errors.fold` seam task): tag counts (tags.ts) and users-affected sketches (users.ts)
 * are not written by the commit that acknowledges an event but afterwards, from the raw
 * events committed after a durable watermark, many commits' events at a time
 * (docs/ARCHITECTURE.md, "The fold"). A fold of 10,000 events of 1,000 issues reads and
 * writes each issue's sketches and tag rows once, where twenty commits of 500 did so
 * twenty times, and the acknowledgement no longer waits for any of it.
 *
 * - **Exactly once.** One call runs in one transaction: read up to `limit` raw events after
 *   `errors_fold.last_raw_id` in id order, count them in memory, write the counts and move
 *   the watermark to the last id read. A crash before COMMIT leaves the watermark where it
 *   was and the events are folded again on the next call; after COMMIT they are never read
 *   again. Two calls at once are safe: the writer runs them one after the other.
 * - **Ids only grow past the watermark.** SQLite gives a new row the largest id + 1, so a
 *   deletion of the newest rows (retention, a project's removal) would let an id at or
 *   under the watermark be used again; the commit lowers the watermark below its first
 *   new id when that happens (commit.ts), so no event is skipped.
 * - **Retention waits for the fold**: `errors.pruneRaw` leaves raw events after the
 *   watermark for its next pass (prune.ts), so none expires uncounted.
 * - **Merged issues.** Counts stay under each event's own fingerprint (the read side
 *   combines a merge group); the group's target gets the union's user count (users.ts).
 * - **A deleted project.** Its raw events go first (tasks.ts `errorsProjectData`), its
 *   tags and sketches later: a fold between the two writes rows the later steps remove.
 */
import type { Queryable } from '../storage/backend'
import { issueKey } from './event'
import { commitTags, type TagSource } from './tags'
import { commitUsers, type UserSource } from './users'

/** Raw events per fold call: what the scheduler asks for (fold.schedule.ts). */
export const FOLD_LIMIT = 10_000

export interface FoldResult {
  /** Raw events folded by this call. */
  folded: number
  /** The watermark after it: every raw event up to this id is counted. */
  through: number
  /** Whether `limit` events were read, so more may wait. */
  more: boolean
  duration_ms: number
}

type FoldRow = TagSource & UserSource & { id: number; project_id: string; fingerprint: string }

const FOLD_SQL = {
  watermark: 'SELECT last_raw_id FROM errors_fold WHERE id = 1',
  read: `SELECT id, project_id, fingerprint, received_at, release, source, route_or_procedure, screen,
       user_id_hash, metadata
     FROM raw_events WHERE id > ? ORDER BY id LIMIT ?`,
  advance: 'UPDATE errors_fold SET last_raw_id = ? WHERE id = 1',
} as const

/** The id of the last raw event whose tags and users are counted. */
export async function foldWatermark(tx: Queryable): Promise<number> {
  return Number((await tx.get<{ last_raw_id: number }>(FOLD_SQL.watermark))?.last_raw_id ?? 0)
}

/**
 * Folds up to `limit` raw events after the watermark, in the transaction `tx` belongs to
 * (the `errors.fold` seam task's, or retention's when it folds before deleting).
 */
export async function foldEvents(tx: Queryable, a: { limit: number }): Promise<FoldResult> {
  const started = performance.now()
  const from = await foldWatermark(tx)
  const rows = await tx.all<FoldRow>(FOLD_SQL.read, [from, a.limit])
  const last = rows[rows.length - 1]
  if (!last) return { folded: 0, through: from, more: false, duration_ms: performance.now() - started }
  const groups = new Map<string, { project_id: string; fingerprint: string; events: FoldRow[] }>()
  for (const r of rows) {
    const key = issueKey(r.project_id, r.fingerprint)
    const g = groups.get(key)
    if (g) g.events.push(r)
    else groups.set(key, { project_id: r.project_id, fingerprint: r.fingerprint, events: [r] })
  }
  const issues = [...groups.values()]
  await commitUsers(tx, issues)
  await commitTags(tx, issues)
  await tx.run(FOLD_SQL.advance, [last.id])
  return {
    folded: rows.length,
    through: last.id,
    more: rows.length === a.limit,
    duration_ms: performance.now() - started,
  }
}
