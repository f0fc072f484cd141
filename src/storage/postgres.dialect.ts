/**
 * Everything PostgreSQL spells differently from the portable SQL stores write
 * (storage/backend.ts), in one place; postgres.ts applies it to every statement and row.
 *
 * - `translate` (remembered per text by `translated`): `?` placeholders become `$1, $2, ...`
 *   (`?3` becomes `$3`); `INSERT OR IGNORE INTO` becomes `INSERT INTO ... ON CONFLICT DO
 *   NOTHING`; two-argument `max(a, b)` / `min(a, b)` become `GREATEST` / `LEAST`; `ifnull`
 *   becomes `coalesce`; `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case);
 *   `COLLATE NOCASE` is dropped (the column is `citext`), `COLLATE BINARY` (SQLite's byte
 *   order) is `COLLATE "C"`; bare columns in an upsert's
 *   `DO UPDATE SET` expressions and its WHERE are qualified with the table (PostgreSQL
 *   finds them ambiguous with `excluded`'s); `iif(a, b, c)` becomes a CASE; `IS ?` becomes
 *   `IS NOT DISTINCT FROM`; `INDEXED BY` and `NOT INDEXED` hints are dropped; `instr(a, b)`
 *   becomes `strpos(a, b)`; SQLite's ordered join `CROSS JOIN x ON ...` becomes `JOIN x ON`
 *   (a `CROSS JOIN` without `ON` stays). String literals, quoted names
 *   and comments are left alone. `INSERT OR REPLACE` is refused: its conflict target must
 *   be written out.
 * - `normalise`: rows come back in SQLite's shapes: `bigint` and `numeric` as numbers
 *   (Bun.sql gives strings), booleans as 1/0, `bytea` as the Buffer Bun gives (a Uint8Array).
 * - `copyText`: a value in COPY's text format (the seam's insertMany).
 * - `postgresDialect`: the fragments a store asks for (backend.ts, `Dialect`).
 *
 * The schema's differences are in each migration's `.pg.sql` twin (migrate.ts).
 */
import type { Dialect, Param } from './backend'

/** Type OIDs converted on the way out. */
const INT8 = 20
const NUMERIC = 1700
const BOOL = 16

interface Column {
  name: string
  type: number
}

export type Result = unknown[] & { columns?: Column[]; count?: number; affectedRows?: number }

/** Rows in SQLite's shapes: numbers for bigint and numeric, 1/0 for booleans. */
export function normalise<T>(result: Result): T[] {
  const cols = (result.columns ?? []).filter((c) => c.type === INT8 || c.type === NUMERIC || c.type === BOOL)
  if (cols.length === 0) return result as T[]
  for (const row of result as Record<string, unknown>[]) {
    for (const c of cols) {
      const v = row[c.name]
      if (v === null || v === undefined) continue
      row[c.name] = c.type === BOOL ? (v ? 1 : 0) : Number(v)
    }
  }
  return result as T[]
}

const isIdentChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$]/.test(c)

/** Index just past the quoted run that starts at `i` (quote `q`, doubled to escape). */
function skipQuoted(sql: string, i: number, q: string): number {
  let j = i + 1
  while (j < sql.length) {
    if (sql[j] === q) {
      if (sql[j + 1] === q) j += 2
      else return j + 1
    } else j++
  }
  return j
}

/** Index just past a comment starting at `i`, or `i` when none starts there. */
function skipComment(sql: string, i: number): number {
  if (sql.startsWith('--', i)) {
    const end = sql.indexOf('\n', i)
    return end === -1 ? sql.length : end
  }
  if (sql.startsWith('/*', i)) {
    const end = sql.indexOf('*/', i + 2)
    return end === -1 ? sql.length : end + 2
  }
  return i
}

/**
 * Walks `sql` from `from` past quoted text and comments, giving `stop` each other
 * character's index and the parenthesis depth once that character is counted; answers the
 * first index `stop` accepts, or -1.
 */
