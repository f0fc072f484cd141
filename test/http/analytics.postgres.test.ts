/**
 * The analytics endpoints answered by PostgreSQL against DuckDB's answers on the same
 * data. A real runtime (SQLite file, writer thread, DuckDB copy) is filled through its
 * signed batch ingest, hour by hour on the runtime's clock, with generated events of three
 * projects, three releases each, three environments and 100 hours (planted spikes, a
 * correlated pair, a release bringing new fingerprints). DuckDB answers over HTTP; the
 * SQLite file is then copied into a private PostgreSQL with the code of `bloop db copy`,
 * and the analytics feature started on that backend (no DuckDB copy is made) answers the
 * same requests.
 *
 * Counts, names, order and every figure stats.ts computes from the sums are compared
 * exactly: both sides sum integers (exact in doubles below 2^53) and hand the same sums to
 * the same functions. Only the environments' hourly percentiles are compared within a
 * relative 1e-12: PostgreSQL's percentile_cont and stats.percentile both interpolate
 * linearly between the same two ranks, but each evaluates the interpolation in its own
 * order of floating-point operations, so they may differ in the last bits.
 *
 * The LLM percentiles likewise: LLM traces ingested beside the errors, then
 * /v1/llm/overview and /v1/llm/latency (merged hourly sketches, compared exactly) and
 * /v1/llm/tools (exact span percentiles,
 * percentile_cont on PostgreSQL) from PostgreSQL against SQLite's answers, the tools'
 * interpolated percentiles and means within a relative 1e-12 (the same formula, evaluated
 * by PostgreSQL in its own order of operations, its mean through numeric); /v1/llm/rag
 * (the RAG keys read from the metadata as jsonb) with its means within 1e-12 too, since
 * they sum ratios in the order each database returns the rows.
 */
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type AnalyticsRunning, analytics } from '../../src/analytics'
import { correlations, environments, movers, releases, spikes } from '../../src/analytics/answers'
import { postgresSource } from '../../src/analytics/postgres'
import { duckdbSource } from '../../src/analytics/source'
import { windowOf } from '../../src/analytics/stats'
import { type App, createApp } from '../../src/app'
import { COPY_PLAN } from '../../src/cli/dbcopy'
import type { ErrorsCommitListener } from '../../src/errors'
import { foldWatermark } from '../../src/errors/fold'
import { sign } from '../../src/errors/ingest/hmac'
import { MIGRATIONS } from '../../src/features'
import { llmQueryRoutes } from '../../src/llm/query/routes'
import { copyDatabase } from '../../src/storage/copy'
import { migratePostgres } from '../../src/storage/migrate'
import { openPostgres } from '../../src/storage/open'
import type { PostgresBackend } from '../../src/storage/postgres'
import { H, rng } from '../analytics.reference'
import { BASE, bearer, projectOnSqlite, startRuntime, type TestRuntime } from '../helpers'
import { type PgCluster, startPg } from '../pg.helpers'

const END = Date.UTC(2026, 2, 20, 14, 37, 11)
const HOURS = 100
const PROJECTS = ['default', 'shop', 'ops'] as const
let now = END
let rt: TestRuntime
let pg: PgCluster
let backend: PostgresBackend
let onPg: AnalyticsRunning
let pgApp: App
let llmApp: App
const llmTokens: Record<string, string> = {}
let spansSent = 0
/** What was sent: project, fingerprint, release, receive time (the runtime's clock). */
const sentEvents: { project: string; fingerprint: string; release: string; at: number }[] = []
const keys: Record<string, string> = {}
const tokens: Record<string, string> = {}
let sent = 0

