/** Shared pieces of the benchmarks: pinned processes, RSS readings, percentiles, signed bodies. */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sign } from '../src/errors/ingest/hmac'

export const REPO = join(import.meta.dir, '..')
export const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef'

export const hasTaskset = Bun.spawnSync(['sh', '-c', 'command -v taskset']).exitCode === 0
export const cores = navigator.hardwareConcurrency

/** Prefix that pins a command to one core, when taskset exists and there are two cores. */
/**
 * The environment of a benchmarked server: loopback on a free port, its own database in
 * `dir`, the bench secret, no rate limit in the way, info logs, no analytics copy.
 */
export function benchServerEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BLOOP__SERVER__PORT: '0',
    BLOOP__SERVER__HOST: '127.0.0.1',
    BLOOP__DATABASE__PATH: join(dir, 'bloop.db'),
    BLOOP__AUTH__HMAC_SECRET: SECRET,
    BLOOP__RATE_LIMIT__PER_SECOND: '1000000',
    BLOOP__RATE_LIMIT__BURST_SIZE: '1000000',
    BLOOP__LOG__LEVEL: 'info',
    BLOOP__ANALYTICS__ENABLED: 'false',
    ...extra,
  }
}

export function pin(core: number): string[] {
  return hasTaskset && cores >= 2 ? ['taskset', '-c', String(core)] : []
}

export function tempDir(prefix = 'bloop-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * VmRSS, VmHWM (peak) and RssAnon (private memory: heaps, not the mapped executable or
 * shared libraries, which the kernel can drop and reload) of a process in MB, from /proc.
 */
export function rssMb(pid: number): { rss: number; peak: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024 }
}

/** CPU seconds (user + system) a process has used, every thread included, from /proc. */
export function cpuSeconds(pid: number): number {
  const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i] as number
}

/**
 * With `users` > 0 the event carries one of that many user ids (bench/triage.bench.ts),
 * drawn independently of its issue, so nearly every event is a user new to its issue: the
 * worst case for users affected (a user who comes back to an issue costs less).
 */
export function benchEvent(i: number, issues: number, users = 0) {
  const k = i % issues
  return {
    ...(users > 0 ? { user_id_hash: `user-${(Math.imul(i, 2654435761) >>> 0) % users}` } : {}),
    timestamp: Date.now(),
    source: ['ios', 'android', 'api'][k % 3],
    environment: k % 5 === 0 ? 'staging' : 'production',
    release: `1.${k % 7}.0`,
    error_type: `Error${k % 50}`,
    message: `Something failed in module ${k} for user ${i}`,
    route_or_procedure: `/api/route/${k % 40}`,
    stack: `Error: boom\n    at handler${k} (/srv/app/src/mod${k}.ts:${10 + (i % 90)}:5)\n    at run (/srv/app/src/main.ts:1:1)`,
    request_id: `req-${i}`,
    metadata: { attempt: i % 3, region: 'eu-west-1' },
  }
}

export interface SignedBody {
  body: string
  signature: string
}

export function signedBodies(
  n: number,
  perRequest: number,
  issues: number,
  key = SECRET,
  users = 0,
): SignedBody[] {
  let seq = 0
  return Array.from({ length: n }, () => {
    const body =
      perRequest === 1
        ? JSON.stringify(benchEvent(seq++, issues, users))
        : JSON.stringify({
            events: Array.from({ length: perRequest }, () => benchEvent(seq++, issues, users)),
          })
    return { body, signature: sign(key, body) }
  })
}

export interface Started {
  proc: ReturnType<typeof Bun.spawn>
  port: number
  stop(): Promise<number>
}

/** Starts a process that prints a JSON line with "port" when ready (bloop's "listening" line). */
export async function startPinned(
  cmd: string[],
  env: Record<string, string>,
  core: number,
  cwd?: string,
): Promise<Started> {
  const proc = Bun.spawn([...pin(core), ...cmd], {
    cwd,
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const decoder = new TextDecoder()
  let buf = ''
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  let port = 0
  while (port === 0) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`${cmd.join(' ')} exited before listening`)
    buf += decoder.decode(value)
    for (const line of buf.split('\n')) {
      if (line.includes('"port"') && line.includes('listening')) port = JSON.parse(line).port
    }
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  ;(async () => {
    for (;;) {
      const { done } = await reader.read()
      if (done) break
    }
  })()
  return {
    proc,
    port,
    async stop() {
      proc.kill('SIGTERM')
      return proc.exited
    },
  }
}

export interface LoadResult {
  requests: number
  ok: number
  errors: Record<string, number>
  seconds: number
  rps: number
  p50: number
  p90: number
  p99: number
  max: number
}

/** Runs bench/loadgen.ts as a separate process pinned to `core`, returning its JSON result. */
export async function runLoad(args: Record<string, string | number>, core: number): Promise<LoadResult> {
  const argv = Object.entries(args).map(([k, v]) => `--${k}=${v}`)
  const proc = Bun.spawn([...pin(core), process.execPath, join(REPO, 'bench/loadgen.ts'), ...argv], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const out = await new Response(proc.stdout).text()
  if ((await proc.exited) !== 0) throw new Error(`loadgen failed: ${out}`)
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })

/**
 * An LLM trace of the trace-ingest benchmark: `spans` generation spans (3 by default), no
 * content, usage without a cost so the server prices each span, ids unique per `seq`.
 */
export function benchTrace(run: string, seq: number, spans = 3) {
  const now = Date.now()
  return {
    id: `${run}-${seq}`,
    name: 'chat-turn',
    session_id: `s-${seq % 500}`,
    user_id: `u-${seq % 2000}`,
    status: 'completed',
    started_at: now,
    ended_at: now + 900,
    spans: Array.from({ length: spans }, (_, i) => ({
      id: `sp${i}`,
      span_type: i === 2 ? 'tool' : 'generation',
      name: i === 2 ? 'search' : 'llm-call',
      model: i === 2 ? null : i === 0 ? 'gpt-4o' : 'claude-sonnet-4-5',
      provider: i === 2 ? null : i === 0 ? 'openai' : 'anthropic',
      input_tokens: i === 2 ? null : 800 + (seq % 400),
      output_tokens: i === 2 ? null : 120 + (seq % 80),
      cache_read_tokens: i === 0 ? 256 : null,
      latency_ms: 300 + ((seq * 7 + i * 13) % 2000),
      time_to_first_token_ms: i === 2 ? null : 120 + (seq % 300),
      status: seq % 50 === 0 && i === 1 ? 'error' : 'ok',
      error_message: seq % 50 === 0 && i === 1 ? 'rate limited' : null,
      started_at: now + i * 300,
    })),
  }
}

/**
 * A picker of 0..n-1 with Zipf's law (s = 1): index k is drawn with weight 1/(k+1), so a few
 * are loud and the tail is long, as issues' event counts are. `rand` gives [0, 1).
 */
export function zipf(n: number, rand: () => number): () => number {
  const cdf: number[] = []
  let total = 0
  for (let k = 1; k <= n; k++) {
    total += 1 / k
    cdf.push(total)
  }
  return () => {
    const u = rand() * total
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cdf[mid] as number) < u) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