function scanCode(sql: string, from: number, stop: (i: number, depth: number) => boolean): number {
  let depth = 0
  let i = from
  while (i < sql.length) {
    const c = sql[i] as string
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c)
      continue
    }
    const after = skipComment(sql, i)
    if (after !== i) {
      i = after
      continue
    }
    if (c === '(') depth++
    else if (c === ')') depth--
    if (stop(i, depth)) return i
    i++
  }
  return -1
}

/** Whether the call whose `(` is at `open` has a comma at its top level. */
function hasTopLevelComma(sql: string, open: number): boolean {
  // The first top-level comma, or the `)` that closes the call.
  const at = scanCode(
    sql,
    open,
    (i, depth) => (sql[i] === ')' && depth === 0) || (sql[i] === ',' && depth === 1),
  )
  return at !== -1 && sql[at] === ','
}

const WORDS: Record<string, (sql: string, end: number) => string | null> = {
  max: (sql, end) =>
    nextParen(sql, end) !== -1 && hasTopLevelComma(sql, nextParen(sql, end)) ? 'GREATEST' : null,
  min: (sql, end) =>
    nextParen(sql, end) !== -1 && hasTopLevelComma(sql, nextParen(sql, end)) ? 'LEAST' : null,
  ifnull: (sql, end) => (nextParen(sql, end) !== -1 ? 'coalesce' : null),
  instr: (sql, end) => (nextParen(sql, end) !== -1 ? 'strpos' : null),
  like: () => 'ILIKE',
}

function nextParen(sql: string, i: number): number {
  let j = i
  while (j < sql.length && /\s/.test(sql[j] as string)) j++
  return sql[j] === '(' ? j : -1
}

/** The top-level index of `RETURNING`, or -1. */
function topLevelReturning(sql: string): number {
  return scanCode(
    sql,
    0,
    (i, depth) =>
      depth === 0 &&
      /^returning\b/i.test(sql.slice(i, i + 10)) &&
      !isIdentChar(sql[i - 1]) &&
      !isIdentChar(sql[i + 9]),
  )
}