/** The events of one project in one hour (hours before END's hour), seeded. */
function hourOf(project: string, p: number, hourAgo: number, rand: () => number) {
  const poisson = (lambda: number) => {
    let k = 0
    let q = Math.exp(-lambda)
    let s = q
    const u = rand()
    while (u > s && k < 1000) {
      k++
      q *= lambda / k
      s += q
    }
    return k
  }
  const envs = ['production', 'production', 'staging', 'development']
  const release = hourAgo >= 70 ? '1.0.0' : hourAgo >= 25 ? '1.1.0' : '2.0.0'
  const out: Record<string, unknown>[] = []
  const add = (fingerprint: string, n: number, over: Record<string, unknown> = {}) => {
    for (let i = 0; i < n; i++)
      out.push({
        timestamp: END - hourAgo * H,
        source: rand() < 0.5 ? 'api' : 'web',
        environment: envs[Math.floor(rand() * envs.length)],
        release,
        error_type: `Error_${fingerprint}`,
        message: `${project}: message of ${fingerprint}`,
        fingerprint,
        ...over,
      })
  }
  for (let f = 0; f < 8; f++) add(`bg-${f}`, poisson(0.2 + ((f + p) % 4) * 0.3))
  const latent = 3 + 3 * Math.sin((2 * Math.PI * (hourAgo + p * 5)) / 24)
  const n = poisson(latent)
  add('corr-a', n)
  add('corr-b', 2 * n + (rand() < 0.2 ? 1 : 0))
  add('anti', poisson(6 - latent))
  add('spiky', hourAgo === 10 + p * 7 ? 40 : poisson(1))
  if (hourAgo === 4 + p) add('burst', 9, { environment: 'staging' })
  // The last release brings fingerprints of its own.
  if (hourAgo < 25) for (let f = 0; f < 2; f++) add(`new-${f}`, poisson(2 + f))
  return out
}

/** LLM traces of one project in one hour: a generation and two tool or retrieval spans each. */
function tracesOf(project: string, hourAgo: number, rand: () => number) {
  const models = ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini']
  const tools = ['lookup_invoice', 'search_docs', 'send_mail', 'vector_search']
  return Array.from({ length: 4 }, (_, i) => {
    const tool = (k: number) => {
      const name = tools[Math.floor(rand() * tools.length)] as string
      const latency = Math.floor(5 + rand() * rand() * 2000)
      return {
        id: `t${k}`,
        span_type: name === 'vector_search' ? 'retrieval' : 'tool',
        name,
        // Some spans never reported a latency: the percentiles leave them out.
        ...(rand() < 0.1 ? {} : { latency_ms: latency }),
        ...(rand() < 0.15 ? { status: 'error', error_message: `${name} failed` } : {}),
        ...(rand() < 0.5 ? { cost_micros: Math.floor(rand() * 500) } : {}),
        ...(name === 'vector_search' ? { metadata: ragOf(rand) } : {}),
      }
    }
    return {
      id: `${project}-${hourAgo}-${i}`,
      name: `chat ${i % 2}`,
      started_at: now - 1000,
      spans: [
        {
          id: 'g',
          model: models[Math.floor(rand() * models.length)],
          input_tokens: 100 + i,
          output_tokens: 20,
          latency_ms: Math.floor(200 + rand() * 4000),
          time_to_first_token_ms: Math.floor(50 + rand() * 300),
        },
        tool(1),
        tool(2),
      ],
    }
  })
}

/** A retrieval's RAG keys, flat or nested as the SDKs send them, some missing or null. */
function ragOf(rand: () => number) {
  const retrieved = Math.floor(1 + rand() * 10)
  const keys = {
    chunks_retrieved: retrieved,
    chunks_used: rand() < 0.8 ? Math.floor(rand() * retrieved) : null,
    context_tokens: Math.floor(rand() * 4000),
    max_context_tokens: rand() < 0.7 ? 8000 : undefined,
    top_k: 5,
    relevance_scores: Array.from({ length: 3 }, () => Math.round(rand() * 1000) / 1000),
    source: rand() < 0.5 ? 'docs' : rand() < 0.5 ? 'tickets' : 42,
  }
  if (rand() < 0.5) return { rag: keys }
  return Object.fromEntries(Object.entries(keys).map(([k, v]) => [`rag.${k}`, v]))
}

async function ingestTraces(project: string, traces: Record<string, unknown>[]) {
  const text = JSON.stringify({ traces })
  const key = keys[project] as string
  const res = await rt.handle(
    new Request(`${BASE}/v1/traces/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-project-key': key, 'x-signature': sign(key, text) },
      body: text,
    }),
  )
  if (res.status !== 200) throw new Error(`trace ingest answered ${res.status}: ${await res.text()}`)
  spansSent += traces.length * 3
}

async function ingest(project: string, events: Record<string, unknown>[]) {
  const text = JSON.stringify({ events })
  const key = keys[project] as string
  const res = await rt.handle(
    new Request(`${BASE}/v1/ingest/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-project-key': key, 'x-signature': sign(key, text) },
      body: text,
    }),
  )
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
  sent += events.length
  for (const e of events)
    sentEvents.push({ project, fingerprint: e.fingerprint as string, release: e.release as string, at: now })
}

