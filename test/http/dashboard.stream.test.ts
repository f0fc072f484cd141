/**
 * Live updates (src/dashboard/stream.ts and GET /v1/stream): the hub's throttling,
 * scoping, caps and heartbeat with stepped timers; the route against the real runtime
 * (a committed event reaches an open stream); and the shell routes' sign-in redirect.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { StreamHub, type StreamLimits, type Timers } from '../../src/dashboard/stream'
import type { CommitResult, CommittedIssue } from '../../src/errors/commit'
import { memoryLogger } from '../../src/ops/log'
import { serve } from '../../src/server'
import { event, projectIn, signed, startRuntime, TEST_SECRET, type TestRuntime, tempDir } from '../helpers'
import { signedTrace, trace } from '../llm.helpers'
import { type SignedInUser, signedIn } from '../security'

/** A user with a live session, on either backend (test/security.ts `signedIn`). */
async function signInAs(rt: TestRuntime, username: string, role: 'admin' | 'user'): Promise<SignedInUser> {
  return signedIn(rt, username, role)
}

/** Timers that only move when the test says so. */
class SteppedTimers implements Timers {
  t = 0
  private next = 1
  private tasks = new Map<number, { at: number; fn: () => void; every: number | null }>()
  now = () => this.t
  setTimeout = (fn: () => void, ms: number) => this.add(fn, ms, null)
  setInterval = (fn: () => void, ms: number) => this.add(fn, ms, ms)
  clearTimeout = (h: unknown) => void this.tasks.delete(h as number)
  clearInterval = (h: unknown) => void this.tasks.delete(h as number)
  private add(fn: () => void, ms: number, every: number | null) {
    const id = this.next++
    this.tasks.set(id, { at: this.t + ms, fn, every })
    return id
  }
  advance(ms: number) {
    const end = this.t + ms
    for (;;) {
      const due = [...this.tasks.entries()]
        .filter(([, x]) => x.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      const [id, task] = due
      this.t = task.at
      if (task.every === null) this.tasks.delete(id)
      else task.at += task.every
      task.fn()
    }
    this.t = end
  }
  get pending() {
    return this.tasks.size
  }
}

const LIMITS: StreamLimits = { maxStreams: 3, maxPerUser: 2, minIntervalMs: 1000, heartbeatMs: 5000 }

function issue(projectId: string, over: Partial<CommittedIssue> = {}): CommittedIssue {
  return {
    project_id: projectId,
    fingerprint: 'fp',
    is_new: false,
    regressed: false,
    status: 'unresolved',
    error_type: 'TypeError',
    message: 'm',
    source: 'api',
    route_or_procedure: null,
    total_count: 1,
    first_seen: 0,
    last_seen: 0,
    breakdown: [{ environment: 'production', source: 'api', release: '1', route: null, count: 1 }],
    ...over,
  }
}

const commit = (...issues: CommittedIssue[]): CommitResult => ({
  inserted: issues.map(() => 1),
  issues,
  first_raw_id: 1,
  last_raw_id: issues.length,
  duration_ms: 1,
})

/** Collects what a stream sends, synchronously readable after each step. */
function reader(stream: ReadableStream<Uint8Array>) {
  const chunks: string[] = []
  const r = stream.getReader()
  const pump = async () => {
    for (;;) {
      const { value, done } = await r.read()
      if (done) return
      chunks.push(new TextDecoder().decode(value))
    }
  }
  const done = pump()
  return {
    chunks,
    done,
    cancel: () => r.cancel(),
    /** The `commit` events sent so far, parsed. */
    ticks: () =>
      chunks
        .filter((c) => c.startsWith('event: commit'))
        .map((c) => JSON.parse(c.split('\ndata: ')[1] as string)),
    /** The `llm` events sent so far, parsed. */
    llm: () =>
      chunks
        .filter((c) => c.startsWith('event: llm'))
        .map((c) => JSON.parse(c.split('\ndata: ')[1] as string)),
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('the stream hub', () => {
  test('sends the first commit at once and sums the ones within a second into one event', async () => {
    const timers = new SteppedTimers()
    const hub = new StreamHub(LIMITS, timers)
    const s = reader(hub.open('u1', ['p1']))
    await flush()
    expect(s.chunks[0]).toBe('retry: 3000\nevent: ready\ndata: {"projects":["p1"]}\n\n')

    hub.onCommit(commit(issue('p1', { is_new: true })))
    await flush()
    expect(s.ticks()).toEqual([{ events: 1, new_issues: 1, regressions: 0, projects: ['p1'] }])

    timers.advance(200)
    hub.onCommit(commit(issue('p1')))
    timers.advance(300)
    hub.onCommit(
      commit(
        issue('p1', {
          regressed: true,
          breakdown: [{ environment: 'e', source: 's', release: 'r', route: null, count: 4 }],
        }),
      ),
    )
    await flush()
    expect(s.ticks()).toHaveLength(1)
    timers.advance(499)
    await flush()
    expect(s.ticks()).toHaveLength(1)
    timers.advance(1)
    await flush()
    expect(s.ticks()[1]).toEqual({ events: 5, new_issues: 0, regressions: 1, projects: ['p1'] })

    // After a quiet second the next commit goes out at once again.
    timers.advance(1000)
    hub.onCommit(commit(issue('p1')))
    await flush()
    expect(s.ticks()).toHaveLength(3)
    hub.close()
  })

  test("ignores commits of projects outside the stream's scope", async () => {
    const timers = new SteppedTimers()
    const hub = new StreamHub(LIMITS, timers)
    const mine = reader(hub.open('u1', ['p1']))
    const all = reader(hub.open('u2', ['p1', 'p2']))
    hub.onCommit(commit(issue('p2'), issue('p3')))
    await flush()
    expect(mine.ticks()).toEqual([])
    expect(all.ticks()).toEqual([{ events: 1, new_issues: 0, regressions: 0, projects: ['p2'] }])
    hub.close()
  })

  test('a stream for all projects asks again about a project it does not know, once', async () => {
    const hub = new StreamHub(LIMITS, new SteppedTimers())
    let visible: string[] | null = ['p1']
    let asked = 0
    const s = reader(
      hub.open('u1', ['p1'], {
        rescope: () => {
          asked++
          return visible
        },
      }),
    )
    hub.onCommit(commit(issue('p1')))
    expect(asked).toBe(0)
    visible = ['p1', 'p2']
    hub.onCommit(commit(issue('p2'), issue('p3')))
    expect(asked).toBe(1)
    await flush()
    // p3 was refused: later commits of it are not asked about again.
    hub.onCommit(commit(issue('p3')))
    expect(asked).toBe(1)
    expect(s.ticks().map((t) => t.projects)).toEqual([['p1']])
    // The session ended: the next unknown project ends the stream.
    visible = null
    hub.onCommit(commit(issue('p4')))
    expect(asked).toBe(2)
    await s.done
    expect(hub.size).toBe(0)
  })

  test('LLM commits are an event of their own, scoped and throttled apart from error commits', async () => {
    const timers = new SteppedTimers()
    const hub = new StreamHub(LIMITS, timers)
    const mine = reader(hub.open('u1', ['p1']))
    const all = reader(hub.open('u2', ['p1', 'p2']))
    hub.onLlmCommit(new Map([['p1', 2]]))
    hub.onCommit(commit(issue('p1')))
    await flush()
    // The error commit right after is not held back by the LLM event, nor the reverse.
    expect(mine.llm()).toEqual([{ traces: 2, projects: ['p1'] }])
    expect(mine.ticks()).toEqual([{ events: 1, new_issues: 0, regressions: 0, projects: ['p1'] }])
    hub.onLlmCommit(new Map([['p2', 5]]))
    timers.advance(500)
    hub.onLlmCommit(
      new Map([
        ['p1', 1],
        ['p2', 1],
      ]),
    )
    await flush()
    expect(mine.llm()).toHaveLength(1)
    timers.advance(500)
    await flush()
    // p2 is outside the first stream's scope; within a second the counts are summed.
    expect(mine.llm()).toEqual([
      { traces: 2, projects: ['p1'] },
      { traces: 1, projects: ['p1'] },
    ])
    expect(all.llm()).toEqual([
      { traces: 2, projects: ['p1'] },
      { traces: 7, projects: ['p1', 'p2'] },
    ])
    hub.close()
    expect(timers.pending).toBe(0)
  })

  test('sends a keepalive comment every heartbeat interval', async () => {
    const timers = new SteppedTimers()
    const hub = new StreamHub(LIMITS, timers)
    const s = reader(hub.open('u1', ['p1']))
    timers.advance(4999)
    await flush()
    expect(s.chunks.filter((c) => c === ': keepalive\n\n')).toHaveLength(0)
    timers.advance(1)
    timers.advance(5000)
    await flush()
    expect(s.chunks.filter((c) => c === ': keepalive\n\n')).toHaveLength(2)
    hub.close()
  })

  test('caps streams per user and in all, exactly at the limits', async () => {
    const hub = new StreamHub(LIMITS, new SteppedTimers())
    expect(hub.refusal('u1')).toBeNull()
    hub.open('u1', ['p1'])
    expect(hub.refusal('u1')).toBeNull()
    hub.open('u1', ['p1'])
    expect(hub.refusal('u1')).toBe('you have 2 live streams open; close a dashboard tab')
    expect(hub.refusal('u2')).toBeNull()
    hub.open('u2', ['p1'])
    expect(hub.size).toBe(3)
    expect(hub.refusal('u3')).toBe('the server has 3 live streams open; try again later')
    hub.close()
    expect(hub.size).toBe(0)
  })

  test('forgets a stream when the client goes away, and ends every stream on close', async () => {
    const timers = new SteppedTimers()
    const hub = new StreamHub(LIMITS, timers)
    const gone = reader(hub.open('u1', ['p1']))
    const stays = reader(hub.open('u1', ['p1']))
    await flush()
    await gone.cancel()
    expect(hub.size).toBe(1)
    expect(timers.pending).toBe(1)
    hub.close()
    await stays.done
    expect(hub.size).toBe(0)
    expect(timers.pending).toBe(0)
  })
})

describe('GET /v1/stream and the shell routes', () => {
  let rt: TestRuntime
  afterEach(async () => {
    await rt?.dispose()
  })

  test('an open stream hears about an event as soon as it is committed', async () => {
    rt = await startRuntime()
    const alice = await signInAs(rt, 'alice', 'admin')
    const res = await rt.fetch('/v1/stream', { headers: { cookie: alice.cookie } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const s = reader(res.body as ReadableStream<Uint8Array>)
    const ingest = await rt.handle(signed('/v1/ingest', event()))
    expect(ingest.status).toBe(200)
    for (let i = 0; i < 100 && s.ticks().length === 0; i++) await Bun.sleep(10)
    expect(s.ticks()).toEqual([{ events: 1, new_issues: 1, regressions: 0, projects: ['default'] }])
    await s.cancel()
    expect(rt.features.dashboard.stream.size).toBe(0)
  })

  test('a committed LLM trace reaches an open stream as an llm event, and only of projects in reach', async () => {
    rt = await startRuntime()
    const alice = await signInAs(rt, 'alice', 'user')
    const web = await projectIn(rt.core.backend, { name: 'Web', slug: 'web' }, rt.core.now())
    const res = await rt.fetch(`/v1/stream?project_id=${web.slug}`, { headers: { cookie: alice.cookie } })
    const s = reader(res.body as ReadableStream<Uint8Array>)
    expect((await rt.handle(signedTrace('/v1/traces', trace({ id: 'elsewhere' })))).status).toBe(200)
    expect((await rt.handle(signedTrace('/v1/traces', trace(), { key: web.api_key }))).status).toBe(200)
    for (let i = 0; i < 100 && s.llm().length === 0; i++) await Bun.sleep(10)
    expect(s.llm()).toEqual([{ traces: 1, projects: [web.id] }])
    expect(s.ticks()).toEqual([])
    await s.cancel()
  })

  test('a stream for one project hears nothing about another', async () => {
    rt = await startRuntime()
    const alice = await signInAs(rt, 'alice', 'user')
    const web = await projectIn(rt.core.backend, { name: 'Web', slug: 'web' }, rt.core.now())
    const res = await rt.fetch(`/v1/stream?project_id=${web.slug}`, { headers: { cookie: alice.cookie } })
    const s = reader(res.body as ReadableStream<Uint8Array>)
    await rt.handle(signed('/v1/ingest', event()))
    await rt.handle(signed('/v1/ingest', event({ message: 'other' }), { key: web.api_key }))
    for (let i = 0; i < 100 && s.ticks().length === 0; i++) await Bun.sleep(10)
    expect(s.ticks()).toEqual([{ events: 1, new_issues: 1, regressions: 0, projects: [web.id] }])
    await s.cancel()
  })

  test('a stream for all projects hears about a project created after it opened, and ends with the session', async () => {
    rt = await startRuntime()
    const alice = await signInAs(rt, 'alice', 'admin')
    const res = await rt.fetch('/v1/stream', { headers: { cookie: alice.cookie } })
    const s = reader(res.body as ReadableStream<Uint8Array>)
    const web = await projectIn(rt.core.backend, { name: 'Web', slug: 'web' }, rt.core.now())
    await rt.handle(signed('/v1/ingest', event(), { key: web.api_key }))
    for (let i = 0; i < 100 && s.ticks().length === 0; i++) await Bun.sleep(10)
    expect(s.ticks()).toEqual([{ events: 1, new_issues: 1, regressions: 0, projects: [web.id] }])
    await rt.core.backend.run('DELETE FROM sessions')
    const later = await projectIn(rt.core.backend, { name: 'Later', slug: 'later' }, rt.core.now())
    await rt.handle(signed('/v1/ingest', event(), { key: later.api_key }))
    await s.done
    expect(s.ticks()).toHaveLength(1)
    expect(rt.features.dashboard.stream.size).toBe(0)
  })

  test('refuses the eleventh stream of one user with 429', async () => {
    rt = await startRuntime()
    const alice = await signInAs(rt, 'alice', 'user')
    const open: Response[] = []
    for (let i = 0; i < 10; i++) {
      const res = await rt.fetch('/v1/stream', { headers: { cookie: alice.cookie } })
      expect(res.status).toBe(200)
      open.push(res)
    }
    const refused = await rt.fetch('/v1/stream', { headers: { cookie: alice.cookie } })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('10')
    expect(await refused.json()).toEqual({
      error: 'you have 10 live streams open; close a dashboard tab',
      code: 'rate_limited',
    })
    for (const r of open) await r.body?.cancel()
    expect(rt.features.dashboard.stream.size).toBe(0)
  })

  test('redirects a signed-out visitor to the sign-in page, keeping the path asked for', async () => {
    rt = await startRuntime()
    for (const path of ['/', '/issues/abc?project=web', '/alerts/3', '/insights', '/settings/tokens']) {
      const res = await rt.fetch(path, { redirect: 'manual' })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe(`/auth/login?next=${encodeURIComponent(path)}`)
    }
    const stale = await rt.fetch('/', { headers: { cookie: 'bloop_session=nope' }, redirect: 'manual' })
    expect(stale.status).toBe(303)
  })

  test('serves the app shell to a signed-in user with the strict CSP', async () => {
    rt = await startRuntime()
    const bob = await signInAs(rt, 'bob', 'user')
    for (const path of [
      '/',
      '/issues/abc',
      '/alerts',
      '/alerts/new',
      '/insights',
      '/settings',
      '/settings/users',
    ]) {
      const res = await rt.fetch(path, { headers: { cookie: bob.cookie } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
      const html = await res.text()
      expect(html).toContain('<div id="app">')
      expect(html).toMatch(/<script type="module" src="\/assets\/dashboard\/main-[a-z0-9]+\.js"><\/script>/)
      expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/dashboard\/app-[a-z0-9]+\.css">/)
    }
    expect((await rt.fetch('/nope', { headers: { cookie: bob.cookie } })).status).toBe(404)
  })
})

test('a graceful shutdown ends open streams instead of waiting for them', async () => {
  const dir = tempDir()
  const served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
    }),
    { log: memoryLogger('warn') },
  )
  try {
    const rt = { core: served.runtime.core, config: served.runtime.core.config } as TestRuntime
    const alice = await signInAs(rt, 'alice', 'user')
    const res = await fetch(`http://127.0.0.1:${served.port}/v1/stream`, {
      headers: { cookie: alice.cookie },
    })
    expect(res.status).toBe(200)
    const s = reader(res.body as ReadableStream<Uint8Array>)
    for (let i = 0; i < 100 && s.chunks.length === 0; i++) await Bun.sleep(10)
    expect(s.chunks[0]).toStartWith('retry: 3000\nevent: ready')
    await served.stop()
    await s.done
    expect(served.runtime.features.dashboard.stream.size).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// Access to /v1/stream is checked by the shared suite (test/security.routes.ts).
