/**
 * Accounts: what authentication costs per request (in process, through the whole app:
 * token hash lookup, session join, project scoping), and the sign-in page's bundle
 * (cold Bun.build time in a source checkout, bytes raw and gzipped).
 * Run: `npm run bench -- accounts`.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createSession } from '../src/auth/sessions'
import { testConfig } from '../src/config/load'
import { createLogger } from '../src/ops/log'
import { buildRuntime } from '../src/server'
import { createToken } from '../src/tokens/store'
import { bundleAssets } from '../src/web/assets'
import { userOnSqlite } from '../test/helpers'
import { percentile, SECRET, tempDir } from './lib'

const N = 20_000
const dir = tempDir()
const rt = await buildRuntime(
  testConfig({
    database: { path: join(dir, 'bloop.db') },
    auth: { hmac_secret: SECRET },
    rate_limit: { auth_per_second: 10_000, auth_burst_size: 10_000 },
  }),
  { log: createLogger('error') },
)
const db = rt.core.db
const token = (
  await createToken(rt.core.backend, { projectId: 'default', name: 'bench', scopes: ['errors:read'] })
).token
const user = userOnSqlite(db, { username: 'bench', role: 'admin' }, Date.now())
const cookie = `bloop_session=${await createSession(rt.core.backend, user.id, Date.now(), 3600)}`

async function measure(label: string, headers: Record<string, string>, expect: number) {
  const times: number[] = []
  for (let i = 0; i < N / 10; i++) await rt.handle(new Request('http://localhost/v1/stats', { headers }))
  const start = performance.now()
  for (let i = 0; i < N; i++) {
    const t0 = performance.now()
    const res = await rt.handle(new Request('http://localhost/v1/stats', { headers }))
    times.push(performance.now() - t0)
    if (res.status !== expect) throw new Error(`${label}: expected ${expect}, got ${res.status}`)
  }
  const secs = (performance.now() - start) / 1000
  times.sort((a, b) => a - b)
  const us = (ms: number) => Math.round(ms * 1000)
  console.log(
    `| ${label} | ${N} | ${Math.round(N / secs)} | ${us(percentile(times, 50))} | ${us(percentile(times, 99))} |`,
  )
}

console.log('| GET /v1/stats | requests | requests/s | p50 µs | p99 µs |')
console.log('|---|---|---|---|---|')
await measure('no credentials (401)', {}, 401)
await measure('bearer token', { authorization: `Bearer ${token}` }, 200)
await measure('session cookie', { cookie }, 200)

const t0 = performance.now()
const assets = await bundleAssets()
const buildMs = performance.now() - t0
console.log(`\ncold bundle of the sign-in page: ${Math.round(buildMs)} ms`)
console.log('| asset | bytes | gzip bytes |')
console.log('|---|---|---|')
for (const [url, f] of Object.entries(assets.files)) {
  const raw = Buffer.from(f.base64, 'base64')
  console.log(
    `| ${url.replace(/-[a-z0-9]+\./, '-<hash>.')} | ${raw.byteLength} | ${Bun.gzipSync(raw).byteLength} |`,
  )
}

await rt.close()
rmSync(dir, { recursive: true, force: true })
