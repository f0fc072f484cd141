/**
 * The LLM read routes that declare their answers (src/llm/query/responses.ts): each is in
 * /openapi.json with a 200 schema, and a real answer validates against it with exactly
 * its properties (schemathesis checks conformance too; this pins the documented fields).
 * The schemas are the ones the routes declare (read from the app), never a copy.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { SCHEMA_KEY } from '../../src/http/access'
import { startRuntime, type TestRuntime } from '../helpers'
import { signedTrace, span, trace } from '../llm.helpers'

let rt: TestRuntime
let headers: Record<string, string>
let doc: {
  paths: Record<
    string,
    { get: { responses: Record<string, { content?: Record<string, { schema: { properties?: object } }> }> } }
  >
}
beforeAll(async () => {
  // rag reads the retrieval's metadata, which the default policy (none) does not store.
  rt = await startRuntime({ llm_tracing: { default_content_storage: 'metadata_only' } })
  headers = {
    authorization: `Bearer ${rt.token(['llm:read', 'llm:write'])}`,
    'content-type': 'application/json',
  }
  const now = Date.now()
  const recent = {
    id: 'c1',
    prompt_name: 'greeter',
    prompt_version: '1',
    started_at: now - 5000,
    ended_at: now - 3800,
    spans: [
      span({ started_at: now - 5000 }),
      span({ id: 'tool-1', span_type: 'tool', name: 'search', model: null, started_at: now - 4000 }),
      span({
        id: 'rag-1',
        span_type: 'retrieval',
        name: 'docs',
        model: null,
        started_at: now - 4500,
        metadata: {
          rag: { source: 'kb', chunks_retrieved: 8, chunks_used: 3, relevance_scores: [0.9, 0.4] },
        },
      }),
    ],
  }
  expect((await rt.handle(signedTrace('/v1/traces', trace(recent)))).status).toBe(200)
  for (const [path, body] of [
    ['/v1/llm/traces/c1/scores', { name: 'quality', value: 0.75, comment: 'fine' }],
    ['/v1/llm/traces/c1/feedback', { value: 1, user_id: 'u1' }],
  ] as const)
    expect((await rt.fetch(path, { method: 'POST', headers, body: JSON.stringify(body) })).status).toBe(200)
  doc = await (await rt.fetch('/openapi.json')).json()
})
afterAll(() => rt.dispose())

/** The 200 schema a GET route declares in the source (documented path, `{id}` style). */
function declared(documented: string): TSchema | undefined {
  const route = rt.app.routes.find(
    (r) => r.method === 'GET' && r.path.replace(/:(\w+)/g, '{$1}') === documented,
  )
  const schema = (
    route?.hooks?.detail as Record<string, { response?: Record<number, TSchema> }> | undefined
  )?.[SCHEMA_KEY]
  return schema?.response?.[200]
}

/** Each read route that declares its answer, and a URL that answers with rows. */
const ROUTES: [string, string][] = [
  ['/v1/llm/overview', '/v1/llm/overview'],
  ['/v1/llm/usage', '/v1/llm/usage'],
  ['/v1/llm/models', '/v1/llm/models'],
  ['/v1/llm/latency', '/v1/llm/latency'],
  ['/v1/llm/tools', '/v1/llm/tools'],
  ['/v1/llm/rag', '/v1/llm/rag'],
  ['/v1/llm/prompts', '/v1/llm/prompts'],
  ['/v1/llm/prompts/{name}/versions', '/v1/llm/prompts/greeter/versions'],
  ['/v1/llm/prompts/{name}/compare', '/v1/llm/prompts/greeter/compare?v1=1&v2=2'],
  ['/v1/llm/traces', '/v1/llm/traces'],
  ['/v1/llm/search', '/v1/llm/search?q=chat'],
  ['/v1/llm/sessions', '/v1/llm/sessions'],
  ['/v1/llm/sessions/{id}', '/v1/llm/sessions/session-abc'],
  ['/v1/llm/traces/{id}', '/v1/llm/traces/c1'],
  ['/v1/llm/budget', '/v1/llm/budget'],
  ['/v1/llm/feedback/summary', '/v1/llm/feedback/summary'],
  ['/v1/llm/scores/summary', '/v1/llm/scores/summary?name=quality'],
  ['/v1/llm/traces/{id}/scores', '/v1/llm/traces/c1/scores'],
  ['/v1/llm/traces/{id}/feedback', '/v1/llm/traces/c1/feedback'],
]

