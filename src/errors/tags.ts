/**
 * Tags and facets (docs/decisions.md, "Tags"): per issue, how many events carried each
 * value of each tag, kept by the writer in `issue_tags`, so the issue page's top values
 * and the list's `tag:value` filter read a small indexed table, never the raw events. The
 * counts are folded in after the commit, many commits' events at a time (fold.ts), so they
 * lag the acknowledgement by at most the fold interval.
 *
 * An event's tags are its built-ins (source, route, screen; release and environment come
 * from the per-release aggregates the commit keeps anyway), the
 * browser, OS, device and runtime of its Sentry contexts, its Sentry tags
 * (`metadata.tags`, where sentry/map.ts and the bloop SDKs put them) and the metadata
 * keys whose values are strings (or numbers and booleans), at most MAX_TAGS_PER_EVENT.
 * A tag keeps at most MAX_VALUES_PER_TAG distinct values per issue (plus OTHER_VALUE); the
 * counts of later new values add up under OTHER_VALUE, so a tag holding an id cannot grow
 * the table by one row per event.
 */
import type { Param, Queryable } from '../storage/backend'
import type { NormalizedEvent } from './event'

export const MAX_TAGS_PER_EVENT = 50
export const MAX_TAG_KEY_CHARS = 64
/** Sentry's own limit on tag values. */
export const MAX_TAG_VALUE_CHARS = 200
export const MAX_VALUES_PER_TAG = 100
export const OTHER_VALUE = '(other)'