/** The analytics feature as the server starts it, on the PostgreSQL backend, in the app's error handling. */
async function startOnPg(
  over: Partial<typeof rt.config.analytics> = {},
  onErrorsCommit: (l: ErrorsCommitListener) => void = () => {},
) {
  const running = await analytics.start({
    ...rt.core,
    config: { ...rt.config, analytics: { ...rt.config.analytics, ...over } },
    backend,
    onErrorsCommit,
  })
  const app = createApp(rt.core.log, [running.routes])
  return {
    running,
    get: (path: string, project = 'default') =>
      app.handle(
        new Request(`${BASE}${path}`, { headers: bearer(tokens[project] as string) }),
      ) as Promise<Response>,
  }
}

beforeAll(async () => {
  pg = await startPg()
  rt = await startRuntime(
    {
      analytics: { sync_interval_ms: 0, cache_ttl_secs: 0 },
      ingest: { max_batch_size: 1000 },
      rate_limit: { per_second: 1_000_000, burst_size: 1_000_000 },
      // Metadata stored, so retrievals keep their RAG keys.
      llm_tracing: { default_content_storage: 'metadata_only' },
    },
    { now: () => now },
  )
  const db = rt.core.db
  keys.default = (db.query("SELECT api_key AS k FROM projects WHERE id = 'default'").get() as { k: string }).k
  for (const id of PROJECTS.slice(1)) keys[id] = projectOnSqlite(db, { id, name: id, slug: id }).api_key
  for (const id of PROJECTS) tokens[id] = rt.token(['errors:read'], id)
  for (const id of PROJECTS) llmTokens[id] = rt.token(['llm:read'], id)
  const rand = rng(20)
  const endHour = Math.floor(END / H) * H
  for (let hourAgo = HOURS - 1; hourAgo >= 0; hourAgo--) {
    for (const [p, project] of PROJECTS.entries()) {
      // Each project's batch arrives at its own minute of the hour (never after END).
      now = endHour - hourAgo * H + (hourAgo === 0 ? p * 60_000 : Math.floor(rand() * (H - 1)))
      await ingest(project, hourOf(project, p, hourAgo, rand))
      if (hourAgo < 48 && project !== 'ops') await ingestTraces(project, tracesOf(project, hourAgo, rand))
    }
  }
  now = END
  await rt.features.analytics.analytics.syncNow()
  // The copy reads the file while this server runs: let its fold of tags and users reach
  // the last event first, so the copy and the count after it see the same rows.
  const lastRaw = () => (rt.core.db.query('SELECT max(id) AS n FROM raw_events').get() as { n: number }).n
  while ((await foldWatermark(rt.core.backend)) < lastRaw()) await Bun.sleep(10)

  // `bloop db copy`'s own steps: migrate the empty database, copy every table, verify.
  const url = await pg.createDatabase()
  backend = await openPostgres({
    url,
    pool_size: 4,
    statement_timeout_ms: 0,
    connect_timeout_secs: 5,
    tls: 'disable',
    tls_ca_file: '',
  })
  await migratePostgres(backend, MIGRATIONS)
  const src = new Database(rt.config.database.path, { readonly: true })
  try {
    await copyDatabase(src, backend, COPY_PLAN, { batchRows: 5000 })
  } finally {
    src.close()
  }
  onPg = await analytics.start({ ...rt.core, backend, onErrorsCommit: () => {} })
  pgApp = createApp(rt.core.log, [onPg.routes])
  llmApp = createApp(rt.core.log, [llmQueryRoutes({ ...rt.core, backend })])
}, 120_000)

afterAll(async () => {
  await onPg?.stop?.()
  await backend?.close()
  await rt?.dispose()
  await pg?.stop()
})

