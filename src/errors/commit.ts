/**
 * What one committed batch does to the database (the `errors.commit` seam task, inside
 * the writer's one transaction on either backend): per event a claim of its Sentry
 * event_id (when it has one; a resend claims nothing and is not stored again) and a raw
 * row; per issue (project, fingerprint) the issue row, the regression rule, the (release,
 * environment) aggregates, the hourly counts and the sample reservoir. Events are grouped
 * in memory first, so a batch of 500 events of 3 issues costs 500 raw inserts but only a
 * handful of upserts; every kind of row goes to the database as one bulk call
 * (`getEach`/`runMany`: a loop over one prepared statement on SQLite, pipelined on
 * PostgreSQL), so a batch is about ten round trips whatever its size. The issue rows are
 * read once for the batch and then kept current in memory while its groups are counted,
 * since a merged issue's events move its target, which the batch may hold too. Tag counts
 * and users affected are not written here: the fold counts them from the raw rows after
 * the acknowledgement (fold.ts).
 */
import { hourBucket } from '../core/time'
import type { Param, Queryable } from '../storage/backend'
import { placeholders } from '../storage/db'
import { issueKey, type NormalizedEvent } from './event'
import { hasNewerRelease } from './releases'
import { BULK, BULK_ROWS, type Bulk, bulkSql, EVENT_COLUMNS, SAMPLE_COLUMNS, SQL } from './statements'

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

/** The rows a batch writes, per statement, sent once every group is counted. */
interface Writes {
  insertIssue: Param[][]
  updateIssue: Param[][]
  insertHistory: Param[][]
  upsertAggregate: Param[][]
  upsertHourly: Param[][]
  upsertSample: Param[][]
}

const values = (e: NormalizedEvent, columns: readonly (keyof NormalizedEvent)[]) =>
  columns.map((c) => (e[c] ?? null) as Param)

/** `rows` through the many-row statement `b`, BULK_ROWS a statement, in order; the rows returned. */
async function bulk<T>(tx: Queryable, b: Bulk, rows: Param[][]): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < rows.length; i += BULK_ROWS) {
    const chunk = rows.slice(i, i + BULK_ROWS)
    const got = await tx.all<T>(bulkSql(b, chunk.length), chunk.flat())
    for (const r of got) out.push(r)
  }
  return out
}

