/**
 * The read side of triage: an issue's detail combined over its merge group (merge.ts),
 * with assignee, merge links, first and last release, regressions, the tracker link, the
 * activity and the comments. Every function takes one issue already found in the caller's
 * reach (routes.ts), so nothing here runs unscoped. Written against the storage seam
 * (storage/backend.ts): one query per part for the whole group, on SQLite or PostgreSQL.
 */
import type { Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import { activityOf } from './activity'
import { commentsOf } from './comments'
import { issueKey } from './event'
import { groupOf } from './merge'
import {
  type AggregateRow,
  aggregatesOf,
  type EventRow,
  type HistoryRow,
  historyOf,
  hourlySeries,
  type IssueRow,
  occurrencesOf,
  samplesOf,
  type TrendPoint,
} from './queries'
import { trackerTemplate } from './settings'
import { renderTemplate } from './tracker'

/**
 * Who may be assigned and how the tracker link names the issue (the composition root gives
 * these). Answers promises, so the users and projects behind it may live on either backend.
 */
export interface Directory {
  /** A user by id or username. */
  user(ref: string): Promise<{ id: string; username: string } | null>
  users(): Promise<{ id: string; username: string }[]>
  /** The project's slug, for links to the dashboard. */
  projectSlug(projectId: string): Promise<string | null>
  /** The dashboard's origin. */
  origin: string
}

export async function mergedInto(
  b: Queryable,
  projectId: string,
  fingerprint: string,
): Promise<string | null> {
  const row = await b.get<{ merged_into: string | null }>(
    'SELECT merged_into FROM issues WHERE project_id = ? AND fingerprint = ?',
    [projectId, fingerprint],
  )
  return row?.merged_into ?? null
}

/** Aggregates of the group summed per (release, environment), most recent first. */
export async function groupAggregates(
  b: Queryable,
  projectId: string,
  group: string[],
): Promise<AggregateRow[]> {
  const sums = new Map<string, AggregateRow>()
  for (const r of await aggregatesOf(b, projectId, group)) {
    const key = `${r.release}\u0000${r.environment}`
    const s = sums.get(key)
    if (!s) sums.set(key, { ...r })
    else {
      s.total_count += r.total_count
      s.first_seen = Math.min(s.first_seen, r.first_seen)
      s.last_seen = Math.max(s.last_seen, r.last_seen)
    }
  }
  // Ordered here rather than by the database, whose text order depends on its collation.
  return [...sums.values()].sort(
    (a, b) =>
      b.last_seen - a.last_seen ||
      a.release.localeCompare(b.release) ||
      a.environment.localeCompare(b.environment),
  )
}

/** The samples of the group, newest capture first. */
export const groupSamples = (b: Queryable, projectId: string, group: string[]) =>
  samplesOf(b, projectId, group)

export const groupHistory = (b: Queryable, projectId: string, group: string[]): Promise<HistoryRow[]> =>
  historyOf(b, projectId, group)

/** The group's hourly counts, summed. */
export const groupTrend = (
  b: Queryable,
  a: { projectId: string; group: string[]; hours: number; now: number; environment?: string },
): Promise<TrendPoint[]> =>
  hourlySeries(b, {
    projectIds: [a.projectId],
    fingerprints: a.group,
    hours: a.hours,
    now: a.now,
    environment: a.environment,
  })

/** The first release (earliest first sighting) and the latest one the issue was seen in. */
export function releaseSpan(rows: AggregateRow[]): {
  first_release: string | null
  last_release: string | null
} {
  const firstSeen = new Map<string, number>()
  const lastSeen = new Map<string, number>()
  for (const r of rows) {
    firstSeen.set(r.release, Math.min(firstSeen.get(r.release) ?? r.first_seen, r.first_seen))
    lastSeen.set(r.release, Math.max(lastSeen.get(r.release) ?? r.last_seen, r.last_seen))
  }
  const by = (m: Map<string, number>, pick: (a: number, b: number) => boolean) => {
    let best: string | null = null
    for (const [release, t] of m) if (best === null || pick(t, m.get(best) as number)) best = release
    return best
  }
  return { first_release: by(firstSeen, (a, b) => a < b), last_release: by(firstSeen, (a, b) => a > b) }
}

/** The triage fields of an issue's detail. */
export async function triageOf(
  b: Queryable,
  dir: Directory,
  issue: IssueRow,
  group: string[],
  aggregates: AggregateRow[],
  history: HistoryRow[],
) {
  const [row, template, slugOrNull, activity, comments] = await Promise.all([
    b.get<{ merged_into: string | null; resolved_in_release: string | null }>(
      'SELECT merged_into, resolved_in_release FROM issues WHERE project_id = ? AND fingerprint = ?',
      [issue.project_id, issue.fingerprint],
    ),
    trackerTemplate(b, issue.project_id),
    dir.projectSlug(issue.project_id),
    activityOf(b, issue.project_id, group),
    commentsOf(b, issue.project_id, group),
  ])
  const slug = slugOrNull ?? issue.project_id
  const url = `${dir.origin.replace(/\/+$/, '')}/issues/${encodeURIComponent(issue.fingerprint)}?project=${encodeURIComponent(slug)}`
  return {
    assignee: issue.assignee_id
      ? { id: issue.assignee_id, username: issue.assignee_name ?? issue.assignee_id }
      : null,
    merged_into: row?.merged_into ?? null,
    merged: group.slice(1),
    resolved_in_release: row?.resolved_in_release ?? null,
    ...releaseSpan(aggregates),
    regressions: history
      .filter((h) => h.changed_by === 'system' && h.new_status === 'unresolved')
      .map((h) => h.changed_at)
      .sort((a, b) => a - b),
    tracker_url: template
      ? renderTemplate(template, {
          title: `${issue.error_type}: ${issue.message}`.slice(0, 200),
          url,
          fingerprint: issue.fingerprint,
          project: slug,
        })
      : null,
    activity,
    comments,
  }
}

export { groupOf }

/** Raw events of the group, newest first. */
export const groupOccurrences = (
  b: Queryable,
  projectId: string,
  group: string[],
  limit: number,
  offset: number,
): Promise<{ items: (EventRow & { received_at: number })[]; total: number }> =>
  occurrencesOf(b, projectId, group, limit, offset)

/**
 * For a page of issues, the fingerprints merged into each (one query per project), so the
 * list's sparklines and seen-in releases cover the whole group.
 */
export async function membersOfPage(
  b: Queryable,
  rows: { project_id: string; fingerprint: string }[],
): Promise<Map<string, { project_id: string; fingerprint: string }[]>> {
  const out = new Map<string, { project_id: string; fingerprint: string }[]>()
  const byProject = new Map<string, string[]>()
  for (const r of rows) byProject.set(r.project_id, [...(byProject.get(r.project_id) ?? []), r.fingerprint])
  for (const [projectId, fps] of byProject) {
    const found = await b.all<{ fingerprint: string; target: string }>(
      `SELECT fingerprint, target FROM issue_merges WHERE project_id = ? AND target IN (${placeholders(fps.length)})
       ORDER BY merged_at, fingerprint`,
      [projectId, ...fps],
    )
    for (const m of found) {
      const key = issueKey(projectId, m.target)
      out.set(key, [...(out.get(key) ?? []), { project_id: projectId, fingerprint: m.fingerprint }])
    }
  }
  return out
}