describe('LLM read answers as documented', () => {
  test('every LLM read route that declares its answer is checked here', () => {
    const reads = rt.app.routes
      .filter((r) => r.method === 'GET' && r.path.startsWith('/v1/llm/'))
      .map((r) => r.path.replace(/:(\w+)/g, '{$1}'))
      .filter((path) => path !== '/v1/llm/pricing' && declared(path) !== undefined)
    expect(reads.sort()).toEqual(ROUTES.map(([documented]) => documented).sort())
  })

  for (const [documented, url] of ROUTES) {
    test(`${documented}: in /openapi.json with its fields, and a real answer matches them`, async () => {
      const schema = declared(documented) as TSchema
      expect(schema).toBeDefined()
      const op = doc.paths[documented]?.get
      const documentedSchema = op?.responses['200']?.content?.['application/json']?.schema
      expect(Object.keys(documentedSchema?.properties ?? {}).sort()).toEqual(
        Object.keys(schema.properties as object).sort(),
      )
      const res = await rt.fetch(url, { headers })
      expect(res.status).toBe(200)
      const body = (await res.json()) as Record<string, unknown>
      expect([...Value.Errors(schema, body)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
      expect(Object.keys(body).sort()).toEqual(Object.keys(schema.properties as object).sort())
    })
  }

  test('the lists answer rows, which match their documented items', async () => {
    for (const [url, key] of [
      ['/v1/llm/usage', 'usage'],
      ['/v1/llm/models', 'models'],
      ['/v1/llm/latency', 'latency'],
      ['/v1/llm/tools', 'tools'],
      ['/v1/llm/rag', 'sources'],
      ['/v1/llm/prompts', 'prompts'],
      ['/v1/llm/prompts/greeter/versions', 'versions'],
      ['/v1/llm/traces', 'traces'],
      ['/v1/llm/search?q=chat', 'traces'],
      ['/v1/llm/sessions', 'sessions'],
      ['/v1/llm/sessions/session-abc', 'traces'],
    ] as const) {
      const body = (await (await rt.fetch(url, { headers })).json()) as Record<
        string,
        Record<string, unknown>[]
      >
      expect(body[key]?.length).toBeGreaterThanOrEqual(1)
    }
  })

  test("GET /v1/llm/pricing: both its answers (the table, a model's price) validate against the documented union", async () => {
    const documented =
      doc.paths['/v1/llm/pricing']?.get.responses['200']?.content?.['application/json']?.schema
    expect(documented).toBeDefined()
    for (const url of ['/v1/llm/pricing', '/v1/llm/pricing?model=gpt-4o&provider=openai']) {
      const res = await rt.fetch(url, { headers })
      expect(res.status).toBe(200)
      expect(
        [...Value.Errors(declared('/v1/llm/pricing') as TSchema, await res.json())].map(
          (e) => `${e.path}: ${e.message}`,
        ),
      ).toEqual([])
    }
  })

  test('the stored score and vote come back in the shape documented', async () => {
    const scores = (await (await rt.fetch('/v1/llm/traces/c1/scores', { headers })).json()) as {
      scores: Record<string, unknown>[]
    }
    expect(scores.scores).toMatchObject([{ name: 'quality', value: 0.75, source: 'api', comment: 'fine' }])
    const summary = (await (await rt.fetch('/v1/llm/feedback/summary', { headers })).json()) as object
    expect(summary).toMatchObject({ total: 1, positive: 1, negative: 0, positive_rate: 1, window_hours: 24 })
  })
})
