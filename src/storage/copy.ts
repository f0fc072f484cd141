/**
 * Copies a SQLite database into an empty, migrated PostgreSQL database, table by table in
 * foreign-key order, in batches read in primary-key order (`bloop db copy`; README,
 * "Moving to PostgreSQL").
 *
 * - Resumable. Each batch is streamed in (COPY, through the seam's insertMany) in one
 *   PostgreSQL transaction together with the
 *   last key it copied (`_copy_progress`), so a copy that is stopped at any point (Ctrl-C,
 *   kill -9, a lost connection) continues after the last committed batch when run again.
 * - Verified. At the end every table's row count is compared with the source's; only then
 *   is `_copy_progress` dropped. A difference fails the copy, naming the tables.
 * - Only into an empty database: rows in a bloop table without a copy in progress are
 *   refused rather than mixed with.
 * - Generic: the caller says which tables are derived (rebuilt on PostgreSQL from the
 *   others instead of copied: a contentless full-text index holds no text to read) and how
 *   to fill columns only PostgreSQL has (partition keys). Partitions covering the source's
 *   receive times are created before a partitioned table is filled.
 */
import type { Backend, Param, Queryable } from './backend'
import type { Db } from './db'

export interface CopyPlan {
  /** Tables rebuilt on PostgreSQL by one statement once every copied table is in. */
  derived: readonly { table: string; rebuild: string }[]
  /** PostgreSQL-only columns: table -> column -> a SQLite expression over the source row. */
  computed: Readonly<Record<string, Readonly<Record<string, string>>>>
  /**
   * Tables whose rows the migrations themselves write into an empty database (a feature's
   * single-row state, such as the errors fold's watermark): the copy replaces them with
   * the source's rows instead of taking them for data already there.
   */
  seeded?: readonly string[]
}

export interface CopyProgress {
  table: string
  /** Rows copied so far, all tables (resumed ones included). */
  done: number
  total: number
}

export interface CopyReport {
  tables: { table: string; rows: number }[]
  rows: number
  resumed: boolean
  ms: number
}

export class CopyRefused extends Error {
  override name = 'CopyRefused'
}

interface TableInfo {
  name: string
  columns: string[]
  /** Keyset order: the primary key, or rowid for a table without one. */
  key: string[]
  /** The destination's columns and their types (every copied column must be one). */
  types: Record<string, string>
}

const PROGRESS = '_copy_progress'

const q = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Source tables in an order where every table comes after those it references. */
function sourceTables(src: Db, skip: ReadonlySet<string>): string[] {
  const names = src
    .query<{ name: string; type: string }, []>(
      "SELECT name, type FROM pragma_table_list WHERE schema = 'main'",
    )
    .all()
    .filter((t) => t.type === 'table' && !t.name.startsWith('sqlite_') && !skip.has(t.name))
    .map((t) => t.name)
    .sort()
  const deps = new Map(
    names.map((n) => [
      n,
      src
        .query<{ table: string }, [string]>('SELECT "table" FROM pragma_foreign_key_list(?)')
        .all(n)
        .map((f) => f.table)
        .filter((t) => t !== n && names.includes(t)),
    ]),
  )
  const ordered: string[] = []
  const visit = (n: string, path: Set<string>) => {
    if (ordered.includes(n) || path.has(n)) return
    path.add(n)
    for (const d of deps.get(n) ?? []) visit(d, path)
    ordered.push(n)
  }
  for (const n of names) visit(n, new Set())
  return ordered
}

async function describe(src: Db, dst: Backend, table: string, plan: CopyPlan): Promise<TableInfo> {
  const cols = src
    .query<{ name: string; pk: number }, [string]>('SELECT name, pk FROM pragma_table_info(?)')
    .all(table)
  const key = cols
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name)
  const dstCols = await dst.all<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped`,
    [q(table)],
  )
  if (dstCols.length === 0)
    throw new CopyRefused(`the PostgreSQL database has no table ${table}: is it bloop's, migrated?`)
  const types = Object.fromEntries(dstCols.map((c) => [c.name, c.type]))
  const columns = [...cols.map((c) => c.name), ...Object.keys(plan.computed[table] ?? {})]
  const missing = columns.filter((c) => !(c in types))
  if (missing.length > 0)
    throw new CopyRefused(`the PostgreSQL table ${table} has no column ${missing.join(', ')}`)
  return { name: table, columns, key: key.length > 0 ? key : ['rowid'], types }
}