/** Tag keys whose facets come from the aggregates: a Sentry tag of that name is not counted twice. */
const FROM_AGGREGATES = new Set(['release', 'environment'])
/** Metadata keys that hold structures, not tags. */
const NOT_TAGS = new Set([
  'tags',
  'contexts',
  'extra',
  'breadcrumbs',
  '_truncated',
  'exception_chain',
  'mechanism',
])

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const scalar = (v: unknown): string | null =>
  typeof v === 'string' && v.trim() !== ''
    ? v.trim()
    : (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean'
      ? String(v)
      : null

/** "Chrome 120.0", "Linux", from a Sentry context's name and version. */
function named(ctx: unknown, ...fields: string[]): string | null {
  if (!isObj(ctx)) return null
  for (const f of fields) {
    const name = scalar(ctx[f])
    if (name === null) continue
    const version = f === 'name' ? scalar(ctx.version) : null
    return version ? `${name} ${version}` : name
  }
  return null
}

/** What an event's tags are read from. */
export type TagSource = Pick<NormalizedEvent, 'source' | 'route_or_procedure' | 'screen' | 'metadata'>

/** The event's tags as [key, value] pairs, each key once, within the caps above. */
export function tagsOf(e: TagSource): [string, string][] {
  const out = new Map<string, string>()
  const put = (key: string, value: string | null) => {
    if (value === null || out.size >= MAX_TAGS_PER_EVENT || out.has(key) || FROM_AGGREGATES.has(key)) return
    if (key.length === 0 || key.length > MAX_TAG_KEY_CHARS) return
    out.set(key, value.length > MAX_TAG_VALUE_CHARS ? `${value.slice(0, MAX_TAG_VALUE_CHARS - 1)}…` : value)
  }
  // release and environment are counted per issue in error_aggregates already; facetsOf reads them there.
  put('source', e.source)
  put('route', e.route_or_procedure)
  put('screen', e.screen)
  let metadata: unknown = null
  if (e.metadata !== null) {
    try {
      metadata = JSON.parse(e.metadata)
    } catch {
      metadata = null
    }
  }
  if (!isObj(metadata)) return [...out]
  const contexts = isObj(metadata.contexts) ? metadata.contexts : {}
  put('browser', named(contexts.browser, 'name'))
  put('os', named(contexts.os, 'name') ?? named(contexts.client_os, 'name'))
  put('device', named(contexts.device, 'model', 'family', 'name'))
  put('runtime', named(contexts.runtime, 'name'))
  if (isObj(metadata.tags)) for (const [k, v] of Object.entries(metadata.tags)) put(k, scalar(v))
  for (const [k, v] of Object.entries(metadata)) if (!NOT_TAGS.has(k)) put(k, scalar(v))
  return [...out]
}

/**
 * The fold's tag statements. Per row the update first: a known value (nearly every row)
 * costs one update, a new one an update that changes nothing and an insert. The updates
 * go as one bulk call whose RETURNING tells which rows were there, then the inserts of
 * the others as one more (the seam's `getEach`/`runMany`: one prepared statement looped
 * on SQLite, pipelined on PostgreSQL).
 */
const TAG_SQL = {
  add: `UPDATE issue_tags SET count = count + ?, last_seen = max(last_seen, ?)
     WHERE project_id = ? AND fingerprint = ? AND key = ? AND value = ? RETURNING 1 AS known`,
  insert:
    'INSERT INTO issue_tags (project_id, fingerprint, key, value, count, last_seen) VALUES (?, ?, ?, ?, ?, ?)',
  distinct: `SELECT count(*) - count(CASE WHEN value = '${OTHER_VALUE}' THEN 1 END) AS n FROM issue_tags
     WHERE project_id = ? AND fingerprint = ? AND key = ?`,
  fold: 'DELETE FROM issue_tags WHERE project_id = ? AND fingerprint = ? AND key = ? AND value = ?',
  other: `INSERT INTO issue_tags (project_id, fingerprint, key, value, count, last_seen) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_id, fingerprint, key, value) DO UPDATE SET count = count + excluded.count,
       last_seen = max(last_seen, excluded.last_seen)`,
} as const

interface Counted {
  project_id: string
  fingerprint: string
  key: string
  value: string
  n: number
  last: number
}

/** One issue's events of a fold, under the fingerprint its tags are counted by. */
export interface TaggedEvents {
  project_id: string
  fingerprint: string
  events: (TagSource & { received_at: number })[]
}

const rowKey = (projectId: string, fingerprint: string, key: string, value: string) =>
  `${projectId}\u0000${fingerprint}\u0000${key}\u0000${value}`

/**
 * Adds the tags of a fold's events (inside the fold's transaction), counted in memory per
 * (issue, key, value) first, then one bulk write per kind of row; only a key that gained
 * values is counted, and values past its limit are folded into OTHER_VALUE. Values are
 * written in the order of their first event, so a fold of many commits keeps the same 100
 * values as those commits one by one would have.
 */
export async function commitTags(tx: Queryable, issues: readonly TaggedEvents[]): Promise<void> {
  const counts: Counted[] = []
  const byRow = new Map<string, Counted>()
  for (const { project_id, fingerprint, events } of issues) {
    for (const e of events) {
      for (const [key, value] of tagsOf(e)) {
        const k = rowKey(project_id, fingerprint, key, value)
        const c = byRow.get(k)
        if (c) {
          c.n++
          if (e.received_at > c.last) c.last = e.received_at
        } else {
          const fresh = { project_id, fingerprint, key, value, n: 1, last: e.received_at }
          byRow.set(k, fresh)
          counts.push(fresh)
        }
      }
    }
  }
  if (counts.length === 0) return
  const known = await tx.getEach(
    TAG_SQL.add,
    counts.map((c) => [c.n, c.last, c.project_id, c.fingerprint, c.key, c.value]),
  )
  const inserts: Counted[] = []
  for (let i = 0; i < counts.length; i++) if (known[i] === null) inserts.push(counts[i] as Counted)
  if (inserts.length === 0) return
  await tx.runMany(
    TAG_SQL.insert,
    inserts.map((c) => [c.project_id, c.fingerprint, c.key, c.value, c.n, c.last]),
  )
  // Per issue and tag key, the values this fold added to it, in the order of their first event.
  const added = new Map<string, Counted[]>()
  for (const c of inserts) {
    if (c.value === OTHER_VALUE) continue
    const k = rowKey(c.project_id, c.fingerprint, c.key, '')
    const list = added.get(k)
    if (list) list.push(c)
    else added.set(k, [c])
  }
  const keys = [...added.values()]
  // Real values only: OTHER_VALUE's own row does not count against the limit.
  const distinct = await tx.getEach<{ n: number }>(
    TAG_SQL.distinct,
    keys.map((fresh) => {
      const { project_id, fingerprint, key } = fresh[0] as Counted
      return [project_id, fingerprint, key]
    }),
  )
  const folds: Param[][] = []
  const others: Param[][] = []
  for (let i = 0; i < keys.length; i++) {
    const fresh = keys[i] as Counted[]
    const over = Number((distinct[i] as { n: number }).n) - MAX_VALUES_PER_TAG
    if (over <= 0) continue
    const { project_id, fingerprint, key } = fresh[0] as Counted
    // Before this fold the key was within the limit, so the values past it are among the
    // fold's new ones: the last of them go to OTHER_VALUE.
    for (const c of fresh.slice(-over)) {
      folds.push([project_id, fingerprint, key, c.value])
      others.push([project_id, fingerprint, key, OTHER_VALUE, c.n, c.last])
    }
  }
  if (folds.length === 0) return
  await tx.runMany(TAG_SQL.fold, folds)
  await tx.runMany(TAG_SQL.other, others)
}

export interface TagFacet {
  key: string
  /** Events that carried this tag. */
  total: number
  /** Distinct values stored (OTHER_VALUE counts as one). */
  distinct: number
  values: { value: string; count: number; share: number; last_seen: number }[]
}

/**
 * Per tag of an issue, its top `top` values by count, with their share of the tag's
 * events, over its merge group (the fingerprints merged into it, merge.ts).
 */
export async function facetsOf(
  b: Queryable,
  projectId: string,
  group: string[],
  top: number,
): Promise<TagFacet[]> {
  type Row = { key: string; value: string; count: number; last_seen: number }
  // Numbered placeholders: the three parts share the project (?1) and the group (?2...).
  const members = group.map((_, i) => `?${i + 2}`).join(', ')
  const inGroup = `project_id = ?1 AND fingerprint IN (${members})`
  const rows = await b.all<Row>(
    `SELECT key, value, CAST(sum(count) AS INTEGER) AS count, max(last_seen) AS last_seen FROM issue_tags
     WHERE ${inGroup} GROUP BY key, value
     UNION ALL
     SELECT 'release', release, CAST(sum(total_count) AS INTEGER), max(last_seen) FROM error_aggregates
     WHERE ${inGroup} GROUP BY release
     UNION ALL
     SELECT 'environment', environment, CAST(sum(total_count) AS INTEGER), max(last_seen) FROM error_aggregates
     WHERE ${inGroup} GROUP BY environment
     ORDER BY key, count DESC, value`,
    [projectId, ...group],
  )
  const facets = new Map<string, { total: number; rows: Row[] }>()
  for (const r of rows) {
    const f = facets.get(r.key)
    if (f) {
      f.total += r.count
      f.rows.push(r)
    } else facets.set(r.key, { total: r.count, rows: [r] })
  }
  return [...facets].map(([key, f]) => ({
    key,
    total: f.total,
    distinct: f.rows.length,
    values: f.rows.slice(0, top).map((r) => ({
      value: r.value,
      count: r.count,
      share: r.count / f.total,
      last_seen: r.last_seen,
    })),
  }))
}
