/**
 * Token-based security checks for every alerting route (written before the shared suite in
 * test/security.ts existed; the same checks): no credentials 401, a malformed,
 * revoked or expired token 401, a missing scope 403, another project's rule 404.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Scope } from '../../src/http/auth'
import { insertProject } from '../../src/projects/store'
import { createToken, revokeToken } from '../../src/tokens/store'
import { bearer, startRuntime, type TestRuntime } from '../helpers'

type Json = Record<string, unknown>

let rt: TestRuntime
let ruleId: number
let channelId: number
const tokens: Record<string, string> = {}

interface Route {
  method: string
  label: string
  path: () => string
  scope: Scope
  body?: Json
  /** Answers about one rule, so another project's token gets 404. */
  ruleScoped: boolean
}

const ROUTES: Route[] = [
  { method: 'GET', label: '/v1/alerts', path: () => '/v1/alerts', scope: 'alerts:read', ruleScoped: false },
  {
    method: 'POST',
    label: '/v1/alerts',
    path: () => '/v1/alerts',
    scope: 'alerts:write',
    body: { name: 'x', project_id: 'default', config: { type: 'new_issue' } },
    ruleScoped: true,
  },
  {
    method: 'GET',
    label: '/v1/alerts/:id',
    path: () => `/v1/alerts/${ruleId}`,
    scope: 'alerts:read',
    ruleScoped: true,
  },
  {
    method: 'PUT',
    label: '/v1/alerts/:id',
    path: () => `/v1/alerts/${ruleId}`,
    scope: 'alerts:write',
    body: { name: 'y' },
    ruleScoped: true,
  },
  {
    method: 'DELETE',
    label: '/v1/alerts/:id',
    path: () => `/v1/alerts/${ruleId}`,
    scope: 'alerts:write',
    ruleScoped: true,
  },
  {
    method: 'GET',
    label: '/v1/alerts/:id/channels',
    path: () => `/v1/alerts/${ruleId}/channels`,
    scope: 'alerts:read',
    ruleScoped: true,
  },
  {
    method: 'POST',
    label: '/v1/alerts/:id/channels',
    path: () => `/v1/alerts/${ruleId}/channels`,
    scope: 'alerts:write',
    body: { config: { type: 'email', to: 'x@example.com' } },
    ruleScoped: true,
  },
  {
    method: 'DELETE',
    label: '/v1/alerts/:id/channels/:cid',
    path: () => `/v1/alerts/${ruleId}/channels/${channelId}`,
    scope: 'alerts:write',
    ruleScoped: true,
  },
  {
    method: 'POST',
    label: '/v1/alerts/:id/test',
    path: () => `/v1/alerts/${ruleId}/test`,
    scope: 'alerts:write',
    ruleScoped: true,
  },
  {
    method: 'GET',
    label: '/v1/alerts/:id/deliveries',
    path: () => `/v1/alerts/${ruleId}/deliveries`,
    scope: 'alerts:read',
    ruleScoped: true,
  },
]

const ALL: Scope[] = ['alerts:read', 'alerts:write']

beforeAll(async () => {
  // These checks fail authentication on purpose, far beyond the failed-credential burst.
  rt = await startRuntime({ rate_limit: { auth_per_second: 10_000, auth_burst_size: 10_000 } })
  const db = rt.core.db
  insertProject(db, { id: 'p-other', name: 'Other', slug: 'other' })
  tokens.owner = rt.token(ALL)
  tokens.other = rt.token(ALL, 'p-other')
  tokens.errorsOnly = rt.token(['errors:read', 'errors:write'])
  tokens.readOnly = rt.token(['alerts:read'])
  tokens.writeOnly = rt.token(['alerts:write'])
  const revoked = createToken(db, { projectId: 'default', name: 'revoked', scopes: ALL })
  revokeToken(db, revoked.row.id)
  tokens.revoked = revoked.token
  const day = 86_400_000
  tokens.expired = createToken(
    db,
    { projectId: 'default', name: 'old', scopes: ALL, expiresInDays: 1 },
    Date.now() - 2 * day,
  ).token

  const created = await send('POST', '/v1/alerts', tokens.owner, {
    name: 'guarded',
    project_id: 'default',
    config: { type: 'new_issue' },
  })
  ruleId = created.body.id as number
  const ch = await send('POST', `/v1/alerts/${ruleId}/channels`, tokens.owner, {
    config: { type: 'email', to: 'guard@example.com' },
  })
  channelId = ch.body.id as number
})
afterAll(() => rt.dispose())

async function send(method: string, path: string, token: string | null, body?: Json, headers: Json = {}) {
  const res = await rt.fetch(path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : bearer(token)),
      ...(headers as Record<string, string>),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

async function ruleStillIntact() {
  const r = await send('GET', `/v1/alerts/${ruleId}`, tokens.owner as string)
  expect(r.status).toBe(200)
  expect(r.body.name).toBe('guarded')
  expect((r.body.channels as Json[]).map((c) => c.id)).toEqual([channelId])
}

for (const route of ROUTES) {
  describe(`${route.method} ${route.label}`, () => {
    test('answers 401 without credentials', async () => {
      const r = await send(route.method, route.path(), null, route.body)
      expect(r).toEqual({
        status: 401,
        body: {
          error: 'authentication required: send "Authorization: Bearer <token>" or sign in',
          code: 'unauthorized',
        },
      })
    })

    test('answers 401 for a malformed, an unknown, a revoked and an expired token', async () => {
      const cases: [string, string][] = [
        ['bloop_tk_short', 'malformed API token'],
        [`bloop_tk_${'A'.repeat(43)}`, 'invalid API token'],
        [tokens.revoked as string, 'API token has been revoked'],
        [tokens.expired as string, 'API token has expired'],
      ]
      for (const [token, error] of cases) {
        expect(await send(route.method, route.path(), token, route.body)).toEqual({
          status: 401,
          body: { error, code: 'invalid_token' },
        })
      }
    })

    test('answers 401 for an unknown session cookie', async () => {
      const r = await send(route.method, route.path(), null, route.body, { cookie: 'bloop_session=forged' })
      expect(r.status).toBe(401)
    })

    test(`answers 403 without ${route.scope}`, async () => {
      const lacking = route.scope === 'alerts:read' ? tokens.writeOnly : tokens.readOnly
      for (const token of [tokens.errorsOnly, lacking] as string[]) {
        expect(await send(route.method, route.path(), token, route.body)).toEqual({
          status: 403,
          body: { error: `token lacks the required scope ${route.scope}`, code: 'insufficient_scope' },
        })
      }
    })

    if (route.ruleScoped) {
      test("answers 404 to another project's token", async () => {
        const r = await send(route.method, route.path(), tokens.other as string, route.body)
        expect(r.status).toBe(404)
        expect(r.body.code).toBe('not_found')
        await ruleStillIntact()
      })
    } else {
      test("does not list another project's rules", async () => {
        const r = await send(route.method, route.path(), tokens.other as string)
        expect(r).toEqual({ status: 200, body: { items: [] } })
      })
    }
  })
}

test('the guarded rule survived every refused request', ruleStillIntact)
