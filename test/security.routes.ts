/**
 * The security catalogue: every route the app registers, described once for the shared
 * security suite (test/security.ts). test/http/app.security.test.ts walks the app's routes
 * and fails for a route missing here or described with another access than it declares,
 * then runs the suite over every group. A new route gets its entry in a group here.
 */
import { packSourceMap, putSourceMap } from '../src/sourcemaps/store'
import { credentialIn, event, inviteIn, projectIn, signed, tokenIn, userIn } from './helpers'
import { trace } from './llm.helpers'
import { type RouteSpec, type SecurityFixture, send } from './security'
import { LLM_EXPERIMENTS, LLM_EXPORT, LLM_READ, LLM_SETTINGS } from './security.routes.llm'

export interface SecurityGroup {
  title: string
  routes: RouteSpec[]
  setup?: (f: SecurityFixture) => void | Promise<void>
}

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

export const ERRORS_API: SecurityGroup = {
  title: 'errors API',
  routes: [
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
      method: 'GET',
      route: '/v1/errors/:fingerprint/tags',
      access: { scope: 'errors:read' },
      request: () => ({ path: '/v1/errors/fp-own/tags?top=5' }),
      foreign: () => ({ path: '/v1/errors/fp-other/tags' }),
      ok: 200,
    },
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
  setup: ingestIssues,
}

/** A comment by the suite's signed-in user on the own issue, fresh for each request. */
async function freshComment(f: SecurityFixture): Promise<number> {
  const row = await f.rt.core.backend.get<{ id: number }>(
    `INSERT INTO issue_comments (project_id, fingerprint, author_id, author, body, created_at)
     VALUES (?, 'fp-own', ?, ?, 'to delete', 0) RETURNING id`,
    [f.own.id, f.user.id, f.user.username],
  )
  if (!row) throw new Error('expected the comment insert to return its id, found none')
  return row.id
}

