/**
 * A source map crafted for source-map-js's slow case (5 MB of `AAAA,`: 1,048,536 segments
 * at one position, see test/sourcemaps.helpers.ts) uploaded to a real server while it
 * takes health checks and ingest. Reports, before and during the upload, the longest
 * /health answer (the stall) and the ingest ack latencies, and what the upload answered.
 *
 *   npm run bench -- hostile
 *   SOURCEMAPS_HOSTILE_REPO=/path/to/other/checkout npm run bench -- hostile
 *
 * The server runs from SOURCEMAPS_HOSTILE_REPO (default: this checkout), so the same
 * client measures the code before a change (e.g. `git archive <commit> | tar -x`, with
 * node_modules linked). With taskset and two cores the server is pinned to core 0 and the
 * client (bench/sourcemaps.hostile.load.ts) to core 1. Cases: the defaults; and, on code
 * that has `sourcemaps.max_mappings`, that limit raised above the map so the parse runs
 * on its thread until `sourcemaps.parse_timeout_ms` (10 s) stops it: the worst a map
 * within max_bytes can do. Ingest: 100 events/s, one per request.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { HOSTILE_SEGMENTS } from '../test/sourcemaps.helpers'
import { pin, REPO, SECRET, startPinned, tempDir } from './lib'

const TREE = process.env.SOURCEMAPS_HOSTILE_REPO ?? REPO
const INGEST_PER_SEC = 100
const BASELINE_SECS = 5
const AFTER_SECS = 2
const hasBudget = readFileSync(join(TREE, 'src/config/schema.ts'), 'utf8').includes('max_mappings')
if (!existsSync(join(TREE, 'node_modules')))
  throw new Error(`${TREE} has no node_modules (link this checkout's)`)

const cases: { name: string; env: Record<string, string> }[] = [{ name: 'defaults', env: {} }]
if (hasBudget)
  cases.push({
    name: 'max_mappings above the map (the time budget stops it)',
    env: { BLOOP__SOURCEMAPS__MAX_MAPPINGS: String(2 * HOSTILE_SEGMENTS) },
  })

const commit = Bun.spawnSync(['git', '-C', TREE, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim()
console.log(`server code: ${TREE}${commit ? ` (${commit})` : ''}`)
const loadBefore = loadavg()[0] as number

for (const c of cases) {
  const dir = tempDir('bloop-hostile-bench-')
  const env = {
    BLOOP__SERVER__HOST: '127.0.0.1',
    BLOOP__SERVER__PORT: '0',
    BLOOP__DATABASE__PATH: join(dir, 'bloop.db'),
    BLOOP__AUTH__HMAC_SECRET: SECRET,
    BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
    BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
    BLOOP__LOG__LEVEL: 'info',
    ...c.env,
  }
  // In the data directory: this checkout's config.toml may hold keys the other tree refuses.
  const server = await startPinned([process.execPath, join(TREE, 'src/main.ts'), 'serve'], env, 0, dir)
  const created = Bun.spawnSync(
    [
      process.execPath,
      join(TREE, 'src/main.ts'),
      'token',
      'create',
      '--project',
      'default',
      '--scopes',
      'sourcemaps:write',
    ],
    { env: { ...process.env, ...env }, cwd: dir },
  )
  const token = created.stdout.toString().trim().split('\n').at(-1) as string
  const load = Bun.spawn(
    [
      ...pin(1),
      process.execPath,
      join(REPO, 'bench/sourcemaps.hostile.load.ts'),
      `http://127.0.0.1:${server.port}`,
      SECRET,
      token,
      String(INGEST_PER_SEC),
      String(BASELINE_SECS),
      String(AFTER_SECS),
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const out = await new Response(load.stdout).text()
  if ((await load.exited) !== 0) throw new Error(`client failed: ${out}`)
  const r = JSON.parse(out.trim().split('\n').at(-1) as string)
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
  console.log(`\n${c.name}: upload answered ${r.upload.status} after ${r.upload.ms} ms: ${r.upload.error}`)
  console.log(
    '| window | health checks | longest /health ms | health p99 ms | acks | failed | ack p50 ms | ack p99 ms | ack max ms |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const [w, s] of [
    [`baseline (${BASELINE_SECS} s)`, r.baseline],
    [`upload + ${AFTER_SECS} s`, r.during],
  ] as const) {
    console.log(
      `| ${w} | ${s.health_checks} | ${s.health_max_ms} | ${s.health_p99_ms} | ${s.acks} | ${s.ack_failures} | ${s.ack_p50_ms} | ${s.ack_p99_ms} | ${s.ack_max_ms} |`,
    )
  }
}
console.log(
  `\nmachine: ${cpus()[0]?.model} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Bun ${Bun.version}, ` +
    `pinning ${pin(0).length > 0 ? 'server->core 0, client->core 1' : 'unavailable'}, ` +
    `load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after (other processes share the machine)`,
)
