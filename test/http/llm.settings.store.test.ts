/**
 * The LLM settings store (src/llm/settings/store.ts) and the scores and feedback store
 * (src/llm/settings/scores.ts) on the storage seam, on both backends with the same cases:
 * settings default, partial changes (concurrent ones of different keys both hold), the
 * retention row kept equal to the config, pricing overrides per scope (idempotent PUT,
 * concurrent PUTs of one price point storing one row, deletes scoped), unknown models in
 * order, score and vote upserts, and the ingest cache: a hit asks the database nothing,
 * every write through the store empties it, a read in flight across a write is not
 * kept, concurrent misses share one read, and a write behind the store is seen once an
 * entry expires.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { traceExists, upsertFeedback, upsertScore } from '../../src/llm/settings/scores'
import {
  DEFAULT_BUDGET_ALERT_RATE,
  deleteOverride,
  INGEST_CACHE_MS,
  ingestSettings,
  invalidateIngestSettings,
  listOverrides,
  overridesFor,
  putOverride,
  readLlmSettings,
  saveLlmSettings,
  syncRetentionFromConfig,
  unknownModels,
} from '../../src/llm/settings/store'
import type { Backend, Queryable } from '../../src/storage/backend'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()
const T0 = 1_767_225_600_000

const addProject = (b: Queryable, id: string) =>
  b.run(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [id, id.toUpperCase(), `${id}-slug`, `key-${id}`, `hash-${id}`, T0],
  )

const PRICE = {
  match: 'exact' as const,
  provider: null,
  input_per_mtok: 1,
  output_per_mtok: 2,
  cache_read_per_mtok: null,
  cache_write_per_mtok: null,
  reasoning_per_mtok: null,
  effective_from: 0,
}

/** The backend, with the statements run through it (not inside its transactions) counted. */
function counted(b: Backend): { backend: Backend; calls: () => number } {
  let calls = 0
  const backend = new Proxy(b, {
    get(target, key) {
      const v = Reflect.get(target, key, target)
      if (typeof v !== 'function') return v
      if (key === 'all' || key === 'get' || key === 'run')
        return (...args: unknown[]) => {
          calls++
          return (v as (...a: unknown[]) => unknown).apply(target, args)
        }
      return v.bind(target)
    },
  })
  return { backend, calls: () => calls }
}

