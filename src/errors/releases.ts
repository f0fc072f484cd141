/**
 * Release order for "resolve in the next release" (docs/decisions.md, "Triage"): releases
 * are ordered by their first sighting in the project, the earliest `first_seen` of any of
 * its aggregate rows. `unknown` (an event without a release) is never a newer release.
 */
import type { Queryable } from '../storage/backend'
import type { Db } from '../storage/db'

export const NO_RELEASE = 'unknown'

/**
 * The project's newest release (first seen last), or null when it has none. Through the
 * seam (the status change's writer task); the commit's checks below stay on the writer
 * thread's bun:sqlite connection, as commit.ts does.
 */
export function currentRelease(
  tx: Queryable,
  projectId: string,
): Promise<{ release: string; first_seen: number } | null> {
  return tx.get<{ release: string; first_seen: number }>(
    `SELECT release, min(first_seen) AS first_seen FROM error_aggregates
     WHERE project_id = ? AND release != ? GROUP BY release ORDER BY first_seen DESC, release DESC LIMIT 1`,
    [projectId, NO_RELEASE],
  )
}

/** When `release` was first seen in the project; null when never. */
export function releaseFirstSeen(db: Db, projectId: string, release: string): number | null {
  const row = db
    .query<{ seen: number | null }, [string, string]>(
      'SELECT min(first_seen) AS seen FROM error_aggregates WHERE project_id = ? AND release = ?',
    )
    .get(projectId, release)
  return row?.seen ?? null
}

/**
 * Whether any of `releases` is newer than the release first seen at `resolvedSeen`: first
 * seen after it, or never seen before this batch. Called before the batch's aggregates are
 * written, so a release the batch brings for the first time has no sighting yet.
 */
export function hasNewerRelease(db: Db, projectId: string, releases: Iterable<string>, resolvedSeen: number) {
  for (const release of releases) {
    if (release === NO_RELEASE) continue
    const seen = releaseFirstSeen(db, projectId, release)
    if (seen === null || seen > resolvedSeen) return true
  }
  return false
}
