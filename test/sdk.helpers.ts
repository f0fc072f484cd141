/**
 * Shared by the tests of the first-party SDK (sdk/js) against the real server: builds the
 * SDK once per test process (the tests use the built package, as an app would), starts a
 * real bloop server on a loopback port, and reads events back through the query API.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from '../sdk/js/build'
import { testConfig } from '../src/config/load'
import type { Config } from '../src/config/schema'
import { createLogger } from '../src/ops/log'
import { findProjectOnSqlite } from '../src/projects'
import { type Served, serve } from '../src/server'
import { createToken } from '../src/tokens/store'
import { TEST_SECRET } from './helpers'
import { type IssueDetail, issueOf } from './sentry.helpers'

export const SDK_DIST = join(import.meta.dir, '..', 'sdk', 'js', 'dist')
let built: Promise<void> | undefined

/** Builds sdk/js/dist (once per process); resolves to the dist folder. */
export async function sdkDist(): Promise<string> {
  built ??= build()
  await built
  return SDK_DIST
}

export interface SdkServer {
  served: Served
  url: string
  projectKey: string
  get(path: string): Promise<Response>
  issue(errorType: string): Promise<IssueDetail>
  /** Every issue, for counting. */
  issues(): Promise<IssueDetail[]>
  stop(): Promise<void>
}

export async function sdkServer(
  dir: string,
  over: {
    port?: number
    rate_limit?: { per_second: number; burst_size: number }
    llm_tracing?: {
      default_content_storage: 'none' | 'metadata_only' | 'full'
      proxy?: { openai_base_url?: string; anthropic_base_url?: string }
    }
  } = {},
): Promise<SdkServer> {
  const served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: over.port ?? 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
      ...(over.rate_limit ? { rate_limit: over.rate_limit } : {}),
      // Nested sections are validated (and defaulted) by testConfig like config.toml.
      ...(over.llm_tracing ? { llm_tracing: over.llm_tracing as Partial<Config['llm_tracing']> } : {}),
    }),
    { log: createLogger('error') },
  )
  const db = served.runtime.core.db
  const token = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'read',
      scopes: ['errors:read', 'llm:read'],
    })
  ).token
  const project = findProjectOnSqlite(db, 'default')
  if (!project) throw new Error('expected the default project')
  const get = (path: string) =>
    fetch(new URL(path, served.url), { headers: { authorization: `Bearer ${token}` } })
  return {
    served,
    url: `http://127.0.0.1:${served.port}`,
    projectKey: project.api_key,
    get,
    issue: (t) => issueOf(get, t),
    issues: async () =>
      ((await (await get('/v1/errors?limit=200')).json()) as { items: IssueDetail[] }).items,
    stop: () => served.stop(),
  }
}

export interface ChildRun {
  code: number
  /** Wall time from spawn to exit. */
  ms: number
  stdout: string
  stderr: string
}

/** Runs `source` as an ES module in a child `node` or `bun` process. */
export async function runChild(
  runtime: 'node' | 'bun',
  dir: string,
  name: string,
  source: string,
  env: Record<string, string> = {},
): Promise<ChildRun> {
  const file = join(dir, name)
  writeFileSync(file, source)
  const cmd = runtime === 'node' ? ['node', file] : [process.execPath, file]
  const started = performance.now()
  const child = Bun.spawn(cmd, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, NODE_OPTIONS: '', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => child.kill(), 20_000)
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  clearTimeout(timer)
  return { code, stdout, stderr, ms: performance.now() - started }
}

/** Polls `fn` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > end) throw new Error(`timed out: ${(last as Error)?.message ?? 'no value'}`)
    await Bun.sleep(50)
  }
}
