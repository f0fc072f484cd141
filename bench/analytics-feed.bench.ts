/**
 * The analytics feed's steps: BENCH_EVENTS events (default 100,000; 997 issues over 200
 * hours) are committed through the real queue and writer while the feed waits (an hour's
 * `sync_interval_ms`), then `syncNow()` copies them into DuckDB and is timed.
 *
 * BENCH_ROOTS lists checkouts to compare (comma-separated; default this one), e.g. a
 * `git worktree` of an earlier commit as the same-run baseline; each round runs every root
 * once, in turn, each in a fresh process. BENCH_ROUNDS rounds (default 5); the median and
 * range per root are printed.
 */
import { join } from 'node:path'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000)
const child = process.env.BENCH_FEED_ROOT

async function once(root: string): Promise<void> {
  const { startRuntime } = await import(join(root, 'test/helpers.ts'))
  const { makeEvent } = await import(join(root, 'test/analytics.reference.ts'))
  const T0 = Date.UTC(2026, 4, 20, 14, 30)
  const rt = await startRuntime({ analytics: { sync_interval_ms: 3_600_000 } }, { now: () => T0 })
  const a = rt.features.analytics.analytics
  await a.ready
  for (let i = 0; i < EVENTS; i += 500) {
    const batch = []
    for (let k = i; k < Math.min(EVENTS, i + 500); k++)
      batch.push(
        makeEvent({
          fingerprint: `fp-${k % 997}`,
          received_at: T0 - (k % 200) * 3_600_000,
          environment: ['prod', 'staging', 'dev'][k % 3],
          release: `1.${k % 7}`,
        }),
      )
    await rt.features.errors.queue.submit(batch)
  }
  const t = performance.now()
  await a.syncNow()
  const ms = performance.now() - t
  if (a.feed.position !== EVENTS) throw new Error(`expected the feed at ${EVENTS}, got ${a.feed.position}`)
  console.log(JSON.stringify({ ms: Math.round(ms), steps: a.feed.counters.steps }))
  await rt.dispose()
}

if (child) await once(child)
else {
  const roots = (process.env.BENCH_ROOTS ?? join(import.meta.dir, '..')).split(',')
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
  const times = new Map<string, number[]>(roots.map((r) => [r, []]))
  for (let round = 0; round < rounds; round++)
    for (const root of roots) {
      const proc = Bun.spawn([process.execPath, import.meta.path], {
        env: { ...process.env, BENCH_FEED_ROOT: root },
        stdout: 'pipe',
        stderr: 'inherit',
      })
      const out = await new Response(proc.stdout).text()
      if ((await proc.exited) !== 0) throw new Error(`the run in ${root} failed`)
      const { ms } = JSON.parse(out.trim().split('\n').at(-1) as string) as { ms: number }
      times.get(root)?.push(ms)
    }
  for (const [root, ms] of times) {
    const s = [...ms].sort((x, y) => x - y)
    console.log(
      `${root}: ${EVENTS} events copied in ${s[Math.floor(s.length / 2)]} ms median [${s[0]}-${s.at(-1)}] n=${s.length}`,
    )
  }
}
