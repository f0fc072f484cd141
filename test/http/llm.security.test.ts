/** Every LLM write-side route in the shared security suite (test/security.ts). */
import { putOverride } from '../../src/llm/settings/store'
import { signedTrace, trace } from '../llm.helpers'
import { describeSecurity, type SecurityFixture } from '../security'

let n = 0
const override = () => ({
  model_pattern: `sec-model-${n++}`,
  match: 'exact',
  input_per_mtok: 1,
  output_per_mtok: 2,
  effective_from: 0,
})
const stored = (f: SecurityFixture, projectId: string | null) =>
  putOverride(
    f.rt.core.db,
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
  ).override.id

describeSecurity(
  'LLM settings, pricing, scores and feedback',
  [
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
      request: (f) => ({ path: `/v1/llm/pricing/overrides/${stored(f, f.own.id)}?project_id=${f.own.slug}` }),
      // Another project's override, addressed from the caller's own project: not there.
      foreign: (f) => ({
        path: `/v1/llm/pricing/overrides/${stored(f, f.other.id)}?project_id=${f.own.slug}`,
      }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/llm/pricing/overrides?scope=global',
      access: 'admin',
      request: () => ({ path: '/v1/llm/pricing/overrides?scope=global', body: override() }),
      ok: 201,
    },
    {
      method: 'DELETE',
      route: '/v1/llm/pricing/overrides/:id?scope=global',
      access: 'admin',
      request: (f) => ({ path: `/v1/llm/pricing/overrides/${stored(f, null)}?scope=global` }),
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
  {
    setup: async (f) => {
      for (const [project, id] of [
        [f.own, 'sec-own-trace'],
        [f.other, 'sec-other-trace'],
      ] as const) {
        const res = await f.rt.handle(signedTrace('/v1/traces', trace({ id }), { key: project.api_key }))
        if (res.status !== 200) throw new Error(`expected the fixture trace to be stored, got ${res.status}`)
      }
    },
  },
)
