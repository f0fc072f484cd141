/**
 * Release order for "resolve in the next release" (docs/decisions.md, "Triage"): releases
 * are ordered by their first sighting in the project, the earliest `first_seen` of any of
 * its aggregate rows. `unknown` (an event without a release) is never a newer release.
 */
import type { Queryable } from '../storage/backend'

export const NO_RELEASE = 'unknown'

/** The project's newest release (first seen last), or null when it has none. */
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
export async function releaseFirstSeen(
  tx: Queryable,
  projectId: string,
  release: string,
): Promise<number | null> {
  const row = await tx.get<{ seen: number | null }>(
    'SELECT min(first_seen) AS seen FROM error_aggregates WHERE project_id = ? AND release = ?',
    [projectId, release],
  )
  return row?.seen ?? null
}

/**
 * Whether any of `releases` is newer than the release first seen at `resolvedSeen`: first
 * seen after it, or never seen before this batch. Called before the batch's aggregates are
 * written, so a release the batch brings for the first time has no sighting yet.
 */
export async function hasNewerRelease(
  tx: Queryable,
  projectId: string,
  releases: Iterable<string>,
  resolvedSeen: number,
): Promise<boolean> {
  for (const release of releases) {
    if (release === NO_RELEASE) continue
    const seen = await releaseFirstSeen(tx, projectId, release)
    if (seen === null || seen > resolvedSeen) return true
  }
  return false
}
