/**
 * The writer thread serves src/writer.tasks.ts, which imports each feature's tasks.ts by
 * hand (the thread must not load the features' index.ts); the main side knows the
 * features from src/features.ts. These must agree, or a task a feature declares would
 * fail at run time ("expected a registered writer task") and a deleted project's rows
 * would be left in a table the writer was never told about.
 */
import { describe, expect, test } from 'bun:test'
import { FEATURES, PROJECT_DATA, RETENTION_HOOKS } from '../../src/features'
import { isSeamTask, storageTasks } from '../../src/storage/tasks'
import { WRITER_PROJECT_DATA, WRITER_TASKS } from '../../src/writer.tasks'

const registered = WRITER_TASKS as Record<string, unknown>

describe('the writer registry and the feature list', () => {
  test('every task a feature declares is registered, as the same function', () => {
    for (const f of FEATURES) {
      for (const [name, fn] of Object.entries(f.tasks ?? {})) {
        expect({ feature: f.name, name, registered: registered[name] === fn }).toEqual({
          feature: f.name,
          name,
          registered: true,
        })
      }
    }
  })

  test("a feature's tasks are named after it", () => {
    for (const f of FEATURES) {
      for (const name of Object.keys(f.tasks ?? {})) expect(name.startsWith(`${f.name}.`)).toBe(true)
    }
  })

  test("the registry holds storage's tasks, the features' and the project purge, nothing else", () => {
    const expected = [
      ...Object.keys(storageTasks),
      ...FEATURES.flatMap((f) => Object.keys(f.tasks ?? {})),
      'projects.purge',
    ].sort()
    expect(Object.keys(WRITER_TASKS).sort()).toEqual(expected)
  })

  test('the writer empties the same project tables, in the same order, as the features declare', () => {
    expect(WRITER_PROJECT_DATA).toEqual(PROJECT_DATA)
    // The same declarations, not copies: each comes from the feature's tasks.ts.
    for (const f of FEATURES) {
      for (const t of f.projectData ?? []) expect(WRITER_PROJECT_DATA).toContain(t)
    }
  })

  test('issues are the last table a project purge empties (the marker a resumed purge looks for)', () => {
    expect(PROJECT_DATA.map((t) => t.table)).toEqual([
      'llm_spans',
      'llm_traces',
      'llm_usage_hourly',
      'llm_trace_hourly',
      'llm_scores',
      'llm_feedback',
      'llm_unknown_models',
      'llm_pricing_overrides',
      'llm_settings',
      'raw_event_ids',
      'raw_events',
      'samples',
      'status_changes',
      'issue_activity',
      'issue_comments',
      'issue_merges',
      'error_settings',
      'event_counts_hourly',
      'error_aggregates',
      'issue_user_sketches',
      'issue_users',
      'issue_tags',
      'issues',
    ])
  })

  test('every retention hook names a registered task', () => {
    expect(RETENTION_HOOKS.map((h) => [h.name, h.task, h.task in WRITER_TASKS])).toEqual([
      ['raw_events', 'errors.pruneRaw', true],
      ['hourly_counts', 'errors.pruneHourly', true],
      ['users_hourly', 'errors.pruneUsersHourly', true],
      ['llm_traces', 'llm.pruneTraces', true],
    ])
  })

  test('feature names are unique and each is its folder', () => {
    const names = FEATURES.map((f) => f.name)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names)
      expect(Bun.file(`${import.meta.dir}/../../src/${name}/index.ts`).size).toBeGreaterThan(0)
  })

  test('a feature that runs on PostgreSQL has only seam tasks (SQLite tasks run on the writer thread only)', () => {
    const sqliteOnly = FEATURES.filter((f) => (f.backends ?? []).includes('postgres')).flatMap((f) =>
      Object.entries(f.tasks ?? {})
        .filter(([, fn]) => !isSeamTask(fn))
        .map(([name]) => name),
    )
    expect(sqliteOnly).toEqual([])
  })

  test("storage's own tasks and the project purge are seam tasks, so they run on both backends", () => {
    const kinds = Object.fromEntries(
      ['storage.ping', 'storage.vacuum', 'projects.purge'].map((n) => [n, isSeamTask(registered[n])]),
    )
    expect(kinds).toEqual({ 'storage.ping': true, 'storage.vacuum': true, 'projects.purge': true })
  })
})