/** Every float compared exactly except the environments' percentiles (see the file's comment). */
function expectSame(pgAnswer: unknown, duckAnswer: unknown, path = '$'): void {
  if (Array.isArray(duckAnswer)) {
    expect({ path, length: (pgAnswer as unknown[]).length }).toEqual({ path, length: duckAnswer.length })
    for (const [i, v] of duckAnswer.entries()) expectSame((pgAnswer as unknown[])[i], v, `${path}[${i}]`)
    return
  }
  if (duckAnswer !== null && typeof duckAnswer === 'object') {
    expect({ path, keys: Object.keys(pgAnswer as object).sort() }).toEqual({
      path,
      keys: Object.keys(duckAnswer).sort(),
    })
    for (const [k, v] of Object.entries(duckAnswer))
      expectSame((pgAnswer as Record<string, unknown>)[k], v, `${path}.${k}`)
    return
  }
  if (/\.p\d\d_hourly$/.test(path) && typeof duckAnswer === 'number') {
    const diff = Math.abs((pgAnswer as number) - duckAnswer)
    expect({ path, close: diff <= 1e-12 * Math.max(1, Math.abs(duckAnswer)) }).toEqual({ path, close: true })
    return
  }
  expect({ path, value: pgAnswer }).toEqual({ path, value: duckAnswer })
}

/** Equal, except that non-integer numbers may differ by `rel` relative to their size. */
function expectWithin(actual: unknown, expected: unknown, rel: number, path = '$'): void {
  if (typeof expected === 'number' && !Number.isInteger(expected) && typeof actual === 'number') {
    const close = Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected))
    expect({ path, actual, close }).toEqual({ path, actual, close: true })
    return
  }
  if (expected !== null && typeof expected === 'object') {
    expect({ path, keys: Object.keys(actual as object).sort() }).toEqual({
      path,
      keys: Object.keys(expected).sort(),
    })
    for (const [k, v] of Object.entries(expected))
      expectWithin((actual as Record<string, unknown>)[k], v, rel, `${path}.${k}`)
    return
  }
  expect({ path, value: actual }).toEqual({ path, value: expected })
}

async function both(path: string, project: string) {
  const headers = bearer(tokens[project] as string)
  const duck = await rt.fetch(path, { headers })
  const res = await pgApp.handle(new Request(`${BASE}${path}`, { headers }))
  expect(duck.status).toBe(200)
  expect(res.status).toBe(200)
  return { duck: (await duck.json()) as Record<string, unknown[]>, pg: (await res.json()) as unknown }
}

const ANSWERS = { spikes, movers, correlations, releases, environments }
const ENDPOINTS = ['spikes', 'movers', 'correlations', 'releases', 'environments'] as const
const LIST = {
  spikes: 'spikes',
  movers: 'movers',
  correlations: 'pairs',
  releases: 'releases',
  environments: 'environments',
}

