/**
 * The global pricing overrides in the shared security suite (test/security.ts): the same
 * routes as the project's (catalogued in test/security.routes.llm.ts with their declared
 * `llm:write`), but `scope=global` changes are for signed-in admins only.
 */
import { describeSecurity } from '../security'
import { override, stored } from '../security.routes.llm'

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
    request: async (f) => ({ path: `/v1/llm/pricing/overrides/${await stored(f, null)}?scope=global` }),
    ok: 200,
  },
])
