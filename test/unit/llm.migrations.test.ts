/**
 * The LLM migration `202612030100_llm_span_received_at` on a SQLite database that holds
 * spans already: each one takes its trace's `created_at` (the first receive time, what the
 * writer stores on every new span, PostgreSQL's partition key), or its own start when its
 * trace is gone, and the column refuses NULL afterwards.
 */
import { afterAll, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { MIGRATIONS } from '../../src/features'
import { openDatabase } from '../../src/storage/db'
import { migrate } from '../../src/storage/migrate'
import { tempDir } from '../helpers'

const dir = tempDir('bloop-llm-migrations-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('spans stored before the column get their trace’s created_at, or their own start without a trace', () => {
  const db = openDatabase(join(dir, 'bloop.db'))
  const before = MIGRATIONS.filter((m) => m.id < 202612030100)
  expect(MIGRATIONS.length - before.length).toBeGreaterThanOrEqual(1)
  migrate(db, before)
  db.run(
    `INSERT INTO llm_traces (project_id, id, status, started_at, created_at, updated_at)
     VALUES ('p1', 't1', 'completed', 5000, 1000, 9000), ('p2', 't1', 'completed', 6000, 2000, 9000)`,
  )
  const span = db.query(
    `INSERT INTO llm_spans (project_id, trace_id, id, span_type, status, started_at, cost_source)
     VALUES (?, ?, ?, 'generation', 'ok', ?, 'unknown')`,
  )
  span.run('p1', 't1', 'a', 5100)
  span.run('p1', 't1', 'b', 5200)
  span.run('p2', 't1', 'a', 6100)
  span.run('p1', 'gone', 'a', 7100)
  migrate(db, MIGRATIONS)
  expect(db.query('SELECT project_id, trace_id, id, received_at FROM llm_spans ORDER BY seq').all()).toEqual([
    { project_id: 'p1', trace_id: 't1', id: 'a', received_at: 1000 },
    { project_id: 'p1', trace_id: 't1', id: 'b', received_at: 1000 },
    { project_id: 'p2', trace_id: 't1', id: 'a', received_at: 2000 },
    { project_id: 'p1', trace_id: 'gone', id: 'a', received_at: 7100 },
  ])
  expect(() =>
    db.run(
      `INSERT INTO llm_spans (project_id, trace_id, id, span_type, status, started_at, cost_source, received_at)
       VALUES ('p1', 't1', 'c', 'generation', 'ok', 1, 'unknown', NULL)`,
    ),
  ).toThrow('NOT NULL constraint failed: llm_spans.received_at')
  db.close()
})
