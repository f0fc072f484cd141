/**
 * What one committed batch does to the database (runs on the writer thread):
 * per event a raw row; per issue (project, fingerprint) one upsert of the issue row, the
 * regression rule, the (release, environment) aggregates, the hourly counts and the sample
 * reservoir. Events are grouped in memory first, so a batch of 500 events of 3 issues costs
 * 500 raw inserts but only a handful of upserts. Tag counts and users affected are not
 * written here: the fold counts them from the raw rows after the acknowledgement (fold.ts).
 */
import { hourBucket } from '../core/time'
import type { Db } from '../storage/db'
import { issueKey, type NormalizedEvent } from './event'
import { hasNewerRelease } from './releases'
import { EVENT_COLUMNS, SAMPLE_COLUMNS, type Statements, statements } from './statements'

export type IssueStatus = 'unresolved' | 'resolved' | 'ignored' | 'muted'
export const STATUSES: readonly IssueStatus[] = ['unresolved', 'resolved', 'ignored', 'muted']

/** One issue touched by a batch: what alert evaluation needs to know. */
export interface CommittedIssue {
  project_id: string
  fingerprint: string
  /** The first event ever of this fingerprint in the project. */
  is_new: boolean
  /** The issue was resolved and this batch reopened it. */
  regressed: boolean
  /** Status after the batch. */
  status: IssueStatus
  error_type: string
  message: string
  source: string
  route_or_procedure: string | null
  total_count: number
  first_seen: number
  last_seen: number
  /** Events of this batch per (environment, source, release, route). */
  breakdown: { environment: string; source: string; release: string; route: string | null; count: number }[]
  /** The assignee's username, when the issue has one. */
  assignee?: string | null
  /** Fingerprints merged into this issue whose events of this batch it took (merge.ts). */
  merged_from?: string[]
}

export interface CommitResult {
  /** Per input event: 1 when stored, 0 when ignored as a duplicate event_id. */
  inserted: number[]
  issues: CommittedIssue[]
  first_raw_id: number | null
  last_raw_id: number | null
  duration_ms: number
}

interface Group {
  events: { e: NormalizedEvent; rawId: number }[]
}

/** Writes `events` in one transaction. Throws (and rolls back) on any storage error. */
export function commitEvents(db: Db, events: NormalizedEvent[], sampleSize: number): CommitResult {
  const started = performance.now()
  const st = statements(db)
  const inserted: number[] = new Array(events.length).fill(0)
  const groups = new Map<string, Group>()
  let firstRaw: number | null = null
  let lastRaw: number | null = null
  const issues: CommittedIssue[] = []

  db.transaction(() => {
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as NormalizedEvent
      const r = st.insertRaw.run(...EVENT_COLUMNS.map((c) => e[c] ?? null))
      if (r.changes === 0) continue
      inserted[i] = 1
      const rawId = Number(r.lastInsertRowid)
      firstRaw ??= rawId
      lastRaw = rawId
      const key = issueKey(e.project_id, e.fingerprint)
      const g = groups.get(key)
      if (g) g.events.push({ e, rawId })
      else groups.set(key, { events: [{ e, rawId }] })
    }
    for (const g of groups.values()) issues.push(commitIssue(st, g, sampleSize))
    // A deletion of the newest raw rows lets SQLite hand out their ids again: the fold's
    // watermark then goes back to just before this batch, which holds every id after it
    // (fold.ts). A no-op otherwise.
    if (firstRaw !== null) st.lowerFold.run(firstRaw)
  }).immediate()

  return {
    inserted,
    issues: coalesce(issues),
    first_raw_id: firstRaw,
    last_raw_id: lastRaw,
    duration_ms: performance.now() - started,
  }
}

