/**
 * The read side of triage: an issue's detail combined over its merge group (merge.ts),
 * with assignee, merge links, first and last release, regressions, the tracker link, the
 * activity and the comments. Every function takes one issue already found in the caller's
 * reach (routes.ts), so nothing here runs unscoped.
 */
import { type Db, placeholders } from '../storage/db'
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
import { renderTemplate } from './tracker'

/** Who may be assigned and how the tracker link names the issue (the composition root gives these). */
export interface Directory {
  /** A user by id or username. */
  user(ref: string): { id: string; username: string } | null
  users(): { id: string; username: string }[]
  /** The project's slug, for links to the dashboard. */
  projectSlug(projectId: string): string | null
  /** The dashboard's origin. */
  origin: string
}

export function mergedInto(db: Db, projectId: string, fingerprint: string): string | null {
  return (
    db
      .query<{ merged_into: string | null }, [string, string]>(
        'SELECT merged_into FROM issues WHERE project_id = ? AND fingerprint = ?',
      )
      .get(projectId, fingerprint)?.merged_into ?? null
  )
}

/** Aggregates of the group summed per (release, environment), most recent first. */
export function groupAggregates(db: Db, projectId: string, group: string[]): AggregateRow[] {
  const sums = new Map<string, AggregateRow>()
  for (const fp of group) {
    for (const r of aggregatesOf(db, projectId, fp)) {
      const key = `${r.release}\u0000${r.environment}`
      const s = sums.get(key)
      if (!s) sums.set(key, { ...r })
      else {
        s.total_count += r.total_count
        s.first_seen = Math.min(s.first_seen, r.first_seen)
        s.last_seen = Math.max(s.last_seen, r.last_seen)
      }
    }
  }
  return [...sums.values()].sort(
    (a, b) =>
      b.last_seen - a.last_seen ||
      a.release.localeCompare(b.release) ||
      a.environment.localeCompare(b.environment),
  )
}

export function groupSamples(db: Db, projectId: string, group: string[]) {
  return group
    .flatMap((fp) => samplesOf(db, projectId, fp))
    .sort((a, b) => b.captured_at - a.captured_at || b.id - a.id)
}

export function groupHistory(db: Db, projectId: string, group: string[]): HistoryRow[] {
  return group.flatMap((fp) => historyOf(db, projectId, fp)).sort((a, b) => b.id - a.id)
}

export function groupTrend(
  db: Db,
  a: { projectId: string; group: string[]; hours: number; now: number; environment?: string },
): TrendPoint[] {
  const [first, ...rest] = a.group.map((fingerprint) =>
    hourlySeries(db, {
      projectIds: [a.projectId],
      fingerprint,
      hours: a.hours,
      now: a.now,
      environment: a.environment,
    }),
  )
  const out = first as TrendPoint[]
  for (const series of rest)
    series.forEach((p, i) => {
      ;(out[i] as TrendPoint).count += p.count
    })
  return out
}

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
export function triageOf(
  db: Db,
  dir: Directory,
  issue: IssueRow,
  group: string[],
  aggregates: AggregateRow[],
  history: HistoryRow[],
) {
  const row = db
    .query<{ merged_into: string | null; resolved_in_release: string | null }, [string, string]>(
      'SELECT merged_into, resolved_in_release FROM issues WHERE project_id = ? AND fingerprint = ?',
    )
    .get(issue.project_id, issue.fingerprint)
  const template = db
    .query<{ tracker_template: string | null }, [string]>(
      'SELECT tracker_template FROM error_settings WHERE project_id = ?',
    )
    .get(issue.project_id)?.tracker_template
  const slug = dir.projectSlug(issue.project_id) ?? issue.project_id
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
    activity: activityOf(db, issue.project_id, group),
    comments: commentsOf(db, issue.project_id, group),
  }
}

export { groupOf }

const EVENT_FIELDS = `timestamp, source, environment, release, app_version, build_number, route_or_procedure, screen,
  error_type, message, stack, http_status, request_id, user_id_hash, device_id_hash, metadata, event_id, level, breadcrumbs`

/** Raw events of the group, newest first (occurrencesOf over several fingerprints). */
export function groupOccurrences(
  db: Db,
  projectId: string,
  group: string[],
  limit: number,
  offset: number,
): { items: (EventRow & { received_at: number })[]; total: number } {
  if (group.length === 1) return occurrencesOf(db, projectId, group[0] as string, limit, offset)
  const inG = `fingerprint IN (${placeholders(group.length)})`
  const total = (
    db
      .query<{ n: number }, string[]>(`SELECT count(*) AS n FROM raw_events WHERE project_id = ? AND ${inG}`)
      .get(projectId, ...group) as { n: number }
  ).n
  const items = db
    .query<EventRow & { received_at: number }, (string | number)[]>(
      `SELECT id, project_id, fingerprint, received_at, ${EVENT_FIELDS} FROM raw_events
       WHERE project_id = ? AND ${inG} ORDER BY id DESC LIMIT ? OFFSET ?`,
    )
    .all(projectId, ...group, limit, offset)
  return { items, total }
}

/**
 * For a page of issues, the fingerprints merged into each (one query per project), so the
 * list's sparklines and seen-in releases cover the whole group.
 */
export function membersOfPage(
  db: Db,
  rows: { project_id: string; fingerprint: string }[],
): Map<string, { project_id: string; fingerprint: string }[]> {
  const out = new Map<string, { project_id: string; fingerprint: string }[]>()
  const byProject = new Map<string, string[]>()
  for (const r of rows) byProject.set(r.project_id, [...(byProject.get(r.project_id) ?? []), r.fingerprint])
  for (const [projectId, fps] of byProject) {
    const found = db
      .query<{ fingerprint: string; target: string }, string[]>(
        `SELECT fingerprint, target FROM issue_merges WHERE project_id = ? AND target IN (${placeholders(fps.length)})`,
      )
      .all(projectId, ...fps)
    for (const m of found) {
      const key = issueKey(projectId, m.target)
      out.set(key, [...(out.get(key) ?? []), { project_id: projectId, fingerprint: m.fingerprint }])
    }
  }
  return out
}
