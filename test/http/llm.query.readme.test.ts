/**
 * The README's example of reading traces back works as pasted: the trace example of the
 * same section is sent first, then the read example's bash block is run by bash (curl, as
 * a user would) against a listening bloop, with only the token and the address filled in.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { createLogger } from '../../src/ops/log'
import { findProjectOnSqlite } from '../../src/projects'
import { type Served, serve } from '../../src/server'
import { createToken } from '../../src/tokens/store'
import { TEST_SECRET, tempDir } from '../helpers'

let served: Served
let dir: string
beforeAll(async () => {
  dir = tempDir()
  served = await serve(
    testConfig({
      server: { host: '127.0.0.1', port: 0 },
      database: { path: join(dir, 'bloop.db') },
      auth: { hmac_secret: TEST_SECRET },
      log: { level: 'error' },
    }),
    { log: createLogger('error') },
  )
})
afterAll(async () => {
  await served.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function bash(script: string): Promise<string> {
  const run = Bun.spawn(['bash', '-c', script], { stdout: 'pipe', stderr: 'pipe' })
  const out = await new Response(run.stdout).text()
  expect(await run.exited).toBe(0)
  return out
}

test("the README's read example answers the trace its send example stored", async () => {
  const readme = await Bun.file(join(import.meta.dir, '..', '..', 'README.md')).text()
  const section = readme.slice(readme.indexOf('## LLM tracing'))
  const [send, read] = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string)
  expect(read).toContain('/v1/llm/traces')
  const db = served.runtime.core.db
  const key = (findProjectOnSqlite(db, 'default') as { api_key: string }).api_key
  const token = (
    await createToken(served.runtime.core.backend, {
      projectId: 'default',
      name: 'readme',
      scopes: ['llm:read'],
    })
  ).token
  const url = new URL(served.url).origin
  expect(
    await bash(
      (send as string).replace('KEY="bloop_..."', `KEY="${key}"`).replaceAll('http://localhost:5332', url),
    ),
  ).toBe('{"status":"accepted"}')
  const out = await bash(
    (read as string)
      .replace('TOKEN="bloop_tk_..."', `TOKEN="${token}"`)
      .replaceAll('http://localhost:5332', url),
  )
  const body = JSON.parse(out)
  expect(
    body.traces.map((t: { id: string; name: string; cost_micros: number }) => [t.id, t.name, t.cost_micros]),
  ).toEqual([['trace-001', 'chat-completion', 725]])
  expect(body.total).toBe(1)
})