const count = (src: Db, table: string) =>
  (src.query(`SELECT count(*) AS n FROM ${q(table)}`).get() as { n: number }).n

/** Creates the partitions a partitioned destination table needs for the source's rows. */
async function coverPartitions(src: Db, dst: Backend, t: TableInfo, plan: CopyPlan): Promise<void> {
  const part = await dst.get<{ col: string }>(
    `SELECT a.attname AS col FROM pg_partitioned_table p
     JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
     WHERE p.partrelid = ?::regclass`,
    [q(t.name)],
  )
  if (!part) return
  const expr = plan.computed[t.name]?.[part.col] ?? q(part.col)
  const range = src.query(`SELECT min(${expr}) AS lo, max(${expr}) AS hi FROM ${q(t.name)}`).get() as {
    lo: number | null
    hi: number | null
  }
  if (range.lo === null || range.hi === null) return
  await dst.get('SELECT bloop_partitions_cover(?, ?, ?) AS n', [t.name, range.lo, range.hi])
}

/** Moves identity sequences past the copied ids, so new rows do not collide with them. */
async function resetSequences(dst: Queryable, table: string): Promise<void> {
  const idents = await dst.all<{ col: string }>(
    `SELECT attname AS col FROM pg_attribute WHERE attrelid = ?::regclass AND attidentity <> '' AND attnum > 0`,
    [q(table)],
  )
  for (const { col } of idents) {
    await dst.get(
      `SELECT setval(pg_get_serial_sequence(?, ?), GREATEST((SELECT max(${q(col)}) FROM ${q(table)}), 1),
         (SELECT max(${q(col)}) FROM ${q(table)}) IS NOT NULL) AS v`,
      [q(table), col],
    )
  }
}

