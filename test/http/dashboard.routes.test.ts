/**
 * The dashboard's page table (src/dashboard/pages/routes.ts) and its three readers: the
 * server answers exactly the table's paths with the app's shell, every navigation entry
 * leads to a page with a component, paths pick the right page, and the server's code
 * imports none of the browser app (no Preact, no components).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import { createSession } from '../../src/auth/sessions'
import { PAGES } from '../../src/dashboard/pages'
import { NAV, pageAt, ROUTES, SHELL_PATHS } from '../../src/dashboard/pages/routes'
import { dashboardRoutes } from '../../src/dashboard/routes'
import { startRuntime, type TestRuntime, userIn } from '../helpers'

const tablePaths = Object.values(ROUTES).flatMap((r) => r.paths)
/** A concrete URL path for a pattern (`/alerts/*` -> `/alerts/12`). */
const example = (pattern: string) => pattern.replace(/\*$/, '12')

describe('the server reads the page table', () => {
  let rt: TestRuntime
  let cookie: string
  beforeAll(async () => {
    rt = await startRuntime()
    const user = await userIn(rt.core.backend, { username: 'ops', role: 'admin' }, Date.now())
    cookie = `bloop_session=${await createSession(rt.core.backend, user.id, Date.now(), 3600)}`
  })
  afterAll(async () => {
    await rt.dispose()
  })

  test("its shell routes are exactly the table's paths", () => {
    const served = dashboardRoutes({ ...rt.core, stream: rt.features.dashboard.stream })
      .routes.filter((r) => r.method === 'GET' && r.path !== '/v1/stream')
      .map((r) => r.path)
    expect(served).toEqual(tablePaths)
    expect(SHELL_PATHS).toEqual(tablePaths)
    expect(tablePaths).toEqual([
      '/',
      '/issues/*',
      '/alerts',
      '/alerts/*',
      '/insights',
      '/settings',
      '/settings/*',
      '/llm',
      '/llm/traces',
      '/llm/traces/*',
      '/llm/sessions',
      '/llm/sessions/*',
      '/llm/prompts',
      '/llm/models',
      '/llm/settings',
      '/llm/experiments',
    ])
  })

  test('answers every table path with the shell when signed in, and with sign-in otherwise', async () => {
    for (const pattern of tablePaths) {
      const path = example(pattern)
      const shell = await rt.fetch(path, { headers: { cookie } })
      expect({ path, status: shell.status, type: shell.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
      })
      expect(await shell.text()).toContain('<div id="app">')
      const away = await rt.fetch(path, { redirect: 'manual' })
      expect({ path, status: away.status, to: away.headers.get('location') }).toEqual({
        path,
        status: 303,
        to: `/auth/login?next=${encodeURIComponent(path)}`,
      })
    }
  })

  test('a path outside the table is not the shell', async () => {
    for (const path of ['/alertsx', '/insights/extra', '/nothing']) {
      const res = await rt.fetch(path, { headers: { cookie } })
      expect({ path, status: res.status }).toEqual({ path, status: 404 })
    }
  })

  test("the server's code imports none of the browser app", async () => {
    const result = await Bun.build({
      entrypoints: [resolve(import.meta.dir, '../../src/main.ts')],
      target: 'bun',
      packages: 'external',
      metafile: true,
    })
    expect(result.success).toBe(true)
    const inputs = Object.entries(result.metafile?.inputs ?? {})
    // The page table is in (the server reads it), as plain modules.
    expect(inputs.map(([file]) => file)).toContain('src/dashboard/pages/routes.ts')
    expect(inputs.filter(([file]) => file.endsWith('.tsx')).map(([file]) => file)).toEqual([])
    const packages = inputs.flatMap(([, i]) => i.imports.filter((m) => m.external).map((m) => m.path))
    expect(packages.filter((p) => /^(preact|@preact\/)/.test(p))).toEqual([])
  })
})

describe('the browser reads the page table', () => {
  test('every name of the table has a page component, and nothing else does', () => {
    expect(Object.keys(PAGES).sort()).toEqual(Object.keys(ROUTES).sort())
    for (const page of Object.values(PAGES)) expect(typeof page.preload).toBe('function')
  })

  test('every navigation entry leads to a page of the table and is the current one there', () => {
    expect(NAV.map((n) => [n.label, n.href])).toEqual([
      ['Issues', '/'],
      ['Alerts', '/alerts'],
      ['Insights', '/insights'],
      ['LLM', '/llm'],
      ['Settings', '/settings/projects'],
    ])
    for (const n of NAV) {
      const found = pageAt(n.href)
      expect({ href: n.href, page: found ? found.name in PAGES : false }).toEqual({
        href: n.href,
        page: true,
      })
      expect(NAV.filter((m) => m.active(n.href)).map((m) => m.label)).toEqual([n.label])
    }
  })

  test('a path picks its page and its params; a path that fits no page is not found', () => {
    const at = (path: string) => {
      const found = pageAt(path)
      return found && [found.name, found.params]
    }
    expect(at('/')).toEqual(['issues', {}])
    expect(at('/issues/3f2a')).toEqual(['issue', { fingerprint: '3f2a' }])
    expect(at('/issues/a%2Fb')).toEqual(['issue', { fingerprint: 'a/b' }])
    expect(at('/alerts')).toEqual(['alerts', {}])
    expect(at('/alerts/new')).toEqual(['alerts', {}])
    expect(at('/insights')).toEqual(['insights', {}])
    expect(at('/settings')).toEqual(['settings', {}])
    expect(at('/settings/tokens')).toEqual(['settings', {}])
    for (const path of ['/issues/', '/issues/a/b', '/insights/x', '/alertsx', '/nothing', ''])
      expect({ path, page: at(path) }).toEqual({ path, page: null })
    // An issue is under Issues in the navigation.
    expect(NAV.filter((n) => n.active('/issues/3f2a')).map((n) => n.label)).toEqual(['Issues'])
  })

  test('switching project on one issue or rule goes to the list; elsewhere it stays', () => {
    const to = (path: string) => pageAt(path)?.route.onProjectSwitch?.(path) ?? null
    expect(to('/issues/3f2a')).toBe('/')
    expect(to('/alerts/12')).toBe('/alerts')
    expect(to('/alerts/new')).toBe('/alerts')
    for (const path of ['/', '/alerts', '/insights', '/settings/tokens'])
      expect({ path, to: to(path) }).toEqual({ path, to: null })
  })
})
