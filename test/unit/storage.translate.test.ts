/**
 * The PostgreSQL dialect's translation of portable SQL (src/storage/postgres.dialect.ts): what
 * changes, and that string literals, quoted names and comments never do.
 */
import { describe, expect, test } from 'bun:test'
import { translate } from '../../src/storage/postgres.dialect'

describe('translate (portable SQL to PostgreSQL)', () => {
  test('numbers placeholders in order, skipping literals, quoted names and comments', () => {
    expect(
      translate('SELECT * FROM t WHERE a = ? AND b = \'?\' AND "c?" = ? -- ?\n AND d IN (?, ?) /* ? */'),
    ).toBe('SELECT * FROM t WHERE a = $1 AND b = \'?\' AND "c?" = $2 -- ?\n AND d IN ($3, $4) /* ? */')
    expect(translate("SELECT 'it''s ?' AS s, ? AS x")).toBe("SELECT 'it''s ?' AS s, $1 AS x")
  })

  test("SQLite's numbered ?NNN keep their numbers; a bare ? after them takes the next", () => {
    expect(translate('UPDATE t SET a = ?1, b = ?2 WHERE a != ?1 AND c = ?')).toBe(
      'UPDATE t SET a = $1, b = $2 WHERE a != $1 AND c = $3',
    )
    expect(translate('SELECT ?, ?12, ?')).toBe('SELECT $1, $12, $13')
  })

  test('INSERT OR IGNORE becomes ON CONFLICT DO NOTHING, before RETURNING when there is one', () => {
    expect(translate('INSERT OR IGNORE INTO t (a, b) VALUES (?, ?);')).toBe(
      'INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    )
    expect(translate('insert or ignore into t (a) values (?) returning id')).toBe(
      'INSERT INTO t (a) values ($1) ON CONFLICT DO NOTHING returning id',
    )
    // A RETURNING inside a literal or a subquery is not the statement's.
    expect(translate("INSERT OR IGNORE INTO t (a) SELECT 'returning' FROM (SELECT 1) x")).toBe(
      "INSERT INTO t (a) SELECT 'returning' FROM (SELECT 1) x ON CONFLICT DO NOTHING",
    )
  })

  test('INSERT OR REPLACE is refused: its conflict target must be written out', () => {
    expect(() => translate('INSERT OR REPLACE INTO t VALUES (?)')).toThrow(
      'expected an upsert (INSERT ... ON CONFLICT (...) DO UPDATE), got INSERT OR REPLACE',
    )
  })

  test('two-argument max and min become GREATEST and LEAST; the aggregates stay', () => {
    expect(
      translate(
        'UPDATE i SET last_seen = max(last_seen, ?), first_seen = MIN(first_seen, excluded.first_seen)',
      ),
    ).toBe(
      'UPDATE i SET last_seen = GREATEST(last_seen, $1), first_seen = LEAST(first_seen, excluded.first_seen)',
    )
    expect(translate('SELECT max(a), min(coalesce(b, 0)), max(f(a, b)) AS max FROM t')).toBe(
      'SELECT max(a), min(coalesce(b, 0)), max(f(a, b)) AS max FROM t',
    )
    expect(translate("SELECT max ( a , 'x,y' ) FROM t")).toBe("SELECT GREATEST ( a , 'x,y' ) FROM t")
    // A column named like a function, and words that only contain it, are left alone.
    expect(translate('SELECT maxim, t.max FROM t')).toBe('SELECT maxim, t.max FROM t')
  })

  test('ifnull, LIKE and COLLATE NOCASE take their PostgreSQL spelling', () => {
    expect(translate('SELECT ifnull(a, 0) FROM t WHERE models LIKE ? AND u = ? COLLATE NOCASE')).toBe(
      'SELECT coalesce(a, 0) FROM t WHERE models ILIKE $1 AND u = $2',
    )
    expect(translate("SELECT 'LIKE ifnull(' FROM t WHERE name NOT LIKE 'a%'")).toBe(
      "SELECT 'LIKE ifnull(' FROM t WHERE name NOT ILIKE 'a%'",
    )
  })

  test('iif becomes CASE, IS ? a null-safe comparison, INDEXED BY goes', () => {
    expect(translate("UPDATE i SET r = iif(a > ?, iif(b, 'x', 'y'), ?), s = IIF(c, 1, 0) WHERE id = ?")).toBe(
      "UPDATE i SET r = CASE WHEN a > $1 THEN CASE WHEN b THEN 'x' ELSE 'y' END ELSE $2 END, s = CASE WHEN c THEN 1 ELSE 0 END WHERE id = $3",
    )
    expect(translate("SELECT 'iif(a, b, c)' AS t")).toBe("SELECT 'iif(a, b, c)' AS t")
    expect(translate('DELETE FROM o WHERE id = ? AND project_id IS ? AND x IS NOT ? AND y IS NULL')).toBe(
      'DELETE FROM o WHERE id = $1 AND project_id IS NOT DISTINCT FROM $2 AND x IS DISTINCT FROM $3 AND y IS NULL',
    )
    expect(translate('SELECT id FROM raw_events INDEXED BY raw_events_received WHERE received_at < ?')).toBe(
      'SELECT id FROM raw_events WHERE received_at < $1',
    )
  })

  test("NOT INDEXED goes, instr is strpos, and SQLite's ordered CROSS JOIN ... ON is a JOIN", () => {
    expect(
      translate("SELECT 1 FROM llm_traces t NOT INDEXED WHERE instr(t.models, ' ' || ? || ' ') > 0"),
    ).toBe("SELECT 1 FROM llm_traces t WHERE strpos(t.models, ' ' || $1 || ' ') > 0")
    expect(translate("SELECT 1 FROM a WHERE x NOT IN (?) AND 'NOT INDEXED' <> instr")).toBe(
      "SELECT 1 FROM a WHERE x NOT IN ($1) AND 'NOT INDEXED' <> instr",
    )
    expect(
      translate(
        'SELECT t.id FROM (SELECT DISTINCT p, id FROM (SELECT p, id FROM s WHERE m = ?) x) m CROSS JOIN llm_traces t ON t.id = m.id',
      ),
    ).toBe(
      'SELECT t.id FROM (SELECT DISTINCT p, id FROM (SELECT p, id FROM s WHERE m = $1) x) m JOIN llm_traces t ON t.id = m.id',
    )
    expect(translate('SELECT * FROM a CROSS JOIN b AS bb ON bb.k = a.k')).toBe(
      'SELECT * FROM a JOIN b AS bb ON bb.k = a.k',
    )
    // A cross join proper (no ON) stays one, LATERAL included.
    expect(translate('SELECT * FROM a CROSS JOIN b WHERE a.k = b.k')).toBe(
      'SELECT * FROM a CROSS JOIN b WHERE a.k = b.k',
    )
    expect(translate('SELECT * FROM s CROSS JOIN LATERAL (SELECT s.m AS j) m WHERE m.j ON')).toBe(
      'SELECT * FROM s CROSS JOIN LATERAL (SELECT s.m AS j) m WHERE m.j ON',
    )
  })

  test('COLLATE BINARY is byte order on PostgreSQL too, whatever the database collation', () => {
    expect(
      translate("SELECT name FROM t ORDER BY n DESC, name COLLATE BINARY, 'COLLATE BINARY' LIMIT ?"),
    ).toBe('SELECT name FROM t ORDER BY n DESC, name COLLATE "C", \'COLLATE BINARY\' LIMIT $1')
  })

  test('portable SQL passes through unchanged but for its placeholders', () => {
    const upsert =
      'INSERT INTO c (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = c.n + excluded.n RETURNING n'
    expect(translate(upsert)).toBe(upsert.replace('?', '$1'))
  })

  test("an upsert's bare columns are the existing row's: qualified on the right and in WHERE, never on the left", () => {
    expect(
      translate(
        `INSERT INTO llm_unknown_models (project_id, model, span_count, last_seen) VALUES (?, ?, 1, ?)
         ON CONFLICT (project_id, model) DO UPDATE SET span_count = span_count + 1, last_seen = excluded.last_seen`,
      ),
    ).toBe(
      `INSERT INTO llm_unknown_models (project_id, model, span_count, last_seen) VALUES ($1, $2, 1, $3)
         ON CONFLICT (project_id, model) DO UPDATE SET span_count = llm_unknown_models.span_count + 1, last_seen = excluded.last_seen`,
    )
    expect(
      translate(
        "INSERT INTO s (id, a, b) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET a = ?1, b = CASE WHEN b IS NULL THEN 'x' ELSE max(b, ?2) END WHERE set_by IS NULL AND (a != ?1 OR b != ?2) RETURNING a",
      ),
    ).toBe(
      "INSERT INTO s (id, a, b) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET a = $1, b = CASE WHEN s.b IS NULL THEN 'x' ELSE GREATEST(s.b, $2) END WHERE s.set_by IS NULL AND (s.a != $1 OR s.b != $2) RETURNING a",
    )
    // Functions, casts, literals and already qualified names stay as written.
    expect(
      translate(
        "INSERT INTO t (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = CAST(coalesce(t.n, 0) AS INTEGER) + length('n')",
      ),
    ).toBe(
      "INSERT INTO t (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = CAST(coalesce(t.n, 0) AS INTEGER) + length('n')",
    )
  })
})
