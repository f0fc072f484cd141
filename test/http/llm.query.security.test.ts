/**
 * What a signed-in user who sees several projects gets from the LLM read API. The shared
 * security suite runs over its routes from the catalogue (test/security.routes.llm.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestRuntime } from '../helpers'
import { projectIn } from '../helpers'
import { FOREIGN, T1, T2 } from '../llm.query.fixture'
import { llmRuntime, NOW, store } from '../llm.query.helpers'
import { signInAs } from '../security'

describe('a signed-in user who sees several projects', () => {
  let rt: TestRuntime
  let cookie: string
  let otherSlug: string
  beforeAll(async () => {
    rt = await llmRuntime()
    const other = await projectIn(rt.core.backend, { name: 'Other', slug: 'other' }, NOW)
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