/** `iif(a, b, c)` as `CASE WHEN a THEN b ELSE c END`, innermost first; the arguments keep their order. */
function expandIif(sql: string): string {
  for (;;) {
    const m = masked(sql)
    const re = /\biif\s*\(/gi
    let found: { start: number; open: number } | null = null
    for (const hit of m.matchAll(re)) found = { start: hit.index, open: hit.index + hit[0].length - 1 }
    if (!found) return sql
    const commas: number[] = []
    let depth = 0
    let close = -1
    for (let i = found.open; i < m.length; i++) {
      const c = m[i]
      if (c === '(') depth++
      else if (c === ')' && --depth === 0) {
        close = i
        break
      } else if (c === ',' && depth === 1) commas.push(i)
    }
    if (close === -1 || commas.length !== 2) return sql
    const [a, b] = commas as [number, number]
    const arg = (from: number, to: number) => sql.slice(from, to).trim()
    sql = `${sql.slice(0, found.start)}CASE WHEN ${arg(found.open + 1, a)} THEN ${arg(a + 1, b)} ELSE ${arg(b + 1, close)} END${sql.slice(close + 1)}`
  }
}

/** Portable SQL (backend.ts) as PostgreSQL reads it. */
export function translate(portable: string): string {
  const sql = expandIif(portable)
  let out = ''
  let n = 0
  let i = 0
  let ignore = false
  while (i < sql.length) {
    const c = sql[i] as string
    if (c === "'" || c === '"') {
      const end = skipQuoted(sql, i, c)
      out += sql.slice(i, end)
      i = end
      continue
    }
    const after = skipComment(sql, i)
    if (after !== i) {
      out += sql.slice(i, after)
      i = after
      continue
    }
    if (c === '?') {
      // SQLite's numbered `?NNN` keeps its number; a bare `?` takes one past the largest so far.
      const m = /^\?(\d+)/.exec(sql.slice(i, i + 8))
      if (m) {
        const k = Number(m[1])
        n = Math.max(n, k)
        out += `$${k}`
        i += m[0].length
        continue
      }
      out += `$${++n}`
      i++
      continue
    }
    if (/[A-Za-z_]/.test(c) && !isIdentChar(sql[i - 1])) {
      let end = i
      while (isIdentChar(sql[end])) end++
      const word = sql.slice(i, end)
      const lower = word.toLowerCase()
      if (lower === 'insert') {
        const m = /^INSERT\s+OR\s+IGNORE\s+INTO\b/i.exec(sql.slice(i))
        if (m) {
          ignore = true
          out += 'INSERT INTO'
          i += m[0].length
          continue
        }
        if (/^INSERT\s+OR\s+REPLACE\b/i.test(sql.slice(i)))
          throw new Error(
            'expected an upsert (INSERT ... ON CONFLICT (...) DO UPDATE), got INSERT OR REPLACE',
          )
      }
      if (lower === 'indexed') {
        // SQLite's planner hint; PostgreSQL plans by itself.
        const m = /^INDEXED\s+BY\s+[A-Za-z_][A-Za-z0-9_]*/i.exec(sql.slice(i))
        if (m) {
          out = out.replace(/\s+$/, '')
          i += m[0].length
          continue
        }
      }
      if (lower === 'not') {
        const m = /^NOT\s+INDEXED\b/i.exec(sql.slice(i))
        if (m) {
          out = out.replace(/\s+$/, '')
          i += m[0].length
          continue
        }
      }
      if (lower === 'cross') {
        // SQLite's CROSS JOIN with ON is an inner join whose left table is read first; PostgreSQL
        // refuses ON after CROSS JOIN and orders joins itself.
        const m =
          /^CROSS\s+JOIN(?=\s+(?:[A-Za-z_][A-Za-z0-9_]*|\((?:[^()]|\([^()]*\))*\))(?:\s+(?:AS\s+)?(?!ON\b)[A-Za-z_][A-Za-z0-9_]*)?\s+ON\b)/i.exec(
            masked(sql.slice(i)),
          )
        if (m) {
          out += 'JOIN'
          i += m[0].length
          continue
        }
      }
      if (lower === 'is') {
        // SQLite's `IS ?` is a null-safe comparison with a value.
        const m = /^IS(\s+NOT)?\s+(?=\?)/i.exec(sql.slice(i))
        if (m) {
          out += m[1] ? 'IS DISTINCT FROM ' : 'IS NOT DISTINCT FROM '
          i += m[0].length
          continue
        }
      }
      if (lower === 'collate') {
        const m = /^COLLATE\s+NOCASE\b/i.exec(sql.slice(i))
        if (m) {
          out = out.replace(/\s+$/, '')
          i += m[0].length
          continue
        }
        // SQLite's byte order, whatever collation the PostgreSQL database was created with.
        const binary = /^COLLATE\s+BINARY\b/i.exec(sql.slice(i))
        if (binary) {
          out += 'COLLATE "C"'
          i += binary[0].length
          continue
        }
      }
      const rule = WORDS[lower]
      const replaced = rule ? rule(sql, end) : null
      out += replaced ?? word
      i = end
      continue
    }
    out += c
    i++
  }
  if (ignore) {
    out = out.replace(/;\s*$/, '')
    const at = topLevelReturning(out)
    out =
      at === -1
        ? `${out} ON CONFLICT DO NOTHING`
        : `${out.slice(0, at)}ON CONFLICT DO NOTHING ${out.slice(at)}`
  }
  return qualifyUpsert(out)
}

/** `sql` with string literals, quoted names and comments blanked out, indices kept. */
function masked(sql: string): string {
  let out = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i] as string
    if (c === "'" || c === '"') {
      const end = skipQuoted(sql, i, c)
      out += ' '.repeat(end - i)
      i = end
      continue
    }
    const after = skipComment(sql, i)
    if (after !== i) {
      out += ' '.repeat(after - i)
      i = after
      continue
    }
    out += c
    i++
  }
  return out
}

