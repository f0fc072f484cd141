/**
 * The global pricing overrides in the shared security suite (test/security.ts): the same
 * routes as the project's (catalogued in test/security.routes.llm.ts with their declared
 * `llm:write`), but `scope=global` changes are for signed-in admins only.
 */
import { putOverride } from '../../src/llm/settings/store'
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

describeSecurity('LLM global pricing overrides', [
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
])