/** Writes `events` in the transaction `tx` belongs to. Throws (so it rolls back) on any storage error. */
export async function commitEvents(
  tx: Queryable,
  events: NormalizedEvent[],
  sampleSize: number,
): Promise<CommitResult> {
  const started = performance.now()
  const inserted: number[] = new Array(events.length).fill(0)

  // Which events are new: those without an event_id, and those whose id this batch claims.
  const keep: boolean[] = new Array(events.length).fill(true)
  const withId: number[] = []
  for (let i = 0; i < events.length; i++) if ((events[i] as NormalizedEvent).event_id != null) withId.push(i)
  if (withId.length > 0) {
    const claims = await tx.getEach(
      SQL.claimEventId,
      withId.map((i) => {
        const e = events[i] as NormalizedEvent
        return [e.project_id, e.event_id as string, e.received_at]
      }),
    )
    for (let j = 0; j < withId.length; j++) if (claims[j] === null) keep[withId[j] as number] = false
  }
  const stored: number[] = []
  for (let i = 0; i < events.length; i++) if (keep[i]) stored.push(i)
  // Ids come back in insertion order once sorted: both databases number a statement's rows
  // one after another as it inserts them.
  const ids = (
    await bulk<{ id: number }>(
      tx,
      BULK.insertRaw,
      stored.map((i) => values(events[i] as NormalizedEvent, EVENT_COLUMNS)),
    )
  )
    .map((r) => Number(r.id))
    .sort((a, b) => a - b)

  const groups = new Map<string, Group>()
  let firstRaw: number | null = null
  let lastRaw: number | null = null
  for (let j = 0; j < stored.length; j++) {
    const i = stored[j] as number
    const e = events[i] as NormalizedEvent
    const rawId = ids[j] as number
    inserted[i] = 1
    firstRaw ??= rawId
    lastRaw = rawId
    const key = issueKey(e.project_id, e.fingerprint)
    const g = groups.get(key)
    if (g) g.events.push({ e, rawId })
    else groups.set(key, { events: [{ e, rawId }] })
  }

  const states = await issueStates(tx, groups)
  const w: Writes = {
    insertIssue: [],
    updateIssue: [],
    insertHistory: [],
    upsertAggregate: [],
    upsertHourly: [],
    upsertSample: [],
  }
  const newer = await newerReleases(tx, groups, states)
  const issues: CommittedIssue[] = []
  for (const [key, g] of groups) issues.push(commitIssue(w, states, g, sampleSize, newer.has(key)))
  if (w.updateIssue.length > 0) await tx.runMany(SQL.updateIssue, w.updateIssue)
  for (const k of [
    'insertIssue',
    'insertHistory',
    'upsertAggregate',
    'upsertHourly',
    'upsertSample',
  ] as const)
    await bulk(tx, BULK[k], w[k])
  // A deletion of the newest raw rows lets SQLite hand out their ids again: the fold's
  // watermark then goes back to just before this batch, which holds every id after it
  // (fold.ts). A no-op otherwise, and always on PostgreSQL, whose identities never go back.
  if (firstRaw !== null) await tx.run(SQL.lowerFold, [firstRaw])

  return {
    inserted,
    issues: coalesce(issues),
    first_raw_id: firstRaw,
    last_raw_id: lastRaw,
    duration_ms: performance.now() - started,
  }
}

/**
 * The stored rows of the batch's issues and of the targets they are merged into, by
 * issueKey (null: no such issue yet), in two bulk reads at most.
 */
async function issueStates(
  tx: Queryable,
  groups: Map<string, Group>,
): Promise<Map<string, IssueState | null>> {
  const states = new Map<string, IssueState | null>()
  const firsts = [...groups.values()].map((g) => (g.events[0] as { e: NormalizedEvent }).e)
  for (const key of groups.keys()) states.set(key, null)
  await readIssues(
    tx,
    firsts.map((e) => [e.project_id, e.fingerprint]),
    states,
  )
  const targets: [string, string][] = []
  for (const e of firsts) {
    const into = states.get(issueKey(e.project_id, e.fingerprint))?.merged_into
    if (!into) continue
    const key = issueKey(e.project_id, into)
    if (!states.has(key)) {
      states.set(key, null)
      targets.push([e.project_id, into])
    }
  }
  if (targets.length > 0) await readIssues(tx, targets, states)
  return states
}

/** Reads the issue rows of `pairs` (project, fingerprint) into `into`, one IN list per project and BULK_ROWS fingerprints. */
async function readIssues(
  tx: Queryable,
  pairs: [string, string][],
  into: Map<string, IssueState | null>,
): Promise<void> {
  const byProject = new Map<string, string[]>()
  for (const [p, f] of pairs) {
    const list = byProject.get(p)
    if (list) list.push(f)
    else byProject.set(p, [f])
  }
  for (const [projectId, fps] of byProject)
    for (let i = 0; i < fps.length; i += BULK_ROWS) {
      const chunk = fps.slice(i, i + BULK_ROWS)
      const rows = await tx.all<IssueState & { fingerprint: string }>(
        `${SQL.getIssues} (${placeholders(chunk.length)})`,
        [projectId, ...chunk],
      )
      for (const r of rows) into.set(issueKey(projectId, r.fingerprint), r)
    }
}

/** The issue row after a batch changed its status: as the UPDATE leaves it. */
function moved(issue: IssueState, count: number, status: IssueStatus): void {
  issue.total_count += count
  issue.status = status
  if (status !== 'resolved') issue.resolved_release_seen = null
}