describe('analytics on PostgreSQL', () => {
  test('the copy holds every event ingested, and PostgreSQL answers without a DuckDB copy', async () => {
    expect(sent).toBeGreaterThan(4000)
    expect(onPg.analytics.kind).toBe('postgres')
    expect(onPg.analytics.copy).toBeNull()
    const status = { duck: 0, pg: 0 }
    for (const project of PROJECTS) {
      const { duck, pg } = await both(`/v1/analytics/status?project_id=${project}`, project)
      status.duck += (duck as unknown as { events: number }).events
      status.pg += (pg as { events: number }).events
      expect(pg).toMatchObject({ state: 'ready', caught_up: true })
    }
    // The errors ingested, and the LLM error spans that became error events.
    const stored = (rt.core.db.query('SELECT count(*) AS n FROM raw_events').get() as { n: number }).n
    expect(stored).toBeGreaterThan(sent)
    expect(status).toEqual({ duck: stored, pg: stored })
  })

  for (const endpoint of ENDPOINTS) {
    for (const query of [
      'hours=24',
      'hours=72&limit=100',
      'hours=100&limit=100',
      'environment=production&limit=100',
      'hours=48&limit=3',
    ]) {
      test(`${endpoint}?${query} answers as DuckDB does, for each project`, async () => {
        let rows = 0
        for (const project of PROJECTS) {
          const { duck, pg } = await both(`/v1/analytics/${endpoint}?${query}`, project)
          expectSame(pg, duck)
          rows += (duck[LIST[endpoint]] as unknown[]).length
        }
        // The comparison compares something: every endpoint has answers in this data.
        expect(rows).toBeGreaterThan(0)
      })
    }
  }

  test('across all three projects at once (correlations pair issues of different projects)', async () => {
    const copy = rt.features.analytics.analytics.copy
    if (!copy) throw new Error('expected the DuckDB copy to be open')
    const cfg = rt.config.analytics
    for (const environment of [undefined, 'production']) {
      for (const hours of [24, 100]) {
        const context = {
          scope: { projectIds: [...PROJECTS].sort(), environment },
          win: windowOf(END, hours),
          limit: 100,
          now: END,
          settings: {
            zscoreThreshold: cfg.zscore_threshold,
            spikeMinCount: cfg.spike_min_count,
            minCorrelation: cfg.min_correlation,
            maxCorrelationSeries: cfg.correlation_max_fingerprints,
          },
        }
        for (const endpoint of ENDPOINTS) {
          const duck = await ANSWERS[endpoint]({ ...context, source: duckdbSource(copy, rt.core.backend) })
          const onPostgres = await ANSWERS[endpoint]({ ...context, source: postgresSource(backend) })
          expectSame(onPostgres, duck)
        }
        const pairs = await correlations({ ...context, source: postgresSource(backend) })
        if (environment === undefined && hours === 100)
          expect(pairs.pairs.some((p) => p.project_a !== p.project_b)).toBe(true)
      }
    }
  })

  test('the planted patterns are found on PostgreSQL', async () => {
    const { pg } = await both('/v1/analytics/spikes?hours=100&limit=100', 'shop')
    const spikes = (pg as { spikes: { fingerprint: string; count: number; zscore: number | null }[] }).spikes
    expect(spikes.find((s) => s.fingerprint === 'spiky' && s.count === 40)?.zscore).toBeGreaterThan(10)
    expect(spikes.find((s) => s.fingerprint === 'burst')).toMatchObject({ count: 9, zscore: null })
    const rel = (await both('/v1/analytics/releases?hours=100', 'ops')).pg as {
      releases: {
        release: string
        events: number
        new_fingerprints: number
        previous_release: string | null
      }[]
    }
    // From what was sent: a fingerprint is new in the release of its first event.
    const ops = sentEvents.filter((e) => e.project === 'ops')
    const first = new Map<string, { release: string; at: number }>()
    for (const e of ops) {
      const f = first.get(e.fingerprint)
      if (!f || e.at < f.at) first.set(e.fingerprint, { release: e.release, at: e.at })
    }
    const expected = ['2.0.0', '1.1.0', '1.0.0'].map((release, i, all) => [
      release,
      ops.filter((e) => e.release === release).length,
      [...first.values()].filter((f) => f.release === release).length,
      all[i + 1] ?? null,
    ])
    expect(rel.releases.map((r) => [r.release, r.events, r.new_fingerprints, r.previous_release])).toEqual(
      expected,
    )
    expect(rel.releases[0]?.new_fingerprints).toBeGreaterThanOrEqual(3)
  })

  test('answers are cached, and a commit of the project in the last hour drops them', async () => {
    let commit: ErrorsCommitListener = () => {}
    const cached = await startOnPg({ cache_ttl_secs: 60 }, (l) => {
      commit = l
    })
    const cache = async () => (await cached.get('/v1/analytics/movers?hours=24')).headers.get('x-bloop-cache')
    expect(await cache()).toBe('miss')
    expect(await cache()).toBe('hit')
    const committed = (project_id: string, received_at: number) =>
      commit({} as never, [{ project_id, received_at } as never])
    await committed('shop', END)
    await committed('default', END - 30 * H)
    expect(await cache()).toBe('hit')
    await committed('default', END)
    expect(await cache()).toBe('miss')
    await cached.running.stop?.()
  })

  test('analytics.enabled = false answers 404 on PostgreSQL too, and the status says why', async () => {
    const off = await startOnPg({ enabled: false })
    const res = await off.get('/v1/analytics/spikes')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: string }).error).toContain('switched off')
    expect(await (await off.get('/v1/analytics/status')).json()).toMatchObject({
      state: 'disabled',
      events: 0,
    })
  })
})

