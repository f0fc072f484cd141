/**
 * Default-deny at startup: an app with a route that declares no access is refused before
 * it serves anything, naming the route; declared routes are served with what their
 * declaration resolved.
 */
import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { createApp } from '../../src/app'
import { access, corsPolicy, preflight } from '../../src/http/access'
import { Guard } from '../../src/http/auth'
import { createLogger } from '../../src/ops/log'

const log = createLogger('error')
const guard = new Guard(
  {
    token: async () => ({
      kind: 'token',
      tokenId: 't',
      tokenName: 'ci',
      projectId: 'p1',
      projectSlug: 'one',
      scopes: ['errors:read'],
    }),
    session: async () => null,
    visibleProjects: async () => [
      { id: 'p1', slug: 'one' },
      { id: 'p2', slug: 'two' },
    ],
  },
  ['http://localhost'],
)

describe('routes declare their access', () => {
  test('refuses to build an app with a route that declares nothing, naming it', () => {
    const undeclared = new Elysia({ name: 'undeclared' })
      .use(access(guard))
      .get('/ok', () => 'ok', { public: 'a test route' })
      .post('/v1/forgot', () => 'oops')
    expect(() => createApp(log, [undeclared])).toThrow(
      /expected every route to declare its access, got none on POST \/v1\/forgot: add one of/,
    )
  })

  test('builds an app whose routes all declare, and hands the handler the resolved access', async () => {
    const declared = new Elysia({ name: 'declared' })
      .use(access(guard))
      .get('/v1/mine', ({ access }) => ({ ids: access.projectIds, actor: access.actor }), {
        scope: 'errors:read',
      })
      .get('/v1/narrow', ({ access, query }) => access.narrow(query.project_id as string).projectIds, {
        scope: 'errors:read',
      })
    const app = createApp(log, [declared])
    const authorized = { headers: { authorization: 'Bearer bloop_tk_x' } }
    const mine = await app.handle(new Request('http://localhost/v1/mine', authorized))
    expect(await mine.json()).toEqual({ ids: ['p1'], actor: 'token:ci' })
    const anonymous = await app.handle(new Request('http://localhost/v1/mine'))
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ code: 'unauthorized' })
    const foreign = await app.handle(new Request('http://localhost/v1/narrow?project_id=p2', authorized))
    expect(foreign.status).toBe(404)
    // The token's own project by id or by slug; another project's slug is as unknown as its id.
    for (const [ref, status, body] of [
      ['p1', 200, ['p1']],
      ['one', 200, ['p1']],
      ['two', 404, null],
      ['nope', 404, null],
    ] as const) {
      const res = await app.handle(new Request(`http://localhost/v1/narrow?project_id=${ref}`, authorized))
      expect([ref, res.status]).toEqual([ref, status])
      if (body) expect(await res.json()).toEqual([...body])
    }
  })

  test('a token without the declared scope is 403 before the handler runs', async () => {
    let ran = false
    const app = createApp(log, [
      new Elysia({ name: 'write' }).use(access(guard)).post(
        '/v1/change',
        () => {
          ran = true
          return 'changed'
        },
        { scope: 'errors:write' },
      ),
    ])
    const res = await app.handle(
      new Request('http://localhost/v1/change', { method: 'POST', headers: { authorization: 'Bearer x' } }),
    )
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'insufficient_scope' })
    expect(ran).toBe(false)
  })

  test("a route's CORS policy is on its answers and its errors, and on no other route", async () => {
    const policy = corsPolicy({ methods: 'POST, OPTIONS', headers: 'Content-Type' })
    const app = createApp(log, [
      new Elysia({ name: 'cors' })
        .use(access(guard))
        .options('/v1/open', preflight(policy), { public: 'preflight', cors: policy })
        .post('/v1/open', () => ({ ok: true }), { scope: 'errors:read', cors: policy })
        .get('/v1/closed', () => ({ ok: true }), { scope: 'errors:read' }),
    ])
    const pre = await app.handle(new Request('http://localhost/v1/open', { method: 'OPTIONS' }))
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS')
    const ok = await app.handle(
      new Request('http://localhost/v1/open', { method: 'POST', headers: { authorization: 'Bearer x' } }),
    )
    expect({ status: ok.status, origin: ok.headers.get('access-control-allow-origin') }).toEqual({
      status: 200,
      origin: '*',
    })
    const refused = await app.handle(new Request('http://localhost/v1/open', { method: 'POST' }))
    expect({
      status: refused.status,
      origin: refused.headers.get('access-control-allow-origin'),
      headers: refused.headers.get('access-control-allow-headers'),
    }).toEqual({ status: 401, origin: '*', headers: 'Content-Type' })
    const closed = await app.handle(new Request('http://localhost/v1/closed'))
    expect({ status: closed.status, origin: closed.headers.get('access-control-allow-origin') }).toEqual({
      status: 401,
      origin: null,
    })
  })
})
