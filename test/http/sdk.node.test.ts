/**
 * The built first-party SDK (sdk/js/dist) in child Node.js and Bun processes and in this
 * process, against a real bloop server on loopback: uncaught exceptions and unhandled
 * rejections (the process still dies as it would have, after the event is stored), the
 * app's own handlers keep control, close() and the exit hook deliver what is buffered,
 * 429 from the real rate limiter is waited out, and an offline queue is replayed once the
 * server is up. Every event is read back through the query API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { snippets } from '../../src/dashboard/pages/issues/snippets'
import { reservePort } from '../browser'
import { tempDir } from '../helpers'
import { eventually, runChild, type SdkServer, sdkDist, sdkServer } from '../sdk.helpers'
import type { Sample } from '../sentry.helpers'

let dir: string
let server: SdkServer
let nodeEntry: string

beforeAll(async () => {
  dir = tempDir('bloop-sdk-node-')
  nodeEntry = join(await sdkDist(), 'node.js')
  server = await sdkServer(dir)
}, 60_000)

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const app = (body: string, init = '') => `
import * as bloop from ${JSON.stringify(nodeEntry)}
bloop.init({ endpoint: process.env.BLOOP_URL, projectKey: process.env.BLOOP_KEY, environment: 'ci', release: 'svc@2.0.0' ${init} })
${body}
`
const env = () => ({ BLOOP_URL: server.url, BLOOP_KEY: server.projectKey })

describe('sdk/js on Node.js', () => {
  test('an uncaught exception is stored, and the process still prints it and exits 1', async () => {
    const run = await runChild(
      'node',
      dir,
      'uncaught.mjs',
      app(`setTimeout(function chargeCard() { throw new TypeError('card token expired') }, 10)`),
      env(),
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('TypeError: card token expired')
    const issue = await server.issue('TypeError')
    expect(issue.message).toBe('card token expired')
    expect(issue.source).toBe('node')
    expect(issue.releases).toEqual(['svc@2.0.0'])
    expect(issue.environments).toEqual(['ci'])
    const sample = issue.samples[0] as Sample
    expect(sample.metadata?.mechanism).toEqual({ type: 'onuncaughtexception', handled: false })
    expect(sample.metadata?.level).toBe('fatal')
    expect(sample.stack?.split('\n')[1]).toContain('at Timeout.chargeCard')
  })

  test('an unhandled rejection is stored, and the process exits 1 as Node would', async () => {
    const run = await runChild(
      'node',
      dir,
      'rejection.mjs',
      app(`Promise.reject(new RangeError('quota below zero'))`),
      env(),
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('RangeError: quota below zero')
    const sample = (await server.issue('RangeError')).samples[0] as Sample
    expect(sample.metadata?.mechanism).toEqual({ type: 'onunhandledrejection', handled: false })
  })

  test('with --unhandled-rejections=warn the process lives on, as it would without the SDK', async () => {
    const run = await runChild(
      'node',
      dir,
      'warn.mjs',
      app(`Promise.reject(new SyntaxError('tolerated'))
           setTimeout(async () => { await bloop.flush(); console.log('still alive'); }, 100)`),
      { ...env(), NODE_OPTIONS: '--unhandled-rejections=warn' },
    )
    expect(run.code).toBe(0)
    expect(run.stdout.trim()).toBe('still alive')
    expect((await server.issue('SyntaxError')).message).toBe('tolerated')
  })

  test("the app's own uncaughtException handler keeps control of the process", async () => {
    const run = await runChild(
      'node',
      dir,
      'own-handler.mjs',
      app(`process.on('uncaughtException', async (err) => {
             console.log('app handled ' + err.message)
             await bloop.close()
             process.exit(42)
           })
           setTimeout(() => { throw new EvalError('handled by the app') }, 10)`),
      env(),
    )
    expect(run.stdout.trim()).toBe('app handled handled by the app')
    expect(run.code).toBe(42)
    expect((await server.issue('EvalError')).message).toBe('handled by the app')
  })

  test('close() delivers every buffered event, in batches of at most 100', async () => {
    const run = await runChild(
      'node',
      dir,
      'close.mjs',
      app(
        `for (let i = 0; i < 250; i++) bloop.captureMessage('bulk import row failed', { tags: { row: String(i) } })
         const ok = await bloop.close()
         console.log(JSON.stringify({ ok }))`,
        ', flushIntervalMs: 60000, batchSize: 100',
      ),
      env(),
    )
    expect(run.stdout.trim()).toBe('{"ok":true}')
    // Nothing the SDK leaves behind holds the process open: its flush interval is 60 s, the
    // default flush timeout 10 s; the process ends as soon as the script does.
    expect(run.ms).toBeLessThan(5000)
    const issue = (await server.issues()).find((i) => i.message === 'bulk import row failed')
    expect(issue?.total_count).toBe(250)
  })

  test('a process that ends on its own flushes what is buffered before it exits', async () => {
    const run = await runChild(
      'node',
      dir,
      'natural.mjs',
      app(
        `bloop.setUser('customer-7'); bloop.captureException(new URIError('malformed redirect'), { route: '/oauth/callback' })`,
        ', flushIntervalMs: 60000',
      ),
      env(),
    )
    expect(run.code).toBe(0)
    const issue = await server.issue('URIError')
    expect(issue.route_or_procedure).toBe('/oauth/callback')
    expect((issue.samples[0] as Sample).user_id_hash).toBe(
      new Bun.CryptoHasher('sha256').update('customer-7').digest('hex'),
    )
  })
})

describe("the setup guide's snippet", () => {
  test('the JavaScript snippet, run as shown with the real key, stores its event', async () => {
    const snippet = snippets({ endpoint: server.url, key: server.projectKey, dsn: null }).find(
      (s) => s.id === 'npm',
    )
    const code = (snippet?.code ?? '').replace("from 'bloop-sdk'", `from ${JSON.stringify(nodeEntry)}`)
    const run = await runChild('bun', dir, 'snippet.mjs', code)
    expect(run.code).toBe(0)
    const issue = await server.issue('ReferenceError')
    expect(issue.message).toContain('riskyOperation')
    expect(issue.route_or_procedure).toBe('POST /api/users')
    expect(issue.releases).toEqual(['1.0.0'])
  })
})

describe('sdk/js on Bun', () => {
  test('an uncaught exception in a Bun process is stored with source bun and the process exits 1', async () => {
    const run = await runChild(
      'bun',
      dir,
      'bun-uncaught.mjs',
      app(`setTimeout(() => { throw new ReferenceError('bun crash') }, 10)`),
      env(),
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('bun crash')
    const issue = (await server.issues()).find((i) => i.message === 'bun crash')
    expect(issue?.error_type).toBe('ReferenceError')
    expect(issue?.source).toBe('bun')
  })

  test('an unhandled rejection in a Bun process is stored', async () => {
    const run = await runChild(
      'bun',
      dir,
      'bun-rejection.mjs',
      app(`Promise.reject(new Error('bun rejected'))`),
      env(),
    )
    expect(run.code).toBe(1)
    const issue = (await server.issues()).find((i) => i.message === 'bun rejected')
    expect(issue?.source).toBe('bun')
  })
})

describe('sdk/js delivery against the real server', () => {
  test('429 from the rate limiter is waited out (Retry-After) and every event is stored', async () => {
    const limited = await sdkServer(tempDir('bloop-sdk-429-'), {
      rate_limit: { per_second: 1, burst_size: 1 },
    })
    try {
      const { Client } = await import(nodeEntry)
      const statuses: number[] = []
      const counting = async (input: RequestInfo | URL, init?: RequestInit) => {
        const res = await fetch(input, init)
        statuses.push(res.status)
        return res
      }
      const c = new Client({
        endpoint: limited.url,
        projectKey: limited.projectKey,
        batchSize: 1,
        fetch: counting,
      })
      const started = Date.now()
      for (const m of ['first', 'second', 'third']) c.captureMessage(`throttled ${m}`)
      expect(await c.flush(15_000)).toBe(true)
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1)
      expect(statuses.filter((s) => s === 200).length).toBe(3)
      // Three requests at one per second after a burst of one: at least two seconds.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900)
      const messages = (await limited.issues()).map((i) => i.message).sort()
      expect(messages).toEqual(['throttled first', 'throttled second', 'throttled third'])
      const metrics = await (await fetch(`${limited.url}/metrics`)).text()
      expect(metrics).toMatch(/rejected[a-z_]*\{reason="rate_limited"\} [1-9]/)
      await c.close(100)
    } finally {
      await limited.stop()
    }
  }, 30_000)

  test('events captured while the server is down are saved offline and replayed once it is up', async () => {
    const { Client } = await import(nodeEntry)
    const file = join(dir, 'offline-queue.json')
    // A file-backed store, as an app would pass for a CLI or a desktop app.
    const storage = {
      getItem: (k: string) => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8'))[k] ?? null) : null),
      setItem: (k: string, v: string) => writeFileSync(file, JSON.stringify({ [k]: v })),
      removeItem: () => existsSync(file) && unlinkSync(file),
    }
    const port = reservePort()
    const down = new Client({ endpoint: `http://127.0.0.1:${port}`, projectKey: server.projectKey, storage })
    down.captureException(new Error('written while offline'))
    expect(await down.flush(500)).toBe(false)
    await down.close(100)
    expect(JSON.parse(JSON.parse(readFileSync(file, 'utf8'))['bloop:queue:events'])[0].message).toBe(
      'written while offline',
    )

    const revived = await sdkServer(tempDir('bloop-sdk-offline-'), { port })
    try {
      const up = new Client({ endpoint: revived.url, projectKey: revived.projectKey, storage })
      const issue = await eventually(async () =>
        (await revived.issues()).find((i) => i.message === 'written while offline'),
      )
      expect(issue.total_count).toBe(1)
      await up.close()
      expect(existsSync(file)).toBe(false)
    } finally {
      await revived.stop()
    }
  }, 30_000)

  test('a bad project key is refused by the server and dropped, without throwing into the app', async () => {
    const { Client } = await import(nodeEntry)
    const errors: string[] = []
    const c = new Client({
      endpoint: server.url,
      projectKey: 'not-a-key',
      onError: (m: string) => errors.push(m),
    })
    c.captureMessage('never stored')
    expect(await c.flush()).toBe(true)
    expect(c.stats().events.dropped).toBe(1)
    expect(errors.join('\n')).toContain('HTTP 401')
    expect((await server.issues()).some((i) => i.message === 'never stored')).toBe(false)
  })
})
