/**
 * What one committed batch does to the database (runs on the writer thread):
 * per event a raw row; per issue (project, fingerprint) one upsert of the issue row, the
 * regression rule, the (release, environment) aggregates, the hourly counts and the sample
 * reservoir. Events are grouped in memory first, so a batch of 500 events of 3 issues costs
 * 500 raw inserts but only a handful of upserts.
 */
import type { NormalizedEvent } from '../ingest/event'
import type { Db, Statement } from '../storage/db'

export const HOUR_MS = 3_600_000
export const hourBucket = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS

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
}

export interface CommitResult {
  /** Per input event: 1 when stored, 0 when ignored as a duplicate event_id. */
  inserted: number[]
  issues: CommittedIssue[]
  first_raw_id: number | null
  last_raw_id: number | null
  duration_ms: number
}

interface Statements {
  insertRaw: Statement
  getIssue: Statement
  insertIssue: Statement
  updateIssue: Statement
  insertHistory: Statement
  upsertAggregate: Statement
  upsertHourly: Statement
  upsertSample: Statement
}

const prepared = new WeakMap<Db, Statements>()

const EVENT_COLUMNS = [
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
] as const

const SAMPLE_COLUMNS = EVENT_COLUMNS.filter((c) => c !== 'received_at')

function statements(db: Db): Statements {
  let s = prepared.get(db)
  if (s) return s
  const cols = EVENT_COLUMNS.join(', ')
  const marks = EVENT_COLUMNS.map(() => '?').join(', ')
  s = {
    insertRaw: db.prepare(`INSERT OR IGNORE INTO raw_events (${cols}) VALUES (${marks})`),
    getIssue: db.prepare(
      'SELECT status, total_count, first_seen FROM issues WHERE project_id = ? AND fingerprint = ?',
    ),
    insertIssue: db.prepare(
      `INSERT INTO issues (project_id, fingerprint, error_type, message, source, route_or_procedure, screen,
         status, total_count, first_seen, last_seen, last_release, last_environment)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'unresolved', ?, ?, ?, ?, ?)`,
    ),
    updateIssue: db.prepare(
      `UPDATE issues SET total_count = total_count + ?, last_seen = max(last_seen, ?), last_release = ?,
         last_environment = ?, status = ? WHERE project_id = ? AND fingerprint = ?`,
    ),
    insertHistory: db.prepare(
      `INSERT INTO status_changes (project_id, fingerprint, old_status, new_status, changed_by, changed_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    upsertAggregate: db.prepare(
      `INSERT INTO error_aggregates (project_id, fingerprint, release, environment, total_count, first_seen, last_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, fingerprint, release, environment) DO UPDATE SET
         total_count = total_count + excluded.total_count,
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen)`,
    ),
    upsertHourly: db.prepare(
      `INSERT INTO event_counts_hourly (project_id, fingerprint, hour_bucket, environment, source, release, count)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, fingerprint, hour_bucket, environment, source, release) DO UPDATE SET
         count = count + excluded.count`,
    ),
    // One statement per sample: slot = (event number within the issue) mod N, so the ring
    // always holds the newest N and never needs trimming.
    upsertSample: db.prepare(
      `INSERT INTO samples (slot, raw_event_id, captured_at, ${SAMPLE_COLUMNS.join(', ')})
       VALUES (?, ?, ?, ${SAMPLE_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (project_id, fingerprint, slot) DO UPDATE SET raw_event_id = excluded.raw_event_id,
         captured_at = excluded.captured_at, ${SAMPLE_COLUMNS.filter(
           (c) => c !== 'project_id' && c !== 'fingerprint',
         )
           .map((c) => `${c} = excluded.${c}`)
           .join(', ')}`,
    ),
  }
  prepared.set(db, s)
  return s
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
      const r = st.insertRaw.run(...EVENT_COLUMNS.map((c) => e[c]))
      if (r.changes === 0) continue
      inserted[i] = 1
      const rawId = Number(r.lastInsertRowid)
      firstRaw ??= rawId
      lastRaw = rawId
      const key = `${e.project_id}\u0000${e.fingerprint}`
      const g = groups.get(key)
      if (g) g.events.push({ e, rawId })
      else groups.set(key, { events: [{ e, rawId }] })
    }
    for (const g of groups.values()) issues.push(commitIssue(st, g, sampleSize))
  }).immediate()

  return {
    inserted,
    issues,
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
  const existing = st.getIssue.get(project_id, fingerprint) as {
    status: IssueStatus
    total_count: number
    first_seen: number
  } | null
  let status: IssueStatus = 'unresolved'
  let regressed = false
  let totalCount = count
  let firstSeen = minReceived
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
  } else {
    regressed = existing.status === 'resolved'
    status = regressed ? 'unresolved' : existing.status
    totalCount = existing.total_count + count
    firstSeen = existing.first_seen
    st.updateIssue.run(count, maxReceived, last.release, last.environment, status, project_id, fingerprint)
    if (regressed)
      st.insertHistory.run(project_id, fingerprint, 'resolved', 'unresolved', 'system', maxReceived)
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
  // event ever of the issue (counting from 0) lives in slot k mod sampleSize.
  const before = totalCount - count
  for (let k = Math.max(0, count - sampleSize); k < count; k++) {
    const { e, rawId } = g.events[k] as { e: NormalizedEvent; rawId: number }
    st.upsertSample.run((before + k) % sampleSize, rawId, e.received_at, ...SAMPLE_COLUMNS.map((c) => e[c]))
  }

  return {
    project_id,
    fingerprint,
    is_new: !existing,
    regressed,
    status,
    error_type: first.error_type,
    message: first.message,
    source: first.source,
    route_or_procedure: first.route_or_procedure,
    total_count: totalCount,
    first_seen: firstSeen,
    last_seen: maxReceived,
    breakdown: [...breakdown.values()],
  }
}

/**
 * Re-lays the sample rings when `sample_reservoir_size` changed since the last start
 * (recorded in `meta`). The k-th event of an issue belongs in slot k mod N, so a new N
 * moves samples: each issue keeps its newest min(N, count) samples, renumbered from its
 * total count, and the ring goes on overwriting the oldest.
 */
export function resizeSampleRings(db: Db, sampleSize: number): { dropped: number; moved: number } {
  return db
    .transaction(() => {
      const recorded = db
        .query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'sample_reservoir_size'")
        .get()
      // Without a record (first start) renumbering is still right: it is idempotent.
      if (recorded && Number(recorded.value) === sampleSize) return { dropped: 0, moved: 0 }
      const rows = db
        .query<{ id: number; total_count: number; rank: number }, []>(
          `SELECT s.id, i.total_count,
                  row_number() OVER (PARTITION BY s.project_id, s.fingerprint ORDER BY s.raw_event_id DESC) AS rank
           FROM samples s JOIN issues i ON i.project_id = s.project_id AND i.fingerprint = s.fingerprint`,
        )
        .all()
      const drop = db.prepare('DELETE FROM samples WHERE id = ?')
      const park = db.prepare('UPDATE samples SET slot = ? WHERE id = ?')
      let dropped = 0
      const kept: { id: number; slot: number }[] = []
      for (const r of rows) {
        if (r.rank > sampleSize) {
          drop.run(r.id)
          dropped++
        } else kept.push({ id: r.id, slot: (r.total_count - r.rank) % sampleSize })
      }
      // Two steps, so no row takes a slot another row has not yet left (slots are unique).
      for (const k of kept) park.run(-1 - k.id, k.id)
      for (const k of kept) park.run(k.slot, k.id)
      db.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('sample_reservoir_size', ?)").run(
        String(sampleSize),
      )
      return { dropped, moved: kept.length }
    })
    .immediate()
}

/** A status change from the API, recorded in the history. Returns null for an unknown issue. */
export function setIssueStatus(
  db: Db,
  a: { project_id: string; fingerprint: string; status: IssueStatus; changed_by: string; now: number },
): { old_status: IssueStatus; status: IssueStatus } | null {
  return db
    .transaction(() => {
      const row = db
        .query<{ status: IssueStatus }, [string, string]>(
          'SELECT status FROM issues WHERE project_id = ? AND fingerprint = ?',
        )
        .get(a.project_id, a.fingerprint)
      if (!row) return null
      if (row.status !== a.status) {
        db.query('UPDATE issues SET status = ? WHERE project_id = ? AND fingerprint = ?').run(
          a.status,
          a.project_id,
          a.fingerprint,
        )
        statements(db).insertHistory.run(
          a.project_id,
          a.fingerprint,
          row.status,
          a.status,
          a.changed_by,
          a.now,
        )
      }
      return { old_status: row.status, status: a.status }
    })
    .immediate()
}