export const TRIAGE_API: SecurityGroup = {
  title: 'triage API',
  routes: [
    {
      method: 'POST',
      route: '/v1/errors/bulk',
      access: { scope: 'errors:write' },
      request: (f) => ({
        path: '/v1/errors/bulk',
        body: { action: 'ignore', fingerprints: ['fp-own'], project_id: f.own.slug },
      }),
      foreign: (f) => ({
        path: '/v1/errors/bulk',
        body: { action: 'ignore', fingerprints: ['fp-other'], project_id: f.other.slug },
      }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/errors/unmerge',
      access: { scope: 'errors:write' },
      request: () => ({ path: '/v1/errors/unmerge', body: { fingerprints: ['fp-own'] } }),
      foreign: () => ({ path: '/v1/errors/unmerge', body: { fingerprints: ['fp-other'] } }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/errors/:fingerprint/assignee',
      access: { scope: 'errors:write' },
      request: () => ({ path: '/v1/errors/fp-own/assignee', body: { assignee: null } }),
      foreign: () => ({ path: '/v1/errors/fp-other/assignee', body: { assignee: null } }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/triage/assignees',
      access: { scope: 'errors:read' },
      request: (f) => ({ path: `/v1/triage/assignees?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/triage/assignees?project_id=${f.other.slug}` }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/errors/:fingerprint/comments',
      access: { scope: 'errors:read' },
      request: () => ({ path: '/v1/errors/fp-own/comments' }),
      foreign: () => ({ path: '/v1/errors/fp-other/comments' }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/errors/:fingerprint/comments',
      access: { scope: 'errors:write' },
      request: () => ({ path: '/v1/errors/fp-own/comments', body: { body: 'seen' } }),
      foreign: () => ({ path: '/v1/errors/fp-other/comments', body: { body: 'seen' } }),
      ok: 201,
    },
    {
      method: 'DELETE',
      route: '/v1/errors/:fingerprint/comments/:id',
      access: 'session',
      request: async (f) => ({ path: `/v1/errors/fp-own/comments/${await freshComment(f)}` }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/triage/settings',
      access: { scope: 'errors:read' },
      request: (f) => ({ path: `/v1/triage/settings?project_id=${f.own.slug}` }),
      foreign: (f) => ({ path: `/v1/triage/settings?project_id=${f.other.slug}` }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/triage/settings',
      access: { scope: 'errors:write' },
      request: (f) => ({
        path: `/v1/triage/settings?project_id=${f.own.slug}`,
        body: { tracker_template: 'https://tracker.example/new?title={title}' },
      }),
      foreign: (f) => ({
        path: `/v1/triage/settings?project_id=${f.other.slug}`,
        body: { tracker_template: 'https://tracker.example/new?title={title}' },
      }),
      ok: 200,
    },
  ],
  setup: ingestIssues,
}

/** A throwaway project, so destructive routes never consume the fixture's. */
const freshProject = (f: SecurityFixture) =>
  projectIn(f.rt.core.backend, { name: 'Temp', slug: unique('temp') }, f.rt.core.now())

export const PROJECTS_API: SecurityGroup = {
  title: 'projects API',
  routes: [
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
      request: async (f) => ({ path: `/v1/projects/${(await freshProject(f)).slug}` }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/projects/:slug/rotate-key',
      access: 'admin',
      request: async (f) => ({ path: `/v1/projects/${(await freshProject(f)).slug}/rotate-key` }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/v1/projects/:slug/key',
      access: 'admin',
      request: (f) => ({ path: `/v1/projects/${f.own.slug}/key` }),
      ok: 200,
    },
  ],
}

export const TOKENS_API: SecurityGroup = {
  title: 'tokens API',
  routes: [
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
    {
      method: 'GET',
      route: '/v1/tokens',
      access: 'session',
      request: () => ({ path: '/v1/tokens' }),
      ok: 200,
    },
    {
      method: 'DELETE',
      route: '/v1/tokens/:id',
      access: 'session',
      request: async (f) => {
        const { row } = await tokenIn(
          f.rt.core.backend,
          { projectId: f.own.id, name: 'to-revoke', scopes: ['errors:read'], createdBy: f.user.id },
          f.rt.core.now(),
        )
        return { path: `/v1/tokens/${row.id}` }
      },
      ok: 200,
    },
  ],
}

/** A throwaway user for the role and delete routes. */
const freshUser = (f: SecurityFixture) =>
  userIn(f.rt.core.backend, { username: unique('member'), role: 'user' }, f.rt.core.now())

export const ADMIN_API: SecurityGroup = {
  title: 'admin API',
  routes: [
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
      request: async (f) => ({
        path: `/v1/admin/users/${(await freshUser(f)).id}/role`,
        body: { role: 'admin' },
      }),
      ok: 200,
    },
    {
      method: 'DELETE',
      route: '/v1/admin/users/:id',
      access: 'admin',
      request: async (f) => ({ path: `/v1/admin/users/${(await freshUser(f)).id}` }),
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
      request: async (f) => ({
        path: `/v1/admin/invites/${(await inviteIn(f.rt.core.backend, f.admin.id, f.rt.core.now())).row.id}`,
      }),
      ok: 200,
    },
  ],
}

// Its allowed call deletes every user, so it gets a runtime of its own.
export const ADMIN_RESET: SecurityGroup = {
  title: 'admin reset',
  routes: [
    {
      method: 'POST',
      route: '/v1/admin/reset',
      access: 'admin',
      request: () => ({ path: '/v1/admin/reset', body: { confirm: true } }),
      ok: 200,
    },
  ],
}

/** A stored passkey row for the fixture's plain user (the routes never verify its key). */
const freshPasskey = (f: SecurityFixture) =>
  credentialIn(
    f.rt.core.backend,
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

export const OWN_PASSKEYS: SecurityGroup = {
  title: 'own passkeys',
  routes: [
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
      request: async (f) => ({
        path: `/auth/passkeys/${(await freshPasskey(f)).id}`,
        body: { name: 'renamed' },
      }),
      ok: 200,
    },
    {
      method: 'DELETE',
      route: '/auth/passkeys/:id',
      access: 'session',
      request: async (f) => ({ path: `/auth/passkeys/${(await freshPasskey(f)).id}` }),
      ok: 200,
    },
  ],
  setup: async (f) => void (await freshPasskey(f)),
}

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

export const ALERTS_API: SecurityGroup = {
  title: 'alerts API',
  routes: [
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
  ],
}

export const SENTRY_KEYS: SecurityGroup = {
  title: 'Sentry keys',
  routes: [
    {
      method: 'POST',
      route: '/v1/projects/:slug/sentry-key/rotate',
      access: 'admin',
      request: (f) => ({ path: `/v1/projects/${f.own.slug}/sentry-key/rotate` }),
      ok: 200,
    },
  ],
}

const SMALL_MAP = { version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA' }
let uploads = 0
/** A fresh stored map of `project`, for routes that consume one. */
async function storedMap(f: SecurityFixture, project = f.own): Promise<number> {
  const { row } = await putSourceMap(f.rt.core.backend, {
    project_id: project.id,
    release: 'sec',
    filename: `stored-${++uploads}.js.map`,
    file: null,
    packed: packSourceMap(new TextEncoder().encode(JSON.stringify(SMALL_MAP))),
    uploaded_by: null,
    now: f.rt.core.now(),
  })
  return row.id
}

export const SOURCEMAPS_API: SecurityGroup = {
  title: 'source maps API',
  routes: [
    {
      method: 'POST',
      route: '/v1/projects/:slug/sourcemaps',
      access: { scope: 'sourcemaps:write' },
      request: (f) => ({
        path: `/v1/projects/${f.own.slug}/sourcemaps`,
        body: { release: 'sec', filename: `up-${++uploads}.js.map`, map: SMALL_MAP },
      }),
      foreign: (f) => ({
        path: `/v1/projects/${f.other.slug}/sourcemaps`,
        body: { release: 'sec', filename: 'x.js.map', map: SMALL_MAP },
      }),
      ok: 201,
    },
    {
      method: 'GET',
      route: '/v1/projects/:slug/sourcemaps',
      access: { scope: 'sourcemaps:read' },
      request: (f) => ({ path: `/v1/projects/${f.own.slug}/sourcemaps` }),
      foreign: (f) => ({ path: `/v1/projects/${f.other.slug}/sourcemaps` }),
      ok: 200,
    },
    {
      method: 'DELETE',
      route: '/v1/projects/:slug/sourcemaps/:id',
      access: { scope: 'sourcemaps:write' },
      request: async (f) => ({ path: `/v1/projects/${f.own.slug}/sourcemaps/${await storedMap(f)}` }),
      foreign: async (f) => ({
        path: `/v1/projects/${f.other.slug}/sourcemaps/${await storedMap(f, f.other)}`,
      }),
      ok: 200,
    },
  ],
}

export const ANALYTICS_API: SecurityGroup = {
  title: 'analytics API',
  routes: (['spikes', 'movers', 'correlations', 'releases', 'environments', 'status'] as const).map(
    (name) => ({
      method: 'GET' as const,
      route: `/v1/analytics/${name}`,
      access: { scope: 'errors:read' as const },
      request: (f: SecurityFixture) => ({ path: `/v1/analytics/${name}?project_id=${f.own.slug}` }),
      foreign: (f: SecurityFixture) => ({ path: `/v1/analytics/${name}?project_id=${f.other.slug}` }),
      ok: 200,
    }),
  ),
}

export const RETENTION_API: SecurityGroup = {
  title: 'retention API',
  routes: [
    {
      method: 'GET',
      route: '/v1/admin/retention',
      access: 'admin',
      request: () => ({ path: '/v1/admin/retention' }),
      ok: 200,
    },
    {
      method: 'PUT',
      route: '/v1/admin/retention',
      access: 'admin',
      request: () => ({ path: '/v1/admin/retention', body: { raw_events_days: 7 } }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/admin/retention/purge',
      access: 'admin',
      request: () => ({ path: '/v1/admin/retention/purge', body: { confirm: true } }),
      ok: 200,
    },
  ],
}

/** The dashboard's pages (HTML shell) and its live updates. */
export const DASHBOARD: SecurityGroup = {
  title: 'dashboard',
  routes: [
    ...(
      [
        ['/', '/'],
        ['/issues/*', '/issues/fp-own'],
        ['/alerts', '/alerts'],
        ['/alerts/*', '/alerts/1'],
        ['/insights', '/insights'],
        ['/settings', '/settings'],
        ['/settings/*', '/settings/tokens'],
        ['/llm', '/llm'],
        ['/llm/traces', '/llm/traces'],
        ['/llm/traces/*', '/llm/traces/run-1'],
        ['/llm/sessions', '/llm/sessions'],
        ['/llm/sessions/*', '/llm/sessions/chat-1'],
        ['/llm/prompts', '/llm/prompts'],
        ['/llm/models', '/llm/models'],
        ['/llm/settings', '/llm/settings'],
        ['/llm/experiments', '/llm/experiments'],
      ] as const
    ).map(([route, path]) => ({
      method: 'GET' as const,
      route,
      access: 'page' as const,
      request: () => ({ path }),
      ok: 200,
    })),
    {
      method: 'GET',
      route: '/v1/stream',
      access: 'session',
      request: () => ({ path: '/v1/stream' }),
      ok: 200,
    },
  ],
}

/** Signed ingest: the bloop protocol. */
export const INGEST: SecurityGroup = {
  title: 'ingest',
  routes: [
    {
      method: 'POST',
      route: '/v1/ingest',
      access: 'ingest',
      request: () => ({ path: '/v1/ingest', body: event() }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/ingest/batch',
      access: 'ingest',
      request: () => ({ path: '/v1/ingest/batch', body: { events: [event()] } }),
      ok: 200,
    },
  ],
}

/** LLM traces, signed like error ingest (src/llm/ingest/routes.ts). */
export const LLM_INGEST: SecurityGroup = {
  title: 'llm ingest',
  routes: [
    {
      method: 'POST',
      route: '/v1/traces',
      access: 'ingest',
      request: () => ({ path: '/v1/traces', body: trace({ id: unique('sec-trace') }) }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/v1/traces/batch',
      access: 'ingest',
      request: () => ({ path: '/v1/traces/batch', body: { traces: [trace({ id: unique('sec-trace') })] } }),
      ok: 200,
    },
    // A signed update of a trace that does not exist: past the signature, the route's own 404.
    {
      method: 'PUT',
      route: '/v1/traces/:id',
      access: 'ingest',
      request: () => ({ path: '/v1/traces/no-such-trace', body: { status: 'completed' } }),
      ok: 404,
    },
  ],
}

/** The LLM proxy: X-Bloop-Key, since Authorization carries the provider's key. */
export const LLM_PROXY: SecurityGroup = {
  title: 'llm proxy',
  routes: [
    // A provider this server does not proxy: past the key, the route's own 404 (nothing is forwarded).
    {
      method: 'ALL',
      route: '/v1/proxy/*',
      access: { key: 'llm:write' },
      request: () => ({ path: '/v1/proxy/no-such-provider/v1/chat/completions', body: {} }),
      ok: 404,
    },
  ],
}

/** OTLP import: an exporter's token, project key or bloop's HMAC; an empty export is a 200. */
export const LLM_OTLP: SecurityGroup = {
  title: 'llm otlp',
  routes: (['/otlp/v1/traces', '/v1/llm/export/otlp', '/otlp/v1/logs', '/v1/logs'] as const).map((path) => ({
    method: 'POST' as const,
    route: path,
    access: { exporter: 'llm:write' as const },
    request: () => ({ path, body: {} }),
    ok: 200,
  })),
}

/**
 * Routes that need no credentials, each with its answer to an anonymous caller. The Sentry
 * endpoints check the DSN key themselves: without one they answer 403.
 */
export const PUBLIC: SecurityGroup = {
  title: 'public routes',
  routes: [
    { method: 'GET', route: '/health', access: 'public', request: () => ({ path: '/health' }), ok: 200 },
    { method: 'GET', route: '/metrics', access: 'public', request: () => ({ path: '/metrics' }), ok: 200 },
    {
      method: 'GET',
      route: '/openapi.json',
      access: 'public',
      request: () => ({ path: '/openapi.json' }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/assets/*',
      access: 'public',
      request: () => ({ path: '/assets/no-such-file.js' }),
      ok: 404,
    },
    {
      method: 'GET',
      route: '/auth/login',
      access: 'public',
      request: () => ({ path: '/auth/login' }),
      ok: 200,
    },
    {
      method: 'GET',
      route: '/auth/status',
      access: 'public',
      request: () => ({ path: '/auth/status' }),
      ok: 200,
    },
    // The fixture has users, so the first-user registration is closed.
    {
      method: 'POST',
      route: '/auth/register/start',
      access: 'public',
      request: () => ({ path: '/auth/register/start', body: { username: 'late' } }),
      ok: 403,
    },
    {
      method: 'POST',
      route: '/auth/register/finish',
      access: 'public',
      request: () => ({ path: '/auth/register/finish', body: { challenge_id: 'none', credential: {} } }),
      ok: 400,
    },
    {
      method: 'POST',
      route: '/auth/invite/register/start',
      access: 'public',
      request: () => ({
        path: '/auth/invite/register/start',
        body: { username: 'guest', invite_token: 'not-an-invite' },
      }),
      ok: 400,
    },
    {
      method: 'POST',
      route: '/auth/invite/register/finish',
      access: 'public',
      request: () => ({
        path: '/auth/invite/register/finish',
        body: { challenge_id: 'none', credential: {} },
      }),
      ok: 400,
    },
    {
      method: 'POST',
      route: '/auth/login/start',
      access: 'public',
      request: () => ({ path: '/auth/login/start' }),
      ok: 200,
    },
    {
      method: 'POST',
      route: '/auth/login/finish',
      access: 'public',
      request: () => ({ path: '/auth/login/finish', body: { challenge_id: 'none', credential: {} } }),
      ok: 400,
    },
    {
      method: 'POST',
      route: '/auth/logout',
      access: 'public',
      request: () => ({ path: '/auth/logout' }),
      ok: 200,
    },
    // The SDK's script files: a version this server does not serve is a 404, not a refusal.
    ...(['/sdk/manifest.json', '/sdk/bloop.min.js'] as const).map((path) => ({
      method: 'GET' as const,
      route: path === '/sdk/manifest.json' ? path : '/sdk/:file',
      access: 'public' as const,
      request: () => ({ path }),
      ok: 200,
    })),
    ...(['/v1/ingest', '/v1/ingest/batch', '/v1/traces', '/v1/traces/batch', '/v1/traces/:id'] as const).map(
      (path) => ({
        method: 'OPTIONS' as const,
        route: path,
        access: 'public' as const,
        request: () => ({ path }),
        ok: 204,
      }),
    ),
    ...(['envelope', 'store'] as const).flatMap((kind) => [
      {
        method: 'OPTIONS' as const,
        route: `/api/:id/${kind}/`,
        access: 'public' as const,
        request: () => ({ path: `/api/1/${kind}/` }),
        ok: 204,
      },
      {
        method: 'POST' as const,
        route: `/api/:id/${kind}/`,
        access: 'public' as const,
        request: async (f: SecurityFixture) => ({ path: `/api/${await sentryIdOf(f)}/${kind}/`, body: {} }),
        ok: 403,
      },
    ]),
  ],
}

/** The numeric id in the own project's Sentry DSN. */
async function sentryIdOf(f: SecurityFixture): Promise<number> {
  const row = await f.rt.core.backend.get<{ numeric_id: number }>(
    'SELECT numeric_id FROM projects WHERE id = ?',
    [f.own.id],
  )
  if (!row) throw new Error(`expected project ${f.own.id} to have a Sentry id, found none`)
  return row.numeric_id
}

/** Every group, in the order the walk runs them. */
export const SECURITY_GROUPS: readonly SecurityGroup[] = [
  PUBLIC,
  INGEST,
  LLM_INGEST,
  LLM_PROXY,
  LLM_OTLP,
  ERRORS_API,
  TRIAGE_API,
  PROJECTS_API,
  TOKENS_API,
  ADMIN_API,
  ADMIN_RESET,
  OWN_PASSKEYS,
  ALERTS_API,
  SENTRY_KEYS,
  SOURCEMAPS_API,
  ANALYTICS_API,
  RETENTION_API,
  DASHBOARD,
  LLM_READ,
  LLM_SETTINGS,
  LLM_EXPORT,
  LLM_EXPERIMENTS,
]
