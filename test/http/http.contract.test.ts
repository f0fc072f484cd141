/**
 * GET /openapi.json: a valid OpenAPI 3.1 document (checked by openapi-spec-validator from
 * PyPI, in .venv-ci), public, listing every registered route with the security its access
 * declares and the error shape on every operation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type AccessKind, accessOf } from '../../src/http/access'
import { startRuntime, type TestRuntime } from '../helpers'
import { REPO } from '../process'

const python = process.env.BLOOP_TEST_PYTHON || join(REPO, '.venv-ci', 'bin', 'python')

interface Operation {
  security?: Record<string, string[]>[]
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>
  'x-bloop-access': AccessKind
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> }

let rt: TestRuntime
let doc: Doc
let text: string

beforeAll(async () => {
  rt = await startRuntime()
  const res = await rt.fetch('/openapi.json')
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('application/json')
  text = await res.text()
  doc = JSON.parse(text)
})
afterAll(() => rt.dispose())

const SECURITY: Record<string, (kind: AccessKind) => Record<string, string[]>[]> = {
  public: () => [],
  ingest: () => [{ ingestSignature: [] }],
  session: () => [{ sessionCookie: [] }],
  admin: () => [{ sessionCookie: [] }],
  page: () => [{ sessionCookie: [] }, {}] as Record<string, string[]>[],
  key: () => [{ bloopKey: [] }],
  exporter: (k) =>
    [
      { bearerToken: [k.slice('exporter:'.length)] },
      { sessionCookie: [] },
      { bloopKey: [] },
      { ingestSignature: [] },
    ] as Record<string, string[]>[],
  scope: (k) =>
    [{ bearerToken: [k.slice('scope:'.length)] }, { sessionCookie: [] }] as Record<string, string[]>[],
}

/** Scope routes that also accept a request signed with the project key, like ingest. */
const SIGNED_TOO = new Set(['POST /v1/llm/traces/:id/scores', 'POST /v1/llm/traces/:id/feedback'])

describe('the OpenAPI document', () => {
  test('validates as OpenAPI 3.1', () => {
    if (!existsSync(python))
      throw new Error(`expected Python at ${python}; run \`bun test/setup/python-env.ts\``)
    const r = Bun.spawnSync(
      [
        python,
        '-c',
        'import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(sys.stdin))',
      ],
      { stdin: Buffer.from(text), stderr: 'pipe' },
    )
    expect({ exit: r.exitCode, stderr: r.stderr.toString().slice(-2000) }).toEqual({ exit: 0, stderr: '' })
    expect(doc.openapi).toBe('3.1.0')
  }, 60_000)

  test('lists every registered route with the security its access declares', () => {
    const listed: string[] = []
    for (const route of rt.app.routes) {
      const path = route.path.replace(/:([^/]+)/g, '{$1}')
      // A route for every method is listed under each of them.
      const op = doc.paths[path]?.[route.method === 'ALL' ? 'get' : route.method.toLowerCase()]
      if (!op) {
        listed.push(`missing: ${route.method} ${route.path}`)
        continue
      }
      const kind = accessOf(route) as AccessKind
      expect({ route: `${route.method} ${route.path}`, access: op['x-bloop-access'] }).toEqual({
        route: `${route.method} ${route.path}`,
        access: kind,
      })
      const declared = (
        SECURITY[
          kind.startsWith('scope:')
            ? 'scope'
            : kind.startsWith('key:')
              ? 'key'
              : kind.startsWith('exporter:')
                ? 'exporter'
                : kind
        ] as (k: AccessKind) => unknown
      )(kind) as Record<string, string[]>[]
      // `scopeOrSigned` routes also take the ingest signature (src/http/access.ts).
      const expected = SIGNED_TOO.has(`${route.method} ${route.path}`)
        ? [...declared, { ingestSignature: [] }]
        : declared
      expect({ route: `${route.method} ${route.path}`, security: op.security }).toEqual({
        route: `${route.method} ${route.path}`,
        security: expected,
      })
    }
    expect(listed).toEqual([])
    // Declared routes map one to one onto operations, but an ALL route spreads over methods.
    const operations = Object.entries(doc.paths).reduce(
      (n, [, methods]) => n + Object.keys(methods).length,
      0,
    )
    const declared = rt.app.routes
    const spread = declared
      .filter((r) => r.method === 'ALL')
      .reduce((n, r) => n + Object.keys(doc.paths[r.path.replace(/:([^/]+)/g, '{$1}')] ?? {}).length, 0)
    expect(operations).toBe(declared.filter((r) => r.method !== 'ALL').length + spread)
  })

  test('gives every operation the error shape as its default answer', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect({
          at: `${method} ${path}`,
          schema: op.responses.default?.content?.['application/json']?.schema,
        }).toEqual({
          at: `${method} ${path}`,
          schema: { $ref: '#/components/schemas/ErrorBody' },
        })
      }
    }
  })

  test('describes a scope route with its parameters and answer', () => {
    const op = doc.paths['/v1/errors']?.get as unknown as {
      parameters: { name: string; in: string }[]
      responses: Record<string, { content?: Record<string, { schema: { required?: string[] } }> }>
    }
    expect(op.parameters.map((p) => `${p.in}:${p.name}`)).toContain('query:project_id')
    expect(op.responses['200']?.content?.['application/json']?.schema.required).toEqual([
      'items',
      'total',
      'limit',
      'offset',
    ])
    expect(Object.keys(op.responses).sort()).toEqual(['200', '401', '403', '404', 'default'])
  })

  test('describes the body of a route that reads it itself (ingest, parse: none)', () => {
    const op = doc.paths['/v1/ingest']?.post as unknown as {
      requestBody: { required: boolean; content: Record<string, { schema: { required?: string[] } }> }
    }
    expect(op.requestBody.required).toBe(true)
    expect(Object.keys(op.requestBody.content)).toEqual(['application/json'])
    expect(op.requestBody.content['application/json']?.schema.required).toEqual([
      'source',
      'environment',
      'error_type',
      'message',
    ])
  })
})
