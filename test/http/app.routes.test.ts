/**
 * Walks every GET route the app registers (`app.routes`, so a new route is covered without
 * editing this file) with hostile integer query values, as a signed-in admin and as a
 * token holding every scope, path parameters filled with real ids and with junk:
 *
 * - never a 500, and every error is `{"error", "code"}` JSON;
 * - a route that takes an integer parameter refuses an out-of-range value with 400 naming
 *   it (which routes take which parameter is learnt from the answer to a non-number);
 *   a route that does not take it answers as if it were absent;
 * - every API answer carries `X-Content-Type-Options: nosniff` and `Cache-Control:
 *   no-store`; only the dashboard's fingerprinted assets and the SDK's script are cacheable.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { insertRule } from '../../src/alerts/store'
import { SCOPES } from '../../src/http/auth'
import { createToken } from '../../src/tokens/store'
import { event, sessionIn, signed, startRuntime, type TestRuntime, userIn } from '../helpers'
import type { SignedInUser } from '../security'

/** The usual paging and window parameters, plus every integer a `*Query` schema in src/ declares. */
async function integerParams(): Promise<string[]> {
  const names = new Set(['limit', 'offset', 'hours', 'since', 'until'])
  const src = join(import.meta.dir, '..', '..', 'src')
  for await (const file of new Bun.Glob('**/model.ts').scan(src)) {
    const mod = (await import(join(src, file))) as Record<string, unknown>
    for (const [name, value] of Object.entries(mod)) {
      const props = (value as { properties?: Record<string, { type?: string }> } | null)?.properties
      if (!name.endsWith('Query') || !props) continue
      for (const [key, prop] of Object.entries(props)) if (prop.type === 'integer') names.add(key)
    }
  }
  return [...names].sort()
}

/** Wrong for every integer parameter: below every minimum, past every maximum, or not decimal digits. */
const OUT_OF_RANGE = ['-1', '9007199254740992', '9223372036854775807', 'abc', '1.5', '1e3', '0x10', '']
/** In range for some parameters (offset, since) and not others (limit, hours). */
const EDGE = ['0']

interface Answer {
  status: number
  type: string
  body: unknown
  headers: Headers
}

let rt: TestRuntime
let admin: SignedInUser
let token: string
let params: string[]
const fill: Record<string, string> = {}

beforeAll(async () => {
  rt = await startRuntime({ rate_limit: { auth_per_second: 10_000, auth_burst_size: 10_000 } })
  const res = await rt.handle(signed('/v1/ingest', event()))
  expect(res.status).toBe(200)
  const fp = (await rt.core.backend.get<{ fingerprint: string }>('SELECT fingerprint FROM issues'))
    ?.fingerprint
  const rule = await insertRule(
    rt.core.backend,
    {
      project_id: 'default',
      name: 'walk',
      description: null,
      config: { type: 'new_issue' },
      environment_filter: null,
      source_filter: null,
      enabled: true,
      created_by: null,
    },
    rt.core.now(),
  )
  Object.assign(fill, {
    fingerprint: fp,
    release: '1.0.0',
    slug: 'default',
    id: String(rule.id),
    name: 'walk',
  })
  // The SDK script route's file name (src/sdk/routes.ts).
  fill.file = 'bloop.min.js'
  const user = await userIn(rt.core.backend, { username: 'walk-admin', role: 'admin' }, rt.core.now())
  const session = await sessionIn(rt.core.backend, user.id, rt.core.now(), rt.config.auth.session_ttl_secs)
  admin = { id: user.id, username: 'walk-admin', cookie: `bloop_session=${session}` }
  token = (await createToken(rt.core.backend, { projectId: 'default', name: 'walk', scopes: [...SCOPES] }))
    .token
  params = await integerParams()
})

afterAll(async () => {
  await rt?.dispose()
})

const JUNK = ['no-such-thing', '9223372036854775807']

