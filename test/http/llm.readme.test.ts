/**
 * The README's "LLM tracing" curl example works as pasted: its bash block is run by bash
 * (openssl and curl, as a user would) against a listening bloop, with only the key and the
 * address filled in.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { testConfig } from '../../src/config/load'
import { createLogger } from '../../src/ops/log'
import { findProjectOnSqlite } from '../../src/projects'
import { type Served, serve } from '../../src/server'
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

test('the README trace example is accepted and stored as the README says', async () => {
  const readme = await Bun.file(join(import.meta.dir, '..', '..', 'README.md')).text()
  const section = readme.slice(readme.indexOf('## LLM tracing'))
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1]
  expect(block).toBeDefined()
  const key = (findProjectOnSqlite(served.runtime.core.db, 'default') as { api_key: string }).api_key
  const url = new URL(served.url).origin
  const script = (block as string)
    .replace('KEY="bloop_..."', `KEY="${key}"`)
    .replaceAll('http://localhost:5332', url)
  expect(script).not.toContain('localhost:5332')
  // Asynchronous: the server answering the curl runs in this process.
  const run = Bun.spawn(['bash', '-c', script], { stdout: 'pipe', stderr: 'pipe' })
  const out = await new Response(run.stdout).text()
  expect(await run.exited).toBe(0)
  expect(out).toBe('{"status":"accepted"}')
  const span = served.runtime.core.db
    .query(
      "SELECT model, input_tokens, cache_read_tokens, cost_micros, cost_source FROM llm_spans WHERE id = 'span-001'",
    )
    .get()
  // gpt-4o: 80 x 2.50 + 20 x 1.25 + 50 x 10 = 200 + 25 + 500 micros
  expect(span).toEqual({
    model: 'gpt-4o',
    input_tokens: 100,
    cache_read_tokens: 20,
    cost_micros: 725,
    cost_source: 'table',
  })
})
