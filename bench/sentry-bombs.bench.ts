/**
 * Memory of the server under a flood of Sentry decompression bombs sent without
 * credentials: 190 concurrent copies of a 3.2 KB brotli body that inflates to 2 GiB
 * (test/sentry.helpers.ts `brotliBomb`), the figure of the security review.
 *
 *   npm run bench -- bombs
 *   BENCH_REPO=/path/to/other/checkout npm run bench -- bombs   (the same flood against
 *                                                                another tree, e.g. the
 *                                                                unfixed code, as baseline)
 *
 * Two targets, each against a fresh server process (pinned to core 0; the load generator,
 * bench/sentry-bombs.load.ts, to core 1): `/api/999/envelope/`, a project that does not
 * exist, and `/api/1/envelope/`, the default project, where a body without a key must be
 * inflated to read the key from the envelope's `dsn` header. Reports the server's RSS idle,
 * its peak (VmHWM, and the highest VmRSS sampled every 10 ms), what it still holds 3 s
 * after the flood, the answers by status and the /health latency during the flood.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliBomb } from '../test/sentry.helpers'
import { cores, hasTaskset, pin, REPO, rssMb, SECRET, startPinned, tempDir } from './lib'

const TREE = process.env.BENCH_REPO ?? REPO
const COUNT = Number(process.env.BENCH_BOMBS ?? 190)
const TARGETS = ['/api/999/envelope/', '/api/1/envelope/']

const t0 = performance.now()
const bomb = await brotliBomb()
const bombFile = join(tempDir('bloop-bench-bombs-'), 'bomb.br')
writeFileSync(bombFile, bomb)
console.log(
  `machine: ${cores} cores, Bun ${Bun.version}, pinning ${hasTaskset && cores >= 2 ? 'server->core 0, load->core 1' : 'unavailable'}; tree ${TREE}`,
)
console.log(
  `bomb: ${bomb.length} bytes of brotli, inflating to 2 GiB - 1, built in ${Math.round(performance.now() - t0)} ms`,
)

async function flood(path: string) {
  const dir = tempDir('bloop-bench-bombs-')
  // Defaults only: the working directory's config.toml may belong to the other tree.
  const config = join(dir, 'config.toml')
  writeFileSync(config, '')
  const server = await startPinned(
    [process.execPath, join(TREE, 'src/main.ts'), 'serve', '--config', config],
    {
      BLOOP__SERVER__PORT: '0',
      BLOOP__SERVER__HOST: '127.0.0.1',
      BLOOP__DATABASE__PATH: join(dir, 'bloop.db'),
      BLOOP__AUTH__HMAC_SECRET: SECRET,
      BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
      BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
      BLOOP__LOG__LEVEL: 'info',
    },
    0,
  )
  const pid = server.proc.pid
  try {
    await Bun.sleep(1000)
    const idle = rssMb(pid).rss
    let sampled = 0
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, rssMb(pid).rss)
    }, 10)
    const load = Bun.spawn(
      [
        ...pin(1),
        process.execPath,
        join(import.meta.dir, 'sentry-bombs.load.ts'),
        `http://127.0.0.1:${server.port}`,
        path,
        String(COUNT),
        bombFile,
      ],
      { stdout: 'pipe', stderr: 'inherit' },
    )
    const out = await new Response(load.stdout).text()
    if ((await load.exited) !== 0) throw new Error(`load generator failed for ${path}`)
    await Bun.sleep(3000)
    clearInterval(sampler)
    const after = rssMb(pid)
    const result = JSON.parse(out.trim().split('\n').at(-1) as string)
    return { path, idle, sampled: Math.max(sampled, after.rss), peak: after.peak, held: after.rss, ...result }
  } finally {
    await server.stop()
  }
}

const mb = (v: number) => Math.round(v)
console.log(
  '| target | answers | flood s | RSS idle MB | peak RSS MB (VmHWM) | highest sampled MB | RSS 3 s after MB | /health p50 / p99 / max ms |',
)
console.log('|---|---|---|---|---|---|---|---|')
for (const path of TARGETS) {
  const r = await flood(path)
  const answers = Object.entries(r.statuses as Record<string, number>)
    .map(([status, n]) => `${n}x ${status}`)
    .join(', ')
  console.log(
    `| \`${r.path}\` | ${answers} | ${r.seconds} | ${mb(r.idle)} | ${mb(r.peak)} | ${mb(r.sampled)} | ${mb(r.held)} | ${r.health.p50} / ${r.health.p99} / ${r.health.max} (${r.health.n} polls) |`,
  )
}
