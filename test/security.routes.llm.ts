/**
 * The LLM routes of the security catalogue (test/security.routes.ts): the read API and the
 * settings, pricing, scores and feedback writes, as they declare their access.
 */
import { putOverride } from '../src/llm/settings/store'
import { signedTrace, trace } from './llm.helpers'
import { T1, T2 } from './llm.query.fixture'
import { store } from './llm.query.helpers'
import type { RouteSpec, SecurityFixture } from './security'
import type { SecurityGroup } from './security.routes'

const OWN_TRACE = 'sec-own-trace'
const OTHER_TRACE = 'sec-other-trace'

async function setup(f: SecurityFixture) {
  await store(f.rt, f.own.id, [{ ...T1, id: OWN_TRACE }])
  await store(f.rt, f.other.id, [{ ...T2, id: OTHER_TRACE, session_id: 'sec-other-session' }])
}

/** A window route: narrowed to own by slug, or aimed at the other project. */
const windowed = (path: string): RouteSpec => ({
  method: 'GET',
  route: path,
  access: { scope: 'llm:read' },
  request: (f) => ({ path: `${path}?project_id=${f.own.slug}` }),
  foreign: (f) => ({ path: `${path}?project_id=${f.other.slug}` }),
  ok: 200,
})
/** A route about one resource: own's, or the other project's (which must look absent). */
const resource = (route: string, own: string, other: string): RouteSpec => ({
  method: 'GET',
  route,
  access: { scope: 'llm:read' },
  request: () => ({ path: own }),
  foreign: () => ({ path: other }),
  ok: 200,
})

export const LLM_READ: SecurityGroup = {
  title: 'LLM read API',
  setup,
  routes: [
    windowed('/v1/llm/overview'),
    windowed('/v1/llm/usage'),
    windowed('/v1/llm/latency'),
    windowed('/v1/llm/models'),
    windowed('/v1/llm/traces'),
    windowed('/v1/llm/search'),
    resource('/v1/llm/traces/:id', `/v1/llm/traces/${OWN_TRACE}`, `/v1/llm/traces/${OTHER_TRACE}`),
    resource(
      '/v1/llm/traces/:id/scores',
      `/v1/llm/traces/${OWN_TRACE}/scores`,
      `/v1/llm/traces/${OTHER_TRACE}/scores`,
    ),
    resource(
      '/v1/llm/traces/:id/feedback',
      `/v1/llm/traces/${OWN_TRACE}/feedback`,
      `/v1/llm/traces/${OTHER_TRACE}/feedback`,
    ),
    windowed('/v1/llm/sessions'),
    resource(
      '/v1/llm/sessions/:id',
      `/v1/llm/sessions/${T1.session_id}`,
      '/v1/llm/sessions/sec-other-session',
    ),
    windowed('/v1/llm/tools'),
    windowed('/v1/llm/rag'),
    windowed('/v1/llm/prompts'),
    { ...windowed('/v1/llm/prompts/greet/versions'), route: '/v1/llm/prompts/:name/versions' },
    {
      ...windowed('/v1/llm/prompts/greet/compare'),
      route: '/v1/llm/prompts/:name/compare',
      request: (f) => ({ path: `/v1/llm/prompts/greet/compare?v1=v1&v2=v2&project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/prompts/greet/compare?v1=v1&v2=v2&project_id=${f.other.slug}` }),
    },
    windowed('/v1/llm/scores/summary'),
    windowed('/v1/llm/feedback/summary'),
    windowed('/v1/llm/budget'),
    {
      ...windowed('/v1/llm/pricing'),
      request: (f) => ({ path: `/v1/llm/pricing?model=gpt-4o&project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/pricing?model=gpt-4o&project_id=${f.other.slug}` }),
    },
  ],
}

let n = 0
/** A valid override body (a new model each call); the global-override test uses it too. */
export const override = () => ({
  model_pattern: `sec-model-${n++}`,
  match: 'exact',
  input_per_mtok: 1,
  output_per_mtok: 2,
  effective_from: 0,
})
/** An override stored directly, for the routes that change or delete one. */
export const stored = async (f: SecurityFixture, projectId: string | null) =>
  (
    await putOverride(
      f.rt.core.backend,
      projectId,
      {
        ...override(),
        match: 'exact',
        provider: null,
        cache_read_per_mtok: null,
        cache_write_per_mtok: null,
        reasoning_per_mtok: null,
      },
      'test',
      0,
      () => `sec-${n++}`,
    )
  ).override.id

