/**
 * The shared security suite (test/security.ts) over every protected route on this branch:
 * the errors API, projects, tokens, admin, and the user's own passkeys.
 */

import { createInvite } from '../../src/auth/invites'
import { insertCredential, insertUser } from '../../src/auth/users'
import { insertProject } from '../../src/projects/store'
import { createToken } from '../../src/tokens/store'
import { event, signed } from '../helpers'
import { describeSecurity, type SecurityFixture, send } from '../security'

let seq = 0
const unique = (prefix: string) => `${prefix}-${++seq}`

/** One issue in each project, with distinct fingerprints and releases. */
async function ingestIssues(f: SecurityFixture): Promise<void> {
  for (const [project, tag] of [
    [f.own, 'own'],
    [f.other, 'other'],
  ] as const) {
    const res = await f.rt.handle(
      signed('/v1/ingest', event({ fingerprint: `fp-${tag}`, release: `r-${tag}` }), {
        key: project.api_key,
      }),
    )
    if (res.status !== 200)
      throw new Error(`expected ingest to succeed, got ${res.status} ${await res.text()}`)
  }
}

describeSecurity(
  'errors API',
  [
    {
      method: 'GET',
      route: '/v1/errors',
      access: { scope: 'errors:read' },
      request: (f) => ({ path: `/v1/errors?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/errors?project_id=${f.other.slug}` }),
      ok: 200,
    },
    ...(['', '/occurrences', '/trend', '/history'] as const).map((suffix) => ({
      method: 'GET' as const,
      route: `/v1/errors/:fingerprint${suffix}`,
      access: { scope: 'errors:read' as const },
      request: () => ({ path: `/v1/errors/fp-own${suffix}` }),
      foreign: () => ({ path: `/v1/errors/fp-other${suffix}` }),
      ok: 200,
    })),
    {
      method: 'POST',
      route: '/v1/errors/:fingerprint/:action',
      access: { scope: 'errors:write' },
      request: () => ({ path: '/v1/errors/fp-own/resolve' }),
      foreign: () => ({ path: '/v1/errors/fp-other/resolve' }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/releases/:release/errors',
      access: { scope: 'errors:read' },
      request: (f) => ({ path: `/v1/releases/r-own/errors?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/releases/r-other/errors?project_id=${f.other.slug}` }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/trends',
      access: { scope: 'errors:read' },
      request: (f) => ({ path: `/v1/trends?project_id=${f.own.id}` }),
      foreign: (f) => ({ path: `/v1/trends?project_id=${f.other.id}` }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/stats',
      access: { scope: 'errors:read' },
      request: (f) => ({ path: `/v1/stats?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/stats?project_id=${f.other.slug}` }),
      ok: 200,
    },
  ],
  { setup: ingestIssues },
)

/** A throwaway project, so destructive routes never consume the fixture's. */
const freshProject = (f: SecurityFixture) =>
  insertProject(f.rt.core.db, { name: 'Temp', slug: unique('temp') }, f.rt.core.now())

describeSecurity('projects API', [
  {
    method: 'GET',
    route: '/v1/projects',
    access: 'session',
    request: () => ({ path: '/v1/projects' }),
    ok: 200,
  },
  {
    method: 'POST',
    route: '/v1/projects',
    access: 'admin',
    request: () => ({ path: '/v1/projects', body: { name: 'New', slug: unique('new') } }),
    ok: 201,
  },
  {
    method: 'GET',
    route: '/v1/projects/:slug',
    access: 'session',
    request: (f) => ({ path: `/v1/projects/${f.own.slug}` }),
    ok: 200,
  },
  {
    method: 'PUT',
    route: '/v1/projects/:slug',
    access: 'admin',
    request: (f) => ({ path: `/v1/projects/${f.other.slug}`, body: { name: 'Renamed' } }),
    ok: 200,
  },
  {
    method: 'DELETE',
    route: '/v1/projects/:slug',
    access: 'admin',
    request: (f) => ({ path: `/v1/projects/${freshProject(f).slug}` }),
    ok: 200,
  },
  {
    method: 'POST',
    route: '/v1/projects/:slug/rotate-key',
    access: 'admin',
    request: (f) => ({ path: `/v1/projects/${freshProject(f).slug}/rotate-key` }),
    ok: 200,
  },
  {
    method: 'GET',
    route: '/v1/projects/:slug/key',
    access: 'admin',
    request: (f) => ({ path: `/v1/projects/${f.own.slug}/key` }),
    ok: 200,
  },
])

describeSecurity('tokens API', [
  {
    method: 'POST',
    route: '/v1/tokens',
    access: 'session',
    request: (f) => ({
      path: '/v1/tokens',
      body: { name: 'ci', project_id: f.own.slug, scopes: ['errors:read'] },
    }),
    ok: 201,
  },
  { method: 'GET', route: '/v1/tokens', access: 'session', request: () => ({ path: '/v1/tokens' }), ok: 200 },
  {
    method: 'DELETE',
    route: '/v1/tokens/:id',
    access: 'session',
    request: (f) => {
      const { row } = createToken(
        f.rt.core.db,
        { projectId: f.own.id, name: 'to-revoke', scopes: ['errors:read'], createdBy: f.user.id },
        f.rt.core.now(),
      )
      return { path: `/v1/tokens/${row.id}` }
    },
    ok: 200,
  },
])

/** A throwaway user for the role and delete routes. */
const freshUser = (f: SecurityFixture) =>
  insertUser(f.rt.core.db, { username: unique('member'), role: 'user' }, f.rt.core.now())

describeSecurity('admin API', [
  {
    method: 'GET',
    route: '/v1/admin/users',
    access: 'admin',
    request: () => ({ path: '/v1/admin/users' }),
    ok: 200,
  },
  {
    method: 'PUT',
    route: '/v1/admin/users/:id/role',
    access: 'admin',
    request: (f) => ({ path: `/v1/admin/users/${freshUser(f).id}/role`, body: { role: 'admin' } }),
    ok: 200,
  },
  {
    method: 'DELETE',
    route: '/v1/admin/users/:id',
    access: 'admin',
    request: (f) => ({ path: `/v1/admin/users/${freshUser(f).id}` }),
    ok: 200,
  },
  {
    method: 'GET',
    route: '/v1/admin/invites',
    access: 'admin',
    request: () => ({ path: '/v1/admin/invites' }),
    ok: 200,
  },
  {
    method: 'POST',
    route: '/v1/admin/invites',
    access: 'admin',
    request: () => ({ path: '/v1/admin/invites' }),
    ok: 201,
  },
  {
    method: 'DELETE',
    route: '/v1/admin/invites/:id',
    access: 'admin',
    request: (f) => ({
      path: `/v1/admin/invites/${createInvite(f.rt.core.db, f.admin.id, f.rt.core.now()).row.id}`,
    }),
    ok: 200,
  },
])

// Its allowed call deletes every user, so it gets a runtime of its own.
describeSecurity('admin reset', [
  {
    method: 'POST',
    route: '/v1/admin/reset',
    access: 'admin',
    request: () => ({ path: '/v1/admin/reset', body: { confirm: true } }),
    ok: 200,
  },
])

/** A stored passkey row for the fixture's plain user (the routes never verify its key). */
const freshPasskey = (f: SecurityFixture) =>
  insertCredential(
    f.rt.core.db,
    {
      id: unique('cred'),
      userId: f.user.id,
      publicKey: new Uint8Array([1, 2, 3]),
      counter: 0,
      transports: ['internal'],
      name: 'spare',
    },
    f.rt.core.now(),
  )

describeSecurity(
  'own passkeys',
  [
    {
      method: 'GET',
      route: '/auth/passkeys',
      access: 'session',
      request: () => ({ path: '/auth/passkeys' }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/auth/passkeys/register/start',
      access: 'session',
      request: () => ({ path: '/auth/passkeys/register/start', body: { name: 'phone' } }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/auth/passkeys/register/finish',
      access: 'session',
      // Past the access checks, an unknown challenge is refused: 400 is the allowed caller's answer.
      request: () => ({
        path: '/auth/passkeys/register/finish',
        body: {
          challenge_id: 'unknown',
          credential: { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: 'e30' } },
        },
      }),
      ok: 400,
    },
    {
      method: 'PATCH',
      route: '/auth/passkeys/:id',
      access: 'session',
      request: (f) => ({ path: `/auth/passkeys/${freshPasskey(f).id}`, body: { name: 'renamed' } }),
      ok: 200,
    },
    {
      method: 'DELETE',
      route: '/auth/passkeys/:id',
      access: 'session',
      request: (f) => ({ path: `/auth/passkeys/${freshPasskey(f).id}` }),
      ok: 200,
    },
  ],
  { setup: (f) => void freshPasskey(f) },
)

/** An alert rule (with one email channel) in `project`, made through the API as a client would. */
async function alertRule(f: SecurityFixture, project = f.own): Promise<{ id: number; channel: number }> {
  const token = f.token(['alerts:read', 'alerts:write'], project)
  const post = async (path: string, body: unknown) => {
    const res = await send(f.rt, 'POST', { path, body }, { authorization: `Bearer ${token}` })
    if (res.status !== 201)
      throw new Error(`expected 201 from ${path}, got ${res.status} ${await res.text()}`)
    return (await res.json()) as { id: number }
  }
  const rule = await post('/v1/alerts', { name: 'r', project_id: project.id, config: { type: 'new_issue' } })
  const channel = await post(`/v1/alerts/${rule.id}/channels`, {
    config: { type: 'email', to: 'ops@example.com' },
  })
  return { id: rule.id, channel: channel.id }
}

describeSecurity('alerts API', [
  {
    method: 'GET',
    route: '/v1/alerts',
    access: { scope: 'alerts:read' },
    request: (f) => ({ path: `/v1/alerts?project_id=${f.own.slug}` }),
    foreign: (f) => ({ path: `/v1/alerts?project_id=${f.other.slug}` }),
    ok: 200,
  },
  {
    method: 'POST',
    route: '/v1/alerts',
    access: { scope: 'alerts:write' },
    request: (f) => ({
      path: '/v1/alerts',
      body: { name: 'n', project_id: f.own.slug, config: { type: 'new_issue' } },
    }),
    foreign: (f) => ({
      path: '/v1/alerts',
      body: { name: 'n', project_id: f.other.slug, config: { type: 'new_issue' } },
    }),
    ok: 201,
  },
  ...(['', '/channels', '/deliveries'] as const).map((suffix) => ({
    method: 'GET' as const,
    route: `/v1/alerts/:id${suffix}`,
    access: { scope: 'alerts:read' as const },
    request: async (f: SecurityFixture) => ({ path: `/v1/alerts/${(await alertRule(f)).id}${suffix}` }),
    foreign: async (f: SecurityFixture) => ({
      path: `/v1/alerts/${(await alertRule(f, f.other)).id}${suffix}`,
    }),
    ok: 200,
  })),
  {
    method: 'PUT',
    route: '/v1/alerts/:id',
    access: { scope: 'alerts:write' },
    request: async (f) => ({ path: `/v1/alerts/${(await alertRule(f)).id}`, body: { name: 'renamed' } }),
    foreign: async (f) => ({
      path: `/v1/alerts/${(await alertRule(f, f.other)).id}`,
      body: { name: 'renamed' },
    }),
    ok: 200,
  },
  {
    method: 'DELETE',
    route: '/v1/alerts/:id',
    access: { scope: 'alerts:write' },
    request: async (f) => ({ path: `/v1/alerts/${(await alertRule(f)).id}` }),
    foreign: async (f) => ({ path: `/v1/alerts/${(await alertRule(f, f.other)).id}` }),
    ok: 200,
  },
  {
    method: 'POST',
    route: '/v1/alerts/:id/channels',
    access: { scope: 'alerts:write' },
    request: async (f) => ({
      path: `/v1/alerts/${(await alertRule(f)).id}/channels`,
      body: { config: { type: 'email', to: 'a@example.com' } },
    }),
    foreign: async (f) => ({
      path: `/v1/alerts/${(await alertRule(f, f.other)).id}/channels`,
      body: { config: { type: 'email', to: 'a@example.com' } },
    }),
    ok: 201,
  },
  {
    method: 'DELETE',
    route: '/v1/alerts/:id/channels/:cid',
    access: { scope: 'alerts:write' },
    request: async (f) => {
      const r = await alertRule(f)
      return { path: `/v1/alerts/${r.id}/channels/${r.channel}` }
    },
    foreign: async (f) => {
      const r = await alertRule(f, f.other)
      return { path: `/v1/alerts/${r.id}/channels/${r.channel}` }
    },
    ok: 200,
  },
  {
    method: 'POST',
    route: '/v1/alerts/:id/test',
    access: { scope: 'alerts:write' },
    request: async (f) => ({ path: `/v1/alerts/${(await alertRule(f)).id}/test` }),
    foreign: async (f) => ({ path: `/v1/alerts/${(await alertRule(f, f.other)).id}/test` }),
    ok: 200,
  },
])

describeSecurity('Sentry keys', [
  {
    method: 'POST',
    route: '/v1/projects/:slug/sentry-key/rotate',
    access: 'admin',
    request: (f) => ({ path: `/v1/projects/${f.own.slug}/sentry-key/rotate` }),
    ok: 200,
  },
])