/**
 * The groups whose issue (or merge target) was resolved "in the next release" and which
 * bring an event of a newer release: their check reads the aggregates, so it runs before
 * the groups are counted (it reads nothing the batch writes: a batch's releases are either
 * seen before or new, and the aggregates are written last). Resolved plainly, an issue
 * reopens on any event; unresolved, on none; within a batch a status only ever reopens.
 */
async function newerReleases(
  tx: Queryable,
  groups: Map<string, Group>,
  states: Map<string, IssueState | null>,
): Promise<Set<string>> {
  const out = new Set<string>()
  for (const [key, g] of groups) {
    const { project_id } = (g.events[0] as { e: NormalizedEvent }).e
    const own = states.get(key) ?? null
    const issue = own?.merged_into ? (states.get(issueKey(project_id, own.merged_into)) ?? null) : own
    if (issue?.status !== 'resolved' || issue.resolved_release_seen === null) continue
    const releases = new Set(g.events.map(({ e }) => e.release))
    if (await hasNewerRelease(tx, project_id, releases, issue.resolved_release_seen)) out.add(key)
  }
  return out
}

function commitIssue(
  w: Writes,
  states: Map<string, IssueState | null>,
  g: Group,
  sampleSize: number,
  newer: boolean,
): CommittedIssue {
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
  const existing = states.get(issueKey(project_id, fingerprint)) ?? null
  const before = existing?.total_count ?? 0
  let status: IssueStatus = 'unresolved'
  let regressed = false
  let totalCount = count
  let firstSeen = minReceived
  // A merged issue's events land in its target (merge.ts): its own row keeps its own
  // totals (what unmerge gives back), the target's row takes status, regression and totals.
  const target = existing?.merged_into
    ? (states.get(issueKey(project_id, existing.merged_into)) ?? null)
    : null
  const update = (fp: string, s: IssueStatus) =>
    w.updateIssue.push([count, maxReceived, last.release, last.environment, s, project_id, fp])
  if (!existing) {
    w.insertIssue.push([
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
    ])
  } else if (!target) {
    regressed = reopens(existing, newer)
    status = regressed ? 'unresolved' : existing.status
    totalCount = existing.total_count + count
    firstSeen = existing.first_seen
    update(fingerprint, status)
    if (regressed)
      w.insertHistory.push([project_id, fingerprint, existing.status, 'unresolved', 'system', maxReceived])
    moved(existing, count, status)
  } else {
    const into = existing.merged_into as string
    update(fingerprint, existing.status)
    moved(existing, count, existing.status)
    regressed = reopens(target, newer)
    status = regressed ? 'unresolved' : target.status
    totalCount = target.total_count + count
    firstSeen = Math.min(target.first_seen, minReceived)
    update(into, status)
    if (regressed)
      w.insertHistory.push([project_id, into, target.status, 'unresolved', 'system', maxReceived])
    moved(target, count, status)
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
  for (const a of aggregates.values())
    w.upsertAggregate.push([project_id, fingerprint, a.release, a.environment, a.n, a.min, a.max])
  for (const h of hourly.values())
    w.upsertHourly.push([project_id, fingerprint, h.hour, h.environment, h.source, h.release, h.n])
  // Only the newest `sampleSize` events of the batch can survive the reservoir. The k-th
  // event ever of the issue (counting from 0) lives in slot k mod sampleSize; a merged
  // issue counts its own events, since its ring is its own.
  for (let k = Math.max(0, count - sampleSize); k < count; k++) {
    const { e, rawId } = g.events[k] as { e: NormalizedEvent; rawId: number }
    w.upsertSample.push([(before + k) % sampleSize, rawId, e.received_at, ...values(e, SAMPLE_COLUMNS)])
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

/** The issue row as the commit reads it (and keeps current through the batch). */
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
 * resolution (releases.ts; `newer`, from newerReleases).
 */
function reopens(issue: IssueState, newer: boolean): boolean {
  if (issue.status !== 'resolved') return false
  return issue.resolved_release_seen === null || newer
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