export async function copyDatabase(
  src: Db,
  dst: Backend,
  plan: CopyPlan,
  o: { batchRows: number; onProgress?: (p: CopyProgress) => void },
): Promise<CopyReport> {
  const t0 = performance.now()
  if (dst.kind !== 'postgres') throw new CopyRefused('expected a PostgreSQL destination')
  const derived = new Set(plan.derived.map((d) => d.table))
  const skip = new Set(['_migrations', ...derived])
  const tables = await Promise.all(sourceTables(src, skip).map((t) => describe(src, dst, t, plan)))
  const resumed = (await dst.get<{ r: string | null }>('SELECT to_regclass(?) AS r', [PROGRESS]))?.r != null
  if (!resumed) {
    const seeded = new Set(plan.seeded ?? [])
    for (const t of [...tables.map((x) => x.name), ...derived]) {
      if (seeded.has(t)) continue
      const any = await dst.get(`SELECT 1 AS one FROM ${q(t)} LIMIT 1`)
      if (any)
        throw new CopyRefused(
          `the PostgreSQL database already holds bloop data (table ${t} has rows) and no copy is in progress; copy into an empty database`,
        )
    }
    await dst.transaction(async (tx) => {
      for (const t of tables) if (seeded.has(t.name)) await tx.run(`DELETE FROM ${q(t.name)}`)
    })
    await dst.exec(
      `CREATE TABLE ${PROGRESS} (tbl TEXT PRIMARY KEY, last_key TEXT, rows BIGINT NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0)`,
    )
  }
  const progress = new Map(
    (
      await dst.all<{ tbl: string; last_key: string | null; rows: number; done: number }>(
        `SELECT * FROM ${PROGRESS}`,
      )
    ).map((r) => [r.tbl, r]),
  )
  const sourceCounts = new Map(tables.map((t) => [t.name, count(src, t.name)]))
  const total = [...sourceCounts.values()].reduce((a, b) => a + b, 0)
  let done = [...progress.values()].reduce((a, r) => a + r.rows, 0)
  const report: CopyReport['tables'] = []

  for (const t of tables) {
    const state = progress.get(t.name)
    if (state?.done) {
      report.push({ table: t.name, rows: state.rows })
      continue
    }
    await coverPartitions(src, dst, t, plan)
    let last: Param[] | null = state?.last_key ? (JSON.parse(state.last_key) as Param[]) : null
    let rows = state?.rows ?? 0
    const computed = plan.computed[t.name] ?? {}
    const selectCols = t.columns.map((c) =>
      c in computed ? `${computed[c]} AS ${q(c)}` : `${q(t.name)}.${q(c)}`,
    )
    const keyCols = t.key.map((k) => `${q(t.name)}.${q(k)}`)
    const keyAliases = t.key.map((_, i) => `__k${i}`)
    const batch = Math.max(1, o.batchRows)
    const read = (after: Param[] | null) =>
      src
        .query(
          `SELECT ${[...selectCols, ...keyCols.map((k, i) => `${k} AS ${keyAliases[i]}`)].join(', ')} FROM ${q(t.name)}
           ${after ? `WHERE (${keyCols.join(', ')}) > (${t.key.map(() => '?').join(', ')})` : ''}
           ORDER BY ${keyCols.join(', ')} LIMIT ${batch}`,
        )
        .all(...((after ?? []) as never[])) as Record<string, Param>[]
    for (let chunk = read(last); chunk.length > 0; chunk = read(last)) {
      const lastRow = chunk[chunk.length - 1] as Record<string, Param>
      const key = keyAliases.map((a) => lastRow[a] ?? null)
      const values = chunk.map((r) => t.columns.map((c) => r[c] ?? null))
      await dst.transaction(async (tx) => {
        await tx.insertMany(t.name, t.columns, values)
        await tx.run(
          `INSERT INTO ${PROGRESS} (tbl, last_key, rows) VALUES (?, ?, ?)
           ON CONFLICT (tbl) DO UPDATE SET last_key = excluded.last_key, rows = excluded.rows`,
          [t.name, JSON.stringify(key), rows + chunk.length],
        )
      })
      rows += chunk.length
      done += chunk.length
      last = key
      o.onProgress?.({ table: t.name, done, total })
      if (chunk.length < batch) break
    }
    await dst.transaction(async (tx) => {
      await resetSequences(tx, t.name)
      await tx.run(
        `INSERT INTO ${PROGRESS} (tbl, rows, done) VALUES (?, ?, 1) ON CONFLICT (tbl) DO UPDATE SET done = 1, rows = excluded.rows`,
        [t.name, rows],
      )
    })
    report.push({ table: t.name, rows })
    o.onProgress?.({ table: t.name, done, total })
  }

  for (const d of plan.derived) {
    if (progress.get(d.table)?.done) continue
    await dst.transaction(async (tx) => {
      await tx.exec(`DELETE FROM ${q(d.table)}`)
      await tx.exec(d.rebuild)
      const n = await tx.get<{ n: number }>(`SELECT count(*) AS n FROM ${q(d.table)}`)
      await tx.run(
        `INSERT INTO ${PROGRESS} (tbl, rows, done) VALUES (?, ?, 1) ON CONFLICT (tbl) DO UPDATE SET done = 1, rows = excluded.rows`,
        [d.table, n?.n ?? 0],
      )
    })
  }

  // Verification: every copied table holds exactly the source's rows, then the copy is done.
  const wrong: string[] = []
  for (const t of tables) {
    const n = (await dst.get<{ n: number }>(`SELECT count(*) AS n FROM ${q(t.name)}`))?.n ?? 0
    const want = sourceCounts.get(t.name) ?? 0
    if (n !== want) wrong.push(`${t.name} (${want} in SQLite, ${n} in PostgreSQL)`)
  }
  for (const d of plan.derived) {
    const want = count(src, d.table)
    const n = (await dst.get<{ n: number }>(`SELECT count(*) AS n FROM ${q(d.table)}`))?.n ?? 0
    if (n !== want) wrong.push(`${d.table} (${want} in SQLite, ${n} rebuilt in PostgreSQL)`)
    report.push({ table: d.table, rows: n })
  }
  if (wrong.length > 0)
    throw new CopyRefused(
      `row counts differ after the copy: ${wrong.join(', ')}; was the server running? stop it and run the copy again (it continues)`,
    )
  await dst.exec(`DROP TABLE ${PROGRESS}`)
  return {
    tables: report,
    rows: report.reduce((a, r) => a + r.rows, 0),
    resumed,
    ms: Math.round(performance.now() - t0),
  }
}
