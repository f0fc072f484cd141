/**
 * Storage's own writer tasks and the project purge, as seam tasks on both backends (through
 * SeamWriter, the writer PostgreSQL uses; the writer thread runs the same functions in a
 * SqliteBackend, test/unit/writer.thread.test.ts): the health ping, the vacuum step
 * (SQLite returns free pages; PostgreSQL has none to return and says so), the purge of a
 * deleted project's rows batch by batch with single and composite keys, and the sweep for
 * purges a crash cut short. A SQLite task is refused by the seam writer with its name.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { ProjectDataTable } from '../../src/core/feature'
import { orphanedProjects, purgeTasks } from '../../src/projects/tasks'
import type { Backend } from '../../src/storage/backend'
import type { Db } from '../../src/storage/db'
import { storageTasks } from '../../src/storage/tasks'
import { WriterError } from '../../src/storage/writer'
import { SeamWriter } from '../../src/storage/writer.backend'
import { WRITER_TASKS } from '../../src/writer.tasks'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const TABLES: ProjectDataTable[] = [
  { table: 'llm_unknown_models', key: ['project_id', 'model', 'provider'] },
  { table: 'error_settings', key: ['project_id'] },
]
const tasks = { ...storageTasks, ...purgeTasks(TABLES) }

async function seed(b: Backend): Promise<void> {
  for (const p of ['gone', 'kept']) {
    await b.run('INSERT INTO error_settings (project_id, updated_at) VALUES (?, ?)', [p, T0])
    for (let i = 0; i < 5; i++)
      await b.run(
        'INSERT INTO llm_unknown_models (project_id, model, provider, span_count, first_seen, last_seen) VALUES (?, ?, ?, 1, ?, ?)',
        [p, `m${i}`, i % 2 === 0 ? 'openai' : '', T0, T0],
      )
  }
  await b.run(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ['kept', 'Kept', 'kept', 'key-kept', 'hash-kept', T0],
  )
}

const counts = async (b: Backend) =>
  Object.fromEntries(
    await Promise.all(
      TABLES.map(async (t) => [
        t.table,
        await b.all<{ project_id: string; n: number }>(
          `SELECT project_id, count(*) AS n FROM ${t.table} GROUP BY project_id ORDER BY project_id`,
        ),
      ]),
    ),
  )

for (const kind of BACKENDS) {
  describe(`storage and purge tasks on ${kind}`, () => {
    let b: Backend
    let w: SeamWriter<typeof tasks>
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      w = new SeamWriter(b, tasks, 10)
    })

    test('the health ping opens a write transaction and answers ok', async () => {
      expect(await w.run('storage.ping', {})).toEqual({ ok: true })
    })

    test('a purge removes one batch of one table per task, only the deleted project, any key shape', async () => {
      await seed(b)
      expect(await orphanedProjects(b, TABLES)).toEqual(['gone'])
      const purge = (table: string, batch: number) =>
        w.run('projects.purge', { project_id: 'gone', table, batch })
      expect(await purge('llm_unknown_models', 2)).toEqual({ deleted: 2 })
      expect(await purge('llm_unknown_models', 2)).toEqual({ deleted: 2 })
      expect(await purge('llm_unknown_models', 2)).toEqual({ deleted: 1 })
      expect(await purge('llm_unknown_models', 2)).toEqual({ deleted: 0 })
      // The marker (the last table) still holds the project: a resumed purge would find it.
      expect(await orphanedProjects(b, TABLES)).toEqual(['gone'])
      expect(await purge('error_settings', 0)).toEqual({ deleted: 1 }) // a batch is at least one row
      expect(await orphanedProjects(b, TABLES)).toEqual([])
      expect(await counts(b)).toEqual({
        llm_unknown_models: [{ project_id: 'kept', n: 5 }],
        error_settings: [{ project_id: 'kept', n: 1 }],
      })
    })

    test('a purge of a table no feature declared is refused', async () => {
      await expect(
        w.run('projects.purge', { project_id: 'gone', table: 'projects', batch: 5 }),
      ).rejects.toThrow('expected a project data table, got projects')
      expect(await b.get("SELECT count(*) AS n FROM projects WHERE id = 'kept'")).toEqual({ n: 1 })
    })
  })
}

describe('the vacuum step', () => {
  test('on SQLite it returns up to the asked number of free pages and reports what remains', async () => {
    const b = (await freshBackend('sqlite', pg())).backend
    const w = new SeamWriter(b, tasks, 10)
    await b.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)')
    await b.transaction(async (tx) => {
      for (let i = 0; i < 400; i++)
        await tx.run('INSERT INTO filler (body) VALUES (?)', [new Uint8Array(4000)])
    })
    await b.run('DELETE FROM filler')
    const free = async () =>
      (await b.get<{ n: number }>('SELECT freelist_count AS n FROM pragma_freelist_count'))?.n ?? 0
    const before = await free()
    expect(before).toBeGreaterThan(300)
    expect(await w.run('storage.vacuum', { pages: 100 })).toEqual({ freed: 100, remaining: before - 100 })
    expect(await free()).toBe(before - 100)
    expect(await w.run('storage.vacuum', { pages: 100_000 })).toEqual({ freed: before - 100, remaining: 0 })
    expect(await w.run('storage.vacuum', { pages: 100 })).toEqual({ freed: 0, remaining: 0 })
  })

  test('on PostgreSQL it has nothing to return (autovacuum and dropped partitions do it) and says so at once', async () => {
    const b = (await freshBackend('postgres', pg(), { migrated: true })).backend
    const w = new SeamWriter(b, tasks, 10)
    expect(await w.run('storage.vacuum', { pages: 100 })).toEqual({ freed: 0, remaining: 0 })
  })
})

describe('the seam writer and the one registry', () => {
  test('refuses a SQLite task of the registry by name, and runs the seam tasks beside it', async () => {
    const b = (await freshBackend('postgres', pg(), { migrated: true })).backend
    // Every task of the registry is a seam task now; a SQLite one beside them, as a feature
    // not converted yet would register it.
    const w = new SeamWriter(
      b,
      { ...WRITER_TASKS, 'legacy.write': (_db: Db, _a: Record<string, never>) => 1 },
      10,
    )
    const err = await w.run('legacy.write', {}).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(WriterError)
    expect((err as Error).message).toBe(
      'expected a seam task, got the SQLite task legacy.write: it runs on the writer thread only (docs/ARCHITECTURE.md, "Converting a writer task")',
    )
    expect(await w.run('storage.ping', {})).toEqual({ ok: true })
  })
})
