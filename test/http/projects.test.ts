/** /v1/projects: creation rules, key visibility, rotation, deletion and the removal of data. */
import { afterEach, describe, expect, test } from 'bun:test'
import { projectByKey } from '../../src/projects/store'
import { buildRuntime } from '../../src/server'
import type { Queryable } from '../../src/storage/backend'
import { event, signed, startRuntime, type TestRuntime } from '../helpers'
import { type SignedInUser, signedIn } from '../security'

let rt: TestRuntime
let admin: SignedInUser
const ORIGIN = 'http://localhost:5332'

afterEach(async () => {
  await rt?.dispose()
})

async function start() {
  rt = await startRuntime()
  admin = await signInAs('alice', 'admin')
}

/** A user with a live session, on either backend (test/security.ts `signedIn`). */
async function signInAs(username: string, role: 'admin' | 'user'): Promise<SignedInUser> {
  return signedIn(rt as TestRuntime, username, role)
}

const call = (method: string, path: string, body?: unknown, who: SignedInUser = admin) =>
  rt.fetch(path, {
    method,
    headers: { cookie: who.cookie, origin: ORIGIN, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

async function create(slug: string, name = `Project ${slug}`) {
  const res = await call('POST', '/v1/projects', { name, slug })
  expect(res.status).toBe(201)
  return res.json()
}

const countIn = async (b: Queryable, table: string, projectId: string) =>
  (await b.get(`SELECT count(*) AS n FROM ${table} WHERE project_id = ?`, [projectId]))?.n
const count = (table: string, projectId: string) => countIn(rt.core.backend, table, projectId)

async function ingest(key: string, n: number, fingerprintPrefix = 'fp') {
  const events = Array.from({ length: n }, (_, i) =>
    event({ fingerprint: `${fingerprintPrefix}-${i % 3}`, user_id_hash: `user-${i % 2}` }),
  )
  return rt.handle(signed('/v1/ingest/batch', { events }, { key }))
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await Bun.sleep(25)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('creating projects', () => {
  test('returns the project with its key once; lists and reads never include the key', async () => {
    await start()
    const p = await create('web', 'Web app')
    expect(p).toMatchObject({ name: 'Web app', slug: 'web', created_by: admin.id })
    expect(p.api_key).toMatch(/^bloop_[0-9a-f]{64}$/)
    expect(p.numeric_id).toBeGreaterThan(1)
    expect(Object.keys(p).sort()).toEqual([
      'api_key',
      'created_at',
      'created_by',
      'dsn',
      'id',
      'name',
      'numeric_id',
      'slug',
    ])
    // The Sentry DSN: public key @ this server / numeric project id.
    const sentryKey = (
      await rt.core.backend.get('SELECT sentry_public_key AS k FROM projects WHERE id = ?', [p.id])
    )?.k
    expect(p.dsn).toBe(`http://${sentryKey}@localhost:5332/${p.numeric_id}`)
    const listText = await (await call('GET', '/v1/projects')).text()
    expect(JSON.parse(listText).map((x: { slug: string }) => x.slug)).toEqual(['default', 'web'])
    expect(listText).not.toContain('api_key')
    expect(listText).not.toContain(p.api_key)
    const one = await (await call('GET', '/v1/projects/web')).json()
    expect(one).toEqual({
      id: p.id,
      numeric_id: p.numeric_id,
      name: 'Web app',
      slug: 'web',
      created_at: p.created_at,
      created_by: admin.id,
      dsn: p.dsn,
    })
    expect(await (await call('GET', `/v1/projects/${p.id}`)).json()).toEqual(one)
    // The admin-only key route shows the real key for the setup guide.
    expect(await (await call('GET', '/v1/projects/web/key')).json()).toEqual({
      id: p.id,
      slug: 'web',
      api_key: p.api_key,
    })
    // The key works for ingest at once.
    expect((await ingest(p.api_key, 1)).status).toBe(200)
  })

  test('slug rules: 63 characters accepted, 64 and other shapes refused with 400', async () => {
    await start()
    await create(`a${'b'.repeat(62)}`)
    for (const slug of [`a${'b'.repeat(63)}`, '', '-web', 'Web', 'web_app', 'web app', 'wéb']) {
      const res = await call('POST', '/v1/projects', { name: 'x', slug })
      expect(res.status).toBe(400)
      expect((await res.json()).field).toBe('slug')
    }
  })

  test('name rules: 100 characters accepted, 101 or blank refused', async () => {
    await start()
    await create('long', 'n'.repeat(100))
    for (const name of ['n'.repeat(101), '  ']) {
      const res = await call('POST', '/v1/projects', { name, slug: 'other' })
      expect(res.status).toBe(400)
      expect((await res.json()).field).toBe('name')
    }
  })

  test("a duplicate slug, or a slug equal to another project's id, is 409", async () => {
    await start()
    await create('web')
    const dup = await call('POST', '/v1/projects', { name: 'Again', slug: 'web' })
    expect(dup.status).toBe(409)
    expect((await dup.json()).error).toBe('a project with the slug web already exists')
    expect((await call('POST', '/v1/projects', { name: 'x', slug: 'default' })).status).toBe(409)
  })

  test('signed-in non-admins can list and read projects but not create them', async () => {
    await start()
    const bob = await signInAs('bob', 'user')
    expect((await call('GET', '/v1/projects', undefined, bob)).status).toBe(200)
    expect((await call('GET', '/v1/projects/default', undefined, bob)).status).toBe(200)
    expect((await call('POST', '/v1/projects', { name: 'x', slug: 'x' }, bob)).status).toBe(403)
  })
})

describe('renaming', () => {
  test('PUT renames; an unknown project is 404', async () => {
    await start()
    await create('web')
    const res = await call('PUT', '/v1/projects/web', { name: ' Storefront ' })
    expect((await res.json()).name).toBe('Storefront')
    expect((await call('PUT', '/v1/projects/nope', { name: 'x' })).status).toBe(404)
  })
})

describe('key rotation', () => {
  test('a request signed with the old key fails right after rotation; the new key works', async () => {
    await start()
    const p = await create('web')
    expect((await ingest(p.api_key, 1)).status).toBe(200)
    const rotated = await (await call('POST', '/v1/projects/web/rotate-key')).json()
    expect(rotated.api_key).toMatch(/^bloop_[0-9a-f]{64}$/)
    expect(rotated.api_key).not.toBe(p.api_key)
    expect(rotated.id).toBe(p.id)
    const old = await ingest(p.api_key, 1)
    expect(old.status).toBe(401)
    expect((await old.json()).code).toBe('invalid_project_key')
    expect((await ingest(rotated.api_key, 1)).status).toBe(200)
    expect((await (await call('GET', '/v1/projects/web/key')).json()).api_key).toBe(rotated.api_key)
  })
})

describe('deleting projects', () => {
  test('the default project cannot be deleted', async () => {
    await start()
    const res = await call('DELETE', '/v1/projects/default')
    expect(res.status).toBe(409)
    expect((await res.json()).error).toContain('default project cannot be deleted')
    expect((await call('DELETE', '/v1/projects/nope')).status).toBe(404)
  })

  test("removes the project, its key, its tokens and all its event data, and nobody else's", async () => {
    await start()
    const web = await create('web')
    const api = await create('api')
    expect((await ingest(web.api_key, 30, 'web')).status).toBe(200)
    expect((await ingest(api.api_key, 5, 'api')).status).toBe(200)
    const token = rt.token(['errors:read'], web.id)
    await call('POST', `/v1/errors/web-0/resolve?project_id=web`)
    const rule = await call('POST', '/v1/alerts', {
      name: 'r',
      project_id: 'web',
      config: { type: 'new_issue' },
    })
    expect(rule.status).toBe(201)
    expect(await count('raw_events', web.id)).toBe(30)
    expect(await count('status_changes', web.id)).toBe(1)
    // Users and tags were recorded (folded in after the commit: src/errors/fold.ts), so
    // their removal below is not vacuous.
    await rt.features.errors.fold()
    const facets = ['issue_user_sketches', 'issue_tags']
    expect(await Promise.all(facets.map(async (t) => ((await count(t, web.id)) as number) > 0))).toEqual([
      true,
      true,
    ])

    const res = await call('DELETE', '/v1/projects/web')
    expect(await res.json()).toEqual({ deleted: true, id: web.id, slug: 'web' })
    // At once: the key, the tokens and the project are gone.
    expect((await ingest(web.api_key, 1)).status).toBe(401)
    expect((await rt.fetch('/v1/errors', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)
    expect((await call('GET', '/v1/projects/web')).status).toBe(404)
    expect(await count('api_tokens', web.id)).toBe(0)
    expect(await count('alert_rules', web.id)).toBe(0)
    // The event data follows in the background, through the writer.
    const tables = [
      'raw_events',
      'samples',
      'status_changes',
      'event_counts_hourly',
      'error_aggregates',
      'issue_user_sketches',
      'issue_tags',
      'issues',
    ]
    await waitFor(
      async () => (await Promise.all(tables.map((t) => count(t, web.id)))).every((n) => n === 0),
      'the project data to be removed',
    )
    expect(await count('raw_events', api.id)).toBe(5)
    expect(await count('issues', api.id)).toBe(3)
  })

  test('the writer removes one batch per task', async () => {
    await start()
    const web = await create('web')
    await ingest(web.api_key, 7)
    await rt.core.backend.run('DELETE FROM projects WHERE id = ?', [web.id])
    expect(
      await rt.writer.run('projects.purge', { project_id: web.id, table: 'raw_events', batch: 5 }),
    ).toEqual({
      deleted: 5,
    })
    expect(await count('raw_events', web.id)).toBe(2)
    const refused = await rt.writer
      .run('projects.purge', { project_id: web.id, table: 'projects', batch: 5 })
      .then(
        () => null,
        (err: Error) => err.message,
      )
    expect(refused).toBe('expected a project data table, got projects')
  })

  test('data left by a removal cut short is removed at the next start', async () => {
    await start()
    const web = await create('web')
    await ingest(web.api_key, 4)
    // A crash right after the row was deleted: the data is still there.
    await rt.core.backend.run('DELETE FROM projects WHERE id = ?', [web.id])
    await rt.close()
    const again = await buildRuntime(rt.config)
    try {
      const n = (t: string) => countIn(again.core.backend, t, web.id)
      await waitFor(
        async () => (await n('issues')) === 0 && (await n('raw_events')) === 0,
        'the resumed removal',
      )
      expect(await projectByKey(again.core.backend, web.api_key)).toBeNull()
    } finally {
      await again.close()
    }
    rt.close = async () => {}
  })
})