describe('LLM percentiles on PostgreSQL', () => {
  async function bothLlm(path: string, project: string) {
    const headers = bearer(llmTokens[project] as string)
    const sqlite = await rt.fetch(path, { headers })
    const res = await llmApp.handle(new Request(`${BASE}${path}`, { headers }))
    expect(sqlite.status).toBe(200)
    expect(res.status).toBe(200)
    return {
      sqlite: (await sqlite.json()) as Record<string, unknown>,
      pg: (await res.json()) as Record<string, unknown>,
    }
  }

  for (const query of ['hours=24', 'hours=48']) {
    test(`/v1/llm/overview?${query}: sums and p95 latencies (now and the window before) as on SQLite`, async () => {
      for (const project of ['default', 'shop']) {
        const { sqlite, pg } = await bothLlm(`/v1/llm/overview?${query}`, project)
        expect(pg).toEqual(sqlite)
        expect(sqlite.total_spans).toBeGreaterThan(0)
        expect(sqlite.p95_latency_ms).toBeGreaterThan(0)
        if (query === 'hours=24') expect(sqlite.previous_p95_latency_ms).toBeGreaterThan(0)
      }
    })
  }

  for (const query of ['hours=24', 'hours=72', 'hours=72&model=gpt-4o']) {
    test(`/v1/llm/latency?${query}: the merged sketches give SQLite's figures exactly`, async () => {
      for (const project of ['default', 'shop']) {
        const { sqlite, pg } = await bothLlm(`/v1/llm/latency?${query}`, project)
        expect(pg).toEqual(sqlite)
        expect((sqlite.latency as unknown[]).length).toBeGreaterThan(0)
      }
    })
  }

  for (const query of ['hours=24', 'hours=72', 'hours=72&limit=2']) {
    test(`/v1/llm/tools?${query}: PostgreSQL's percentile_cont gives SQLite's exact percentiles`, async () => {
      let calls = 0
      for (const project of ['default', 'shop']) {
        const { sqlite, pg } = await bothLlm(`/v1/llm/tools?${query}`, project)
        const tools = sqlite.tools as Record<string, unknown>[]
        const onPg = pg.tools as Record<string, unknown>[]
        expect(onPg.map((t) => t.name)).toEqual(tools.map((t) => t.name))
        for (const [i, t] of tools.entries()) {
          const p = onPg[i] as Record<string, unknown>
          for (const [k, v] of Object.entries(t)) {
            if (/^(avg|p\d\d)_latency_ms$/.test(k) && typeof v === 'number') {
              const diff = Math.abs((p[k] as number) - v)
              expect({ k, close: diff <= 1e-12 * Math.max(1, Math.abs(v)) }).toEqual({ k, close: true })
            } else expect({ k, v: p[k] }).toEqual({ k, v })
          }
          calls += t.call_count as number
        }
        expect(pg.window_hours).toBe(sqlite.window_hours)
      }
      expect(calls).toBeGreaterThan(0)
    })
  }

  for (const query of ['hours=24', 'hours=72&limit=3']) {
    test(`/v1/llm/rag?${query}: the RAG keys read from PostgreSQL's metadata give SQLite's figures`, async () => {
      for (const project of ['default', 'shop']) {
        const { sqlite, pg } = await bothLlm(`/v1/llm/rag?${query}`, project)
        // Means of ratios are summed in the order the rows come, which each database
        // chooses: they may differ in the last bits. Everything else is exact.
        expectWithin(pg, sqlite, 1e-12)
        const relevance = sqlite.relevance as { total_retrievals: number; avg_top_relevance: number | null }
        expect(relevance.total_retrievals).toBeGreaterThan(0)
        expect(relevance.avg_top_relevance).not.toBeNull()
        expect((sqlite.sources as { source: string }[]).map((s) => s.source)).toContain('unknown')
      }
    })
  }

  test('every tool and retrieval span of the last 72 hours is counted on both', async () => {
    let calls = 0
    for (const project of ['default', 'shop']) {
      const { pg } = await bothLlm('/v1/llm/tools?hours=72&limit=100', project)
      for (const t of pg.tools as { call_count: number }[]) calls += t.call_count
    }
    // Two of each trace's three spans are tools or retrievals.
    expect(calls).toBe((spansSent / 3) * 2)
  })
})
