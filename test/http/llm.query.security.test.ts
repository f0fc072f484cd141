/**
 * The LLM read API in the shared security suite (test/security.ts): every route needs
 * llm:read or a signed-in user, and another project's data is out of reach (404). Then
 * what a signed-in user who sees several projects gets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { insertProject } from '../../src/projects/store'
import type { TestRuntime } from '../helpers'
import { FOREIGN, T1, T2 } from '../llm.query.fixture'
import { llmRuntime, NOW, store } from '../llm.query.helpers'
import { describeSecurity, type RouteSpec, type SecurityFixture, signInAs } from '../security'

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

describeSecurity(
  'LLM read API',
  [
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
    windowed('/v1/llm/prompts/greet/versions'),
    {
      ...windowed('/v1/llm/prompts/greet/compare'),
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
  { setup },
)

describe('a signed-in user who sees several projects', () => {
  let rt: TestRuntime
  let cookie: string
  let otherSlug: string
  beforeAll(async () => {
    rt = await llmRuntime()
    const other = insertProject(rt.core.db, { name: 'Other', slug: 'other' }, NOW)
    otherSlug = other.slug
    await store(rt, 'default', [T1, T2])
    await store(rt, other.id, [FOREIGN])
    cookie = signInAs(rt, 'admin-user', 'admin').cookie
  })
  afterAll(() => rt.dispose())
  const asUser = async (path: string) => {
    const res = await rt.fetch(path, { headers: { cookie } })
    return { status: res.status, body: (await res.json()) as any }
  }

  test('reads every project it sees, and one with project_id', async () => {
    const all = await asUser('/v1/llm/traces')
    expect(all.body.traces.map((t: any) => [t.project_id, t.id]).sort()).toEqual(
      [
        ['default', 'tr-agent-2'],
        ['default', 'tr-chat-1'],
        [(await asUser(`/v1/llm/traces?project_id=${otherSlug}`)).body.traces[0].project_id, 'tr-chat-1'],
      ].sort(),
    )
    expect(all.body.total).toBe(3)
    expect((await asUser('/v1/llm/overview')).body.total_cost_micros).toBe(8600 + 1_000_000)
    expect((await asUser('/v1/llm/overview?project_id=default')).body.total_cost_micros).toBe(8600)
  })

  test('filters and sorts across the projects it sees', async () => {
    const ids = async (q: string) =>
      (await asUser(`/v1/llm/traces?${q}`)).body.traces.map((t: any) => [t.name, t.project_id === 'default'])
    expect(await ids('session_id=s-1')).toEqual([
      ['chat-completion magic-word-ab12', true],
      ['secret', false],
      ['agent-run', true],
    ])
    expect(await ids('sort=most_expensive&model=gpt-4o')).toEqual([
      ['secret', false],
      ['agent-run', true],
      ['chat-completion magic-word-ab12', true],
    ])
    expect(await ids('search=secret')).toEqual([['secret', false]])
    expect(await ids('prompt_name=greet&prompt_version=v1&has_error=false')).toEqual([
      ['chat-completion magic-word-ab12', true],
      ['secret', false],
    ])
  })

  test('must name the project of a budget', async () => {
    const res = await asUser('/v1/llm/budget')
    expect([res.status, res.body.field]).toEqual([400, 'project_id'])
    expect((await asUser(`/v1/llm/budget?project_id=${otherSlug}`)).body.current_month_spend_micros).toBe(
      1_000_000,
    )
  })

  test('an unknown project is 404', async () => {
    expect((await asUser('/v1/llm/overview?project_id=nope')).status).toBe(404)
  })
})