for (const kind of BACKENDS) {
  describe(`LLM settings store on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      for (const p of ['shop', 'blog', 'cache', 'race']) await addProject(b, p)
    })

    test('a project without a row reads the defaults; a change stores only its keys', async () => {
      expect(await readLlmSettings(b, 'shop')).toEqual({
        project_id: 'shop',
        content_policy: null,
        monthly_budget_micros: 0,
        budget_alert_rate: DEFAULT_BUDGET_ALERT_RATE,
        retention_days: null,
        updated_by: null,
        updated_at: null,
      })
      expect(await saveLlmSettings(b, 'shop', { content_policy: 'metadata_only' }, 'ada', T0)).toEqual({
        project_id: 'shop',
        content_policy: 'metadata_only',
        monthly_budget_micros: 0,
        budget_alert_rate: 0.8,
        retention_days: null,
        updated_by: 'ada',
        updated_at: T0,
      })
      expect(
        await saveLlmSettings(
          b,
          'shop',
          { monthly_budget_micros: 5_000_000, budget_alert_rate: 0.5 },
          'bob',
          T0 + 1,
        ),
      ).toEqual({
        project_id: 'shop',
        content_policy: 'metadata_only',
        monthly_budget_micros: 5_000_000,
        budget_alert_rate: 0.5,
        retention_days: null,
        updated_by: 'bob',
        updated_at: T0 + 1,
      })
      // null is a value (back to the config default), not an absent key.
      const back = await saveLlmSettings(
        b,
        'shop',
        { content_policy: null, retention_days: 30 },
        'ada',
        T0 + 2,
      )
      expect(back).toEqual({
        project_id: 'shop',
        content_policy: null,
        monthly_budget_micros: 5_000_000,
        budget_alert_rate: 0.5,
        retention_days: 30,
        updated_by: 'ada',
        updated_at: T0 + 2,
      })
      expect(await readLlmSettings(b, 'shop')).toEqual(back)
      // An empty change records who touched it and nothing else.
      expect(await saveLlmSettings(b, 'shop', {}, 'cy', T0 + 3)).toEqual({
        ...back,
        updated_by: 'cy',
        updated_at: T0 + 3,
      })
      expect(await readLlmSettings(b, 'blog')).toMatchObject({ project_id: 'blog', updated_at: null })
    })

    test('changes of different keys at the same time both hold', async () => {
      await Promise.all([
        saveLlmSettings(b, 'race', { content_policy: 'none' }, 'ada', T0),
        saveLlmSettings(b, 'race', { monthly_budget_micros: 7 }, 'bob', T0),
        saveLlmSettings(b, 'race', { retention_days: 9 }, 'cy', T0),
        saveLlmSettings(b, 'race', { budget_alert_rate: 0.25 }, 'dee', T0),
      ])
      expect(await readLlmSettings(b, 'race')).toMatchObject({
        content_policy: 'none',
        monthly_budget_micros: 7,
        retention_days: 9,
        budget_alert_rate: 0.25,
      })
    })

    test('the retention row follows the config', async () => {
      const row = () => b.all('SELECT id, retention_days FROM llm_retention')
      await syncRetentionFromConfig(b, 30)
      expect(await row()).toEqual([{ id: 1, retention_days: 30 }])
      await syncRetentionFromConfig(b, 30)
      expect(await row()).toEqual([{ id: 1, retention_days: 30 }])
      await syncRetentionFromConfig(b, 7)
      expect(await row()).toEqual([{ id: 1, retention_days: 7 }])
    })

    test('overrides: a PUT of the same price point replaces it, per scope, and deletes stay in their scope', async () => {
      let n = 0
      const id = () => `ov-${kind}-${++n}`
      const first = await putOverride(b, 'shop', { ...PRICE, model_pattern: 'My-FT' }, 'ada', T0, id)
      expect(first).toEqual({
        created: true,
        override: {
          id: `ov-${kind}-1`,
          project_id: 'shop',
          model_pattern: 'My-FT',
          match: 'exact',
          provider: null,
          input_per_mtok: 1,
          output_per_mtok: 2,
          cache_read_per_mtok: null,
          cache_write_per_mtok: null,
          reasoning_per_mtok: null,
          effective_from: 0,
          created_by: 'ada',
          created_at: T0,
          updated_at: T0,
        },
      })
      // The pattern compares without case: the same price point, new prices.
      const again = await putOverride(
        b,
        'shop',
        { ...PRICE, model_pattern: 'my-ft', input_per_mtok: 1.5, cache_read_per_mtok: 0.25 },
        'bob',
        T0 + 5,
        id,
      )
      expect(again).toEqual({
        created: false,
        override: {
          ...first.override,
          model_pattern: 'my-ft',
          input_per_mtok: 1.5,
          cache_read_per_mtok: 0.25,
          updated_at: T0 + 5,
        },
      })
      const later = await putOverride(
        b,
        'shop',
        { ...PRICE, model_pattern: 'my-ft', effective_from: 10 },
        'ada',
        T0,
        id,
      )
      const glob = await putOverride(
        b,
        'shop',
        { ...PRICE, model_pattern: 'a-*', match: 'glob' },
        'ada',
        T0,
        id,
      )
      const global = await putOverride(b, null, { ...PRICE, model_pattern: 'my-ft' }, 'root', T0, id)
      const blog = await putOverride(
        b,
        'blog',
        { ...PRICE, model_pattern: 'x', provider: 'OpenAI' },
        'ada',
        T0,
        id,
      )
      expect([later.created, glob.created, global.created, blog.created]).toEqual([true, true, true, true])
      expect(global.override.project_id).toBeNull()

      const ids = (rows: { id: string }[]) => rows.map((r) => r.id)
      expect(ids(await listOverrides(b, 'shop'))).toEqual([
        glob.override.id,
        first.override.id,
        later.override.id,
      ])
      expect(await listOverrides(b, null)).toEqual([global.override])
      expect(await listOverrides(b, 'blog')).toEqual([blog.override])
      expect(ids(await overridesFor(b, 'shop')).sort()).toEqual(
        [first.override.id, later.override.id, glob.override.id, global.override.id].sort(),
      )
      expect(ids(await overridesFor(b, 'blog')).sort()).toEqual([blog.override.id, global.override.id].sort())

      // A global override is not deleted from a project's scope, nor another project's.
      expect(await deleteOverride(b, 'shop', global.override.id)).toBe(false)
      expect(await deleteOverride(b, 'shop', blog.override.id)).toBe(false)
      expect(await deleteOverride(b, 'blog', global.override.id)).toBe(false)
      expect(await deleteOverride(b, null, blog.override.id)).toBe(false)
      expect(await deleteOverride(b, null, global.override.id)).toBe(true)
      expect(await deleteOverride(b, null, global.override.id)).toBe(false)
      expect(await deleteOverride(b, 'shop', later.override.id)).toBe(true)
      expect(ids(await listOverrides(b, 'shop'))).toEqual([glob.override.id, first.override.id])
      expect(await listOverrides(b, null)).toEqual([])
    })

    test('two PUTs of one price point at the same time store one row', async () => {
      let n = 0
      const id = () => `dup-${kind}-${++n}`
      const puts = await Promise.all(
        [1, 2, 3].map((p) =>
          putOverride(b, 'race', { ...PRICE, model_pattern: 'dup', input_per_mtok: p }, 'ada', T0, id),
        ),
      )
      expect(puts.map((p) => p.created).sort()).toEqual([false, false, true])
      const rows = await listOverrides(b, 'race')
      expect(rows).toHaveLength(1)
      expect(puts.map((p) => p.override.id)).toEqual([rows[0]?.id, rows[0]?.id, rows[0]?.id] as string[])
    })

    test('unknown models: most spans first, then by name, bytewise; no provider reads null', async () => {
      for (const [model, provider, spans] of [
        ['b-model', '', 5],
        ['a-model', 'openai', 5],
        ['B-model', '', 5],
        ['rare', 'anthropic', 1],
        ['busy', '', 9],
      ] as const)
        await b.run(
          `INSERT INTO llm_unknown_models (project_id, model, provider, span_count, first_seen, last_seen)
           VALUES ('shop', ?, ?, ?, ?, ?)`,
          [model, provider, spans, T0, T0 + spans],
        )
      await b.run(
        `INSERT INTO llm_unknown_models (project_id, model, provider, span_count, first_seen, last_seen)
         VALUES ('blog', 'elsewhere', '', 100, ?, ?)`,
        [T0, T0],
      )
      expect(await unknownModels(b, 'shop', 4)).toEqual([
        { model: 'busy', provider: null, span_count: 9, first_seen: T0, last_seen: T0 + 9 },
        { model: 'B-model', provider: null, span_count: 5, first_seen: T0, last_seen: T0 + 5 },
        { model: 'a-model', provider: 'openai', span_count: 5, first_seen: T0, last_seen: T0 + 5 },
        { model: 'b-model', provider: null, span_count: 5, first_seen: T0, last_seen: T0 + 5 },
      ])
      expect(await unknownModels(b, 'cache', 10)).toEqual([])
    })

    test('scores and feedback: one per name and per user, a later one replaces it and keeps created_at', async () => {
      await b.run(
        `INSERT INTO llm_traces (project_id, id, status, started_at, created_at, updated_at)
         VALUES ('shop', 't1', 'completed', ?, ?, ?)`,
        [T0, T0, T0],
      )
      expect(await traceExists(b, 'shop', 't1')).toBe(true)
      expect(await traceExists(b, 'blog', 't1')).toBe(false)
      expect(await traceExists(b, 'shop', 't2')).toBe(false)

      await upsertScore(b, 'shop', 't1', { name: 'quality', value: 0.5, source: 'api', comment: null }, T0)
      await upsertScore(
        b,
        'shop',
        't1',
        { name: 'quality', value: 1, source: 'user', comment: 'better' },
        T0 + 1,
      )
      await upsertScore(
        b,
        'shop',
        't1',
        { name: 'relevance', value: 0, source: 'auto', comment: null },
        T0 + 2,
      )
      expect(
        await b.all(
          `SELECT project_id, trace_id, name, value, source, comment, created_at, updated_at FROM llm_scores
           ORDER BY name`,
        ),
      ).toEqual([
        {
          project_id: 'shop',
          trace_id: 't1',
          name: 'quality',
          value: 1,
          source: 'user',
          comment: 'better',
          created_at: T0,
          updated_at: T0 + 1,
        },
        {
          project_id: 'shop',
          trace_id: 't1',
          name: 'relevance',
          value: 0,
          source: 'auto',
          comment: null,
          created_at: T0 + 2,
          updated_at: T0 + 2,
        },
      ])

      await upsertFeedback(b, 'shop', 't1', { value: 1, user_id: 'u1', comment: 'nice' }, T0)
      await upsertFeedback(b, 'shop', 't1', { value: -1, user_id: 'u1', comment: null }, T0 + 3)
      await upsertFeedback(b, 'shop', 't1', { value: 1, user_id: 'anonymous', comment: null }, T0 + 4)
      expect(
        await b.all(
          `SELECT project_id, trace_id, user_id, value, comment, created_at, updated_at FROM llm_feedback
           ORDER BY user_id`,
        ),
      ).toEqual([
        {
          project_id: 'shop',
          trace_id: 't1',
          user_id: 'anonymous',
          value: 1,
          comment: null,
          created_at: T0 + 4,
          updated_at: T0 + 4,
        },
        {
          project_id: 'shop',
          trace_id: 't1',
          user_id: 'u1',
          value: -1,
          comment: null,
          created_at: T0,
          updated_at: T0 + 3,
        },
      ])
    })

    test('the ingest cache: a hit asks nothing, a write through the store empties it at once', async () => {
      const { backend: c, calls } = counted(b)
      const first = await ingestSettings(c, 'cache', T0)
      expect(first).toEqual({ content_policy: null, overrides: [], read_at: T0 } as never)
      expect(calls()).toBe(2) // the settings row and the overrides, once
      for (let i = 0; i < 100; i++) await ingestSettings(c, 'cache', T0 + INGEST_CACHE_MS - 1)
      expect(calls()).toBe(2)

      await saveLlmSettings(c, 'cache', { content_policy: 'none' }, 'ada', T0)
      const afterSave = calls()
      expect((await ingestSettings(c, 'cache', T0 + 1)).content_policy).toBe('none')
      expect(calls()).toBe(afterSave + 2)

      const ov = await putOverride(
        c,
        'cache',
        { ...PRICE, model_pattern: 'cached' },
        'ada',
        T0,
        () => 'ov-cache',
      )
      expect((await ingestSettings(c, 'cache', T0 + 2)).overrides as unknown[]).toEqual([
        {
          id: 'ov-cache',
          project_id: 'cache',
          model_pattern: 'cached',
          match: 'exact',
          provider: null,
          input_per_mtok: 1,
          output_per_mtok: 2,
          cache_read_per_mtok: null,
          cache_write_per_mtok: null,
          reasoning_per_mtok: null,
          effective_from: 0,
          created_by: 'ada',
          created_at: T0,
          updated_at: T0,
        },
      ])
      expect(ov.created).toBe(true)
      await deleteOverride(c, 'cache', 'ov-cache')
      expect((await ingestSettings(c, 'cache', T0 + 3)).overrides).toEqual([])

      // Frozen: a caller cannot change what the next request reads.
      expect(Object.isFrozen((await ingestSettings(c, 'cache', T0 + 3)).overrides)).toBe(true)
    })

    test('the ingest cache: concurrent misses share one read; a read in flight across a write is not kept', async () => {
      const { backend: c, calls } = counted(b)
      await saveLlmSettings(c, 'cache', { content_policy: 'metadata_only' }, 'ada', T0)
      const before = calls()
      const all = await Promise.all([1, 2, 3, 4, 5].map(() => ingestSettings(c, 'cache', T0)))
      expect(calls()).toBe(before + 2)
      expect(all.map((s) => s.content_policy)).toEqual(Array(5).fill('metadata_only'))

      invalidateIngestSettings(c)
      const early = ingestSettings(c, 'cache', T0 + 1)
      await saveLlmSettings(c, 'cache', { content_policy: 'full' }, 'ada', T0 + 1)
      await early
      expect((await ingestSettings(c, 'cache', T0 + 1)).content_policy).toBe('full')
    })

    test('the ingest cache: a write behind the store is seen once the entry expires; each backend has its own', async () => {
      const { backend: c } = counted(b)
      await saveLlmSettings(c, 'cache', { content_policy: 'none' }, 'ada', T0)
      expect((await ingestSettings(c, 'cache', T0)).content_policy).toBe('none')
      // Through another key (what another process on the file, or another node, is to this one).
      await saveLlmSettings(b, 'cache', { content_policy: 'full' }, 'bob', T0)
      expect((await ingestSettings(b, 'cache', T0)).content_policy).toBe('full')
      expect((await ingestSettings(c, 'cache', T0 + INGEST_CACHE_MS - 1)).content_policy).toBe('none')
      expect((await ingestSettings(c, 'cache', T0 + INGEST_CACHE_MS)).content_policy).toBe('full')
      // A clock that went back is no hit.
      await b.run("UPDATE llm_settings SET content_policy = 'metadata_only' WHERE project_id = 'cache'")
      expect((await ingestSettings(c, 'cache', T0 + INGEST_CACHE_MS - 5)).content_policy).toBe(
        'metadata_only',
      )
    })
  })
}