function commitIssue(st: Statements, g: Group, sampleSize: number): CommittedIssue {
  const first = g.events[0]?.e as NormalizedEvent
  const last = g.events[g.events.length - 1]?.e as NormalizedEvent
  const { project_id, fingerprint } = first
  let minReceived = first.received_at
  let maxReceived = first.received_at
  for (const { e } of g.events) {
    if (e.received_at < minReceived) minReceived = e.received_at
    if (e.received_at > maxReceived) maxReceived = e.received_at
  }
  const count = g.events.length
  const existing = st.getIssue.get(project_id, fingerprint) as IssueState | null
  let status: IssueStatus = 'unresolved'
  let regressed = false
  let totalCount = count
  let firstSeen = minReceived
  // A merged issue's events land in its target (merge.ts): its own row keeps its own
  // totals (what unmerge gives back), the target's row takes status, regression and totals.
  const target = existing?.merged_into
    ? (st.getIssue.get(project_id, existing.merged_into) as IssueState | null)
    : null
  if (!existing) {
    st.insertIssue.run(
      project_id,
      fingerprint,
      first.error_type,
      first.message,
      first.source,
      first.route_or_procedure,
      first.screen,
      count,
      minReceived,
      maxReceived,
      last.release,
      last.environment,
    )
  } else if (!target) {
    regressed = reopens(st, project_id, existing, g)
    status = regressed ? 'unresolved' : existing.status
    totalCount = existing.total_count + count
    firstSeen = existing.first_seen
    st.updateIssue.run(count, maxReceived, last.release, last.environment, status, project_id, fingerprint)
    if (regressed)
      st.insertHistory.run(project_id, fingerprint, existing.status, 'unresolved', 'system', maxReceived)
  } else {
    const into = existing.merged_into as string
    st.updateIssue.run(
      count,
      maxReceived,
      last.release,
      last.environment,
      existing.status,
      project_id,
      fingerprint,
    )
    regressed = reopens(st, project_id, target, g)
    status = regressed ? 'unresolved' : target.status
    totalCount = target.total_count + count
    firstSeen = Math.min(target.first_seen, minReceived)
    st.updateIssue.run(count, maxReceived, last.release, last.environment, status, project_id, into)
    if (regressed) st.insertHistory.run(project_id, into, target.status, 'unresolved', 'system', maxReceived)
  }

  const aggregates = new Map<
    string,
    { release: string; environment: string; n: number; min: number; max: number }
  >()
  const hourly = new Map<
    string,
    { hour: number; environment: string; source: string; release: string; n: number }
  >()
  const breakdown = new Map<string, CommittedIssue['breakdown'][number]>()
  for (const { e } of g.events) {
    const ak = `${e.release}\u0000${e.environment}`
    const a = aggregates.get(ak)
    if (a) {
      a.n++
      a.min = Math.min(a.min, e.received_at)
      a.max = Math.max(a.max, e.received_at)
    } else
      aggregates.set(ak, {
        release: e.release,
        environment: e.environment,
        n: 1,
        min: e.received_at,
        max: e.received_at,
      })
    const hour = hourBucket(e.received_at)
    const hk = `${hour}\u0000${e.environment}\u0000${e.source}\u0000${e.release}`
    const h = hourly.get(hk)
    if (h) h.n++
    else hourly.set(hk, { hour, environment: e.environment, source: e.source, release: e.release, n: 1 })
    const bk = `${e.environment}\u0000${e.source}\u0000${e.release}\u0000${e.route_or_procedure ?? ''}`
    const b = breakdown.get(bk)
    if (b) b.count++
    else
      breakdown.set(bk, {
        environment: e.environment,
        source: e.source,
        release: e.release,
        route: e.route_or_procedure,
        count: 1,
      })
  }
  for (const a of aggregates.values()) {
    st.upsertAggregate.run(project_id, fingerprint, a.release, a.environment, a.n, a.min, a.max)
  }
  for (const h of hourly.values()) {
    st.upsertHourly.run(project_id, fingerprint, h.hour, h.environment, h.source, h.release, h.n)
  }
  // Only the newest `sampleSize` events of the batch can survive the reservoir. The k-th
  // event ever of the issue (counting from 0) lives in slot k mod sampleSize; a merged
  // issue counts its own events, since its ring is its own.
  const before = existing?.total_count ?? 0
  for (let k = Math.max(0, count - sampleSize); k < count; k++) {
    const { e, rawId } = g.events[k] as { e: NormalizedEvent; rawId: number }
    st.upsertSample.run(
      (before + k) % sampleSize,
      rawId,
      e.received_at,
      ...SAMPLE_COLUMNS.map((c) => e[c] ?? null),
    )
  }

  const described = target ?? first
  return {
    project_id,
    fingerprint: target ? (existing?.merged_into as string) : fingerprint,
    is_new: !existing,
    regressed,
    status,
    error_type: described.error_type,
    message: described.message,
    source: described.source,
    route_or_procedure: described.route_or_procedure,
    total_count: totalCount,
    first_seen: firstSeen,
    last_seen: maxReceived,
    breakdown: [...breakdown.values()],
    assignee: (target ?? existing)?.assignee_name ?? null,
    ...(target ? { merged_from: [fingerprint] } : {}),
  }
}

/** The issue row as the commit reads it. */
interface IssueState {
  status: IssueStatus
  total_count: number
  first_seen: number
  merged_into: string | null
  resolved_release_seen: number | null
  assignee_id: string | null
  assignee_name: string | null
  error_type: string
  message: string
  source: string
  route_or_procedure: string | null
}

/**
 * The regression rule: a resolved issue reopens on its next event; one resolved "in the
 * next release" only on an event of a release first seen after the one current at
 * resolution (releases.ts).
 */
function reopens(st: Statements, projectId: string, issue: IssueState, g: Group): boolean {
  if (issue.status !== 'resolved') return false
  if (issue.resolved_release_seen === null) return true
  return hasNewerRelease(
    st.db,
    projectId,
    new Set(g.events.map(({ e }) => e.release)),
    issue.resolved_release_seen,
  )
}

/**
 * Issues merged into one target arrive as several entries of one batch; alert evaluation
 * wants one per issue: the last entry's state, every entry's events and merged fingerprints.
 */
function coalesce(issues: CommittedIssue[]): CommittedIssue[] {
  const out = new Map<string, CommittedIssue>()
  for (const i of issues) {
    const key = issueKey(i.project_id, i.fingerprint)
    const prev = out.get(key)
    if (!prev) {
      out.set(key, i)
      continue
    }
    const merged_from = [...(prev.merged_from ?? []), ...(i.merged_from ?? [])]
    out.set(key, {
      ...i,
      is_new: prev.is_new || i.is_new,
      regressed: prev.regressed || i.regressed,
      first_seen: Math.min(prev.first_seen, i.first_seen),
      last_seen: Math.max(prev.last_seen, i.last_seen),
      breakdown: [...prev.breakdown, ...i.breakdown],
      ...(merged_from.length > 0 ? { merged_from } : {}),
    })
  }
  return [...out.values()]
}