/** Words of an upsert's SET and WHERE that are not column names. */
const NOT_COLUMNS = new Set(
  (
    'and or not null is in like ilike between case when then else end true false cast as where excluded ' +
    'distinct escape exists select from integer bigint int text real double precision numeric boolean'
  ).split(' '),
)

/**
 * In `INSERT INTO t ... ON CONFLICT ... DO UPDATE SET a = a + 1 WHERE a < 9`, SQLite reads
 * a bare column as the existing row's; PostgreSQL calls it ambiguous (`excluded` has it
 * too). Bare columns on the right of each assignment and in the WHERE get `t.`; the
 * assigned columns stay bare (PostgreSQL refuses them qualified).
 */
function qualifyUpsert(sql: string): string {
  const m = masked(sql)
  const target = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(m)
  const set = /\bDO\s+UPDATE\s+SET\b/i.exec(m)
  if (!target || !set) return sql
  const table = target[1] as string
  const returning = topLevelReturning(sql)
  const end = returning === -1 ? m.length : returning
  const inserts: number[] = []
  let depth = 0
  let lhs = true
  let inWhere = false
  let i = set.index + set[0].length
  while (i < end) {
    const c = m[i] as string
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ',' && depth === 0 && !inWhere) lhs = true
    if (c === '$' || /[0-9]/.test(c)) {
      while (i < end && /[$0-9.]/.test(m[i] as string)) i++
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i
      while (j < end && isIdentChar(m[j])) j++
      const word = m.slice(i, j).toLowerCase()
      let k = j
      while (k < end && /\s/.test(m[k] as string)) k++
      const qualified = m[i - 1] === '.' || m[k] === '.'
      const call = m[k] === '('
      if (word === 'where' && depth === 0) {
        inWhere = true
        lhs = false
      } else if (!NOT_COLUMNS.has(word) && !qualified && !call) {
        if (lhs && depth === 0 && !inWhere) lhs = false
        else inserts.push(i)
      }
      i = j
      continue
    }
    i++
  }
  let out = sql
  for (const at of inserts.reverse()) out = `${out.slice(0, at)}${table}.${out.slice(at)}`
  return out
}

const translations = new Map<string, string>()

/** `translate`, remembered per text: stores run the same few hundred statements. */
export function translated(sql: string): string {
  let t = translations.get(sql)
  if (t === undefined) {
    t = translate(sql)
    if (translations.size > 5000) translations.clear()
    translations.set(sql, t)
  }
  return t
}

export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`

/** One value in COPY's text format: \N for null, bytea as escaped hex, specials escaped. */
export function copyText(v: Param | undefined): string {
  if (v === null || v === undefined) return '\\N'
  if (v instanceof Uint8Array)
    return `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`
  if (typeof v === 'boolean') return v ? 't' : 'f'
  if (typeof v !== 'string') return String(v)
  return v.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  )
}

/** Escapes `%`, `_` and `\\` for `LIKE ... ESCAPE '\\'`. */
const likeText = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** PostgreSQL's spelling of what portable SQL cannot say (backend.ts, `Dialect`). */
export const postgresDialect: Dialect = {
  textMatch: (search, text) => {
    const pattern = `%${likeText(text)}%`
    const joined = search.columns.map((c) => `coalesce(${ident(c)}, '')`).join(" || ' ' || ")
    const each = search.columns.map((c) => `${ident(c)} ILIKE ? ESCAPE '\\'`).join(' OR ')
    return {
      sql: `(${joined}) ILIKE ? ESCAPE '\\' AND (${each})`,
      params: [pattern, ...search.columns.map(() => pattern)],
    }
  },
}