export const LLM_SETTINGS: SecurityGroup = {
  title: 'LLM settings, pricing, scores and feedback',
  routes: [
    {
      method: 'GET',
      route: '/v1/llm/settings',
      access: { scope: 'llm:read' },
      request: (f) => ({ path: `/v1/llm/settings?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/settings?project_id=${f.other.slug}` }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/llm/settings',
      access: { scope: 'llm:write' },
      request: (f) => ({
        path: `/v1/llm/settings?project_id=${f.own.slug}`,
        body: { content_policy: 'full' },
      }),
      foreign: (f) => ({
        path: `/v1/llm/settings?project_id=${f.other.slug}`,
        body: { content_policy: 'full' },
      }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/llm/budget',
      access: { scope: 'llm:write' },
      request: (f) => ({
        path: `/v1/llm/budget?project_id=${f.own.slug}`,
        body: { monthly_budget_micros: 100 },
      }),
      foreign: (f) => ({
        path: `/v1/llm/budget?project_id=${f.other.slug}`,
        body: { monthly_budget_micros: 100 },
      }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/llm/pricing/overrides',
      access: { scope: 'llm:read' },
      request: (f) => ({ path: `/v1/llm/pricing/overrides?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/pricing/overrides?project_id=${f.other.slug}` }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/llm/pricing/overrides',
      access: { scope: 'llm:write' },
      request: (f) => ({ path: `/v1/llm/pricing/overrides?project_id=${f.own.slug}`, body: override() }),
      foreign: (f) => ({ path: `/v1/llm/pricing/overrides?project_id=${f.other.slug}`, body: override() }),
      ok: 201,
    },
    {
      method: 'DELETE',
      route: '/v1/llm/pricing/overrides/:id',
      access: { scope: 'llm:write' },
      request: async (f) => ({
        path: `/v1/llm/pricing/overrides/${await stored(f, f.own.id)}?project_id=${f.own.slug}`,
      }),
      // Another project's override, addressed from the caller's own project: not there.
      foreign: async (f) => ({
        path: `/v1/llm/pricing/overrides/${await stored(f, f.other.id)}?project_id=${f.own.slug}`,
      }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/llm/pricing/unknown',
      access: { scope: 'llm:read' },
      request: (f) => ({ path: `/v1/llm/pricing/unknown?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/pricing/unknown?project_id=${f.other.slug}` }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/llm/traces/:id/scores',
      access: { scope: 'llm:write' },
      request: (f) => ({
        path: `/v1/llm/traces/sec-own-trace/scores?project_id=${f.own.slug}`,
        body: { name: 'quality', value: 0.85, comment: 'Good' },
      }),
      // The other project's trace, from the caller's own project: unknown there.
      foreign: (f) => ({
        path: `/v1/llm/traces/sec-other-trace/scores?project_id=${f.own.slug}`,
        body: { name: 'quality', value: 0.85 },
      }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/llm/traces/:id/feedback',
      access: { scope: 'llm:write' },
      request: (f) => ({
        path: `/v1/llm/traces/sec-own-trace/feedback?project_id=${f.own.slug}`,
        body: { value: 1 },
      }),
      foreign: (f) => ({
        path: `/v1/llm/traces/sec-other-trace/feedback?project_id=${f.own.slug}`,
        body: { value: -1 },
      }),
      ok: 200,
    },
  ],
  setup: async (f) => {
    for (const [project, id] of [
      [f.own, 'sec-own-trace'],
      [f.other, 'sec-other-trace'],
    ] as const) {
      const res = await f.rt.handle(signedTrace('/v1/traces', trace({ id }), { key: project.api_key }))
      if (res.status !== 200) throw new Error(`expected the fixture trace to be stored, got ${res.status}`)
    }
  },
}

export const LLM_EXPORT: SecurityGroup = {
  title: 'LangSmith export',
  routes: [
    {
      method: 'GET',
      route: '/v1/llm/export/langsmith',
      access: { scope: 'llm:read' },
      request: (f) => ({ path: `/v1/llm/export/langsmith?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/export/langsmith?project_id=${f.other.slug}` }),
      ok: 200,
    },
  ],
}

const variants = () => [
  { name: 'control', version: 'v1', prompt_template: 'You are helpful.', traffic_percentage: 50 },
  { name: 'expert', version: 'v2', prompt_template: 'You are an expert.', traffic_percentage: 50 },
]

type Fixture = SecurityFixture & {
  ownExperiment: () => Promise<string>
  otherExperiment: () => Promise<string>
}

let secSeq = 0
export const LLM_EXPERIMENTS: SecurityGroup = {
  title: 'prompt experiments',
  routes: [
    {
      method: 'POST',
      route: '/v1/llm/experiments',
      access: { scope: 'llm:write' },
      ok: 201,
      request: (f) => ({
        path: `/v1/llm/experiments?project_id=${f.own.slug}`,
        body: { name: `sec-${secSeq++}`, prompt_name: 'p', variants: variants() },
      }),
      foreign: (f) => ({
        path: `/v1/llm/experiments?project_id=${f.other.slug}`,
        body: { name: `sec-${secSeq++}`, prompt_name: 'p', variants: variants() },
      }),
    },
    {
      method: 'GET',
      route: '/v1/llm/experiments',
      access: { scope: 'llm:read' },
      ok: 200,
      request: (f) => ({ path: `/v1/llm/experiments?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/llm/experiments?project_id=${f.other.slug}` }),
    },
    ...(['', '/compare', '/assign'] as const).map((suffix) => ({
      method: 'GET' as const,
      route: `/v1/llm/experiments/:id${suffix}`,
      access: { scope: 'llm:read' as const },
      ok: 200,
      request: async (f: SecurityFixture) => ({
        path: `/v1/llm/experiments/${await (f as Fixture).ownExperiment()}${suffix}${suffix === '/assign' ? '?unit=u1' : ''}`,
      }),
      foreign: async (f: SecurityFixture) => ({
        path: `/v1/llm/experiments/${await (f as Fixture).otherExperiment()}${suffix}${suffix === '/assign' ? '?unit=u1' : ''}`,
      }),
    })),
    {
      method: 'PATCH',
      route: '/v1/llm/experiments/:id',
      access: { scope: 'llm:write' },
      ok: 200,
      request: async (f) => ({
        path: `/v1/llm/experiments/${await (f as Fixture).ownExperiment()}`,
        body: { status: 'paused' },
      }),
      foreign: async (f) => ({
        path: `/v1/llm/experiments/${await (f as Fixture).otherExperiment()}`,
        body: { status: 'paused' },
      }),
    },
    {
      method: 'DELETE',
      route: '/v1/llm/experiments/:id',
      access: { scope: 'llm:write' },
      ok: 200,
      request: async (f) => ({ path: `/v1/llm/experiments/${await (f as Fixture).ownExperiment()}` }),
      foreign: async (f) => ({ path: `/v1/llm/experiments/${await (f as Fixture).otherExperiment()}` }),
    },
  ],
  setup: async (f) => {
    const b = f.rt.core.backend
    const make = (projectId: string) => async () => {
      const id = `exp-${projectId}-${secSeq++}`
      const now = Date.now()
      await b.run(
        `INSERT INTO llm_experiments (id, project_id, name, prompt_name, status, planned_per_arm, metrics, started_at, created_at, updated_at)
           VALUES (?, ?, ?, 'p', 'running', 10, '["latency"]', ?, ?, ?)`,
        [id, projectId, id, now, now, now],
      )
      for (const [i, v] of variants().entries())
        await b.run(
          `INSERT INTO llm_experiment_variants (experiment_id, position, project_id, name, version, prompt_template, traffic_percentage)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [id, i, projectId, v.name, v.version, v.prompt_template, v.traffic_percentage],
        )
      return id
    }
    Object.assign(f, { ownExperiment: make(f.own.id), otherExperiment: make(f.other.id) })
  },
}