/** Each GET route's path with its parameters filled: real values first, then junk. */
function paths(): string[] {
  const out: string[] = []
  for (const route of rt.app.routes) {
    if (route.method !== 'GET') continue
    const names = [...route.path.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*')
    const withValue = (pick: (name: string) => string) =>
      route.path.replace(/:(\w+)|\*/g, (_, name: string | undefined) => encodeURIComponent(pick(name ?? '*')))
    if (names.length === 0) {
      out.push(route.path)
      continue
    }
    out.push(
      withValue((name) => {
        const value = name === '*' ? 'x' : fill[name]
        if (value === undefined)
          throw new Error(`expected a real value for path parameter :${name} of ${route.path}`)
        return value
      }),
    )
    for (const junk of JUNK) out.push(withValue(() => junk))
  }
  return out
}

const credentials = (): { who: string; headers: Record<string, string> }[] => [
  { who: 'an admin session', headers: { cookie: admin.cookie } },
  { who: 'a token with every scope', headers: { authorization: `Bearer ${token}` } },
]

async function get(path: string, headers: Record<string, string>): Promise<Answer> {
  const res = await rt.fetch(path, { headers })
  const type = res.headers.get('content-type') ?? ''
  // A live stream never ends by itself: its status and headers are the answer.
  if (type.startsWith('text/event-stream')) {
    await res.body?.cancel()
    return { status: res.status, type, body: null, headers: res.headers }
  }
  const text = await res.text()
  let body: unknown = text
  if (type.startsWith('application/json')) body = JSON.parse(text)
  return { status: res.status, type, body, headers: res.headers }
}

interface Probe {
  who: string
  /** The route's path with its parameters filled, without a query. */
  path: string
  url: string
  param: string | null
  value: string | null
  answer: Answer
  baseline: Answer
  /** The route refused a non-number for `param` naming it: it reads the parameter. */
  reads: boolean
}

/** Every request of the walk; the tests below each check one property of the answers. */
const probes: Probe[] = []
/** `${who} ${path}` -> the integer parameters that route reads. */
const uses = new Map<string, Set<string>>()

async function walk(): Promise<void> {
  for (const { who, headers } of credentials()) {
    for (const path of paths()) {
      const baseline = await get(path, headers)
      probes.push({
        who,
        path,
        url: path,
        param: null,
        value: null,
        answer: baseline,
        baseline,
        reads: false,
      })
      for (const param of params) {
        const probe = await get(`${path}?${param}=abc`, headers)
        const reads = probe.status === 400 && (probe.body as { field?: string }).field === param
        if (reads) uses.set(`${who} ${path}`, (uses.get(`${who} ${path}`) ?? new Set()).add(param))
        for (const value of [...OUT_OF_RANGE, ...EDGE]) {
          const url = `${path}?${param}=${encodeURIComponent(value)}`
          probes.push({ who, path, url, param, value, answer: await get(url, headers), baseline, reads })
        }
      }
    }
  }
}

const shown = (p: Probe) => ({
  who: p.who,
  url: p.url,
  status: p.answer.status,
  body: typeof p.answer.body === 'string' ? p.answer.body.slice(0, 200) : p.answer.body,
})

describe('every GET route, walked with hostile integer query values', () => {
  beforeAll(walk, 120_000)

  test('covers every route with thousands of requests', () => {
    expect(probes.length).toBeGreaterThan(5000)
    const walked = new Set(probes.map((p) => p.path.split('/')[2] ?? p.path))
    for (const feature of ['errors', 'alerts', 'analytics', 'projects', 'admin', 'tokens', 'stream'])
      expect(walked).toContain(feature)
  })

  test('never answers 500, and every error is {"error", "code"} JSON', () => {
    for (const p of probes) {
      expect({ ...shown(p), serverError: p.answer.status >= 500 }).toMatchObject({ serverError: false })
      if (p.answer.status < 400) continue
      expect({ ...shown(p), type: p.answer.type }).toMatchObject({
        type: expect.stringMatching(/^application\/json/),
      })
      expect(shown(p).body).toMatchObject({ error: expect.any(String), code: expect.any(String) })
    }
  })

  test('refuses an out-of-range value with 400 naming it where the route reads it, else ignores it', () => {
    for (const p of probes) {
      if (p.param === null || EDGE.includes(p.value as string)) continue
      if (p.reads) {
        expect(shown(p)).toMatchObject({ status: 400, body: { code: 'invalid_query', field: p.param } })
      } else {
        expect({ url: p.url, status: p.answer.status }).toEqual({ url: p.url, status: p.baseline.status })
      }
    }
    // The discovery found the parameters the routes are known to read, so the range checks
    // above ran where they matter (a route answering 401 or 403 would have hidden them).
    const fp = encodeURIComponent(fill.fingerprint as string)
    for (const { who } of credentials()) {
      const read = (path: string) => [...(uses.get(`${who} ${path}`) ?? [])].sort()
      expect(read('/v1/errors')).toEqual(['limit', 'offset', 'since', 'trend_hours', 'until'])
      expect(read(`/v1/errors/${fp}/occurrences`)).toEqual(['limit', 'offset'])
      expect(read(`/v1/errors/${fp}/trend`)).toEqual(['hours'])
      expect(read('/v1/releases/1.0.0/errors')).toEqual(['limit', 'offset'])
      expect(read('/v1/trends')).toEqual(['hours'])
      expect(read('/v1/projects/default/sourcemaps')).toEqual(['limit', 'offset'])
      expect(read(`/v1/alerts/${fill.id}/deliveries`)).toEqual(['before', 'limit'])
      expect(read('/v1/analytics/movers')).toEqual(['hours', 'limit'])
    }
  })

  test('sends nosniff and no-store on every answer but the cacheable dashboard assets', () => {
    for (const p of probes) {
      const h = p.answer.headers
      expect({ url: p.url, nosniff: h.get('x-content-type-options') }).toEqual({
        url: p.url,
        nosniff: 'nosniff',
      })
      if (p.path.startsWith('/assets/') && p.answer.status === 200) continue
      // The SDK's script-tag build is a static file too (src/sdk/routes.ts).
      if (p.path.startsWith('/sdk/') && p.answer.status === 200) continue
      expect({ url: p.url, cache: h.get('cache-control') }).toEqual({ url: p.url, cache: 'no-store' })
    }
  })
})
